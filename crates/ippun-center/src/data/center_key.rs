//! The `center_key` table: the center's long-term signing key, sealed with
//! the master key.

use sqlx::Row;

use super::{Db, to_db};
use crate::CenterError;

/// The sealed signing key, if one is stored.
pub async fn sealed(db: &Db) -> Result<Option<Vec<u8>>, CenterError> {
    let row = sqlx::query("SELECT signing_key FROM center_key WHERE id = 1")
        .fetch_optional(&db.pool())
        .await?;
    Ok(row.map(|r| r.try_get("signing_key")).transpose()?)
}

/// Stores a sealed key unless another process stored one first.
pub async fn store_if_absent(
    db: &Db,
    sealed: &[u8],
    public: &str,
    at: u64,
) -> Result<(), CenterError> {
    sqlx::query(
        "INSERT INTO center_key (id, signing_key, public_key, created_at) VALUES (1, $1, $2, $3)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(sealed)
    .bind(public)
    .bind(to_db(at))
    .execute(&db.pool())
    .await?;
    Ok(())
}
