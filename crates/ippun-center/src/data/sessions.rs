//! The `sessions` table: key exchanges (provisioning and renewal) waiting
//! for the app's confirmation, kept a while after they are done so that a
//! lost confirmation reply can be fetched again.

use ippun_core::protocol::{self, B32, SessionId};
use sqlx::Row;

use super::tokens::Rekey;
use super::{Db, Write, blob32, from_db, params_of, to_db};
use crate::CenterError;

/// Which key exchange a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Setup of a new token.
    Provision,
    /// Renewal of an active token.
    Renew,
}

impl SessionKind {
    /// The stored word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Provision => "provision",
            Self::Renew => "renew",
        }
    }
}

/// A session to store.
#[derive(Debug)]
pub struct NewSession<'a> {
    /// Its ID (in the offer).
    pub id: &'a SessionId,
    /// Provisioning or renewal.
    pub kind: SessionKind,
    /// The token.
    pub serial: &'a str,
    /// The app's nonce (each is used once).
    pub app_nonce: &'a protocol::Nonce,
    /// The derived confirmations.
    pub derived: &'a protocol::Derived,
    /// When the offer lapses.
    pub expires_at: u64,
    /// Renewal only: what confirmation applies.
    pub rekey: Option<&'a Rekey>,
}

/// Stores a session.
pub async fn insert(w: &mut Write<'_>, s: &NewSession<'_>) -> Result<(), CenterError> {
    let r = s.rekey;
    sqlx::query(
        "INSERT INTO sessions (id, kind, serial, app_nonce, app_confirm, center_confirm,
            new_key_enc, new_expires_at, new_algorithm, new_digits, new_period, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(s.id.0.as_slice())
    .bind(s.kind.as_str())
    .bind(s.serial)
    .bind(s.app_nonce.0.as_slice())
    .bind(s.derived.app_confirm.0.as_slice())
    .bind(s.derived.center_confirm.0.as_slice())
    .bind(r.map(|r| r.key_enc.clone()))
    .bind(r.map(|r| to_db(r.expires_at)))
    .bind(r.map(|r| r.params.algorithm.as_str()))
    .bind(r.map(|r| i64::from(r.params.digits.get())))
    .bind(r.map(|r| to_db(r.params.period.secs())))
    .bind(to_db(s.expires_at))
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Whether an app nonce was seen before.
pub async fn app_nonce_seen(db: &Db, nonce: &protocol::Nonce) -> Result<bool, CenterError> {
    Ok(sqlx::query("SELECT 1 FROM sessions WHERE app_nonce = $1")
        .bind(nonce.0.as_slice())
        .fetch_optional(&db.pool())
        .await?
        .is_some())
}

/// A stored session.
pub struct Session {
    /// The token.
    pub serial: String,
    /// The app's expected key confirmation.
    pub app_confirm: B32,
    /// The center's key confirmation.
    pub center_confirm: B32,
    /// Already confirmed.
    pub done: bool,
    /// When it lapses (or, once done, is forgotten).
    pub expires_at: u64,
    /// Renewal only: what confirmation applies.
    pub rekey: Option<Rekey>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("serial", &self.serial)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// The session `id` of `kind`.
pub async fn get(
    db: &Db,
    id: &SessionId,
    kind: SessionKind,
) -> Result<Option<Session>, CenterError> {
    let row = sqlx::query(
        "SELECT serial, app_confirm, center_confirm, done, expires_at, new_key_enc,
                new_expires_at, new_algorithm, new_digits, new_period
         FROM sessions WHERE id = $1 AND kind = $2",
    )
    .bind(id.0.as_slice())
    .bind(kind.as_str())
    .fetch_optional(&db.pool())
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let rekey = match kind {
        SessionKind::Provision => None,
        SessionKind::Renew => Some(Rekey {
            key_enc: r.try_get("new_key_enc")?,
            expires_at: from_db(r.try_get("new_expires_at")?),
            params: params_of(
                &r.try_get::<String, _>("new_algorithm")?,
                r.try_get("new_digits")?,
                r.try_get("new_period")?,
            )?,
        }),
    };
    Ok(Some(Session {
        serial: r.try_get("serial")?,
        app_confirm: blob32(&r, "app_confirm")?,
        center_confirm: blob32(&r, "center_confirm")?,
        done: r.try_get::<i64, _>("done")? != 0,
        expires_at: from_db(r.try_get("expires_at")?),
        rekey,
    }))
}

/// Marks a session done, kept until `keep_until`; `false` if another
/// request did so first.
pub async fn mark_done(
    w: &mut Write<'_>,
    id: &SessionId,
    keep_until: u64,
) -> Result<bool, CenterError> {
    let n = sqlx::query("UPDATE sessions SET done = 1, expires_at = $1 WHERE id = $2 AND done = 0")
        .bind(to_db(keep_until))
        .bind(id.0.as_slice())
        .execute(w.conn())
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Deletes sessions past their time (offers never confirmed, and done ones
/// past the time their reply is kept); how many.
pub async fn sweep(w: &mut Write<'_>) -> Result<u64, CenterError> {
    let n = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(to_db(w.at()))
        .execute(w.conn())
        .await?
        .rows_affected();
    Ok(n)
}
