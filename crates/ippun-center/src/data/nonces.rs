//! The `nonces` table: center nonces for device-signed requests, each bound
//! to a token and a purpose and used once.

use ippun_core::protocol::{self, Purpose};

use super::{Db, Write, to_db};
use crate::CenterError;

/// Most outstanding nonces per token.
pub const PER_TOKEN: i64 = 4;

/// Stores a fresh nonce for `serial`, dropping expired and used ones and
/// keeping at most [`PER_TOKEN`] per token.
pub async fn issue(
    w: &mut Write<'_>,
    nonce: &protocol::Nonce,
    serial: &str,
    purpose: Purpose,
    expires_at: u64,
) -> Result<(), CenterError> {
    let now = w.at();
    sqlx::query("DELETE FROM nonces WHERE expires_at <= $1 OR (serial = $2 AND used = 1)")
        .bind(to_db(now))
        .bind(serial)
        .execute(w.conn())
        .await?;
    sqlx::query(
        "DELETE FROM nonces WHERE serial = $1 AND nonce NOT IN
           (SELECT nonce FROM nonces WHERE serial = $2 ORDER BY expires_at DESC LIMIT $3)",
    )
    .bind(serial)
    .bind(serial)
    .bind(PER_TOKEN)
    .execute(w.conn())
    .await?;
    sqlx::query("INSERT INTO nonces (nonce, serial, purpose, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(nonce.0.as_slice())
        .bind(serial)
        .bind(purpose.as_str())
        .bind(to_db(expires_at))
        .execute(w.conn())
        .await?;
    Ok(())
}

/// Whether `nonce` is a live, unused nonce of `serial` for `purpose`.
pub async fn is_live(
    db: &Db,
    nonce: &protocol::Nonce,
    serial: &str,
    purpose: Purpose,
    now: u64,
) -> Result<bool, CenterError> {
    Ok(sqlx::query(
        "SELECT 1 FROM nonces
         WHERE nonce = $1 AND serial = $2 AND purpose = $3 AND used = 0 AND expires_at > $4",
    )
    .bind(nonce.0.as_slice())
    .bind(serial)
    .bind(purpose.as_str())
    .bind(to_db(now))
    .fetch_optional(db.pool())
    .await?
    .is_some())
}

/// Uses a nonce; `false` if it was used already.
pub async fn use_once(w: &mut Write<'_>, nonce: &protocol::Nonce) -> Result<bool, CenterError> {
    let n = sqlx::query("UPDATE nonces SET used = 1 WHERE nonce = $1 AND used = 0")
        .bind(nonce.0.as_slice())
        .execute(w.conn())
        .await?
        .rows_affected();
    Ok(n == 1)
}
