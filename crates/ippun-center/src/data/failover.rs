//! PostgreSQL with a standby: finding the primary, and following it when
//! the standby is promoted.
//!
//! A database URL may name several hosts, as libpq's do:
//! `postgres://user:pw@db1:5432,db2:5432/ippun`. The center uses the first
//! that accepts writes (`pg_is_in_recovery()` is false). While it runs, a
//! watcher asks the pool in use every [`WATCH_EVERY`] whether it still
//! writes; when it does not (the primary is gone, or came back as a
//! standby), the watcher tries the hosts in order until one is a primary,
//! and swaps the pool. Requests meanwhile fail as "database out of reach"
//! (503 with `Retry-After`); none is answered `ok` unless its commit was
//! acknowledged, and with synchronous replication an acknowledged commit
//! is on the standby too.

use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use super::redact_url;
use crate::CenterError;

/// How often the watcher asks whether the pool in use still writes.
pub const WATCH_EVERY: Duration = Duration::from_millis(500);

/// How long one host may take to connect and answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The pool in use, swapped when the database fails over, and how many
/// times it was swapped (its generation: a connection kept out of the pool
/// is used only while the pool it came from is the one in use).
#[derive(Debug)]
pub struct PoolCell(RwLock<(AnyPool, u64)>);

impl PoolCell {
    pub(super) fn new(pool: AnyPool) -> Arc<Self> {
        Arc::new(Self(RwLock::new((pool, 0))))
    }

    /// The pool in use now.
    pub fn get(&self) -> AnyPool {
        self.current().0
    }

    /// The pool in use now and its generation.
    pub(super) fn current(&self) -> (AnyPool, u64) {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Puts `pool` in use; the one it replaces.
    pub(super) fn set(&self, pool: AnyPool) -> AnyPool {
        let mut cell = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let generation = cell.1.wrapping_add(1);
        std::mem::replace(&mut *cell, (pool, generation)).0
    }
}

/// The single-host URLs of a URL that may name several hosts
/// (`scheme://[user[:pw]@]host[:port][,host[:port]…][/db][?params]`), in
/// order. `target_session_attrs` is dropped: the center always wants the
/// primary.
pub fn hosts(url: &str) -> Result<Vec<String>, CenterError> {
    let bad = || {
        CenterError::Config(format!(
            "a PostgreSQL URL names its hosts as host[:port],…: {}",
            redact_url(url)
        ))
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, list) = match authority.rsplit_once('@') {
        Some((user, list)) => (format!("{user}@"), list),
        None => (String::new(), authority),
    };
    let tail = drop_param(tail, "target_session_attrs");
    let hosts: Vec<String> = list
        .split(',')
        .map(|h| {
            if h.is_empty() {
                Err(bad())
            } else {
                Ok(format!("{scheme}://{user}{h}{tail}"))
            }
        })
        .collect::<Result<_, _>>()?;
    Ok(hosts)
}

/// `tail` (`/db?params`) without the parameter `name`.
fn drop_param(tail: &str, name: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| p.split('=').next() != Some(name))
        .collect();
    if kept.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Whether `pool`'s server accepts writes.
async fn is_primary(pool: &AnyPool) -> Result<bool, CenterError> {
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(pool)
        .await?;
    Ok(!in_recovery)
}

/// A pool on the first of `hosts` that is a primary.
pub(super) async fn connect_primary(
    hosts: &[String],
    options: &AnyPoolOptions,
) -> Result<AnyPool, CenterError> {
    for url in hosts {
        let probe = async {
            let pool = options.clone().connect(url).await?;
            if is_primary(&pool).await? {
                Ok(pool)
            } else {
                pool.close().await;
                Err(CenterError::Unavailable)
            }
        };
        match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
            Ok(Ok(pool)) => return Ok(pool),
            Ok(Err(e)) => tracing::debug!(host = %redact_url(url), error = %e, "not a primary"),
            Err(_) => tracing::debug!(host = %redact_url(url), "no answer"),
        }
    }
    Err(CenterError::Unavailable)
}

/// Watches the pool in `cell` and moves it to the primary among `hosts`
/// when it stops writing; ends when the database is dropped or closed.
pub(super) fn watch(cell: &Arc<PoolCell>, hosts: Vec<String>, options: AnyPoolOptions) {
    let cell: Weak<PoolCell> = Arc::downgrade(cell);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let Some(current) = cell.upgrade().map(|c| c.get()) else {
                return;
            };
            if current.is_closed() {
                return;
            }
            let fine = tokio::time::timeout(PROBE_TIMEOUT, is_primary(&current)).await;
            if matches!(fine, Ok(Ok(true))) {
                continue;
            }
            let Ok(pool) = connect_primary(&hosts, &options).await else {
                tracing::warn!("no writable PostgreSQL host yet; answering 503 meanwhile");
                continue;
            };
            let Some(cell) = cell.upgrade() else {
                pool.close().await;
                return;
            };
            let old = cell.set(pool);
            tracing::warn!("the database failed over: now writing to another host");
            old.close().await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_list_becomes_one_url_per_host() {
        assert_eq!(
            hosts(
                "postgres://u:p@a:5432,b:5433/db?sslmode=require&target_session_attrs=read-write"
            )
            .unwrap(),
            [
                "postgres://u:p@a:5432/db?sslmode=require",
                "postgres://u:p@b:5433/db?sslmode=require"
            ]
        );
        assert_eq!(hosts("postgresql://a/db").unwrap(), ["postgresql://a/db"]);
        assert_eq!(
            hosts("postgres://a,b?target_session_attrs=any").unwrap(),
            ["postgres://a", "postgres://b"]
        );
        assert!(hosts("postgres://u@a,,b/db").is_err());
        assert!(hosts("postgres:/a").is_err());
    }
}
