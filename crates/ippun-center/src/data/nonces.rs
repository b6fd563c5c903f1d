//! The `nonces` table: the center nonces that signed requests have used.
//! Nonces are issued without a row (each carries its own MAC, see
//! [`services::signed`](crate::services::signed)); a row is written when
//! one is used, and kept until the nonce would have expired, so that each
//! is used once. Strangers cannot fill or evict anything here: only a
//! request with a valid device signature writes a row.

use ippun_core::protocol::{self, Purpose};

use super::{Write, to_db};
use crate::CenterError;

/// Uses `nonce` (of `serial`, for `purpose`, valid until `expires_at`);
/// `false` if it was used already.
pub async fn use_once(
    w: &mut Write<'_>,
    nonce: &protocol::Nonce,
    serial: &str,
    purpose: Purpose,
    expires_at: u64,
) -> Result<bool, CenterError> {
    let n = sqlx::query(
        "INSERT INTO nonces (nonce, serial, purpose, used, expires_at) VALUES ($1, $2, $3, 1, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(nonce.0.as_slice())
    .bind(serial)
    .bind(purpose.as_str())
    .bind(to_db(expires_at))
    .execute(w.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Deletes used nonces that have expired anyway; how many.
pub async fn sweep(w: &mut Write<'_>) -> Result<u64, CenterError> {
    let n = sqlx::query("DELETE FROM nonces WHERE expires_at <= $1")
        .bind(to_db(w.at()))
        .execute(w.conn())
        .await?
        .rows_affected();
    Ok(n)
}
