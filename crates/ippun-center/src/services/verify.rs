//! The verify API's rules: a relying party (the bank's web site) asks
//! whether the code a customer typed is right.
//!
//! - The code may be for the drift-adjusted step or one step either side.
//! - A step is accepted once: the writer decides with the user's row taken
//!   and writes the step only if it is still newer, so racing requests for
//!   the same code cannot both win, on SQLite or PostgreSQL, in one process
//!   or several (see [`group_commit`](super::group_commit)).
//! - Checks of one user are decided one after the other: the limit holds
//!   under any concurrency and a right code racing wrong ones is answered
//!   `ok` or `locked`, never `reused`. At
//!   [`Config::max_verify_failures`](crate::Config) wrong codes
//!   in a row the user is locked out for
//!   [`Config::verify_lock_secs`](crate::Config) (an admin unlock ends it
//!   sooner): a stranger can slow a customer down, not shut them out for
//!   good. A right code resets the count.
//! - Drift is learned slowly: it moves one step only when two accepted codes
//!   in a row lean the same way.
//! - Every answer is audited, with the relying party's key ID as the actor.

use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Center;
use super::group_commit::{Check, Code};
use crate::CenterError;
use crate::data::tokens::{self, Subject, TokenRow};
use crate::data::{Actor, api_keys};
use crate::secret::same;

/// The answer of [`Center::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
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
    /// The read and the code check run here; the writes go to the group
    /// writer ([`group_commit`](super::group_commit)), and the verdict
    /// comes back once they are durable.
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
        let (token, seen) = subject.map_or((None, None), |s| (s.token, s.seen));
        let code = match (early, &token) {
            (Some(v), _) => Code::Settled(v),
            (None, None) => Code::Settled(Verdict::Unknown),
            (None, Some(t)) => Code::Checked(self.match_step(t, now, otp)?),
        };
        self.writer
            .write(Check {
                at: now,
                key_id: rp.key_id.clone(),
                service_id: rp.service_id.clone(),
                user_id: user_id.to_owned(),
                serial: token.map(|t| t.serial),
                seen,
                code,
            })
            .await
    }

    /// The step `otp` is the code of (the drift-adjusted step or one
    /// either side) and its offset, or `None` for a wrong code.
    fn match_step(
        &self,
        t: &TokenRow,
        now: u64,
        otp: &str,
    ) -> Result<Option<(u64, i64)>, CenterError> {
        let totp = self.generator(t)?;
        let center_step = now / t.params.period.secs();
        Ok(center_step
            .checked_add_signed(t.drift_steps)
            .and_then(|expected| {
                [0i64, -1, 1].into_iter().find_map(|off| {
                    let step = expected.checked_add_signed(off)?;
                    let code = totp.code_at_counter(step).to_string();
                    same(code.as_bytes(), otp.as_bytes()).then_some((step, off))
                })
            }))
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
