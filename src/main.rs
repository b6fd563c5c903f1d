//! The `ippun` binary: the command-line face of the token app.

mod cli;
mod commands;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use ippun_core::{InputError, Lang, OffsetClock, SystemClock};

use crate::cli::{Cli, Command};

/// How a command ended, short of success.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments or input: exit status 2, message on stderr.
    Usage(String),
    /// A check ran and found problems (already reported): exit status 1.
    CheckFailed,
    /// Writing the output failed.
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl Failure {
    /// A usage failure from an input error, in the user's language.
    pub fn input(e: &InputError, lang: Lang) -> Self {
        Self::Usage(e.message(lang))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let lang = cli.lang.unwrap_or_else(Lang::detect);
    match run(cli, lang) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::CheckFailed) => ExitCode::from(1),
        Err(Failure::Usage(msg)) => {
            let _ = writeln!(io::stderr().lock(), "ippun: {msg}");
            ExitCode::from(2)
        }
        // A reader that went away (`ippun explain --all | head`) is not an error.
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(e)) => {
            let _ = writeln!(io::stderr().lock(), "ippun: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli, lang: Lang) -> Result<(), Failure> {
    let clock = make_clock(cli.fake_time.as_deref(), lang)?;
    match cli.command {
        None => {
            let mut help = <Cli as clap::CommandFactory>::command();
            let _ = help.print_help();
            Err(Failure::Usage(lang.text("cli-no-command")))
        }
        Some(Command::Otp(args)) => commands::otp::run(&args, &clock, lang),
        Some(Command::Vectors(cmd)) => commands::vectors::run(&cmd, lang),
        Some(Command::Explain(args)) => commands::explain::run(&args, lang),
    }
}

/// The system clock, or with `--fake-time` a clock that starts at the given
/// instant and moves on in real time.
fn make_clock(fake: Option<&str>, lang: Lang) -> Result<OffsetClock<SystemClock>, Failure> {
    match fake {
        None => Ok(OffsetClock::new(SystemClock, 0)),
        Some(text) => {
            let start =
                ippun_core::input::parse_time(text).map_err(|e| Failure::input(&e, lang))?;
            Ok(OffsetClock::starting_at(SystemClock, start))
        }
    }
}
