//! What can go wrong inside the center.

/// What can go wrong inside the center (never shown to app users; the HTTP
/// layer turns these into 500 without detail, or 503 when the database is
/// out of reach for now).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CenterError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row is not what the center writes (a damaged or doctored
    /// database).
    #[error("corrupt database: {0}")]
    Corrupt(&'static str),
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
    /// The database was out of reach for a batch of writes this request
    /// was part of (the cause is logged once for the batch).
    #[error("the database is out of reach")]
    Unavailable,
    /// A shared read this request was part of failed (the cause is logged
    /// once, with the first request of that key).
    #[error("a shared read failed")]
    SharedRead,
    /// Too much work is waiting: retry shortly.
    #[error("too much work is waiting")]
    Busy,
}

impl CenterError {
    /// Whether the database is out of reach for now (gone, restarting,
    /// locked, out of connections): the request may succeed if retried, and
    /// the API answers 503 rather than 500.
    pub fn is_unavailable(&self) -> bool {
        let e = match self {
            Self::Db(e) => e,
            Self::Unavailable => return true,
            _ => return false,
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
                // start-up (57P01–57P03), too many connections (53300),
                // a standby's refusal to write (25006).
                let c = c.as_ref();
                let sqlite_busy = c.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
                // 25006: a read-only transaction, i.e. a standby (during a
                // failover, until the center has moved to the new primary).
                sqlite_busy
                    || c.starts_with("08")
                    || c.starts_with("57P")
                    || c == "53300"
                    || c == "25006"
            }),
            _ => false,
        }
    }
}
