//! The `tokens` table: one row per token a center has offered.

use std::collections::HashMap;

use ippun_core::OtpParams;
use ippun_core::protocol::B32;
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::lookup::Fetch;
use super::verify::{StepState, Taken, UserState};
use super::{
    Backend, Db, Write, blob32, fetch_json, flag, from_db, hex_of, json_rows, pad, params_of,
    placeholders, sets, to_db,
};
use crate::CenterError;

/// Where a token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStatus {
    /// Offered at setup, not yet confirmed by the app.
    Pending,
    /// Set up and in use.
    Active,
    /// Replaced (a newer setup, or re-issued by the bank).
    Revoked,
}

impl TokenStatus {
    /// The stored word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Revoked => "revoked",
        }
    }

    fn parse(s: &str) -> Result<Self, CenterError> {
        match s {
            "pending" => Ok(Self::Pending),
            "active" => Ok(Self::Active),
            "revoked" => Ok(Self::Revoked),
            _ => Err(CenterError::Corrupt("a stored token state is unknown")),
        }
    }
}

impl std::fmt::Display for TokenStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A token as stored.
#[derive(Clone)]
pub struct TokenRow {
    /// Its serial number.
    pub serial: String,
    /// Service ID.
    pub service_id: String,
    /// User ID.
    pub user_id: String,
    /// Where it stands.
    pub status: TokenStatus,
    /// The token key, sealed with the master key (the serial is the
    /// associated data).
    pub key_enc: Vec<u8>,
    /// OTP parameters.
    pub params: OtpParams,
    /// The app's device key.
    pub device_key: B32,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
    /// Learned drift, in steps.
    pub drift_steps: i64,
    /// Transaction confirmation is in use for this token.
    pub tx_enabled: bool,
}

impl std::fmt::Debug for TokenRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRow")
            .field("serial", &self.serial)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// The columns [`read`] reads, for `concat!` into static SQL.
macro_rules! token_columns {
    ($p:literal) => {
        concat!(
            $p,
            "serial, ",
            $p,
            "service_id, ",
            $p,
            "user_id, ",
            $p,
            "state, ",
            $p,
            "key_enc, ",
            $p,
            "algorithm, ",
            $p,
            "digits, ",
            $p,
            "period, ",
            $p,
            "device_key, ",
            $p,
            "expires_at, ",
            $p,
            "drift_steps, ",
            $p,
            "tx_enabled"
        )
    };
}

fn read(r: &AnyRow) -> Result<TokenRow, CenterError> {
    Ok(TokenRow {
        serial: r.try_get("serial")?,
        service_id: r.try_get("service_id")?,
        user_id: r.try_get("user_id")?,
        status: TokenStatus::parse(&r.try_get::<String, _>("state")?)?,
        key_enc: r.try_get("key_enc")?,
        params: params_of(
            &r.try_get::<String, _>("algorithm")?,
            r.try_get("digits")?,
            r.try_get("period")?,
        )?,
        device_key: blob32(r, "device_key")?,
        expires_at: from_db(r.try_get("expires_at")?),
        drift_steps: r.try_get("drift_steps")?,
        tx_enabled: flag(r, "tx_enabled")?,
    })
}

/// The token `serial`.
pub async fn get(db: &Db, serial: &str) -> Result<Option<TokenRow>, CenterError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        token_columns!(""),
        " FROM tokens WHERE serial = $1"
    ))
    .bind(serial)
    .fetch_optional(&db.pool())
    .await?;
    row.as_ref().map(read).transpose()
}

/// Whether the user has an active token.
pub async fn has_active(db: &Db, sid: &str, uid: &str) -> Result<bool, CenterError> {
    Ok(sqlx::query(
        "SELECT 1 FROM tokens WHERE service_id = $1 AND user_id = $2 AND state = 'active'",
    )
    .bind(sid)
    .bind(uid)
    .fetch_optional(&db.pool())
    .await?
    .is_some())
}

/// A user and their active token, read together for the verify API and
/// the bank's transaction calls.
#[derive(Debug, Clone)]
pub struct Subject {
    /// Suspended by the bank.
    pub suspended: bool,
    /// When a wrong code locked the user out of the verify API (the lock
    /// ends after the center's lock time).
    pub locked_at: Option<u64>,
    /// The active token, if any.
    pub token: Option<TokenRow>,
    /// With an active token: the verify API's state of the user and the
    /// token as read, which a batch may write over if it is unchanged
    /// (see [`write_if_unchanged`](super::verify::write_if_unchanged)).
    pub seen: Option<Taken>,
}

/// The user and their active token (`None`: no such user), in one query
/// shared with the other requests reading at the same moment (see
/// [`lookup`](super::lookup)).
pub async fn subject(db: &Db, sid: &str, uid: &str) -> Result<Option<Subject>, CenterError> {
    db.subjects.get((sid.to_owned(), uid.to_owned())).await
}

/// [`subject`]s, many at once.
#[derive(Debug)]
pub struct Subjects;

impl Fetch for Subjects {
    type Key = (String, String);
    type Value = Subject;

    async fn fetch(
        conn: &mut AnyConnection,
        backend: Backend,
        keys: &[Self::Key],
    ) -> Result<HashMap<Self::Key, Subject>, CenterError> {
        let columns = format!(
            "u.service_id, u.user_id, u.suspended, u.verify_locked_at, t.serial, t.state, {}, \
             t.algorithm, t.digits, t.period, {}, t.expires_at, t.drift_steps, t.tx_enabled, \
             u.verify_failures, t.last_step, t.drift_lean",
            hex_of(backend, "t.key_enc"),
            hex_of(backend, "t.device_key"),
        );
        let mut out = HashMap::with_capacity(keys.len());
        for set in sets(keys) {
            let sql = format!(
                "SELECT {} AS found FROM (VALUES {}) AS v
                 JOIN users u ON u.service_id = v.column1 AND u.user_id = v.column2
                 LEFT JOIN tokens t
                   ON t.service_id = u.service_id AND t.user_id = u.user_id
                  AND t.state = 'active'",
                json_rows(backend, &columns),
                placeholders(backend, set.len, &["TEXT", "TEXT"])
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (sid, uid) in set.rows {
                q = q.bind(sid.as_str()).bind(uid.as_str());
            }
            let found: Vec<SubjectColumns> = fetch_json(
                pad(q, set.padding(), &["TEXT", "TEXT"]),
                conn,
                "found",
                "a read of users and their tokens gave no readable value",
            )
            .await?;
            for f in found {
                let token = f.token()?;
                let seen = f.seen()?;
                out.insert(
                    (f.service_id, f.user_id),
                    Subject {
                        suspended: f.suspended != 0,
                        locked_at: f.verify_locked_at.map(from_db),
                        token,
                        seen,
                    },
                );
            }
        }
        Ok(out)
    }
}

/// One row of [`Subjects`], as [`json_rows`] gives it: the user, and the
/// active token's columns (all `NULL` when the user has none).
#[derive(serde::Deserialize)]
struct SubjectColumns {
    service_id: String,
    user_id: String,
    suspended: i64,
    verify_locked_at: Option<i64>,
    serial: Option<String>,
    state: Option<String>,
    key_enc: Option<String>,
    algorithm: Option<String>,
    digits: Option<i64>,
    period: Option<i64>,
    device_key: Option<String>,
    expires_at: Option<i64>,
    drift_steps: Option<i64>,
    tx_enabled: Option<i64>,
    verify_failures: i64,
    last_step: Option<i64>,
    drift_lean: Option<i64>,
}

impl SubjectColumns {
    /// The active token, if the user has one.
    fn token(&self) -> Result<Option<TokenRow>, CenterError> {
        const BAD: CenterError = CenterError::Corrupt("a stored token row is incomplete");
        let Some(serial) = &self.serial else {
            return Ok(None);
        };
        let unhex = |h: &Option<String>| h.as_deref().and_then(|h| hex::decode(h).ok());
        let device_key: [u8; 32] = unhex(&self.device_key)
            .and_then(|v| v.try_into().ok())
            .ok_or(CenterError::Corrupt(
                "a stored 32-byte value has the wrong length",
            ))?;
        Ok(Some(TokenRow {
            serial: serial.clone(),
            service_id: self.service_id.clone(),
            user_id: self.user_id.clone(),
            status: TokenStatus::parse(self.state.as_deref().ok_or(BAD)?)?,
            key_enc: unhex(&self.key_enc).ok_or(BAD)?,
            params: params_of(
                self.algorithm.as_deref().ok_or(BAD)?,
                self.digits.ok_or(BAD)?,
                self.period.ok_or(BAD)?,
            )?,
            device_key: ippun_core::protocol::Bytes(device_key),
            expires_at: from_db(self.expires_at.ok_or(BAD)?),
            drift_steps: self.drift_steps.ok_or(BAD)?,
            tx_enabled: self.tx_enabled.ok_or(BAD)? != 0,
        }))
    }

    /// The verify API's state of the user and their active token, if
    /// they have one.
    fn seen(&self) -> Result<Option<Taken>, CenterError> {
        const BAD: CenterError = CenterError::Corrupt("a stored token row is incomplete");
        let Some(serial) = &self.serial else {
            return Ok(None);
        };
        Ok(Some(Taken {
            user: UserState {
                failures: self.verify_failures,
                locked_at: self.verify_locked_at.map(from_db),
            },
            serial: serial.clone(),
            steps: StepState {
                last_step: self.last_step.map(from_db),
                drift_steps: self.drift_steps.ok_or(BAD)?,
                drift_lean: self.drift_lean.ok_or(BAD)?,
            },
        }))
    }
}

/// A fresh serial number (eight digits, not yet taken).
pub async fn new_serial(w: &mut Write<'_>) -> Result<String, CenterError> {
    for _ in 0..32 {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).map_err(|_| CenterError::Random)?;
        let n = 10_000_000 + u32::from_be_bytes(b) % 90_000_000;
        let serial = n.to_string();
        let taken = sqlx::query("SELECT 1 FROM tokens WHERE serial = $1")
            .bind(&serial)
            .fetch_optional(w.conn())
            .await?;
        if taken.is_none() {
            return Ok(serial);
        }
    }
    Err(CenterError::Conflict("no free serial number".into()))
}

/// Deletes the user's pending tokens and their open sessions (a new setup
/// replaces an unfinished one).
pub async fn delete_pending(w: &mut Write<'_>, sid: &str, uid: &str) -> Result<(), CenterError> {
    sqlx::query(
        "DELETE FROM sessions WHERE done = 0 AND serial IN
           (SELECT serial FROM tokens WHERE service_id = $1 AND user_id = $2 AND state = 'pending')",
    )
    .bind(sid)
    .bind(uid)
    .execute(w.conn())
    .await?;
    sqlx::query("DELETE FROM tokens WHERE service_id = $1 AND user_id = $2 AND state = 'pending'")
        .bind(sid)
        .bind(uid)
        .execute(w.conn())
        .await?;
    Ok(())
}

/// A token to store.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    /// Serial.
    pub serial: &'a str,
    /// Service ID.
    pub service: &'a str,
    /// User ID.
    pub user: &'a str,
    /// Pending (setup) or active (imported).
    pub status: TokenStatus,
    /// The sealed token key.
    pub key_enc: &'a [u8],
    /// OTP parameters.
    pub params: OtpParams,
    /// The app's device key.
    pub device_key: &'a [u8],
    /// Expiry, Unix seconds.
    pub expires_at: u64,
}

/// Stores a token (created now; activated now when it is stored active).
pub async fn insert(w: &mut Write<'_>, t: &NewToken<'_>) -> Result<(), CenterError> {
    let at = w.at();
    sqlx::query(
        "INSERT INTO tokens (serial, service_id, user_id, state, key_enc, algorithm, digits,
            period, device_key, expires_at, created_at, activated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(t.serial)
    .bind(t.service)
    .bind(t.user)
    .bind(t.status.as_str())
    .bind(t.key_enc)
    .bind(t.params.algorithm.as_str())
    .bind(i64::from(t.params.digits.get()))
    .bind(to_db(t.params.period.secs()))
    .bind(t.device_key)
    .bind(to_db(t.expires_at))
    .bind(to_db(at))
    .bind((t.status == TokenStatus::Active).then_some(to_db(at)))
    .execute(w.conn())
    .await?;
    Ok(())
}

/// The service and user of a token.
pub async fn owner(
    w: &mut Write<'_>,
    serial: &str,
) -> Result<Option<(String, String)>, CenterError> {
    let row = sqlx::query("SELECT service_id, user_id FROM tokens WHERE serial = $1")
        .bind(serial)
        .fetch_optional(w.conn())
        .await?;
    row.map(|r| Ok((r.try_get("service_id")?, r.try_get("user_id")?)))
        .transpose()
}

/// Activates a pending token and revokes the user's other active ones;
/// `false` if the token was not pending.
pub async fn activate(
    w: &mut Write<'_>,
    serial: &str,
    sid: &str,
    uid: &str,
) -> Result<bool, CenterError> {
    let at = w.at();
    let n = sqlx::query(
        "UPDATE tokens SET state = 'active', activated_at = $1 WHERE serial = $2 AND state = 'pending'",
    )
    .bind(to_db(at))
    .bind(serial)
    .execute(w.conn())
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE tokens SET state = 'revoked'
         WHERE service_id = $1 AND user_id = $2 AND state = 'active' AND serial <> $3",
    )
    .bind(sid)
    .bind(uid)
    .bind(serial)
    .execute(w.conn())
    .await?;
    Ok(true)
}

/// Revokes every token of the user.
pub async fn revoke_all(w: &mut Write<'_>, sid: &str, uid: &str) -> Result<(), CenterError> {
    sqlx::query(
        "UPDATE tokens SET state = 'revoked'
         WHERE service_id = $1 AND user_id = $2 AND state <> 'revoked'",
    )
    .bind(sid)
    .bind(uid)
    .execute(w.conn())
    .await?;
    Ok(())
}

/// A renewal's new key, expiry and parameters.
#[derive(Debug, Clone)]
pub struct Rekey {
    /// The sealed new token key.
    pub key_enc: Vec<u8>,
    /// The new expiry.
    pub expires_at: u64,
    /// The (possibly new) parameters.
    pub params: OtpParams,
}

/// Applies a renewal.
pub async fn rekey(w: &mut Write<'_>, serial: &str, r: &Rekey) -> Result<(), CenterError> {
    sqlx::query(
        "UPDATE tokens SET key_enc = $1, expires_at = $2, algorithm = $3, digits = $4, period = $5
         WHERE serial = $6",
    )
    .bind(&r.key_enc)
    .bind(to_db(r.expires_at))
    .bind(r.params.algorithm.as_str())
    .bind(i64::from(r.params.digits.get()))
    .bind(to_db(r.params.period.secs()))
    .bind(serial)
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Stores a learned drift.
pub async fn set_drift(w: &mut Write<'_>, serial: &str, drift: i64) -> Result<(), CenterError> {
    sqlx::query("UPDATE tokens SET drift_steps = $1 WHERE serial = $2")
        .bind(drift)
        .bind(serial)
        .execute(w.conn())
        .await?;
    Ok(())
}

/// Sets the expiry; `false` if there is no such token.
pub async fn set_expiry(w: &mut Write<'_>, serial: &str, at: u64) -> Result<bool, CenterError> {
    let n = sqlx::query("UPDATE tokens SET expires_at = $1 WHERE serial = $2")
        .bind(to_db(at))
        .bind(serial)
        .execute(w.conn())
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Marks transaction confirmation as in use.
pub async fn enable_tx(w: &mut Write<'_>, serial: &str) -> Result<(), CenterError> {
    sqlx::query("UPDATE tokens SET tx_enabled = 1 WHERE serial = $1")
        .bind(serial)
        .execute(w.conn())
        .await?;
    Ok(())
}

/// One token, for listings (never the key).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Serial.
    pub serial: String,
    /// Service.
    pub service_id: String,
    /// User.
    pub user_id: String,
    /// pending, active or revoked.
    pub state: TokenStatus,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
    /// Learned drift in steps.
    pub drift_steps: i64,
    /// Last accepted step.
    pub last_step: Option<i64>,
}

/// Tokens of a service (all when `None`).
pub async fn list(db: &Db, service_id: Option<&str>) -> Result<Vec<TokenInfo>, CenterError> {
    let rows = sqlx::query(
        "SELECT serial, service_id, user_id, state, expires_at, drift_steps, last_step
         FROM tokens WHERE ($1 IS NULL OR service_id = $1) ORDER BY created_at, serial",
    )
    .bind(service_id)
    .fetch_all(&db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                serial: r.try_get("serial")?,
                service_id: r.try_get("service_id")?,
                user_id: r.try_get("user_id")?,
                state: TokenStatus::parse(&r.try_get::<String, _>("state")?)?,
                expires_at: from_db(r.try_get("expires_at")?),
                drift_steps: r.try_get("drift_steps")?,
                last_step: r.try_get("last_step")?,
            })
        })
        .collect()
}
