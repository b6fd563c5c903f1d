//! The verify API's rules: a relying party (the bank's web site) asks
//! whether the code a customer typed is right.
//!
//! - The code may be for the drift-adjusted step or one step either side.
//! - A step is accepted once: one conditional `UPDATE` decides, so racing
//!   requests for the same code cannot both win, on SQLite or PostgreSQL.
//! - Each check first takes the user's row, in the same transaction as its
//!   verdict, so checks of one user run one after the other: the limit
//!   holds under any concurrency
//!   and a right code racing wrong ones is answered `ok` or `locked`, never
//!   `reused`. At [`Config::max_verify_failures`](crate::Config) wrong codes
//!   in a row the user is locked out for
//!   [`Config::verify_lock_secs`](crate::Config) (an admin unlock ends it
//!   sooner): a stranger can slow a customer down, not shut them out for
//!   good. A right code resets the count.
//! - Drift is learned slowly: it moves one step only when two accepted codes
//!   in a row lean the same way.
//! - Every answer is audited, with the relying party's key ID as the actor.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Center;
use crate::CenterError;
use crate::data::tokens::{self, Subject, TokenRow};
use crate::data::{Action, Actor, AuditEntry, Outcome, Who, Write, api_keys, audit, users};
use crate::secret::same;

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
    /// Too many wrong codes in a row: locked for the center's lock time
    /// (or until an admin unlocks).
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

impl RelyingParty {
    /// As the audit log names it.
    pub fn actor(&self) -> Actor<'_> {
        Actor::Bank(&self.key_id)
    }
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

impl Center {
    /// The relying party behind an API key, or `None` for a key that is
    /// malformed, unknown, wrong or revoked.
    pub async fn relying_party(&self, key: &str) -> Result<Option<RelyingParty>, CenterError> {
        let Some((id, secret)) = split_key(key) else {
            return Ok(None);
        };
        let Some((service_id, stored)) = api_keys::live(self.db(), id).await? else {
            return Ok(None);
        };
        if !same(&stored, &secret_hash(secret)) {
            return Ok(None);
        }
        Ok(Some(RelyingParty {
            key_id: id.to_owned(),
            service_id,
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
        let now = self.now();
        let locked_since = now.saturating_sub(self.config().verify_lock_secs);
        let subject = tokens::subject(self.db(), sid, user_id).await?;
        let is_locked = |s: &Subject| s.locked_at.is_some_and(|at| at >= locked_since);
        let early = match &subject {
            None => Some(Verdict::Unknown),
            Some(s) if s.token.is_none() && !s.suspended && !is_locked(s) => Some(Verdict::Unknown),
            Some(s) if is_locked(s) => Some(Verdict::Locked),
            Some(s) if s.suspended => Some(Verdict::Suspended),
            Some(Subject { token: Some(t), .. }) if now >= t.expires_at => Some(Verdict::Expired),
            _ => None,
        };
        let serial = subject
            .as_ref()
            .and_then(|s| s.token.as_ref())
            .map(|t| t.serial.clone());
        let who = Who {
            service: Some(sid),
            user: Some(user_id),
            serial: serial.as_deref(),
        };
        if let Some(v) = early {
            let entry = AuditEntry::new(
                rp.actor(),
                Action::Verify,
                who,
                Outcome::Verdict(v.reason()),
            );
            audit::record(self.db(), now, entry).await?;
            return Ok(v);
        }
        let Some(t) = subject.and_then(|s| s.token) else {
            return Ok(Verdict::Unknown);
        };
        let totp = self.generator(&t)?;
        let center_step = now / t.params.period.secs();
        let matched = center_step
            .checked_add_signed(t.drift_steps)
            .and_then(|expected| {
                [0i64, -1, 1].into_iter().find_map(|off| {
                    let step = expected.checked_add_signed(off)?;
                    let code = totp.code_at_counter(step).to_string();
                    same(code.as_bytes(), otp.as_bytes()).then_some((step, off))
                })
            });
        let mut w = self.db().write(now).await?;
        let (verdict, locked_here) = self
            .decide(&mut w, &t, user_id, matched, locked_since)
            .await?;
        let mut entry = AuditEntry::new(
            rp.actor(),
            Action::Verify,
            who,
            Outcome::Verdict(verdict.reason()),
        );
        entry.detail = match &verdict {
            Verdict::Ok {
                step, drift_steps, ..
            } => Some(format!("step {step}, drift {drift_steps}")),
            Verdict::Wrong { failures_left } => Some(format!("{failures_left} tries left")),
            Verdict::Locked if locked_here => Some("locked by this wrong code".to_owned()),
            _ => None,
        };
        w.audit(entry).await?;
        w.commit().await?;
        Ok(verdict)
    }
}

impl Center {
    /// The verdict for a checked code (`matched`: its step and offset),
    /// written in `w`: the user's row is taken first (`locked` if a racing
    /// wrong code locked it meanwhile), then the step accepted or the wrong
    /// code counted. Also whether this code locked the user.
    async fn decide(
        &self,
        w: &mut Write<'_>,
        t: &TokenRow,
        user_id: &str,
        matched: Option<(u64, i64)>,
        locked_since: u64,
    ) -> Result<(Verdict, bool), CenterError> {
        let sid = t.service_id.as_str();
        let Some(failures) = users::reserve_verify(w, sid, user_id, locked_since).await? else {
            return Ok((Verdict::Locked, false));
        };
        let Some((step, off)) = matched else {
            let limit = self.config().max_verify_failures.max(1);
            let n = failures + 1;
            let lock = n >= limit;
            users::settle_verify(w, sid, user_id, n, lock).await?;
            let v = if lock {
                Verdict::Locked
            } else {
                Verdict::Wrong {
                    failures_left: u64::try_from(limit - n).unwrap_or(0),
                }
            };
            return Ok((v, lock));
        };
        let Some(drift_steps) = tokens::accept_step(w, &t.serial, step, off).await? else {
            // Not a failure: the count stays.
            return Ok((Verdict::Reused, false));
        };
        if failures != 0 {
            users::settle_verify(w, sid, user_id, 0, false).await?;
        }
        Ok((
            Verdict::Ok {
                serial: t.serial.clone(),
                step,
                drift_steps,
            },
            false,
        ))
    }
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
    fn verdicts_serialize_with_their_reason() {
        let v = serde_json::to_value(Verdict::Wrong { failures_left: 3 }).unwrap();
        assert_eq!(v["reason"], "wrong");
        assert_eq!(v["failures_left"], 3);
        assert_eq!(Verdict::Reused.reason(), "reused");
    }
}
