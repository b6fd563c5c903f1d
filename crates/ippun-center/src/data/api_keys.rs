//! The `api_keys` table: the bank's keys for the verify and transaction
//! APIs. Only a hash of each secret is stored.

use serde::Serialize;
use sqlx::Row;

use super::{Db, Write, from_db, to_db};
use crate::CenterError;

/// A live key's service and secret hash (`None`: unknown or revoked).
pub async fn live(db: &Db, key_id: &str) -> Result<Option<(String, Vec<u8>)>, CenterError> {
    let row = sqlx::query(
        "SELECT service_id, secret_hash FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL",
    )
    .bind(key_id)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((r.try_get("service_id")?, r.try_get("secret_hash")?)))
        .transpose()
}

/// Stores a key.
pub async fn insert(
    w: &mut Write<'_>,
    key_id: &str,
    service_id: &str,
    secret_hash: &[u8],
    label: &str,
) -> Result<(), CenterError> {
    let at = w.at();
    sqlx::query(
        "INSERT INTO api_keys (key_id, service_id, secret_hash, label, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key_id)
    .bind(service_id)
    .bind(secret_hash)
    .bind(label)
    .bind(to_db(at))
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Revokes a live key; its service, or `None` if there is no live key
/// with this ID.
pub async fn revoke(w: &mut Write<'_>, key_id: &str) -> Result<Option<String>, CenterError> {
    let at = w.at();
    let row = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL
         RETURNING service_id",
    )
    .bind(to_db(at))
    .bind(key_id)
    .fetch_optional(w.conn())
    .await?;
    row.map(|r| r.try_get("service_id").map_err(CenterError::from))
        .transpose()
}

/// One API key, for listings (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKeyRow {
    /// Public key ID.
    pub key_id: String,
    /// Service.
    pub service_id: String,
    /// What the key is for.
    pub label: String,
    /// Created, Unix seconds.
    pub created_at: u64,
    /// Revoked, Unix seconds.
    pub revoked_at: Option<u64>,
}

/// API keys of a service (all when `None`).
pub async fn list(db: &Db, service_id: Option<&str>) -> Result<Vec<ApiKeyRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT key_id, service_id, label, created_at, revoked_at FROM api_keys
         WHERE ($1 IS NULL OR service_id = $1) ORDER BY created_at, key_id",
    )
    .bind(service_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ApiKeyRow {
                key_id: r.try_get("key_id")?,
                service_id: r.try_get("service_id")?,
                label: r.try_get("label")?,
                created_at: from_db(r.try_get("created_at")?),
                revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(from_db),
            })
        })
        .collect()
}
