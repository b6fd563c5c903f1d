//! Center settings.

use std::time::Duration;

/// Center settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest device-clock skew accepted at setup (S0F1 beyond).
    pub max_skew_secs: u64,
    /// How far correction searches either side of the center's time.
    pub correction_bound_secs: u64,
    /// Wrong activation passwords before the password locks (S0C4).
    pub max_activation_failures: i64,
    /// How long an offer waits for its confirmation.
    pub session_ttl_secs: u64,
    /// How long a center nonce is valid.
    pub nonce_ttl_secs: u64,
    /// Renewal opens this long before expiry.
    pub renewal_window_secs: u64,
    /// Consecutive wrong codes at the verify API before the user is locked
    /// out (until an admin unlocks).
    pub max_verify_failures: i64,
    /// How long a request waits for the database (a connection, or a lock
    /// on SQLite) before it is answered 503.
    pub db_wait: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_skew_secs: 300,
            correction_bound_secs: 86_400,
            max_activation_failures: 5,
            session_ttl_secs: 600,
            nonce_ttl_secs: 300,
            renewal_window_secs: ippun_core::token::RENEWAL_WINDOW_SECS,
            max_verify_failures: 10,
            db_wait: Duration::from_secs(5),
        }
    }
}
