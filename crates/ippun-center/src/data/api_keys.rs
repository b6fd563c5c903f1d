//! The `api_keys` table: the bank's keys for the verify and transaction
//! APIs. Only a hash of each secret is stored.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use tokio::time::Instant;

use super::lookup::Fetch;
use super::{Backend, Db, Write, from_db, pad, placeholders, sets, to_db};
use crate::CenterError;

/// How long this process trusts a live key it read before reading it
/// again. A key revoked in this process stops working at once; one revoked
/// by another (the admin command, another center on the same database)
/// within this time.
pub const KEY_TTL: Duration = Duration::from_secs(1);

/// Live keys kept at most; beyond, the oldest reads are dropped.
const CACHED_KEYS: usize = 1024;

/// A live key's service and secret hash.
type Live = (String, Vec<u8>);

/// The live keys this process read in the last [`KEY_TTL`]: a bank has a
/// handful of keys and sends each with every request, so all but one
/// request a second are answered from memory. Unknown and revoked IDs are
/// never kept, so made-up IDs take no room.
#[derive(Debug, Default)]
pub(crate) struct KeyCache(Mutex<HashMap<String, (Instant, Live)>>);

impl KeyCache {
    fn get(&self, key_id: &str) -> Option<Live> {
        self.get_at(key_id, Instant::now())
    }

    /// The key as read less than [`KEY_TTL`] before `now`.
    fn get_at(&self, key_id: &str, now: Instant) -> Option<Live> {
        let keys = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        keys.get(key_id)
            .filter(|(read, _)| now.saturating_duration_since(*read) < KEY_TTL)
            .map(|(_, live)| live.clone())
    }

    fn put(&self, key_id: &str, live: &Live) {
        let mut keys = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if keys.len() >= CACHED_KEYS {
            keys.retain(|_, (read, _)| read.elapsed() < KEY_TTL);
            if keys.len() >= CACHED_KEYS {
                keys.clear();
            }
        }
        keys.insert(key_id.to_owned(), (Instant::now(), live.clone()));
    }

    fn forget(&self, key_id: &str) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key_id);
    }
}

/// A live key's service and secret hash (`None`: unknown or revoked):
/// from [`KeyCache`] when read in the last [`KEY_TTL`], otherwise in one
/// query shared with the other requests reading at the same moment (see
/// [`lookup`](super::lookup)).
pub async fn live(db: &Db, key_id: &str) -> Result<Option<Live>, CenterError> {
    if let Some(live) = db.key_cache.get(key_id) {
        return Ok(Some(live));
    }
    let live = db.api_keys.get(key_id.to_owned()).await?;
    if let Some(l) = &live {
        db.key_cache.put(key_id, l);
    }
    Ok(live)
}

/// [`live`] keys, many at once.
#[derive(Debug)]
pub struct LiveKeys;

impl Fetch for LiveKeys {
    type Key = String;
    type Value = (String, Vec<u8>);

    async fn fetch(
        conn: &mut AnyConnection,
        backend: Backend,
        keys: &[String],
    ) -> Result<HashMap<String, (String, Vec<u8>)>, CenterError> {
        let mut out = HashMap::with_capacity(keys.len());
        for set in sets(keys) {
            let sql = format!(
                "SELECT key_id, service_id, secret_hash FROM api_keys
                 WHERE revoked_at IS NULL AND key_id IN (VALUES {})",
                placeholders(backend, set.len, &["TEXT"])
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for k in set.rows {
                q = q.bind(k.as_str());
            }
            for r in pad(q, set.padding(), &["TEXT"])
                .fetch_all(&mut *conn)
                .await?
            {
                out.insert(
                    r.try_get("key_id")?,
                    (r.try_get("service_id")?, r.try_get("secret_hash")?),
                );
            }
        }
        Ok(out)
    }
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
    w.db().key_cache.forget(key_id);
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
    .fetch_all(&db.pool())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_key_lasts_its_time_and_a_forgotten_one_is_gone() {
        let cache = KeyCache::default();
        let live = ("BANK".to_owned(), vec![7; 32]);
        cache.put("k1", &live);
        let read = Instant::now();
        assert_eq!(cache.get_at("k1", read), Some(live.clone()));
        assert_eq!(
            cache.get_at("k1", read + KEY_TTL),
            None,
            "read again after the TTL"
        );
        assert_eq!(cache.get("k2"), None);
        cache.forget("k1");
        assert_eq!(cache.get_at("k1", read), None, "revoked here: gone at once");
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = KeyCache::default();
        let live = ("BANK".to_owned(), vec![7; 32]);
        for i in 0..=CACHED_KEYS {
            cache.put(&format!("k{i}"), &live);
        }
        let kept = cache.0.lock().unwrap().len();
        assert!((1..=CACHED_KEYS).contains(&kept), "{kept}");
        assert!(
            cache.get(&format!("k{CACHED_KEYS}")).is_some(),
            "the newest is kept"
        );
    }
}
