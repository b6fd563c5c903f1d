//! The center's logic: provisioning, renewal, correction and verification
//! on top of SQLite.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use ippun_core::otp::{Algorithm, Digits, OtpParams, Period, Totp};
use ippun_core::protocol::{
    self, B32, Bytes, CenterKey, Challenge, ChallengeRequest, Confirm, Confirmed, CorrectRequest,
    Corrected, OfferFields, ProtocolError, ProvisionOffer, ProvisionStart, Purpose, RenewOffer,
    RenewStart, ServiceInfo, SessionId,
};
use ippun_core::{Clock, ErrorCode, SecretKey};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Row};
use zeroize::Zeroize;

use crate::secret::{self, MasterKey};
use crate::{CenterError, from_db, to_db};

/// How long a done session is kept, so that a lost confirmation reply can be
/// fetched again (30 days).
const DONE_SESSION_KEEP_SECS: u64 = 30 * 86_400;

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

/// Why a request did not succeed, as the API reports it.
#[derive(Debug)]
pub enum ApiError {
    /// Refused with a catalogue S-code (HTTP 403).
    Refused(ErrorCode),
    /// The request is malformed (HTTP 400).
    BadRequest(&'static str, String),
    /// A signature or key confirmation in the request is wrong (HTTP 401).
    BadSignature,
    /// No such session (HTTP 404).
    UnknownSession,
    /// No such token (HTTP 404).
    UnknownToken,
    /// The nonce is unknown, used, expired or replayed (HTTP 409).
    StaleNonce,
    /// Something broke inside the center (HTTP 500).
    Internal(CenterError),
}

impl From<CenterError> for ApiError {
    fn from(e: CenterError) -> Self {
        Self::Internal(e)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<ProtocolError> for ApiError {
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::BadSignature | ProtocolError::BadConfirmation => Self::BadSignature,
            ProtocolError::Version(v) => Self::BadRequest(
                "unsupported-version",
                format!("version {v} is not supported"),
            ),
            ProtocolError::Random => Self::Internal(CenterError::Random),
            other => Self::BadRequest("malformed", other.to_string()),
        }
    }
}

/// The authentication center.
pub struct Center {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// SQLite only: one writer at a time within this process (see
    /// [`Center::write_turn`]).
    write_gate: Option<tokio::sync::Mutex<()>>,
    master: MasterKey,
    pub(crate) signing: SigningKey,
    clock: Arc<dyn Clock>,
    pub(crate) config: Config,
}

impl fmt::Debug for Center {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Center")
            .field("public_key", &self.public_key())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The database engine behind a center.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (WAL, synchronous=FULL) or `sqlite::memory:`.
    Sqlite,
    /// PostgreSQL, or an engine that speaks its protocol.
    Postgres,
}

impl Backend {
    /// The backend a database URL names: `sqlite:PATH`, `sqlite::memory:`,
    /// `postgres://…` or `postgresql://…`.
    pub fn of(url: &str) -> Result<Self, CenterError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(CenterError::Config(format!(
                "unsupported database URL (use sqlite:PATH or postgres://…): {}",
                redact_url(url)
            )))
        }
    }
}

/// A database URL with any password replaced by `***`, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &cred[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// The schema migrations, one source for both backends. The files use
/// `BIGINT`, `TEXT` and `BYTEA` only; the identity column phrase is
/// rewritten for SQLite, which does not speak it.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (2, "verify", include_str!("../migrations/0002_verify.sql")),
    (3, "tx", include_str!("../migrations/0003_tx.sql")),
    (
        4,
        "tx_withdraw",
        include_str!("../migrations/0004_tx_withdraw.sql"),
    ),
];

const IDENTITY_PG: &str = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
const IDENTITY_SQLITE: &str = "INTEGER PRIMARY KEY AUTOINCREMENT";

/// The migrations in `backend`'s dialect.
pub fn migrator(backend: Backend) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    let migrations = MIGRATIONS
        .iter()
        .map(|(version, name, sql)| {
            let sql = match backend {
                Backend::Postgres => (*sql).to_owned(),
                Backend::Sqlite => sql.replace(IDENTITY_PG, IDENTITY_SQLITE),
            };
            sqlx::migrate::Migration::new(
                *version,
                (*name).into(),
                sqlx::migrate::MigrationType::Simple,
                sqlx::AssertSqlSafe(sql).into_sql_str(),
                false,
            )
        })
        .collect();
    sqlx::migrate::Migrator::with_migrations(migrations)
}

/// Opens (creating if needed) the database at `url` and migrates it. SQLite
/// runs in WAL mode with synchronous=FULL and foreign keys on. A request
/// waits at most `wait` for a connection (and, on SQLite, for a lock) before
/// it fails as unavailable.
pub async fn open_pool(url: &str, wait: Duration) -> Result<(AnyPool, Backend), CenterError> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of(url)?;
    let memory = url == "sqlite::memory:";
    let full_url = match backend {
        Backend::Sqlite if !memory && !url.contains('?') => format!("{url}?mode=rwc"),
        _ => url.to_owned(),
    };
    let opts = AnyConnectOptions::from_str(&full_url)?;
    let busy_ms = wait.as_millis();
    let mut pool = AnyPoolOptions::new().acquire_timeout(wait);
    pool = match backend {
        Backend::Sqlite => pool
            .max_connections(if memory { 1 } else { 8 })
            .idle_timeout(if memory {
                None
            } else {
                Some(Duration::from_secs(600))
            })
            .max_lifetime(if memory {
                None
            } else {
                Some(Duration::from_secs(1800))
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    let pragmas = format!(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {busy_ms};"
                    );
                    sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas))
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            }),
        Backend::Postgres => pool.max_connections(16),
    };
    let pool = pool.connect_with(opts).await?;
    migrator(backend).run(&pool).await?;
    Ok((pool, backend))
}

impl Center {
    /// Opens the center on `db` (`sqlite:PATH`), loading or creating its
    /// signing key under `master`.
    pub async fn open(
        db: &str,
        master: MasterKey,
        clock: Arc<dyn Clock>,
        config: Config,
    ) -> Result<Self, CenterError> {
        let (pool, backend) = open_pool(db, config.db_wait).await?;
        let signing = load_or_create_signing_key(&pool, &master, clock.unix_seconds()).await?;
        Ok(Self {
            pool,
            backend,
            write_gate: (backend == Backend::Sqlite).then(|| tokio::sync::Mutex::new(())),
            master,
            signing,
            clock,
            config,
        })
    }

    /// The center's public key, to pin in apps.
    pub fn public_key(&self) -> CenterKey {
        CenterKey::of(&self.signing)
    }

    /// The database.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The database engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Waits for this process's turn to write. SQLite lets one writer in at
    /// a time and makes the others sleep and retry; queueing on a fair lock
    /// here instead keeps the slowest requests fast. No-op on PostgreSQL.
    /// Waiting longer than [`Config::db_wait`] fails as unavailable.
    pub(crate) async fn write_turn(
        &self,
    ) -> Result<Option<tokio::sync::MutexGuard<'_, ()>>, CenterError> {
        let Some(gate) = &self.write_gate else {
            return Ok(None);
        };
        tokio::time::timeout(self.config.db_wait, gate.lock())
            .await
            .map(Some)
            .map_err(|_| CenterError::Db(sqlx::Error::PoolTimedOut))
    }

    /// The master key.
    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    /// Settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Center time, Unix seconds.
    pub fn now(&self) -> u64 {
        self.clock.unix_seconds()
    }

    /// Center time in nanoseconds since the epoch (ordering within a second).
    pub(crate) fn now_nanos(&self) -> u128 {
        self.clock.now().as_nanos()
    }

    /// Writes one audit record.
    pub(crate) async fn audit(
        &self,
        actor: &str,
        action: &str,
        who: (Option<&str>, Option<&str>, Option<&str>),
        outcome: &str,
        detail: Option<&str>,
    ) -> Result<(), CenterError> {
        audit(&self.pool, self.now(), actor, action, who, outcome, detail).await
    }

    pub(crate) async fn refuse(
        &self,
        action: &str,
        who: (Option<&str>, Option<&str>, Option<&str>),
        code: ErrorCode,
    ) -> Result<ApiError, CenterError> {
        self.audit("app", action, who, code.as_str(), None).await?;
        tracing::info!(action, code = code.as_str(), "refused");
        Ok(ApiError::Refused(code))
    }

    // -----------------------------------------------------------------------
    // Provisioning
    // -----------------------------------------------------------------------

    /// First leg of provisioning.
    #[allow(clippy::too_many_lines)] // one flow, read top to bottom
    pub async fn provision_start(&self, start: ProvisionStart) -> Result<ProvisionOffer, ApiError> {
        protocol::check_start(&start)?;
        let now = self.now();
        let seen = sqlx::query("SELECT 1 FROM sessions WHERE app_nonce = $1")
            .bind(start.app_nonce.0.as_slice())
            .fetch_optional(&self.pool)
            .await?;
        if seen.is_some() {
            return Err(ApiError::StaleNonce);
        }
        let sid = start.service_id.as_str();
        let uid = start.user_id.as_str();
        let who = (Some(sid), Some(uid), None);
        let act = "provision";
        let Some(service) = self.service(sid).await? else {
            return Err(self
                .refuse(act, (Some(sid), None, None), ErrorCode::S0A1)
                .await?);
        };
        if !service.open {
            return Err(self.refuse(act, who, ErrorCode::S0B1).await?);
        }
        if now.abs_diff(start.device_time) > self.config.max_skew_secs {
            return Err(self.refuse(act, who, ErrorCode::S0F1).await?);
        }
        let user = sqlx::query(
            "SELECT suspended, activation_hash, activation_expires_at, failures, validity_days
             FROM users WHERE service_id = $1 AND user_id = $2",
        )
        .bind(sid)
        .bind(uid)
        .fetch_optional(&self.pool)
        .await?;
        let Some(user) = user else {
            let pw = start.activation_password.clone();
            let _ = tokio::task::spawn_blocking(move || secret::dummy_verify(&pw)).await;
            return Err(self.refuse(act, who, ErrorCode::S0C1).await?);
        };
        let suspended: bool = user.try_get::<i64, _>("suspended")? != 0;
        let hash: Option<String> = user.try_get("activation_hash")?;
        let pw_expires: Option<i64> = user.try_get("activation_expires_at")?;
        let failures: i64 = user.try_get("failures")?;
        let validity_days: Option<i64> = user.try_get("validity_days")?;
        if failures >= self.config.max_activation_failures {
            return Err(self.refuse(act, who, ErrorCode::S0C4).await?);
        }
        let has_active = sqlx::query(
            "SELECT 1 FROM tokens WHERE service_id = $1 AND user_id = $2 AND state = 'active'",
        )
        .bind(sid)
        .bind(uid)
        .fetch_optional(&self.pool)
        .await?
        .is_some();
        let Some(hash) = hash else {
            let code = if has_active {
                ErrorCode::S0B4
            } else {
                ErrorCode::S0C1
            };
            return Err(self.refuse(act, who, code).await?);
        };
        let pw = start.activation_password.clone();
        let ok = tokio::task::spawn_blocking(move || secret::verify_password(&pw, &hash))
            .await
            .map_err(|_| CenterError::Crypto("argon2 task"))??;
        if !ok {
            let row = sqlx::query(
                "UPDATE users SET failures = failures + 1 WHERE service_id = $1 AND user_id = $2
                 RETURNING failures",
            )
            .bind(sid)
            .bind(uid)
            .fetch_one(&self.pool)
            .await?;
            let n: i64 = row.try_get("failures")?;
            let code = if n >= self.config.max_activation_failures {
                ErrorCode::S0C4
            } else {
                ErrorCode::S0C1
            };
            return Err(self.refuse(act, who, code).await?);
        }
        if pw_expires.is_some_and(|t| from_db(t) <= now) {
            return Err(self.refuse(act, who, ErrorCode::S0G1).await?);
        }
        if suspended {
            return Err(self.refuse(act, who, ErrorCode::S0B5).await?);
        }
        if has_active {
            return Err(self.refuse(act, who, ErrorCode::S0B4).await?);
        }

        let days = validity_days.map_or(service.validity_days, from_db);
        let expires_at = now.saturating_add(days.saturating_mul(86_400));
        let turn = self.write_turn().await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM sessions WHERE done = 0 AND serial IN
               (SELECT serial FROM tokens WHERE service_id = $1 AND user_id = $2 AND state = 'pending')",
        )
        .bind(sid)
        .bind(uid)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM tokens WHERE service_id = $1 AND user_id = $2 AND state = 'pending'",
        )
        .bind(sid)
        .bind(uid)
        .execute(&mut *tx)
        .await?;
        let serial = new_serial(&mut tx).await?;
        let (eph, _) = protocol::ephemeral()?;
        let session: SessionId = Bytes::random()?;
        let fields = OfferFields {
            session,
            serial: serial.clone(),
            expires_at,
            params: service.params,
            service: service.info.clone(),
            center_time: now,
        };
        let c = protocol::center_provision(&start, fields, &self.signing, &eph, Bytes::random()?)?;
        let key_enc = self.master.seal(serial.as_bytes(), &c.derived.token_key)?;
        sqlx::query(
            "INSERT INTO tokens (serial, service_id, user_id, state, key_enc, algorithm, digits,
               period, device_key, expires_at, created_at)
             VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&serial)
        .bind(sid)
        .bind(uid)
        .bind(&key_enc)
        .bind(service.params.algorithm.as_str())
        .bind(i64::from(service.params.digits.get()))
        .bind(to_db(service.params.period.secs()))
        .bind(start.device_key.0.as_slice())
        .bind(to_db(expires_at))
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        insert_session(
            &mut tx,
            &session,
            "provision",
            &serial,
            &start.app_nonce,
            &c.derived,
            now + self.config.session_ttl_secs,
            None,
        )
        .await?;
        sqlx::query("UPDATE users SET failures = 0 WHERE service_id = $1 AND user_id = $2")
            .bind(sid)
            .bind(uid)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut *tx,
            now,
            "app",
            "provision",
            (Some(sid), Some(uid), Some(&serial)),
            "offered",
            None,
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        tracing::info!(serial, "provisioning offered");
        Ok(c.offer)
    }

    /// Second leg of provisioning or renewal: checks the app's key
    /// confirmation and commits. Repeating a confirmation that was already
    /// taken answers the same again.
    #[allow(clippy::too_many_lines)] // one flow, read top to bottom
    pub async fn confirm(&self, kind: &str, confirm: Confirm) -> Result<Confirmed, ApiError> {
        if confirm.version != protocol::VERSION {
            return Err(ProtocolError::Version(confirm.version).into());
        }
        let now = self.now();
        let row = sqlx::query(
            "SELECT serial, app_confirm, center_confirm, done, expires_at, new_key_enc,
                    new_expires_at, new_algorithm, new_digits, new_period
             FROM sessions WHERE id = $1 AND kind = $2",
        )
        .bind(confirm.session.0.as_slice())
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Err(ApiError::UnknownSession);
        };
        let done = row.try_get::<i64, _>("done")? != 0;
        if !done && from_db(row.try_get("expires_at")?) <= now {
            return Err(ApiError::UnknownSession);
        }
        let expected = blob32(&row, "app_confirm")?;
        protocol::check_confirm(&confirm, &expected)?;
        let reply = Confirmed {
            version: protocol::VERSION,
            center_confirm: blob32(&row, "center_confirm")?,
            center_time: now,
        };
        if done {
            return Ok(reply);
        }
        let serial: String = row.try_get("serial")?;
        let turn = self.write_turn().await?;
        let mut tx = self.pool.begin().await?;
        let taken =
            sqlx::query("UPDATE sessions SET done = 1, expires_at = $1 WHERE id = $2 AND done = 0")
                .bind(to_db(now + DONE_SESSION_KEEP_SECS))
                .bind(confirm.session.0.as_slice())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if taken == 0 {
            // Another request committed it a moment ago.
            return Ok(reply);
        }
        let owner = sqlx::query("SELECT service_id, user_id FROM tokens WHERE serial = $1")
            .bind(&serial)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(ApiError::UnknownSession)?;
        let sid: String = owner.try_get("service_id")?;
        let uid: String = owner.try_get("user_id")?;
        if kind == "provision" {
            let n = sqlx::query(
                "UPDATE tokens SET state = 'active', activated_at = $1 WHERE serial = $2 AND state = 'pending'",
            )
            .bind(to_db(now))
            .bind(&serial)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(ApiError::UnknownSession);
            }
            sqlx::query(
                "UPDATE tokens SET state = 'revoked'
                 WHERE service_id = $1 AND user_id = $2 AND state = 'active' AND serial <> $3",
            )
            .bind(&sid)
            .bind(&uid)
            .bind(&serial)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE users SET activation_hash = NULL, activation_expires_at = NULL, failures = 0
                 WHERE service_id = $1 AND user_id = $2",
            )
            .bind(&sid)
            .bind(&uid)
            .execute(&mut *tx)
            .await?;
        } else {
            let key: Vec<u8> = row.try_get("new_key_enc")?;
            sqlx::query(
                "UPDATE tokens SET key_enc = $1, expires_at = $2, algorithm = $3, digits = $4, period = $5
                 WHERE serial = $6",
            )
            .bind(key)
            .bind(row.try_get::<i64, _>("new_expires_at")?)
            .bind(row.try_get::<String, _>("new_algorithm")?)
            .bind(row.try_get::<i64, _>("new_digits")?)
            .bind(row.try_get::<i64, _>("new_period")?)
            .bind(&serial)
            .execute(&mut *tx)
            .await?;
        }
        let action = if kind == "provision" {
            "provision"
        } else {
            "renew"
        };
        audit(
            &mut *tx,
            now,
            "app",
            action,
            (Some(&sid), Some(&uid), Some(&serial)),
            "confirmed",
            None,
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        if kind == "provision" {
            crate::demo::after_setup(self, &sid, &uid, &serial).await?;
        }
        tracing::info!(serial, kind, "confirmed");
        Ok(reply)
    }

    // -----------------------------------------------------------------------
    // Signed requests: challenge, renewal, correction
    // -----------------------------------------------------------------------

    /// Hands out a fresh nonce for a token.
    pub async fn challenge(&self, req: ChallengeRequest) -> Result<Challenge, ApiError> {
        if req.version != protocol::VERSION {
            return Err(ProtocolError::Version(req.version).into());
        }
        protocol::check_serial(&req.serial)?;
        let now = self.now();
        if self.token(&req.serial).await?.is_none() {
            return Err(ApiError::UnknownToken);
        }
        let nonce: protocol::Nonce = Bytes::random()?;
        let turn = self.write_turn().await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM nonces WHERE expires_at <= $1 OR (serial = $2 AND used = 1)")
            .bind(to_db(now))
            .bind(&req.serial)
            .execute(&mut *tx)
            .await?;
        // At most a few outstanding nonces per token.
        sqlx::query(
            "DELETE FROM nonces WHERE serial = $1 AND nonce NOT IN
               (SELECT nonce FROM nonces WHERE serial = $2 ORDER BY expires_at DESC LIMIT 4)",
        )
        .bind(&req.serial)
        .bind(&req.serial)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO nonces (nonce, serial, purpose, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(nonce.0.as_slice())
        .bind(&req.serial)
        .bind(req.purpose.as_str())
        .bind(to_db(now + self.config.nonce_ttl_secs))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        drop(turn);
        Ok(Challenge {
            version: protocol::VERSION,
            nonce,
            center_time: now,
        })
    }

    /// Checks that `nonce` is a live nonce of `serial` for `purpose`, without
    /// using it.
    async fn nonce_is_live(
        &self,
        nonce: &protocol::Nonce,
        serial: &str,
        purpose: Purpose,
    ) -> Result<(), ApiError> {
        let row = sqlx::query(
            "SELECT 1 FROM nonces WHERE nonce = $1 AND serial = $2 AND purpose = $3 AND used = 0 AND expires_at > $4",
        )
        .bind(nonce.0.as_slice())
        .bind(serial)
        .bind(purpose.as_str())
        .bind(to_db(self.now()))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|_| ()).ok_or(ApiError::StaleNonce)
    }

    /// Uses a nonce once (atomically).
    async fn use_nonce(&self, nonce: &protocol::Nonce) -> Result<(), ApiError> {
        let n = sqlx::query("UPDATE nonces SET used = 1 WHERE nonce = $1 AND used = 0")
            .bind(nonce.0.as_slice())
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 1 {
            Ok(())
        } else {
            Err(ApiError::StaleNonce)
        }
    }

    /// The token behind a device-signed request. In order: version, serial,
    /// token, a live nonce for `purpose`, the device signature (`check`, with
    /// the token's device key); only then is the nonce used up, so a bad
    /// request writes nothing.
    pub(crate) async fn signed_request(
        &self,
        version: u32,
        serial: &str,
        nonce: &protocol::Nonce,
        purpose: Purpose,
        check: impl FnOnce(&B32) -> Result<(), ProtocolError>,
    ) -> Result<TokenRow, ApiError> {
        if version != protocol::VERSION {
            return Err(ProtocolError::Version(version).into());
        }
        protocol::check_serial(serial)?;
        let token = self.token(serial).await?.ok_or(ApiError::UnknownToken)?;
        self.nonce_is_live(nonce, serial, purpose).await?;
        check(&token.device_key)?;
        self.use_nonce(nonce).await?;
        Ok(token)
    }

    /// Renewal: checks the device signature and the token's state, then
    /// offers a new key and expiry (applied on confirmation).
    pub async fn renew_start(&self, start: RenewStart) -> Result<RenewOffer, ApiError> {
        let token = self
            .signed_request(
                start.version,
                &start.serial,
                &start.nonce,
                Purpose::Renew,
                |key| protocol::check_renew_start(&start, key),
            )
            .await?;
        let now = self.now();
        let who = (
            Some(token.service_id.as_str()),
            Some(token.user_id.as_str()),
            Some(start.serial.as_str()),
        );
        let suspended = self
            .user_suspended(&token.service_id, &token.user_id)
            .await?;
        if suspended {
            return Err(self.refuse("renew", who, ErrorCode::S3B5).await?);
        }
        if token.state != "active" {
            return Err(self.refuse("renew", who, ErrorCode::S3B3).await?);
        }
        if now >= token.expires_at
            || now
                < token
                    .expires_at
                    .saturating_sub(self.config.renewal_window_secs)
        {
            return Err(self.refuse("renew", who, ErrorCode::S3E4).await?);
        }
        // Renewal re-keys the token, and the answers of transaction
        // confirmation are keyed by it: not while a start or a transaction
        // waits for the app.
        if let Some(code) = self.tx_blocks_renewal(&start.serial, now).await? {
            return Err(self.refuse("renew", who, code).await?);
        }
        let service = self
            .service(&token.service_id)
            .await?
            .ok_or_else(|| CenterError::NotFound(token.service_id.clone()))?;
        let validity = self
            .user_validity(&token.service_id, &token.user_id)
            .await?
            .unwrap_or(service.validity_days);
        // The new period starts at the old expiry: renewing early loses nothing.
        let expires_at = token
            .expires_at
            .saturating_add(validity.saturating_mul(86_400));
        let (eph, _) = protocol::ephemeral()?;
        let session: SessionId = Bytes::random()?;
        let fields = OfferFields {
            session,
            serial: start.serial.clone(),
            expires_at,
            params: service.params,
            service: service.info,
            center_time: now,
        };
        let c = protocol::center_renew(&start, &fields, &self.signing, &eph, Bytes::random()?)?;
        let key_enc = self
            .master
            .seal(start.serial.as_bytes(), &c.derived.token_key)?;
        let turn = self.write_turn().await?;
        let mut tx = self.pool.begin().await?;
        insert_session(
            &mut tx,
            &session,
            "renew",
            &start.serial,
            &start.app_nonce,
            &c.derived,
            now + self.config.session_ttl_secs,
            Some((&key_enc, expires_at, service.params)),
        )
        .await?;
        audit(&mut *tx, now, "app", "renew", who, "offered", None).await?;
        tx.commit().await?;
        drop(turn);
        Ok(c.offer)
    }

    /// Correction: finds the device's step from two consecutive codes within
    /// the bound and stores the drift. The last used step is not touched.
    pub async fn correct(&self, req: CorrectRequest) -> Result<Corrected, ApiError> {
        let token = self
            .signed_request(
                req.version,
                &req.serial,
                &req.nonce,
                Purpose::Correct,
                |key| protocol::check_correct_request(&req, key),
            )
            .await?;
        let now = self.now();
        let who = (
            Some(token.service_id.as_str()),
            Some(token.user_id.as_str()),
            Some(req.serial.as_str()),
        );
        if token.state != "active" || now >= token.expires_at {
            return Err(self.refuse("correct", who, ErrorCode::S4E3).await?);
        }
        let totp = self.generator(&req.serial, &token)?;
        let period = token.params.period.secs();
        let center_step = now / period;
        let bound = self.config.correction_bound_secs / period;
        let found = search(&totp, center_step, bound, &req.otps);
        let Some(device_step) = found else {
            return Err(self.refuse("correct", who, ErrorCode::S4F1).await?);
        };
        let drift = i64::try_from(i128::from(device_step) - i128::from(center_step)).unwrap_or(0);
        let turn = self.write_turn().await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE tokens SET drift_steps = $1 WHERE serial = $2")
            .bind(drift)
            .bind(&req.serial)
            .execute(&mut *tx)
            .await?;
        let detail = format!("drift {drift} steps (device time {})", req.device_time);
        audit(
            &mut *tx,
            now,
            "app",
            "correct",
            who,
            "corrected",
            Some(&detail),
        )
        .await?;
        tx.commit().await?;
        drop(turn);
        let seconds = drift.saturating_mul(i64::try_from(period).unwrap_or(i64::MAX));
        Ok(protocol::center_corrected(
            &req,
            drift,
            seconds,
            now,
            &self.signing,
        ))
    }

    // -----------------------------------------------------------------------
    // Lookups
    // -----------------------------------------------------------------------

    pub(crate) async fn service(&self, id: &str) -> Result<Option<Service>, CenterError> {
        let row = sqlx::query(
            "SELECT id, name, logo_url, link_url, algorithm, digits, period, validity_days, open,
                    tx_confirmation
             FROM services WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| -> Result<Service, CenterError> {
            Ok(Service {
                info: ServiceInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    logo_url: r.try_get("logo_url")?,
                    link_url: r.try_get("link_url")?,
                    tx_confirmation: r.try_get::<i64, _>("tx_confirmation")? != 0,
                },
                params: params_of(
                    &r.try_get::<String, _>("algorithm")?,
                    r.try_get("digits")?,
                    r.try_get("period")?,
                )?,
                validity_days: from_db(r.try_get("validity_days")?),
                open: r.try_get::<i64, _>("open")? != 0,
            })
        })
        .transpose()
    }

    pub(crate) async fn token(&self, serial: &str) -> Result<Option<TokenRow>, CenterError> {
        let row = sqlx::query(
            "SELECT service_id, user_id, state, key_enc, algorithm, digits, period, device_key,
                    expires_at, drift_steps, tx_enabled
             FROM tokens WHERE serial = $1",
        )
        .bind(serial)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(TokenRow::read).transpose()
    }

    async fn user_suspended(&self, sid: &str, uid: &str) -> Result<bool, CenterError> {
        let row = sqlx::query("SELECT suspended FROM users WHERE service_id = $1 AND user_id = $2")
            .bind(sid)
            .bind(uid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<i64, _>("suspended")? != 0,
            None => false,
        })
    }

    async fn user_validity(&self, sid: &str, uid: &str) -> Result<Option<u64>, CenterError> {
        let row =
            sqlx::query("SELECT validity_days FROM users WHERE service_id = $1 AND user_id = $2")
                .bind(sid)
                .bind(uid)
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => r.try_get::<Option<i64>, _>("validity_days")?.map(from_db),
            None => None,
        })
    }

    /// The token key, opened with the master key.
    pub(crate) fn token_key(
        &self,
        serial: &str,
        token: &TokenRow,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, CenterError> {
        let key = self.master.open(serial.as_bytes(), &token.key_enc)?;
        Ok(zeroize::Zeroizing::new(key.to_vec()))
    }

    pub(crate) fn generator(&self, serial: &str, token: &TokenRow) -> Result<Totp, ApiError> {
        let key = self.master.open(serial.as_bytes(), &token.key_enc)?;
        let key = SecretKey::from_bytes(key.to_vec())
            .map_err(|_| CenterError::Crypto("empty token key"))?;
        Ok(Totp::new(&key, token.params))
    }
}

/// A service as stored.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub info: ServiceInfo,
    pub params: OtpParams,
    pub validity_days: u64,
    pub open: bool,
}

/// A token as stored.
pub(crate) struct TokenRow {
    pub service_id: String,
    pub user_id: String,
    pub state: String,
    pub key_enc: Vec<u8>,
    pub params: OtpParams,
    pub device_key: B32,
    pub expires_at: u64,
    pub drift_steps: i64,
    /// Transaction confirmation is in use for this token.
    pub tx_enabled: bool,
}

impl TokenRow {
    /// Service, user and serial, as the audit log names them.
    pub(crate) fn who<'a>(
        &'a self,
        serial: &'a str,
    ) -> (Option<&'a str>, Option<&'a str>, Option<&'a str>) {
        (
            Some(self.service_id.as_str()),
            Some(self.user_id.as_str()),
            Some(serial),
        )
    }

    /// Reads the columns `service_id, user_id, state, key_enc, algorithm,
    /// digits, period, device_key, expires_at, drift_steps, tx_enabled` of a
    /// row.
    pub(crate) fn read(r: &sqlx::any::AnyRow) -> Result<Self, CenterError> {
        Ok(Self {
            service_id: r.try_get("service_id")?,
            user_id: r.try_get("user_id")?,
            state: r.try_get("state")?,
            key_enc: r.try_get("key_enc")?,
            params: params_of(
                &r.try_get::<String, _>("algorithm")?,
                r.try_get("digits")?,
                r.try_get("period")?,
            )?,
            device_key: blob32(r, "device_key")?,
            expires_at: from_db(r.try_get("expires_at")?),
            drift_steps: r.try_get("drift_steps")?,
            tx_enabled: r.try_get::<i64, _>("tx_enabled")? != 0,
        })
    }
}

/// The step whose code is `otps[0]` and whose successor's code is
/// `otps[1]`, searched outwards from `center` up to `bound` steps.
fn search(totp: &Totp, center: u64, bound: u64, otps: &[String; 2]) -> Option<u64> {
    let hit = |k: u64| {
        totp.code_at_counter(k).to_string() == otps[0]
            && k.checked_add(1)
                .is_some_and(|n| totp.code_at_counter(n).to_string() == otps[1])
    };
    (0..=bound).find_map(|d| {
        if let Some(k) = center.checked_add(d).filter(|k| hit(*k)) {
            return Some(k);
        }
        center.checked_sub(d).filter(|k| d > 0 && hit(*k))
    })
}

pub(crate) fn params_of(alg: &str, digits: i64, period: i64) -> Result<OtpParams, CenterError> {
    let bad = |what: &str| CenterError::Config(format!("stored {what} is invalid"));
    Ok(OtpParams {
        algorithm: alg.parse::<Algorithm>().map_err(|_| bad("algorithm"))?,
        digits: u8::try_from(digits)
            .ok()
            .and_then(|d| Digits::try_from(d).ok())
            .ok_or_else(|| bad("digits"))?,
        period: u64::try_from(period)
            .ok()
            .and_then(|p| Period::try_from(p).ok())
            .ok_or_else(|| bad("period"))?,
    })
}

pub(crate) fn blob32(row: &sqlx::any::AnyRow, col: &str) -> Result<B32, CenterError> {
    let v: Vec<u8> = row.try_get(col)?;
    let arr: [u8; 32] = v
        .as_slice()
        .try_into()
        .map_err(|_| CenterError::Crypto("stored 32-byte value has the wrong length"))?;
    Ok(Bytes(arr))
}

#[allow(clippy::too_many_arguments)]
async fn insert_session(
    tx: &mut sqlx::AnyConnection,
    session: &SessionId,
    kind: &str,
    serial: &str,
    app_nonce: &protocol::Nonce,
    derived: &protocol::Derived,
    expires_at: u64,
    renewal: Option<(&[u8], u64, OtpParams)>,
) -> Result<(), CenterError> {
    sqlx::query(
        "INSERT INTO sessions (id, kind, serial, app_nonce, app_confirm, center_confirm,
            new_key_enc, new_expires_at, new_algorithm, new_digits, new_period, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(session.0.as_slice())
    .bind(kind)
    .bind(serial)
    .bind(app_nonce.0.as_slice())
    .bind(derived.app_confirm.0.as_slice())
    .bind(derived.center_confirm.0.as_slice())
    .bind(renewal.map(|r| r.0.to_vec()))
    .bind(renewal.map(|r| to_db(r.1)))
    .bind(renewal.map(|r| r.2.algorithm.as_str()))
    .bind(renewal.map(|r| i64::from(r.2.digits.get())))
    .bind(renewal.map(|r| to_db(r.2.period.secs())))
    .bind(to_db(expires_at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub(crate) async fn new_serial(tx: &mut sqlx::AnyConnection) -> Result<String, CenterError> {
    for _ in 0..32 {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).map_err(|_| CenterError::Random)?;
        let n = 10_000_000 + u32::from_be_bytes(b) % 90_000_000;
        let serial = n.to_string();
        let taken = sqlx::query("SELECT 1 FROM tokens WHERE serial = $1")
            .bind(&serial)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_none() {
            return Ok(serial);
        }
    }
    Err(CenterError::Conflict("no free serial number".into()))
}

/// Writes one audit record.
pub(crate) async fn audit<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    at: u64,
    actor: &str,
    action: &str,
    who: (Option<&str>, Option<&str>, Option<&str>),
    outcome: &str,
    detail: Option<&str>,
) -> Result<(), CenterError> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, service_id, user_id, serial, outcome, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(to_db(at))
    .bind(actor)
    .bind(action)
    .bind(who.0)
    .bind(who.1)
    .bind(who.2)
    .bind(outcome)
    .bind(detail)
    .execute(ex)
    .await?;
    Ok(())
}

async fn load_or_create_signing_key(
    pool: &AnyPool,
    master: &MasterKey,
    now: u64,
) -> Result<SigningKey, CenterError> {
    const AAD: &[u8] = b"ippun center signing key";
    if let Some(row) = sqlx::query("SELECT signing_key FROM center_key WHERE id = 1")
        .fetch_optional(pool)
        .await?
    {
        let sealed: Vec<u8> = row.try_get("signing_key")?;
        let seed = master.open(AAD, &sealed).map_err(|_| {
            CenterError::Config(
                "the master key does not open this database's center key (wrong master key file?)"
                    .into(),
            )
        })?;
        return protocol::signing_key(&seed).ok_or(CenterError::Crypto("center key length"));
    }
    let key = protocol::new_signing_key().map_err(|_| CenterError::Random)?;
    let mut seed = key.to_bytes();
    let sealed = master.seal(AAD, &seed)?;
    seed.zeroize();
    sqlx::query(
        "INSERT INTO center_key (id, signing_key, public_key, created_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(sealed)
    .bind(CenterKey::of(&key).to_string())
    .bind(to_db(now))
    .execute(pool)
    .await?;
    // Another process may have won the race: read back what is stored.
    let row = sqlx::query("SELECT signing_key FROM center_key WHERE id = 1")
        .fetch_one(pool)
        .await?;
    let sealed: Vec<u8> = row.try_get("signing_key")?;
    let seed = master.open(AAD, &sealed)?;
    protocol::signing_key(&seed).ok_or(CenterError::Crypto("center key length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_finds_the_device_step_on_either_side() {
        let key = SecretKey::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let totp = Totp::new(&key, OtpParams::default());
        let codes = |k: u64| {
            [
                totp.code_at_counter(k).to_string(),
                totp.code_at_counter(k + 1).to_string(),
            ]
        };
        let c = 29_000_000;
        assert_eq!(search(&totp, c, 1440, &codes(c)), Some(c));
        assert_eq!(search(&totp, c, 1440, &codes(c + 700)), Some(c + 700));
        assert_eq!(search(&totp, c, 1440, &codes(c - 1440)), Some(c - 1440));
        assert_eq!(search(&totp, c, 1440, &codes(c + 1441)), None);
        assert_eq!(search(&totp, 3, 1440, &codes(0)), Some(0));
    }
}
