//! The verify API's logic: a relying party (the bank's web site) asks
//! whether the code a customer typed is right.
//!
//! - The code may be for the drift-adjusted step or one step either side.
//! - A step is accepted once: one conditional `UPDATE` decides, so racing
//!   requests for the same code cannot both win, on SQLite or PostgreSQL.
//! - Consecutive wrong codes are counted per user; at
//!   [`Config::max_verify_failures`](crate::Config) the user is locked out
//!   until an admin unlocks them. A right code resets the count.
//! - Drift is learned slowly: it moves one step only when two accepted codes
//!   in a row lean the same way.
//! - Every answer is audited, with the relying party's key ID as the actor.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::center::{ApiError, audit};
use crate::{Center, CenterError, from_db, to_db};

/// The answer of [`Center::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Verdict {
    /// Accepted; the step is now used.
    Ok {
        /// The token's serial number.
        serial: String,
        /// The accepted HOTP counter.
        step: u64,
        /// The token's drift after this code, in steps.
        drift_steps: i64,
    },
    /// Wrong code; the count of wrong codes went up.
    Wrong {
        /// Wrong codes left before the user is locked out.
        failures_left: u64,
    },
    /// The right code of a step already accepted (a replay, or the customer
    /// sent the form twice). Not counted as a failure.
    Reused,
    /// Too many wrong codes in a row: locked until an admin unlocks.
    Locked,
    /// The token has expired.
    Expired,
    /// The user is suspended.
    Suspended,
    /// No such user, or the user has no active token.
    Unknown,
}

impl Verdict {
    /// The reason word for the API (`ok` when accepted).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Ok { .. } => "ok",
            Self::Wrong { .. } => "wrong",
            Self::Reused => "reused",
            Self::Locked => "locked",
            Self::Expired => "expired",
            Self::Suspended => "suspended",
            Self::Unknown => "unknown",
        }
    }
}

/// A relying party authenticated by its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The key's public ID.
    pub key_id: String,
    /// The service the key belongs to.
    pub service_id: String,
}

/// API keys look like `ipk_<12 hex>_<64 hex>`: a public ID and a secret.
pub(crate) const KEY_PREFIX: &str = "ipk_";

pub(crate) fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Splits an API key into its ID and secret, or `None` if it is not shaped
/// like one.
pub(crate) fn split_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 12) && hex(secret, 64)).then_some((id, secret))
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One user's state and active token, read in one query.
pub(crate) struct Subject {
    pub suspended: bool,
    pub locked: bool,
    pub token: Option<TokenState>,
}

pub(crate) struct TokenState {
    pub serial: String,
    pub row: crate::center::TokenRow,
}

impl Center {
    /// The relying party behind an API key, or `None` for a key that is
    /// malformed, unknown, wrong or revoked.
    pub async fn relying_party(&self, key: &str) -> Result<Option<RelyingParty>, CenterError> {
        let Some((id, secret)) = split_key(key) else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT service_id, secret_hash FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored: Vec<u8> = row.try_get("secret_hash")?;
        if !same(&stored, &secret_hash(secret)) {
            return Ok(None);
        }
        Ok(Some(RelyingParty {
            key_id: id.to_owned(),
            service_id: row.try_get("service_id")?,
        }))
    }

    /// The user and their active token (`None`: no such user).
    pub(crate) async fn subject(
        &self,
        sid: &str,
        uid: &str,
    ) -> Result<Option<Subject>, CenterError> {
        let row = sqlx::query(
            "SELECT u.suspended, u.verify_locked_at, t.serial, t.service_id, t.user_id, t.state,
                    t.key_enc, t.algorithm, t.digits, t.period, t.device_key, t.expires_at,
                    t.drift_steps, t.tx_enabled
             FROM users u
             LEFT JOIN tokens t
               ON t.service_id = u.service_id AND t.user_id = u.user_id AND t.state = 'active'
             WHERE u.service_id = $1 AND u.user_id = $2",
        )
        .bind(sid)
        .bind(uid)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let serial: Option<String> = r.try_get("serial")?;
        let token = match serial {
            None => None,
            Some(serial) => Some(TokenState {
                row: crate::center::TokenRow::read(&r)?,
                serial,
            }),
        };
        Ok(Some(Subject {
            suspended: r.try_get::<i64, _>("suspended")? != 0,
            locked: r.try_get::<Option<i64>, _>("verify_locked_at")?.is_some(),
            token,
        }))
    }

    /// Verifies `otp` for a user of `rp`'s service and audits the answer.
    pub async fn verify(
        &self,
        rp: &RelyingParty,
        user_id: &str,
        otp: &str,
    ) -> Result<Verdict, CenterError> {
        let sid = rp.service_id.as_str();
        let actor = format!("rp:{}", rp.key_id);
        let now = self.now();
        let subject = self.subject(sid, user_id).await?;
        let early = match &subject {
            None
            | Some(Subject {
                token: None,
                locked: false,
                suspended: false,
            }) => Some(Verdict::Unknown),
            Some(s) if s.locked => Some(Verdict::Locked),
            Some(s) if s.suspended => Some(Verdict::Suspended),
            Some(Subject { token: Some(t), .. }) if now >= t.row.expires_at => {
                Some(Verdict::Expired)
            }
            _ => None,
        };
        let serial = subject
            .as_ref()
            .and_then(|s| s.token.as_ref())
            .map(|t| t.serial.clone());
        let who = (Some(sid), Some(user_id), serial.as_deref());
        if let Some(v) = early {
            let _turn = self.write_turn().await?;
            audit(&self.pool, now, &actor, "verify", who, v.reason(), None).await?;
            return Ok(v);
        }
        let Some(t) = subject.and_then(|s| s.token) else {
            return Ok(Verdict::Unknown);
        };
        let totp = self.generator(&t.serial, &t.row).map_err(|e| match e {
            ApiError::Internal(e) => e,
            _ => CenterError::Crypto("token key"),
        })?;
        let center_step = now / t.row.params.period.secs();
        let matched = center_step
            .checked_add_signed(t.row.drift_steps)
            .and_then(|expected| {
                [0i64, -1, 1].into_iter().find_map(|off| {
                    let step = expected.checked_add_signed(off)?;
                    let code = totp.code_at_counter(step).to_string();
                    same(code.as_bytes(), otp.as_bytes()).then_some((step, off))
                })
            });
        let _turn = self.write_turn().await?;
        let mut tx = self.pool.begin().await?;
        let verdict = if let Some((step, off)) = matched {
            accept(&mut tx, &t.serial, sid, user_id, step, off).await?
        } else {
            let limit = self.config.max_verify_failures.max(1);
            count_failure(&mut tx, sid, user_id, limit, now).await?
        };
        let detail = match &verdict {
            Verdict::Ok {
                step, drift_steps, ..
            } => Some(format!("step {step}, drift {drift_steps}")),
            Verdict::Wrong { failures_left } => Some(format!("{failures_left} tries left")),
            Verdict::Locked => Some("locked by this wrong code".to_owned()),
            _ => None,
        };
        audit(
            &mut *tx,
            now,
            &actor,
            "verify",
            who,
            verdict.reason(),
            detail.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(verdict)
    }
}

/// Accepts `step` for the token unless it is not newer than the last
/// accepted step (or the user was locked meanwhile): one statement decides,
/// so racing requests cannot both win. Learns drift slowly.
async fn accept(
    tx: &mut sqlx::AnyConnection,
    serial: &str,
    sid: &str,
    uid: &str,
    step: u64,
    off: i64,
) -> Result<Verdict, CenterError> {
    let row = sqlx::query(
        "UPDATE tokens SET last_step = $1,
            drift_steps = CASE WHEN $2 <> 0 AND drift_lean = $2
                               THEN drift_steps + $2 ELSE drift_steps END,
            drift_lean  = CASE WHEN $2 <> 0 AND drift_lean = $2 THEN 0 ELSE $2 END
         WHERE serial = $3 AND state = 'active'
           AND (last_step IS NULL OR last_step < $1)
           AND NOT EXISTS (SELECT 1 FROM users u WHERE u.service_id = $4
                           AND u.user_id = $5 AND u.verify_locked_at IS NOT NULL)
         RETURNING drift_steps",
    )
    .bind(to_db(step))
    .bind(off)
    .bind(serial)
    .bind(sid)
    .bind(uid)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(r) = row else {
        return Ok(Verdict::Reused);
    };
    sqlx::query(
        "UPDATE users SET verify_failures = 0
         WHERE service_id = $1 AND user_id = $2 AND verify_failures <> 0",
    )
    .bind(sid)
    .bind(uid)
    .execute(&mut *tx)
    .await?;
    Ok(Verdict::Ok {
        serial: serial.to_owned(),
        step,
        drift_steps: r.try_get("drift_steps")?,
    })
}

/// Counts a wrong code; the `limit`-th in a row locks the user.
async fn count_failure(
    tx: &mut sqlx::AnyConnection,
    sid: &str,
    uid: &str,
    limit: i64,
    now: u64,
) -> Result<Verdict, CenterError> {
    let r = sqlx::query(
        "UPDATE users SET verify_failures = verify_failures + 1,
            verify_locked_at = CASE WHEN verify_failures + 1 >= $1
                                    THEN COALESCE(verify_locked_at, $2)
                                    ELSE verify_locked_at END
         WHERE service_id = $3 AND user_id = $4
         RETURNING verify_failures, verify_locked_at",
    )
    .bind(limit)
    .bind(to_db(now))
    .bind(sid)
    .bind(uid)
    .fetch_one(&mut *tx)
    .await?;
    if r.try_get::<Option<i64>, _>("verify_locked_at")?.is_some() {
        return Ok(Verdict::Locked);
    }
    let failures: i64 = r.try_get("verify_failures")?;
    Ok(Verdict::Wrong {
        failures_left: from_db(limit - failures),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_only_when_well_formed() {
        let id = "0123456789ab";
        let secret = "f".repeat(64);
        let key = format!("ipk_{id}_{secret}");
        assert_eq!(split_key(&key), Some((id, secret.as_str())));
        assert_eq!(split_key(&key[1..]), None);
        assert_eq!(split_key(&format!("ipk_{id}_{}", &secret[1..])), None);
        assert_eq!(split_key(&format!("ipk_{id}x_{secret}")), None);
        assert_eq!(split_key(&format!("ipk_{id}_{}g", &secret[1..])), None);
        assert_eq!(split_key(""), None);
    }

    #[test]
    fn hashes_compare_in_full() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }

    #[test]
    fn verdicts_serialize_with_their_reason() {
        let v = serde_json::to_value(Verdict::Wrong { failures_left: 3 }).unwrap();
        assert_eq!(v["reason"], "wrong");
        assert_eq!(v["failures_left"], 3);
        assert_eq!(Verdict::Reused.reason(), "reused");
    }
}
