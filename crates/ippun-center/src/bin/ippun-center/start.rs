//! Starting a center: the production server and the demo center, and what
//! both need (database, master key, shutdown on a signal).

use std::path::PathBuf;
use std::sync::Arc;

use ippun_center::{Center, CenterError, Config, MasterKey, http, net, services};
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

/// How often the center deletes what is past its time.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Raises the soft descriptor limit to the hard one, so that the
/// connection bound (below the soft limit) can be as set.
pub fn raise_descriptor_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "descriptor limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the descriptor limit"),
    }
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
    raise_descriptor_limit();
    let tcp = tokio::net::TcpListener::bind(listen).await?;
    let running = http::serve(tcp, tls, center.clone())?;
    let sweeper = services::sweep::spawn(center.clone(), SWEEP_EVERY);
    tracing::info!(url = %running.url(), key = %center.public_key(), "center serving");
    out(&format!(
        "listening on {}\ncenter key {}",
        running.url(),
        center.public_key()
    ))?;
    shutdown_signal().await;
    tracing::info!("shutting down");
    sweeper.abort();
    running.shutdown().await?;
    center.db().close().await;
    Ok(())
}
