//! The command line: every subcommand and its options.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
#[cfg(feature = "demo")]
use ippun_center::demo::Fault;

#[derive(Debug, Parser)]
#[command(name = "ippun-center", version, about = "ippun authentication center")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, clap::Args)]
pub struct DbArgs {
    /// Database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`
    /// (from the environment, a password stays out of the process list);
    /// with a standby, `HOST1[:PORT],HOST2[:PORT]`: the center writes to the
    /// primary and follows a failover.
    #[arg(long, env = "IPPUN_CENTER_DB", hide_env_values = true)]
    pub db: String,
    /// Master-key file (64 hex digits, created 0600 if missing). Default
    /// for SQLite: the database path with `.master-key` appended; required
    /// for PostgreSQL.
    #[arg(long, env = "IPPUN_CENTER_MASTER_KEY")]
    pub master_key: Option<PathBuf>,
}

/// What the center takes from strangers (see docs/security.md). Each
/// unset one keeps the center's default, given in brackets.
#[derive(Debug, clap::Args)]
pub struct GuardArgs {
    /// Activation-password checks at once, 19 MiB each [the core count].
    #[arg(long, env = "IPPUN_CENTER_HASH_WORKERS")]
    pub hash_workers: Option<usize>,
    /// Checks that may wait for a worker (up to 2 s); more are answered
    /// 503 busy [64].
    #[arg(long, env = "IPPUN_CENTER_HASH_QUEUE")]
    pub hash_queue: Option<usize>,
    /// Seconds a locked activation password stays locked, also the window
    /// in which five wrong ones add up [900].
    #[arg(long, env = "IPPUN_CENTER_ACTIVATION_LOCK")]
    pub activation_lock: Option<u64>,
    /// Seconds a verify lock-out (ten wrong codes in a row) lasts [900].
    #[arg(long, env = "IPPUN_CENTER_VERIFY_LOCK")]
    pub verify_lock: Option<u64>,
    /// Verify checks that may wait for the database writer; more are
    /// answered 503 busy [4096].
    #[arg(long, env = "IPPUN_CENTER_VERIFY_QUEUE")]
    pub verify_queue: Option<usize>,
    /// Days audit rows are kept; 0 keeps them for ever [400].
    #[arg(long, env = "IPPUN_CENTER_AUDIT_KEEP_DAYS")]
    pub audit_keep_days: Option<u64>,
    /// Refusals of one kind audited one row each per minute; the rest go
    /// into one summary row [60].
    #[arg(long, env = "IPPUN_CENTER_AUDIT_REFUSALS_PER_MINUTE")]
    pub audit_refusals_per_minute: Option<u32>,
    /// Seconds to send a request's headers, from the connection's start or
    /// the previous reply (so also the idle keep-alive limit) [10].
    #[arg(long, env = "IPPUN_CENTER_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,
    /// Seconds for a request's body and the center's work (408 beyond) [20].
    #[arg(long, env = "IPPUN_CENTER_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Open connections at most, below the descriptor limit [4096].
    #[arg(long, env = "IPPUN_CENTER_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Largest request head in bytes (8192 at least) [16384].
    #[arg(long, env = "IPPUN_CENTER_MAX_HEADER_BYTES")]
    pub max_header_bytes: Option<usize>,
    /// Rate limit per client address on the app's endpoints: requests a
    /// second and the burst on top, as in 10/60, or `off` [10/60].
    #[arg(long, env = "IPPUN_CENTER_RATE_PER_CLIENT")]
    pub rate_per_client: Option<RateArg>,
    /// Rate limit for all clients together on the app's endpoints, the
    /// same way [2000/4000].
    #[arg(long, env = "IPPUN_CENTER_RATE_OVERALL")]
    pub rate_overall: Option<RateArg>,
    /// Behind a proxy: the header with the client's address (its last
    /// entry counts), e.g. X-Forwarded-For. Only when every request comes
    /// through a proxy that sets it [none: the peer address].
    #[arg(long, env = "IPPUN_CENTER_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
}

/// A rate limit on the command line: requests a second and the burst
/// (`10/60`), or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateArg(pub Option<ippun_center::Rate>);

impl std::str::FromStr for RateArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "off" {
            return Ok(Self(None));
        }
        let bad = || format!("{s:?}: give PER_SECOND/BURST (e.g. 10/60) or off");
        let (rate, burst) = s.split_once('/').ok_or_else(bad)?;
        let per_second: u32 = rate.trim().parse().map_err(|_| bad())?;
        let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
        if per_second == 0 || burst == 0 {
            return Err(bad());
        }
        Ok(Self(Some(ippun_center::Rate { per_second, burst })))
    }
}

impl GuardArgs {
    /// `config` with the settings given.
    pub fn apply(
        &self,
        config: &mut ippun_center::Config,
    ) -> Result<(), ippun_center::CenterError> {
        use std::time::Duration;
        let c = config;
        if let Some(n) = self.hash_workers {
            c.hash_workers = n.max(1);
        }
        if let Some(n) = self.hash_queue {
            c.hash_queue = n;
        }
        if let Some(n) = self.activation_lock {
            c.activation_lock_secs = n;
        }
        if let Some(n) = self.verify_lock {
            c.verify_lock_secs = n;
        }
        if let Some(n) = self.verify_queue {
            c.verify_queue = n.max(1);
        }
        if let Some(n) = self.audit_keep_days {
            c.audit_keep_days = n;
        }
        if let Some(n) = self.audit_refusals_per_minute {
            c.audit_refusals_per_minute = n;
        }
        if let Some(n) = self.header_timeout {
            c.http.header_timeout = Duration::from_secs(n.max(1));
        }
        if let Some(n) = self.request_timeout {
            c.http.request_timeout = Duration::from_secs(n.max(1));
        }
        if let Some(n) = self.max_connections {
            c.http.max_connections = n.max(1);
        }
        if let Some(n) = self.max_header_bytes {
            c.http.max_header_bytes = n;
        }
        if let Some(r) = self.rate_per_client {
            c.http.per_client = r.0;
        }
        if let Some(r) = self.rate_overall {
            c.http.overall = r.0;
        }
        if let Some(h) = &self.client_ip_header {
            axum::http::HeaderName::try_from(h.as_str()).map_err(|_| {
                ippun_center::CenterError::Config(format!("{h:?} is not a header name"))
            })?;
            c.http.client_ip_header = Some(h.clone());
        }
        Ok(())
    }
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Serve the center.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on, e.g. 0.0.0.0:8443.
        #[arg(long, env = "IPPUN_CENTER_LISTEN")]
        listen: String,
        /// TLS certificate chain (PEM). Without TLS the center must sit
        /// behind a TLS proxy; apps speak plain HTTP only to loopback.
        #[arg(long, env = "IPPUN_CENTER_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, env = "IPPUN_CENTER_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Largest device-clock skew accepted at setup, in seconds.
        #[arg(long, env = "IPPUN_CENTER_MAX_SKEW", default_value_t = 300)]
        max_skew: u64,
        /// Correction search bound either side, in seconds.
        #[arg(long, env = "IPPUN_CENTER_CORRECTION_BOUND", default_value_t = 86_400)]
        correction_bound: u64,
        #[command(flatten)]
        guard: GuardArgs,
    },
    /// Run the demo center: seeded services and users, optional fault.
    #[cfg(feature = "demo")]
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// Serve HTTPS with a certificate from a demo CA written beside
        /// the profile (`centers/demo-ca.pem`; trust it with
        /// `IPPUN_CA_FILE`), so that the TLS faults can be shown.
        #[arg(long)]
        tls: bool,
        /// Loopback address of the control port (`ippun-center demo-fault`).
        #[arg(long, default_value = "127.0.0.1:0")]
        control: String,
        /// Database (default: in memory, seeded at each start).
        #[arg(long)]
        db: Option<String>,
        /// Fault to start with (see --list-faults); switch it while the
        /// demo runs with `ippun-center demo-fault`.
        #[arg(long)]
        fault: Option<Fault>,
        /// Where to write the center profile (default: the app's data
        /// folder, `IPPUN_HOME` or the per-user data folder, `centers/`).
        #[arg(long)]
        home: Option<PathBuf>,
        /// Print the demo users and exit.
        #[arg(long)]
        list_users: bool,
        /// Print the faults and exit.
        #[arg(long)]
        list_faults: bool,
        /// JSON output for the lists.
        #[arg(long)]
        json: bool,
    },
    /// Switch the running demo center's fault (`none` for no fault).
    #[cfg(feature = "demo")]
    DemoFault {
        /// A fault name (see `demo --list-faults`) or `none`.
        fault: String,
        /// The data folder the demo center wrote its profile to.
        #[arg(long)]
        home: Option<PathBuf>,
    },
    /// Administer a center database.
    Admin {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        cmd: AdminCmd,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCmd {
    /// Print the center's public key (for `ippun token add --center-key`).
    Key,
    /// Services.
    #[command(subcommand)]
    Service(ServiceCmd),
    /// Users and activation passwords.
    #[command(subcommand)]
    User(UserCmd),
    /// Tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Transactions posted for confirmation, newest first.
    #[command(subcommand)]
    Tx(TxCmd),
    /// The newest audit records.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServiceCmd {
    /// Create a service.
    Add {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        logo: Option<String>,
        #[arg(long)]
        link: Option<String>,
        #[arg(long, default_value = "sha1")]
        algorithm: String,
        #[arg(long, default_value_t = 6)]
        digits: u8,
        #[arg(long, default_value_t = 60)]
        period: u64,
        #[arg(long, default_value_t = 365)]
        validity_days: u64,
        /// Create it closed for setup.
        #[arg(long)]
        closed: bool,
    },
    /// List services.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Open a service for setup.
    Open { id: String },
    /// Close a service for setup.
    Close { id: String },
    /// Create an API key for the service's web site (verify API); prints
    /// it once.
    ApiKey {
        id: String,
        /// What the key is for, e.g. "web banking".
        #[arg(long, default_value = "relying party")]
        label: String,
    },
    /// List API keys (never their secrets).
    ApiKeys {
        id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key by its ID.
    RevokeKey { key_id: String },
    /// Offer transaction confirmation for the service, or stop offering it.
    TxConfirmation {
        id: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TxCmd {
    /// List transactions (of one service or user; only waiting ones with
    /// --pending).
    List {
        #[arg(long)]
        service: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        pending: bool,
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a waiting transaction (the customer can no longer answer
    /// it; the app says S5B1 if it tries).
    Withdraw { id: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Create a user; prints the activation password (or reads one from
    /// standard input with --password-stdin).
    Add {
        service: String,
        user: String,
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        validity_days: Option<u64>,
    },
    /// List users.
    List {
        service: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Issue a new activation password (also clears a lock).
    Password {
        service: String,
        user: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Suspend a user.
    Suspend { service: String, user: String },
    /// Resume a user.
    Resume { service: String, user: String },
    /// Clear a verify lock-out (too many wrong codes).
    Unlock { service: String, user: String },
    /// Re-issue: revoke the user's tokens and issue a new activation password.
    Reissue {
        service: String,
        user: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCmd {
    /// List tokens.
    List {
        #[arg(long)]
        service: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Set a token's expiry (Unix seconds or RFC 3339).
    Expiry { serial: String, at: String },
}
