//! The `users` table: a bank's customers, their activation passwords and
//! their verify-API attempt counts (activation attempts are in
//! [`attempts`](super::attempts)).

use serde::Serialize;
use sqlx::Row;

use super::{Db, Write, flag, from_db, to_db};
use crate::CenterError;

/// What setup needs to know of a user.
#[derive(Debug, Clone)]
pub struct Activation {
    /// Suspended by the bank.
    pub suspended: bool,
    /// Argon2id hash of the user's activation password (`None`: none).
    pub hash: Option<String>,
    /// The password was used for a setup that completed.
    pub used: bool,
    /// When that password stops being valid.
    pub expires_at: Option<u64>,
    /// Token validity for this user (`None`: the service's).
    pub validity_days: Option<u64>,
}

/// A user's activation state (`None`: no such user).
pub async fn activation(db: &Db, sid: &str, uid: &str) -> Result<Option<Activation>, CenterError> {
    let row = sqlx::query(
        "SELECT suspended, activation_hash, activation_used, activation_expires_at, validity_days
         FROM users WHERE service_id = $1 AND user_id = $2",
    )
    .bind(sid)
    .bind(uid)
    .fetch_optional(&db.pool())
    .await?;
    row.map(|r| -> Result<Activation, CenterError> {
        Ok(Activation {
            suspended: flag(&r, "suspended")?,
            hash: r.try_get("activation_hash")?,
            used: flag(&r, "activation_used")?,
            expires_at: r
                .try_get::<Option<i64>, _>("activation_expires_at")?
                .map(from_db),
            validity_days: r.try_get::<Option<i64>, _>("validity_days")?.map(from_db),
        })
    })
    .transpose()
}

/// Marks the activation password used (its setup completed). The hash is
/// kept so that the right password can be told apart from a wrong one
/// afterwards (S0B4 against S0C1).
pub async fn mark_activation_used(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
) -> Result<(), CenterError> {
    sqlx::query("UPDATE users SET activation_used = 1 WHERE service_id = $1 AND user_id = $2")
        .bind(sid)
        .bind(uid)
        .execute(w.conn())
        .await?;
    Ok(())
}

/// A user to store.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Service ID.
    pub service: &'a str,
    /// User ID.
    pub user: &'a str,
    /// Argon2id hash of the activation password (`None`: none).
    pub activation_hash: Option<&'a str>,
    /// When that password stops being valid.
    pub activation_expires_at: Option<u64>,
    /// Token validity for this user (`None`: the service's).
    pub validity_days: Option<u64>,
}

/// Stores a user; `false` if the user exists.
pub async fn insert(w: &mut Write<'_>, u: &NewUser<'_>) -> Result<bool, CenterError> {
    let at = w.at();
    let r = sqlx::query(
        "INSERT INTO users (service_id, user_id, activation_hash, activation_expires_at, validity_days, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(u.service)
    .bind(u.user)
    .bind(u.activation_hash)
    .bind(u.activation_expires_at.map(to_db))
    .bind(u.validity_days.map(to_db))
    .bind(to_db(at))
    .execute(w.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Gives the user a new (unused) activation password; `false` if there is
/// no such user. The caller clears the attempts.
pub async fn set_password(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
    hash: &str,
    expires_at: u64,
) -> Result<bool, CenterError> {
    let n = sqlx::query(
        "UPDATE users SET activation_hash = $1, activation_expires_at = $2, activation_used = 0
         WHERE service_id = $3 AND user_id = $4",
    )
    .bind(hash)
    .bind(to_db(expires_at))
    .bind(sid)
    .bind(uid)
    .execute(w.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Sets when the activation password stops being valid.
pub async fn set_activation_expiry(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
    at: u64,
) -> Result<(), CenterError> {
    sqlx::query(
        "UPDATE users SET activation_expires_at = $1 WHERE service_id = $2 AND user_id = $3",
    )
    .bind(to_db(at))
    .bind(sid)
    .bind(uid)
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Suspends or resumes; `false` if there is no such user.
pub async fn set_suspended(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
    suspended: bool,
) -> Result<bool, CenterError> {
    let n = sqlx::query("UPDATE users SET suspended = $1 WHERE service_id = $2 AND user_id = $3")
        .bind(i64::from(suspended))
        .bind(sid)
        .bind(uid)
        .execute(w.conn())
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Whether the user is suspended (`false` for no such user).
pub async fn suspended(db: &Db, sid: &str, uid: &str) -> Result<bool, CenterError> {
    let row = sqlx::query("SELECT suspended FROM users WHERE service_id = $1 AND user_id = $2")
        .bind(sid)
        .bind(uid)
        .fetch_optional(&db.pool())
        .await?;
    row.map_or(Ok(false), |r| flag(&r, "suspended"))
}

/// The user's own token validity in days, if set.
pub async fn validity(db: &Db, sid: &str, uid: &str) -> Result<Option<u64>, CenterError> {
    let row = sqlx::query("SELECT validity_days FROM users WHERE service_id = $1 AND user_id = $2")
        .bind(sid)
        .bind(uid)
        .fetch_optional(&db.pool())
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<Option<i64>, _>("validity_days")?.map(from_db),
        None => None,
    })
}

/// Clears a verify lock-out and the wrong-code count; `false` if there is
/// no such user.
pub async fn unlock_verify(w: &mut Write<'_>, sid: &str, uid: &str) -> Result<bool, CenterError> {
    let n = sqlx::query(
        "UPDATE users SET verify_failures = 0, verify_locked_at = NULL
         WHERE service_id = $1 AND user_id = $2",
    )
    .bind(sid)
    .bind(uid)
    .execute(w.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// One user, for listings (never the password or its hash).
#[derive(Debug, Clone, Serialize)]
#[allow(clippy::struct_excessive_bools)] // a listing: each flag is a column
pub struct UserRow {
    /// Service.
    pub service_id: String,
    /// User.
    pub user_id: String,
    /// Suspended.
    pub suspended: bool,
    /// An activation password is outstanding.
    pub activation_pending: bool,
    /// Wrong activation passwords in the current window.
    pub failures: i64,
    /// The activation password is locked for now.
    pub activation_locked: bool,
    /// Consecutive wrong codes at the verify API.
    pub verify_failures: i64,
    /// Locked out of the verify API (until the lock time is over or an
    /// admin unlocks).
    pub verify_locked: bool,
}

/// Users of a service (all services when `None`), as of `now`; a verify
/// lock set at or after `verify_locked_since` still holds.
pub async fn list(
    db: &Db,
    service_id: Option<&str>,
    now: u64,
    verify_locked_since: u64,
) -> Result<Vec<UserRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT u.service_id, u.user_id, u.suspended,
                CASE WHEN u.activation_hash IS NULL OR u.activation_used = 1 THEN 0 ELSE 1 END
                    AS pending,
                COALESCE(a.failures, 0) AS failures,
                CASE WHEN a.locked_until > $2 THEN 1 ELSE 0 END AS activation_locked,
                u.verify_failures,
                CASE WHEN u.verify_locked_at >= $3 THEN 1 ELSE 0 END AS verify_locked
         FROM users u
         LEFT JOIN activation_attempts a
           ON a.service_id = u.service_id AND a.user_id = u.user_id
         WHERE ($1 IS NULL OR u.service_id = $1) ORDER BY u.service_id, u.user_id",
    )
    .bind(service_id)
    .bind(to_db(now))
    .bind(to_db(verify_locked_since))
    .fetch_all(&db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(UserRow {
                service_id: r.try_get("service_id")?,
                user_id: r.try_get("user_id")?,
                suspended: flag(r, "suspended")?,
                activation_pending: flag(r, "pending")?,
                failures: r.try_get("failures")?,
                activation_locked: flag(r, "activation_locked")?,
                verify_failures: r.try_get("verify_failures")?,
                verify_locked: flag(r, "verify_locked")?,
            })
        })
        .collect()
}
