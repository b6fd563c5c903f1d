//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ippun_core::Lang;
use ippun_core::otp::Request;

/// ippun (一分) — one-time-password token for internet banking.
#[derive(Debug, Parser)]
#[command(name = "ippun", bin_name = "ippun", version, propagate_version = true)]
pub struct Cli {
    /// Language of messages: ja or en (default: from the system locale).
    #[arg(long, global = true, value_name = "ja|en")]
    pub lang: Option<Lang>,

    /// Data folder (default: `IPPUN_HOME`, else the per-user data folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,

    /// Run as if the clock read this time (QA only): Unix seconds or RFC 3339.
    /// Time keeps moving forward from there.
    #[arg(
        long,
        global = true,
        value_name = "UNIX|RFC3339",
        allow_hyphen_values = true
    )]
    pub fake_time: Option<String>,

    /// Open the window against a demo center started inside the app
    /// (its data is kept in the data folder).
    #[arg(long)]
    pub demo: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the one-time password for any secret, time and algorithm.
    Otp(OtpArgs),
    /// Check or write test-vector files.
    #[command(subcommand)]
    Vectors(VectorsCommand),
    /// Explain an error code: meaning, remedy and help-desk notes.
    Explain(ExplainArgs),
    /// List, delete or rename tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the current (or next) code of a token.
    Code(CodeArgs),
    /// Turn app lock on or off, or change its code (codes from standard input).
    #[command(subcommand)]
    Lock(LockCommand),
    /// Transaction confirmation: list, approve or reject what your bank
    /// asks you to confirm.
    #[command(subcommand)]
    Tx(TxCommand),
    /// Put the token data aside (kept as a copy) and start with none.
    StartOver {
        /// Confirm.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Set up a new token with a center. The activation password comes from
    /// standard input (one line) or a masked prompt.
    Add(AddArgs),
    /// Renew a token's key and expiry with its center.
    Renew {
        /// The token's display name (may be left out when there is only one).
        name: Option<String>,
        /// Errors as JSON on standard error.
        #[arg(long)]
        json: bool,
    },
    /// Let the center learn this device's clock offset (password correction).
    Correct {
        /// The token's display name (may be left out when there is only one).
        name: Option<String>,
        /// Errors as JSON on standard error.
        #[arg(long)]
        json: bool,
    },
    /// List the tokens: name, serial, expiry, state. Never shows secrets.
    List {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Delete a token by its display name.
    Delete {
        /// The display name.
        name: String,
        /// Delete without asking.
        #[arg(long)]
        yes: bool,
    },
    /// Set the display-name suffix of a token ("" for the plain service name).
    Rename {
        /// The current display name.
        name: String,
        /// The new suffix.
        #[arg(allow_hyphen_values = true)]
        suffix: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TxCommand {
    /// Show the transactions waiting for confirmation (and a start of
    /// transaction confirmation the bank asked for).
    List {
        /// The token's display name (may be left out when there is only one).
        name: Option<String>,
        /// Machine-readable output; errors as JSON on standard error.
        #[arg(long)]
        json: bool,
    },
    /// Complete the start of transaction confirmation the bank asked for.
    Start {
        /// The token's display name (may be left out when there is only one).
        name: Option<String>,
    },
    /// Approve a waiting transaction.
    Approve(TxAnswerArgs),
    /// Reject a waiting transaction.
    Reject(TxAnswerArgs),
}

#[derive(Debug, Args)]
pub struct TxAnswerArgs {
    /// The token's display name.
    pub name: String,
    /// The transaction's ID, as `ippun tx list` shows it.
    pub id: String,
    /// Errors as JSON on standard error.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The center's address (https://…; http:// only to this machine).
    #[arg(long)]
    pub center: String,
    /// The center's public key (ed25519:…). Without it, the key comes from
    /// the center profile in the data folder (the demo center writes one).
    #[arg(long)]
    pub center_key: Option<String>,
    /// Service ID from the bank's letter.
    #[arg(long)]
    pub service_id: String,
    /// User ID.
    #[arg(long)]
    pub user_id: String,
    /// Errors as JSON on standard error.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CodeArgs {
    /// The token's display name (may be left out when there is only one).
    pub name: Option<String>,
    /// The code of the next step instead of the current one.
    #[arg(long)]
    pub next: bool,
}

#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Turn app lock on: the new code twice, one per line.
    Set,
    /// Change the code: the current code, then the new code twice.
    Change,
    /// Turn app lock off: the current code.
    Off,
}

#[derive(Debug, Args)]
pub struct OtpArgs {
    /// The secret in base32 ("-" reads it from standard input).
    #[arg(long, value_name = "BASE32", required_unless_present = "secret_hex")]
    pub secret: Option<String>,
    /// The secret in hexadecimal, as the RFCs print their seeds.
    #[arg(long, value_name = "HEX", conflicts_with = "secret")]
    pub secret_hex: Option<String>,
    /// The time: Unix seconds or RFC 3339 (default: now).
    #[arg(long, value_name = "UNIX|RFC3339", allow_hyphen_values = true)]
    pub time: Option<String>,
    /// Compute HOTP for this counter instead of TOTP (RFC 4226).
    #[arg(long, value_name = "N", conflicts_with_all = ["time", "period"], allow_hyphen_values = true)]
    pub counter: Option<String>,
    /// Number of digits: 6, 7 or 8.
    #[arg(
        long,
        default_value = Request::DEFAULT.digits,
        value_name = "6|7|8",
        allow_hyphen_values = true
    )]
    pub digits: String,
    /// HMAC hash: sha1, sha256 or sha512.
    #[arg(long, default_value = Request::DEFAULT.algorithm, value_name = "sha1|sha256|sha512")]
    pub algorithm: String,
    /// Time step in seconds.
    #[arg(
        long,
        default_value = Request::DEFAULT.period,
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub period: String,
}

#[derive(Debug, Subcommand)]
pub enum VectorsCommand {
    /// Check every vector in FILE and list the mismatches.
    /// Exit status 1 when any vector fails.
    Check {
        /// A vectors file (TOML, format described in the README).
        file: PathBuf,
    },
    /// Write vectors in the same format: every combination of the given
    /// secrets, algorithms, digits and times (or counters).
    Generate(Box<GenerateArgs>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Totp,
    Hotp,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// TOTP (time-based) or HOTP (counter-based).
    #[arg(long, value_enum, default_value = "totp")]
    pub kind: KindArg,
    /// A secret in base32; may be repeated.
    #[arg(long, value_name = "BASE32", required_unless_present = "secret_hex")]
    pub secret: Vec<String>,
    /// A secret in hexadecimal; may be repeated.
    #[arg(long, value_name = "HEX")]
    pub secret_hex: Vec<String>,
    /// Hashes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "sha1")]
    pub algorithm: Vec<String>,
    /// Digit counts, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "6")]
    pub digits: Vec<String>,
    /// Time step in seconds.
    #[arg(long, default_value = "60")]
    pub period: String,
    /// Times, comma-separated: Unix seconds or RFC 3339 (TOTP).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub time: Vec<String>,
    /// Counters, comma-separated (HOTP).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub counter: Vec<String>,
    /// Also write the HMAC and the truncated value of each vector.
    #[arg(long)]
    pub trace: bool,
    /// Start of each vector's name.
    #[arg(long, default_value = "ippun")]
    pub name: String,
    /// Text for each vector's `source` field.
    #[arg(long)]
    pub source: Option<String>,
    /// Comment lines for the top of the file.
    #[arg(long)]
    pub header: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code a customer reads out, e.g. S0C1 (any case).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub code: Option<String>,
    /// List every code.
    #[arg(long)]
    pub all: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}
