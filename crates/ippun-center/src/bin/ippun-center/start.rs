//! Starting a center: the production server and the demo center, and what
//! both need (database, master key, shutdown on a signal).

use std::path::PathBuf;
use std::sync::Arc;

use ippun_center::{Center, CenterError, Config, MasterKey, http, net};
use ippun_core::{Clock, SystemClock};

use crate::args::DbArgs;
use crate::output::out;

/// The master-key file for `db`.
pub fn master_path(db: &DbArgs) -> Result<PathBuf, CenterError> {
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

/// The real clock.
pub fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// Opens the center on `db`.
pub async fn open(db: &DbArgs, config: Config) -> Result<Center, CenterError> {
    let master = MasterKey::load_or_create(&master_path(db)?)?;
    Center::open(&db.db, master, clock(), config).await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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

/// `ippun-center serve`.
pub async fn serve(
    db: &DbArgs,
    listen: &str,
    tls: Option<(PathBuf, PathBuf)>,
    config: Config,
) -> Result<(), CenterError> {
    let center = Arc::new(open(db, config).await?);
    let tls = match tls {
        Some((c, k)) => Some(net::tls_from_files(&c, &k)?),
        None => None,
    };
    let tcp = tokio::net::TcpListener::bind(listen).await?;
    let running = http::serve(tcp, tls, center.clone())?;
    tracing::info!(url = %running.url(), key = %center.public_key(), "center serving");
    out(&format!(
        "listening on {}\ncenter key {}",
        running.url(),
        center.public_key()
    ))?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await?;
    center.db().close().await;
    Ok(())
}
