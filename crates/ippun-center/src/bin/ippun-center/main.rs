//! `ippun-center`: serve the authentication center, run the demo center,
//! or administer a center's database.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use ippun_center::admin::{self, ServiceSpec};
use ippun_center::api::{self, AppState};
use ippun_center::tx::{BankError, TxStatus};
use ippun_center::{Backend, Center, CenterError, Config, Fault, MasterKey, demo, net};
use ippun_core::profile::{self, CenterProfile};
use ippun_core::txconfirm::text::escape_for_terminal;
use ippun_core::{Clock, SystemClock};

#[derive(Debug, Parser)]
#[command(name = "ippun-center", version, about = "ippun authentication center")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, clap::Args)]
struct DbArgs {
    /// Database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`
    /// (from the environment, a password stays out of the process list).
    #[arg(long, env = "IPPUN_CENTER_DB", hide_env_values = true)]
    db: String,
    /// Master-key file (64 hex digits, created 0600 if missing). Default
    /// for SQLite: the database path with `.master-key` appended; required
    /// for PostgreSQL.
    #[arg(long, env = "IPPUN_CENTER_MASTER_KEY")]
    master_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
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
    },
    /// Run the demo center: seeded services and users, optional fault.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// Database (default: in memory, seeded at each start).
        #[arg(long)]
        db: Option<String>,
        /// Fault to inject (see --list-faults).
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
    /// Administer a center database.
    Admin {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        cmd: AdminCmd,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCmd {
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
enum ServiceCmd {
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
enum TxCmd {
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
enum UserCmd {
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
enum TokenCmd {
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
            let _ = writeln!(io::stderr(), "ippun-center: {e}");
            ExitCode::from(match e {
                CenterError::Config(_) => 2,
                _ => 1,
            })
        }
    }
}

/// One transaction on one line, every stored text escaped for the terminal.
fn tx_line(t: &TxStatus) -> String {
    let at = ippun_core::input::format_utc(t.tx.created_at).unwrap_or_default();
    format!(
        "{} {at} {:<16} {:<24} {} {:<9} {} {} → {} ({})",
        escape_for_terminal(&t.tx.id),
        escape_for_terminal(&t.service),
        escape_for_terminal(&t.user),
        escape_for_terminal(&t.serial),
        t.state,
        escape_for_terminal(&ippun_core::txconfirm::group_amount(&t.tx.amount)),
        escape_for_terminal(&t.tx.currency),
        escape_for_terminal(&t.tx.payee),
        escape_for_terminal(&t.tx.reference)
    )
}

fn out(text: &str) -> Result<(), CenterError> {
    let mut o = io::stdout().lock();
    writeln!(o, "{text}")?;
    o.flush()?;
    Ok(())
}

fn json<T: serde::Serialize>(v: &T) -> Result<(), CenterError> {
    out(&serde_json::to_string_pretty(v).map_err(|e| CenterError::Config(e.to_string()))?)
}

fn master_path(db: &DbArgs) -> Result<PathBuf, CenterError> {
    if let Some(p) = &db.master_key {
        return Ok(p.clone());
    }
    let path = db
        .db
        .strip_prefix("sqlite:")
        .filter(|p| *p != ":memory:")
        .ok_or_else(|| CenterError::Config("give --master-key FILE for this database".into()))?;
    Ok(PathBuf::from(format!("{path}.master-key")))
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

async fn open(db: &DbArgs, config: Config) -> Result<Center, CenterError> {
    let master = MasterKey::load_or_create(&master_path(db)?)?;
    Center::open(&db.db, master, clock(), config).await
}

fn read_password_line() -> Result<String, CenterError> {
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.is_empty() {
        return Err(CenterError::Config(
            "empty activation password on standard input".into(),
        ));
    }
    Ok(p)
}

/// Prints an activation password the center chose (never one the operator
/// gave on standard input).
fn show_new_password(given: Option<&str>, pw: &str) -> Result<(), CenterError> {
    if given.is_some() {
        return Ok(());
    }
    out(&format!("activation password: {pw}"))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
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
        } => {
            let config = Config {
                max_skew_secs: max_skew,
                correction_bound_secs: correction_bound,
                ..Config::default()
            };
            let center = Arc::new(open(&db, config).await?);
            let tls = match (tls_cert, tls_key) {
                (Some(c), Some(k)) => Some(net::tls_from_files(&c, &k)?),
                _ => None,
            };
            let tcp = tokio::net::TcpListener::bind(&listen).await?;
            let running = api::serve(
                tcp,
                tls,
                AppState {
                    center: center.clone(),
                    fault: None,
                },
            )?;
            tracing::info!(url = %running.url(), key = %center.public_key(), "center serving");
            out(&format!(
                "listening on {}\ncenter key {}",
                running.url(),
                center.public_key()
            ))?;
            shutdown_signal().await;
            tracing::info!("shutting down");
            running.shutdown().await?;
            center.pool().close().await;
            Ok(())
        }
        Cmd::Demo {
            listen,
            db,
            fault,
            home,
            list_users,
            list_faults,
            json: as_json,
        } => {
            if list_users {
                let users = demo::users();
                if as_json {
                    return json(&users);
                }
                for u in users {
                    out(&format!(
                        "{:<13} {:<22} {:<16} {:<10} {:<5} {}",
                        u.service_id,
                        u.user_id,
                        u.activation_password,
                        u.phase,
                        u.expected_code.unwrap_or("ok"),
                        u.scenario
                    ))?;
                }
                return Ok(());
            }
            if list_faults {
                let t = Fault::table();
                if as_json {
                    return json(&t);
                }
                for f in t {
                    out(&format!(
                        "{:<16} {:<11} {}",
                        f.fault, f.phase, f.expected_code
                    ))?;
                }
                return Ok(());
            }
            run_demo(&listen, db, fault, home).await
        }
        Cmd::Admin { db, cmd } => admin_cmd(&db, cmd).await,
    }
}

async fn run_demo(
    listen: &str,
    db: Option<String>,
    fault: Option<Fault>,
    home: Option<PathBuf>,
) -> Result<(), CenterError> {
    let db_url = db.unwrap_or_else(|| "sqlite::memory:".into());
    if Backend::of(&db_url)? != Backend::Sqlite {
        return Err(CenterError::Config(
            "the demo center runs on SQLite; serve PostgreSQL with `ippun-center serve`".into(),
        ));
    }
    let master = match db_url.strip_prefix("sqlite:").filter(|p| *p != ":memory:") {
        Some(path) => MasterKey::load_or_create(Path::new(&format!("{path}.master-key")))?,
        None => MasterKey::generate()?,
    };
    let center = Arc::new(Center::open(&db_url, master, clock(), Config::default()).await?);
    if demo::seed(&center).await? {
        tracing::info!("demo data seeded");
    }
    let tls = if fault == Some(Fault::BadTls) {
        Some(net::tls_self_signed()?)
    } else {
        None
    };
    let tcp = tokio::net::TcpListener::bind(listen).await?;
    let running = api::serve(
        tcp,
        tls,
        AppState {
            center: center.clone(),
            fault,
        },
    )?;
    let mut url = running.url();
    if fault == Some(Fault::Refuse) {
        // Publish an address where nothing listens.
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        let closed = probe.local_addr()?;
        drop(probe);
        url = format!("http://{closed}");
    }
    let home = match home {
        Some(h) => h,
        None => ippun_core::Home::locate(None)
            .map_err(|e| CenterError::Config(format!("no data folder for the profile: {e}")))?
            .dir()
            .to_path_buf(),
    };
    let profile = CenterProfile {
        name: "ippun demo center".into(),
        url: url.clone(),
        center_key: center.public_key().to_string(),
    };
    let path = profile::write(&home, "demo", &profile)?;
    out(&serde_json::json!({
        "url": url,
        "center_key": profile.center_key,
        "profile": path,
        "fault": fault.map(Fault::name),
        "verify_key": demo::VERIFY_KEY,
    })
    .to_string())?;
    shutdown_signal().await;
    running.shutdown().await?;
    center.pool().close().await;
    Ok(())
}

#[allow(clippy::too_many_lines)] // one arm per admin command
async fn admin_cmd(db: &DbArgs, cmd: AdminCmd) -> Result<(), CenterError> {
    let center = open(db, Config::default()).await?;
    let c = &center;
    match cmd {
        AdminCmd::Key => out(&c.public_key().to_string()),
        AdminCmd::Service(ServiceCmd::Add {
            id,
            name,
            logo,
            link,
            algorithm,
            digits,
            period,
            validity_days,
            closed,
        }) => {
            let spec = ServiceSpec {
                id,
                name,
                logo_url: logo,
                link_url: link,
                algorithm,
                digits,
                period,
                validity_days,
                open: !closed,
            };
            admin::add_service(c, &spec, "admin").await?;
            out(&format!("service {} added", spec.id))
        }
        AdminCmd::Service(ServiceCmd::List { json: j }) => {
            let v = admin::services(c).await?;
            if j {
                return json(&v);
            }
            for s in v {
                out(&format!(
                    "{:<16} {:<24} {} {} digits {} s, {} days, {}{}",
                    s.id,
                    s.name,
                    s.algorithm,
                    s.digits,
                    s.period,
                    s.validity_days,
                    if s.open { "open" } else { "closed" },
                    if s.tx_confirmation {
                        ", transaction confirmation"
                    } else {
                        ""
                    }
                ))?;
            }
            Ok(())
        }
        AdminCmd::Service(ServiceCmd::Open { id }) => {
            admin::set_service_open(c, &id, true, "admin").await
        }
        AdminCmd::Service(ServiceCmd::Close { id }) => {
            admin::set_service_open(c, &id, false, "admin").await
        }
        AdminCmd::Service(ServiceCmd::ApiKey { id, label }) => {
            let key = admin::create_api_key(c, &id, &label, "admin").await?;
            out(&key)
        }
        AdminCmd::Service(ServiceCmd::ApiKeys { id, json: j }) => {
            let v = admin::api_keys(c, id.as_deref()).await?;
            if j {
                return json(&v);
            }
            for k in v {
                let created = ippun_core::input::format_utc(k.created_at).unwrap_or_default();
                let revoked = k
                    .revoked_at
                    .and_then(ippun_core::input::format_utc)
                    .map(|t| format!(" revoked {t}"))
                    .unwrap_or_default();
                out(&format!(
                    "{} {:<16} created {created}{revoked}  {}",
                    k.key_id, k.service_id, k.label
                ))?;
            }
            Ok(())
        }
        AdminCmd::Service(ServiceCmd::RevokeKey { key_id }) => {
            admin::revoke_api_key(c, &key_id, "admin").await
        }
        AdminCmd::Service(ServiceCmd::TxConfirmation { id, state }) => {
            admin::set_tx_confirmation(c, &id, state == "on", "admin").await
        }
        AdminCmd::Tx(TxCmd::List {
            service,
            user,
            pending,
            json: j,
        }) => {
            let v = c
                .tx_all(service.as_deref(), user.as_deref(), pending)
                .await?;
            if j {
                return json(&v);
            }
            for t in v {
                out(&tx_line(&t))?;
            }
            Ok(())
        }
        AdminCmd::Tx(TxCmd::Withdraw { id }) => {
            let t = c
                .tx_withdraw(None, &id, "admin")
                .await
                .map_err(|e| match e {
                    BankError::Internal(e) => e,
                    BankError::NotFound(..) => {
                        CenterError::NotFound(format!("transaction {}", escape_for_terminal(&id)))
                    }
                    BankError::Conflict(_, detail) | BankError::Bad(detail) => {
                        CenterError::Conflict(detail.into())
                    }
                    BankError::Field(e) => CenterError::Conflict(e.to_string()),
                })?;
            out(&tx_line(&t))
        }
        AdminCmd::User(UserCmd::Unlock { service, user }) => {
            admin::unlock(c, &service, &user, "admin").await
        }
        AdminCmd::User(UserCmd::Add {
            service,
            user,
            password_stdin,
            validity_days,
        }) => {
            let given = password_stdin.then(read_password_line).transpose()?;
            let pw = admin::add_user(c, &service, &user, given.as_deref(), validity_days, "admin")
                .await?;
            show_new_password(given.as_deref(), &pw)
        }
        AdminCmd::User(UserCmd::List { service, json: j }) => {
            let v = admin::users(c, service.as_deref()).await?;
            if j {
                return json(&v);
            }
            for u in v {
                out(&format!(
                    "{:<16} {:<24} {}{}{}failures {}, wrong codes {}",
                    u.service_id,
                    u.user_id,
                    if u.suspended { "suspended " } else { "" },
                    if u.activation_pending {
                        "activation-pending "
                    } else {
                        ""
                    },
                    if u.verify_locked { "locked " } else { "" },
                    u.failures,
                    u.verify_failures
                ))?;
            }
            Ok(())
        }
        AdminCmd::User(UserCmd::Password {
            service,
            user,
            password_stdin,
        }) => {
            let given = password_stdin.then(read_password_line).transpose()?;
            let pw = admin::new_password(c, &service, &user, given.as_deref(), "admin").await?;
            show_new_password(given.as_deref(), &pw)
        }
        AdminCmd::User(UserCmd::Suspend { service, user }) => {
            admin::set_suspended(c, &service, &user, true, "admin").await
        }
        AdminCmd::User(UserCmd::Resume { service, user }) => {
            admin::set_suspended(c, &service, &user, false, "admin").await
        }
        AdminCmd::User(UserCmd::Reissue {
            service,
            user,
            password_stdin,
        }) => {
            let given = password_stdin.then(read_password_line).transpose()?;
            let pw = admin::reissue(c, &service, &user, given.as_deref(), "admin").await?;
            show_new_password(given.as_deref(), &pw)
        }
        AdminCmd::Token(TokenCmd::List { service, json: j }) => {
            let v = admin::tokens(c, service.as_deref()).await?;
            if j {
                return json(&v);
            }
            for t in v {
                let exp = ippun_core::input::format_utc(t.expires_at).unwrap_or_default();
                out(&format!(
                    "{} {:<16} {:<24} {:<8} expires {} drift {}",
                    t.serial, t.service_id, t.user_id, t.state, exp, t.drift_steps
                ))?;
            }
            Ok(())
        }
        AdminCmd::Token(TokenCmd::Expiry { serial, at }) => {
            let at = ippun_core::input::parse_time(&at)
                .map_err(|e| CenterError::Config(e.to_string()))?;
            admin::set_expiry(c, &serial, at, "admin").await
        }
        AdminCmd::Audit { limit, json: j } => {
            let v = admin::audit_log(c, limit).await?;
            if j {
                return json(&v);
            }
            for a in v {
                let at = ippun_core::input::format_utc(a.at).unwrap_or_default();
                out(&format!(
                    "{:>6} {} {:<5} {:<14} {} {} {} {}{}",
                    a.id,
                    at,
                    a.actor,
                    a.action,
                    a.service_id.unwrap_or_default(),
                    a.user_id.unwrap_or_default(),
                    a.serial.unwrap_or_default(),
                    a.outcome,
                    a.detail.map(|d| format!(" ({d})")).unwrap_or_default()
                ))?;
            }
            Ok(())
        }
    }
}
