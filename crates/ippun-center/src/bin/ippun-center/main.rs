//! `ippun-center`: serve the authentication center, run the demo center,
//! or administer a center's database.
//!
//! - [`args`]: the command line.
//! - [`start`]: starting the server and the demo center.
//! - [`admin`]: the admin commands.
//! - `demo`: the demo center (with the `demo` feature).
//! - [`output`]: what is printed (stored text escaped).

mod admin;
mod args;
#[cfg(feature = "demo")]
mod demo;
mod output;
mod start;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use ippun_center::{CenterError, Config};
use ippun_core::txconfirm::text::escape_for_terminal;

use args::{Cli, Cmd};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IPPUN_CENTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(io::stderr(), "ippun-center: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let text = e.to_string();
            let _ = writeln!(io::stderr(), "ippun-center: {}", escape_for_terminal(&text));
            ExitCode::from(match e {
                CenterError::Config(_) => 2,
                _ => 1,
            })
        }
    }
}

async fn run(cli: Cli) -> Result<(), CenterError> {
    match cli.command {
        Cmd::Serve {
            db,
            listen,
            tls_cert,
            tls_key,
            max_skew,
            correction_bound,
            guard,
        } => {
            let mut config = Config {
                max_skew_secs: max_skew,
                correction_bound_secs: correction_bound,
                ..Config::default()
            };
            guard.apply(&mut config)?;
            start::serve(&db, &listen, tls_cert.zip(tls_key), config).await
        }
        #[cfg(feature = "demo")]
        Cmd::Demo {
            listen,
            tls,
            control,
            db,
            fault,
            home,
            list_users,
            list_faults,
            json,
        } => {
            if list_users || list_faults {
                return demo::lists(list_users, json);
            }
            demo::run(demo::DemoRun {
                listen,
                tls,
                control,
                db,
                fault,
                home,
            })
            .await
        }
        #[cfg(feature = "demo")]
        Cmd::DemoFault { fault, home } => demo::switch_fault(&fault, home),
        Cmd::Admin { db, cmd } => admin::run(&db, cmd).await,
    }
}
