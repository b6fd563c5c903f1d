//! The `users` table: a bank's customers, their activation passwords and
//! their verify-API failure counts.

use serde::Serialize;
use sqlx::Row;

use super::{Db, Write, flag, from_db, to_db};
use crate::CenterError;

/// What setup needs to know of a user.
#[derive(Debug, Clone)]
pub struct Activation {
    /// Suspended by the bank.
    pub suspended: bool,
    /// Argon2id hash of the outstanding activation password (`None`: none).
    pub hash: Option<String>,
    /// When that password stops being valid.
    pub expires_at: Option<u64>,
    /// Wrong activation passwords so far.
    pub failures: i64,
    /// Token validity for this user (`None`: the service's).
    pub validity_days: Option<u64>,
}

/// A user's activation state (`None`: no such user).
pub async fn activation(db: &Db, sid: &str, uid: &str) -> Result<Option<Activation>, CenterError> {
    let row = sqlx::query(
        "SELECT suspended, activation_hash, activation_expires_at, failures, validity_days
         FROM users WHERE service_id = $1 AND user_id = $2",
    )
    .bind(sid)
    .bind(uid)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| -> Result<Activation, CenterError> {
        Ok(Activation {
            suspended: flag(&r, "suspended")?,
            hash: r.try_get("activation_hash")?,
            expires_at: r
                .try_get::<Option<i64>, _>("activation_expires_at")?
                .map(from_db),
            failures: r.try_get("failures")?,
            validity_days: r.try_get::<Option<i64>, _>("validity_days")?.map(from_db),
        })
    })
    .transpose()
}

/// Counts a wrong activation password; the count after it.
pub async fn add_failure(w: &mut Write<'_>, sid: &str, uid: &str) -> Result<i64, CenterError> {
    let row = sqlx::query(
        "UPDATE users SET failures = failures + 1 WHERE service_id = $1 AND user_id = $2
         RETURNING failures",
    )
    .bind(sid)
    .bind(uid)
    .fetch_one(w.conn())
    .await?;
    Ok(row.try_get("failures")?)
}

/// Sets the count of wrong activation passwords.
pub async fn set_failures(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
    failures: i64,
) -> Result<(), CenterError> {
    sqlx::query("UPDATE users SET failures = $1 WHERE service_id = $2 AND user_id = $3")
        .bind(failures)
        .bind(sid)
        .bind(uid)
        .execute(w.conn())
        .await?;
    Ok(())
}

/// Ends the activation password (used, or replaced by an active token) and
/// its failure count.
pub async fn clear_activation(w: &mut Write<'_>, sid: &str, uid: &str) -> Result<(), CenterError> {
    sqlx::query(
        "UPDATE users SET activation_hash = NULL, activation_expires_at = NULL, failures = 0
         WHERE service_id = $1 AND user_id = $2",
    )
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

/// Gives the user a new activation password and clears the failure count;
/// `false` if there is no such user.
pub async fn set_password(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
    hash: &str,
    expires_at: u64,
) -> Result<bool, CenterError> {
    let n = sqlx::query(
        "UPDATE users SET activation_hash = $1, activation_expires_at = $2, failures = 0
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
        .fetch_optional(db.pool())
        .await?;
    row.map_or(Ok(false), |r| flag(&r, "suspended"))
}

/// The user's own token validity in days, if set.
pub async fn validity(db: &Db, sid: &str, uid: &str) -> Result<Option<u64>, CenterError> {
    let row = sqlx::query("SELECT validity_days FROM users WHERE service_id = $1 AND user_id = $2")
        .bind(sid)
        .bind(uid)
        .fetch_optional(db.pool())
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

/// Clears the wrong-code count after a right code.
pub async fn reset_verify_failures(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
) -> Result<(), CenterError> {
    sqlx::query(
        "UPDATE users SET verify_failures = 0
         WHERE service_id = $1 AND user_id = $2 AND verify_failures <> 0",
    )
    .bind(sid)
    .bind(uid)
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Counts a wrong code at the verify API; the `limit`-th in a row locks
/// the user. The count after it, and whether the user is now locked.
pub async fn add_verify_failure(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
    limit: i64,
) -> Result<(i64, bool), CenterError> {
    let at = w.at();
    let r = sqlx::query(
        "UPDATE users SET verify_failures = verify_failures + 1,
            verify_locked_at = CASE WHEN verify_failures + 1 >= $1
                                    THEN COALESCE(verify_locked_at, $2)
                                    ELSE verify_locked_at END
         WHERE service_id = $3 AND user_id = $4
         RETURNING verify_failures, verify_locked_at",
    )
    .bind(limit)
    .bind(to_db(at))
    .bind(sid)
    .bind(uid)
    .fetch_one(w.conn())
    .await?;
    Ok((
        r.try_get("verify_failures")?,
        r.try_get::<Option<i64>, _>("verify_locked_at")?.is_some(),
    ))
}

/// One user, for listings (never the password or its hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    /// Service.
    pub service_id: String,
    /// User.
    pub user_id: String,
    /// Suspended.
    pub suspended: bool,
    /// An activation password is outstanding.
    pub activation_pending: bool,
    /// Wrong activation passwords so far.
    pub failures: i64,
    /// Consecutive wrong codes at the verify API.
    pub verify_failures: i64,
    /// Locked out of the verify API (until unlocked).
    pub verify_locked: bool,
}

/// Users of a service (all services when `None`).
pub async fn list(db: &Db, service_id: Option<&str>) -> Result<Vec<UserRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT service_id, user_id, suspended,
                CASE WHEN activation_hash IS NULL THEN 0 ELSE 1 END AS pending, failures,
                verify_failures, verify_locked_at
         FROM users WHERE ($1 IS NULL OR service_id = $1) ORDER BY service_id, user_id",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(UserRow {
                service_id: r.try_get("service_id")?,
                user_id: r.try_get("user_id")?,
                suspended: flag(r, "suspended")?,
                activation_pending: flag(r, "pending")?,
                failures: r.try_get("failures")?,
                verify_failures: r.try_get("verify_failures")?,
                verify_locked: r.try_get::<Option<i64>, _>("verify_locked_at")?.is_some(),
            })
        })
        .collect()
}
