//! Center settings.

use std::time::Duration;

/// Center settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest device-clock skew accepted at setup (S0F1 beyond).
    pub max_skew_secs: u64,
    /// How far correction searches either side of the center's time.
    pub correction_bound_secs: u64,
    /// Wrong activation passwords (within [`Config::activation_lock_secs`]
    /// of each other) before the password locks (S0C4).
    pub max_activation_failures: i64,
    /// How long a locked activation password stays locked; also the window
    /// in which wrong passwords add up.
    pub activation_lock_secs: u64,
    /// How long an offer waits for its confirmation.
    pub session_ttl_secs: u64,
    /// How long a center nonce is valid.
    pub nonce_ttl_secs: u64,
    /// Renewal opens this long before expiry.
    pub renewal_window_secs: u64,
    /// Consecutive wrong codes at the verify API before the user is locked
    /// out.
    pub max_verify_failures: i64,
    /// How long a verify lock-out lasts (an admin unlock ends it at once).
    pub verify_lock_secs: u64,
    /// Verify checks that may wait for the writer (group commit); more are
    /// answered "busy".
    pub verify_queue: usize,
    /// Activation-password checks run at once (19 MiB each).
    pub hash_workers: usize,
    /// Checks that may wait for a worker; more are answered "busy".
    pub hash_queue: usize,
    /// How long a check waits for a worker before it is answered "busy".
    pub hash_wait: Duration,
    /// Audit rows older than this many days are deleted (0: kept for ever).
    pub audit_keep_days: u64,
    /// Refusals of one kind written one row each per minute; more in that
    /// minute are counted into one summary row.
    pub audit_refusals_per_minute: u32,
    /// How long a request waits for the database (a connection, or a lock
    /// on SQLite) before it is answered 503.
    pub db_wait: Duration,
    /// Connections, timeouts and rate limits of the HTTP server.
    pub http: HttpLimits,
}

/// Connections, timeouts and rate limits of the HTTP server (see
/// `docs/security.md`).
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Time to send a request's headers, counted from the connection's
    /// start or the end of the previous reply: so also how long an idle
    /// keep-alive connection stays open.
    pub header_timeout: Duration,
    /// Time for the rest of a request: its body and the center's work
    /// (408 beyond).
    pub request_timeout: Duration,
    /// Open connections at most (capped by the descriptor limit); more are
    /// closed as soon as they are accepted.
    pub max_connections: usize,
    /// Largest request head (request line and headers), bytes.
    pub max_header_bytes: usize,
    /// Requests to the app's endpoints per client address (`None`: no
    /// limit).
    pub per_client: Option<Rate>,
    /// Requests to the app's endpoints from everyone together.
    pub overall: Option<Rate>,
    /// Behind a proxy: the header that carries the client's address
    /// (`X-Forwarded-For`, `X-Real-IP`, …; its last address is used). Only
    /// set it when every request comes through a proxy that sets it;
    /// otherwise clients could choose their own address.
    pub client_ip_header: Option<String>,
}

/// A rate: a steady number per second, and a burst allowed on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per second, sustained.
    pub per_second: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(20),
            max_connections: 4096,
            max_header_bytes: 16 * 1024,
            per_client: Some(Rate {
                per_second: 10,
                burst: 60,
            }),
            overall: Some(Rate {
                per_second: 2_000,
                burst: 4_000,
            }),
            client_ip_header: None,
        }
    }
}

impl Config {
    /// The same without rate limits on the app's endpoints: for load tools
    /// and tests that send everything from one address, far faster than a
    /// customer would.
    #[must_use]
    pub fn without_rate_limits(mut self) -> Self {
        self.http.per_client = None;
        self.http.overall = None;
        self
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_skew_secs: 300,
            correction_bound_secs: 86_400,
            max_activation_failures: 5,
            activation_lock_secs: 900,
            session_ttl_secs: 600,
            nonce_ttl_secs: 300,
            renewal_window_secs: ippun_core::token::RENEWAL_WINDOW_SECS,
            max_verify_failures: 10,
            verify_lock_secs: 900,
            verify_queue: 4096,
            hash_workers: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            hash_queue: 64,
            hash_wait: Duration::from_secs(2),
            audit_keep_days: 400,
            audit_refusals_per_minute: 60,
            db_wait: Duration::from_secs(5),
            http: HttpLimits::default(),
        }
    }
}
