//! The ippun authentication center: provisions tokens over the v1
//! protocol of `ippun_core::protocol`, renews and corrects them, verifies
//! codes, and keeps an audit log. SQLite (WAL) by default.
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

pub use center::{Center, Config, Verdict};
pub use fault::Fault;
pub use secret::MasterKey;

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

/// Unix seconds as stored in SQLite.
pub(crate) fn to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Stored Unix seconds back to `u64` (negative values read as 0).
pub(crate) fn from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
