//! The `activation_attempts` table: wrong activation passwords per service
//! ID and user ID, for users that exist and users that do not alike.
//!
//! An attempt is reserved (counted) by one conditional upsert before its
//! password is checked, so the limit holds under any concurrency: of a
//! burst of requests, only the first `limit` get a check at all.

use super::{Write, to_db};
use crate::CenterError;

/// Lock time stored for a lock that never ends by itself (the demo's
/// locked user); any year-9999 value would do.
pub const FOREVER: u64 = 253_402_300_799;

/// Reserves an attempt for `sid`/`uid` at `w`'s time: the attempt's number
/// (1 for the first in a window), or `None` while locked (`limit` attempts
/// reserved within `window_secs` of each other, or a lock not yet over).
pub async fn reserve(
    w: &mut Write<'_>,
    sid: &str,
    uid: &str,
    limit: i64,
    window_secs: u64,
) -> Result<Option<i64>, CenterError> {
    let now = to_db(w.at());
    let stale = to_db(w.at().saturating_sub(window_secs));
    let n: Option<i64> = sqlx::query_scalar(
        "INSERT INTO activation_attempts AS a (service_id, user_id, failures, locked_until, last_at)
         VALUES ($1, $2, 1, NULL, $3)
         ON CONFLICT (service_id, user_id) DO UPDATE SET
             failures = CASE WHEN a.locked_until IS NOT NULL OR a.last_at <= $4
                             THEN 1 ELSE a.failures + 1 END,
             locked_until = NULL,
             last_at = $3
         WHERE (a.locked_until IS NULL AND (a.failures < $5 OR a.last_at <= $4))
            OR a.locked_until <= $3
         RETURNING failures",
    )
    .bind(sid)
    .bind(uid)
    .bind(now)
    .bind(stale)
    .bind(limit)
    .fetch_optional(w.conn())
    .await?;
    Ok(n)
}

/// Locks `sid`/`uid` until `until`.
pub async fn lock(w: &mut Write<'_>, sid: &str, uid: &str, until: u64) -> Result<(), CenterError> {
    sqlx::query(
        "INSERT INTO activation_attempts (service_id, user_id, failures, locked_until, last_at)
         VALUES ($1, $2, 0, $3, $4)
         ON CONFLICT (service_id, user_id) DO UPDATE SET locked_until = $3, last_at = $4",
    )
    .bind(sid)
    .bind(uid)
    .bind(to_db(until))
    .bind(to_db(w.at()))
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Forgets the attempts (a right password, or a new password from the
/// bank).
pub async fn clear(w: &mut Write<'_>, sid: &str, uid: &str) -> Result<(), CenterError> {
    sqlx::query("DELETE FROM activation_attempts WHERE service_id = $1 AND user_id = $2")
        .bind(sid)
        .bind(uid)
        .execute(w.conn())
        .await?;
    Ok(())
}

/// Deletes what no longer counts: rows whose window and lock are over.
pub async fn sweep(w: &mut Write<'_>, window_secs: u64) -> Result<u64, CenterError> {
    let now = to_db(w.at());
    let stale = to_db(w.at().saturating_sub(window_secs));
    let n = sqlx::query(
        "DELETE FROM activation_attempts
         WHERE last_at <= $1 AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(stale)
    .bind(now)
    .execute(w.conn())
    .await?
    .rows_affected();
    Ok(n)
}
