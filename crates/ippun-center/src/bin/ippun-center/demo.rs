//! `ippun-center demo` and `demo-fault`: the demo center (left out of a
//! build without the `demo` feature).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ippun_center::demo::{self, Fault, FaultSwitch, control};
use ippun_center::{CenterError, Config, MasterKey};
use ippun_core::profile::{self, CenterProfile};

use crate::output::{json, out};
use crate::start::{clock, shutdown_signal};

/// The app's data folder: `home`, or where the app keeps its data.
fn data_folder(home: Option<PathBuf>) -> Result<PathBuf, CenterError> {
    match home {
        Some(h) => Ok(h),
        None => Ok(ippun_core::Home::locate(None)
            .map_err(|e| CenterError::Config(format!("no data folder for the profile: {e}")))?
            .dir()
            .to_path_buf()),
    }
}

/// How `ippun-center demo` runs.
#[derive(Debug)]
pub struct DemoRun {
    pub listen: String,
    pub tls: bool,
    pub control: String,
    pub db: Option<String>,
    pub fault: Option<Fault>,
    pub home: Option<PathBuf>,
}

/// `ippun-center demo`: seeds, serves, writes the profile (and, with TLS,
/// the demo CA) and the control address, then prints one JSON line.
pub async fn run(run: DemoRun) -> Result<(), CenterError> {
    let db_url = run.db.unwrap_or_else(|| "sqlite::memory:".into());
    if ippun_center::Backend::of(&db_url)? != ippun_center::Backend::Sqlite {
        return Err(CenterError::Config(
            "the demo center runs on SQLite; serve PostgreSQL with `ippun-center serve`".into(),
        ));
    }
    let master = match db_url.strip_prefix("sqlite:").filter(|p| *p != ":memory:") {
        Some(path) => MasterKey::load_or_create(Path::new(&format!("{path}.master-key")))?,
        None => MasterKey::generate()?,
    };
    let home = data_folder(run.home)?;
    let center = Arc::new(demo::open(&db_url, master, clock(), Config::default()).await?);
    let (tls, ca_file) = if run.tls {
        let (ca_pem, cfg) = demo::tls_with_demo_ca()?;
        let dir = home.join(profile::CENTERS_DIR);
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("demo-ca.pem");
        std::fs::write(&file, ca_pem)?;
        (Some(cfg), Some(file))
    } else {
        (None, None)
    };
    let faults = FaultSwitch::new(run.fault);
    let tcp = tokio::net::TcpListener::bind(&run.listen).await?;
    let running = demo::serve(tcp, tls, center.clone(), faults.clone())?;
    let _sweeper = ippun_center::services::sweep::spawn(center.clone(), crate::start::SWEEP_EVERY);
    let control_addr = control::serve(&run.control, faults).await?;
    let url = running.url();
    let profile = CenterProfile {
        name: "ippun demo center".into(),
        url: url.clone(),
        center_key: center.public_key().to_string(),
    };
    let path = profile::write(&home, "demo", &profile)?;
    std::fs::write(control::address_file(&home), control_addr.to_string())?;
    out(&serde_json::json!({
        "url": url,
        "center_key": profile.center_key,
        "profile": path,
        "ca_file": ca_file,
        "control": control_addr.to_string(),
        "fault": run.fault.map(Fault::name),
        "verify_key": demo::VERIFY_KEY,
    })
    .to_string())?;
    shutdown_signal().await;
    running.shutdown().await?;
    center.db().close().await;
    Ok(())
}

/// `ippun-center demo-fault NAME`.
pub fn switch_fault(fault: &str, home: Option<PathBuf>) -> Result<(), CenterError> {
    let fault = control::parse(fault).map_err(|e| CenterError::Config(e.to_string()))?;
    let said = control::switch(&data_folder(home)?, fault)?;
    out(&said)
}

/// `ippun-center demo --list-users` / `--list-faults`.
pub fn lists(users: bool, as_json: bool) -> Result<(), CenterError> {
    if users {
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
    Ok(())
}
