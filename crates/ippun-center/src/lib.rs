//! The ippun authentication center: provisions tokens over the v1
//! protocol of `ippun_core::protocol`, renews and corrects them, verifies
//! codes, and keeps an audit log. SQLite (WAL) by default, PostgreSQL for
//! scale, through the same code and migrations.
//!
//! - [`Center`] holds the logic and the database.
//! - [`api`] maps it onto HTTP (axum).
//! - [`net`] serves it on TCP or TLS and can cut a connection on purpose.
//! - [`demo`] seeds the demo center and its faults.

pub mod admin;
pub mod api;
pub mod center;
pub mod demo;
pub mod fault;
pub mod net;
pub mod secret;
pub mod tx;
pub mod verify;

pub use center::{Backend, Center, Config};
pub use fault::Fault;
pub use secret::MasterKey;
pub use verify::{RelyingParty, Verdict};

/// What can go wrong inside the center (never shown to app users; the API
/// turns these into HTTP 500 without detail).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CenterError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Encryption or hashing failed.
    #[error("crypto: {0}")]
    Crypto(&'static str),
    /// The operating system's random source failed.
    #[error("no randomness available")]
    Random,
    /// Bad configuration or arguments.
    #[error("{0}")]
    Config(String),
    /// An admin act named something that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// An admin act conflicts with what exists.
    #[error("conflict: {0}")]
    Conflict(String),
    /// Network or file I/O.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

impl CenterError {
    /// Whether the database is out of reach for now (gone, restarting,
    /// locked, out of connections): the request may succeed if retried, and
    /// the API answers 503 rather than 500.
    pub fn is_unavailable(&self) -> bool {
        let Self::Db(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(d) => d.code().is_some_and(|c| {
                // SQLite: BUSY (5) and LOCKED (6) with their extended codes.
                // PostgreSQL: connection exceptions (08…), shutdown and
                // start-up (57P01–57P03), too many connections (53300).
                let c = c.as_ref();
                let sqlite_busy = c.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
                sqlite_busy || c.starts_with("08") || c.starts_with("57P") || c == "53300"
            }),
            _ => false,
        }
    }
}

/// Unix seconds as stored in the database.
pub(crate) fn to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Stored Unix seconds back to `u64` (negative values read as 0).
pub(crate) fn from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
