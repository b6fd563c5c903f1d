//! `ippun-app`, the full program: the window (with the demo center inside)
//! and every command. People type `ippun` (`src/bin/ippun.rs`), which
//! answers plain `ippun otp` itself and becomes this program for the rest.

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
    /// A catalogue error: exit status 1, `CODE: message` on stderr (or the
    /// JSON form with `json`).
    Catalogue {
        error: ippun_core::Error,
        json: bool,
    },
    /// Writing the output failed.
    Io(io::Error),
}

impl From<ippun_core::ErrorCode> for Failure {
    fn from(code: ippun_core::ErrorCode) -> Self {
        ippun_core::Error::new(code).into()
    }
}

impl From<ippun_core::Error> for Failure {
    fn from(error: ippun_core::Error) -> Self {
        Self::Catalogue { error, json: false }
    }
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
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    let lang = cli.lang.unwrap_or_else(Lang::detect);
    match run(cli, lang, started) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::CheckFailed) => ExitCode::from(1),
        Err(Failure::Catalogue { error, json }) => {
            let mut err = io::stderr().lock();
            if json {
                let _ = writeln!(err, "{}", error.to_json(lang));
            } else {
                let _ = writeln!(err, "{}", error.line(lang));
                let _ = writeln!(err, "{}", error.code().remedy(lang));
            }
            ExitCode::from(1)
        }
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

fn run(cli: Cli, lang: Lang, started: std::time::Instant) -> Result<(), Failure> {
    let clock = make_clock(cli.fake_time.as_deref(), lang)?;
    match cli.command {
        None => window(cli.home, cli.lang, cli.demo, clock, lang, started),
        Some(Command::Otp(args)) => commands::otp::run(&args, &clock, lang),
        Some(Command::Vectors(cmd)) => commands::vectors::run(&cmd, lang),
        Some(Command::Explain(args)) => commands::explain::run(&args, lang),
        Some(Command::Token(cmd)) => {
            let json = match &cmd {
                cli::TokenCommand::List { json }
                | cli::TokenCommand::Renew { json, .. }
                | cli::TokenCommand::Correct { json, .. } => *json,
                cli::TokenCommand::Add(a) => a.json,
                _ => false,
            };
            commands::tokens::run(&cmd, &commands::Ctx::new(cli.home, lang, &clock)?).map_err(|f| {
                match f {
                    Failure::Catalogue { error, .. } => Failure::Catalogue { error, json },
                    other => other,
                }
            })
        }
        Some(Command::Code(args)) => {
            commands::tokens::code(&args, &commands::Ctx::new(cli.home, lang, &clock)?)
        }
        Some(Command::Lock(cmd)) => {
            commands::lock::run(&cmd, &commands::Ctx::new(cli.home, lang, &clock)?)
        }
        Some(Command::Tx(cmd)) => {
            let json = match &cmd {
                cli::TxCommand::List { json, .. } => *json,
                cli::TxCommand::Approve(a) | cli::TxCommand::Reject(a) => a.json,
                cli::TxCommand::Start { .. } => false,
            };
            commands::tx::run(&cmd, &commands::Ctx::new(cli.home, lang, &clock)?).map_err(|f| {
                match f {
                    Failure::Catalogue { error, .. } => Failure::Catalogue { error, json },
                    other => other,
                }
            })
        }
        Some(Command::StartOver { yes }) => {
            commands::lock::start_over(yes, &commands::Ctx::new(cli.home, lang, &clock)?)
        }
    }
}

/// Opens the window (with `--demo`, against the embedded demo center).
fn window(
    home: Option<std::path::PathBuf>,
    chosen: Option<Lang>,
    demo: bool,
    clock: OffsetClock<SystemClock>,
    lang: Lang,
    started: std::time::Instant,
) -> Result<(), Failure> {
    let home = ippun_core::Home::locate(home)?;
    // A window is open on this data already: it comes to the front, and
    // this launch is done.
    if ippun::gui::single::hand_over(home.dir()) {
        return Ok(());
    }
    let clock: std::sync::Arc<dyn ippun_core::Clock> = std::sync::Arc::new(clock);
    let demo = if demo {
        Some(ippun::gui::DemoCenter::start(
            home.dir(),
            ippun::gui::demo::PREFERRED_PORT,
            clock.clone(),
        )?)
    } else {
        None
    };
    ippun::gui::run(ippun::gui::Options {
        home,
        lang: chosen,
        clock,
        zone: ippun_core::Zone::system(),
        demo,
        started: Some(started),
    })
    .map_err(|e| Failure::Usage(lang.text_with("gui-no-window", &[("reason", &e)])))
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
