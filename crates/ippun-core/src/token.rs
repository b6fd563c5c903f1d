//! The token model and the rules of the token list.
//!
//! - At most [`MAX_TOKENS`] tokens (the next one is refused with A917).
//! - The same service ID and user ID twice is refused (A916).
//! - Tokens of the same service are named after the service, then `_2`,
//!   `_3`, … in the order added; the suffix is editable and display names stay
//!   unique (A918 otherwise).
//! - Expiry and the renewal window (180 days) come from the injected clock.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode};
use crate::input::SecretKey;
use crate::otp::{OtpParams, Totp};

/// Most tokens one app holds.
pub const MAX_TOKENS: usize = 10;

/// Renewal opens this long before the expiry.
pub const RENEWAL_WINDOW_SECS: u64 = 180 * 24 * 60 * 60;

/// Longest display-name suffix, in characters.
pub const MAX_SUFFIX_CHARS: usize = 20;

/// Where provisioning stands for a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provisioning {
    /// Keys agreed, confirmation not yet acknowledged by the center.
    Pending,
    /// Confirmed by the center.
    Active,
}

/// A token's state at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TokenState {
    /// Provisioning not confirmed yet.
    Pending,
    /// In use, renewal not yet open.
    Active,
    /// In use; renewal is open (within 180 days of expiry).
    RenewalDue {
        /// Whole days until expiry (rounded down).
        days_left: u64,
    },
    /// Past its expiry: codes are no longer accepted.
    Expired,
}

/// Key bytes that never print and are zeroized on drop, stored as a byte
/// array in the encrypted vault body.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(REDACTED)")
    }
}

impl Serialize for SecretBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for SecretBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<u8>::deserialize(d).map(Self::new)
    }
}

/// What the center hands over for a new token.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Service ID.
    pub service_id: String,
    /// Service name (display name before the suffix).
    pub service_name: String,
    /// User ID at the service.
    pub user_id: String,
    /// Eight-digit serial number.
    pub serial: String,
    /// Expiry instant, Unix seconds.
    pub expires_at: u64,
    /// Service logo address.
    pub logo_url: Option<String>,
    /// Service web site.
    pub link_url: Option<String>,
    /// OTP parameters.
    pub params: OtpParams,
    /// The token key.
    pub secret: SecretBytes,
    /// The device's signing key seed for requests to the center.
    pub device_signing_key: Option<SecretBytes>,
    /// Provisioning state.
    pub provisioning: Provisioning,
    /// The center it came from.
    pub center_url: Option<String>,
    /// The center's pinned key.
    pub center_key: Option<String>,
    /// Confirmation still to be acknowledged (pending tokens).
    pub pending_confirm: Option<PendingConfirm>,
}

/// A token as kept in the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Stable identifier within this app (order added).
    pub id: u64,
    /// Service ID.
    pub service_id: String,
    /// Service name.
    pub service_name: String,
    /// User ID.
    pub user_id: String,
    /// Serial number.
    pub serial: String,
    /// Display-name suffix (empty: the plain service name).
    pub suffix: String,
    /// Expiry instant, Unix seconds.
    pub expires_at: u64,
    /// Service logo address.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// Service web site.
    #[serde(default)]
    pub link_url: Option<String>,
    /// OTP parameters.
    pub params: OtpParams,
    /// The offset the center learned by correction, in steps (device step
    /// minus center step). Shown to the user; not applied to the codes,
    /// because the center applies it when it verifies them.
    #[serde(default)]
    pub drift_steps: i64,
    /// Provisioning state.
    pub provisioning: Provisioning,
    /// When it was added, Unix seconds.
    pub added_at: u64,
    /// When the user last chose "remind me later" for renewal.
    #[serde(default)]
    pub renewal_postponed_at: Option<u64>,
    /// The token key.
    pub secret: SecretBytes,
    /// The device's signing key seed.
    #[serde(default)]
    pub device_signing_key: Option<SecretBytes>,
    /// The center this token came from.
    #[serde(default)]
    pub center_url: Option<String>,
    /// The center's pinned public key (`ed25519:…`).
    #[serde(default)]
    pub center_key: Option<String>,
    /// Center time minus device time at the last center reply, in seconds.
    #[serde(default)]
    pub clock_offset_secs: Option<i64>,
    /// Provisioning: the confirmation waiting to be acknowledged.
    #[serde(default)]
    pub pending_confirm: Option<PendingConfirm>,
    /// Renewal: the new key waiting for the center's acknowledgement.
    #[serde(default)]
    pub pending_renewal: Option<PendingRenewal>,
    /// The service offers transaction confirmation for this token (told at
    /// setup, or learned from the center's transaction list).
    #[serde(default)]
    pub tx_confirmation: bool,
}

/// A key confirmation sent (or about to be sent) but not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingConfirm {
    /// Session ID (hex).
    pub session: String,
    /// The app's confirmation (hex).
    pub app_confirm: String,
    /// The confirmation expected from the center (hex).
    pub center_confirm: String,
}

/// A renewal agreed but not yet acknowledged by the center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRenewal {
    /// The confirmation exchange.
    pub confirm: PendingConfirm,
    /// The new token key.
    pub secret: SecretBytes,
    /// The new expiry.
    pub expires_at: u64,
    /// The new parameters.
    pub params: OtpParams,
}

impl Token {
    /// Service name plus suffix.
    pub fn display_name(&self) -> String {
        format!("{}{}", self.service_name, self.suffix)
    }

    /// State at Unix time `now`.
    pub fn state(&self, now: u64) -> TokenState {
        if now >= self.expires_at {
            TokenState::Expired
        } else if self.provisioning == Provisioning::Pending {
            TokenState::Pending
        } else if self.expires_at - now <= RENEWAL_WINDOW_SECS {
            TokenState::RenewalDue {
                days_left: (self.expires_at - now) / 86_400,
            }
        } else {
            TokenState::Active
        }
    }

    /// The OTP generator for this token (device clock, no drift: the
    /// center applies what it learned by correction).
    pub fn generator(&self) -> Result<Totp, Error> {
        let key = SecretKey::from_bytes(self.secret.expose().to_vec())
            .map_err(|_| Error::new(ErrorCode::A996).with_detail("token has an empty key"))?;
        Ok(Totp::new(&key, self.params))
    }
}

/// The ordered token list with its rules. Persisted inside the vault body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    tokens: Vec<Token>,
    next_id: u64,
}

impl TokenList {
    /// Tokens in the order added.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The token with `id`.
    pub fn get(&self, id: u64) -> Option<&Token> {
        self.tokens.iter().find(|t| t.id == id)
    }

    /// The token whose display name is `name` (exactly, then ignoring case).
    pub fn find(&self, name: &str) -> Option<&Token> {
        self.tokens
            .iter()
            .find(|t| t.display_name() == name)
            .or_else(|| {
                let mut hits = self
                    .tokens
                    .iter()
                    .filter(|t| t.display_name().to_lowercase() == name.to_lowercase());
                match (hits.next(), hits.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            })
    }

    /// Checks that `new` may be added: A917 when full, A916 when the same
    /// service ID and user ID are already here.
    pub fn check_add(&self, service_id: &str, user_id: &str) -> Result<(), Error> {
        if self
            .tokens
            .iter()
            .any(|t| t.service_id == service_id && t.user_id == user_id)
        {
            return Err(ErrorCode::A916.into());
        }
        if self.tokens.len() >= MAX_TOKENS {
            return Err(ErrorCode::A917.into());
        }
        Ok(())
    }

    /// Adds a token at Unix time `now`, naming it `_2`, `_3`, … after other
    /// tokens of the same service. Returns its id.
    pub fn add(&mut self, new: NewToken, now: u64) -> Result<u64, Error> {
        self.check_add(&new.service_id, &new.user_id)?;
        let suffix = (1..=MAX_TOKENS + 1)
            .map(|n| {
                if n == 1 {
                    String::new()
                } else {
                    format!("_{n}")
                }
            })
            .find(|s| !self.name_taken(&format!("{}{s}", new.service_name), None))
            .unwrap_or_default();
        let id = self.next_id;
        self.next_id += 1;
        self.tokens.push(Token {
            id,
            service_id: new.service_id,
            service_name: new.service_name,
            user_id: new.user_id,
            serial: new.serial,
            suffix,
            expires_at: new.expires_at,
            logo_url: new.logo_url,
            link_url: new.link_url,
            params: new.params,
            drift_steps: 0,
            provisioning: new.provisioning,
            added_at: now,
            renewal_postponed_at: None,
            secret: new.secret,
            device_signing_key: new.device_signing_key,
            center_url: new.center_url,
            center_key: new.center_key,
            clock_offset_secs: None,
            pending_confirm: new.pending_confirm,
            pending_renewal: None,
            tx_confirmation: false,
        });
        Ok(id)
    }

    /// Removes the token with `id`.
    pub fn remove(&mut self, id: u64) -> Option<Token> {
        let pos = self.tokens.iter().position(|t| t.id == id)?;
        Some(self.tokens.remove(pos))
    }

    /// Sets the display-name suffix of token `id`. The suffix may be empty;
    /// it must have at most [`MAX_SUFFIX_CHARS`] characters, no control
    /// characters, no leading or trailing spaces, and must not give a name
    /// another token already has (A918).
    pub fn rename(&mut self, id: u64, suffix: &str) -> Result<(), Error> {
        let Some(pos) = self.tokens.iter().position(|t| t.id == id) else {
            return Err(Error::new(ErrorCode::A999).with_detail("no token with this id"));
        };
        let bad = |why: &str| Err(Error::new(ErrorCode::A918).with_detail(why.to_owned()));
        if suffix.chars().count() > MAX_SUFFIX_CHARS {
            return bad("suffix too long");
        }
        if suffix.chars().any(char::is_control) || suffix.trim() != suffix {
            return bad("suffix has control characters or outer spaces");
        }
        let name = format!("{}{suffix}", self.tokens[pos].service_name);
        if self.name_taken(&name, Some(id)) {
            return bad("name already used");
        }
        suffix.clone_into(&mut self.tokens[pos].suffix);
        Ok(())
    }

    /// Mutable access for flows that update a token (correction, renewal).
    pub fn get_mut(&mut self, id: u64) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|t| t.id == id)
    }

    fn name_taken(&self, name: &str, except: Option<u64>) -> bool {
        let lower = name.to_lowercase();
        self.tokens
            .iter()
            .any(|t| Some(t.id) != except && t.display_name().to_lowercase() == lower)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(service: &str, user: &str) -> NewToken {
        NewToken {
            service_id: format!("SVC-{service}"),
            service_name: service.to_owned(),
            user_id: user.to_owned(),
            serial: "12345678".into(),
            expires_at: 2_000_000_000,
            logo_url: None,
            link_url: Some("https://bank.example/".into()),
            params: OtpParams::default(),
            secret: SecretBytes::new(b"12345678901234567890".to_vec()),
            device_signing_key: None,
            provisioning: Provisioning::Active,
            center_url: None,
            center_key: None,
            pending_confirm: None,
        }
    }

    #[test]
    fn same_service_gets_numbered_suffixes_in_order() {
        let mut list = TokenList::default();
        let first = list.add(sample("Bank", "u1"), 0).unwrap();
        let second = list.add(sample("Bank", "u2"), 0).unwrap();
        let third = list.add(sample("Bank", "u3"), 0).unwrap();
        list.add(sample("Other", "u1"), 0).unwrap();
        let names: Vec<String> = list.tokens().iter().map(Token::display_name).collect();
        assert_eq!(names, ["Bank", "Bank_2", "Bank_3", "Other"]);
        // Deleting the second frees its name for the next one.
        list.remove(second).unwrap();
        let fourth = list.add(sample("Bank", "u4"), 0).unwrap();
        assert_eq!(list.get(fourth).unwrap().display_name(), "Bank_2");
        assert_eq!(list.tokens()[0].id, first);
        assert_eq!(list.tokens()[1].id, third);
    }

    #[test]
    fn duplicates_and_the_limit_are_refused() {
        let mut l = TokenList::default();
        l.add(sample("Bank", "u1"), 0).unwrap();
        assert_eq!(l.add(sample("Bank", "u1"), 0).unwrap_err(), ErrorCode::A916);
        for i in 2..=10 {
            l.add(sample("Bank", &format!("u{i}")), 0).unwrap();
        }
        assert_eq!(l.len(), 10);
        assert_eq!(
            l.add(sample("Bank", "u11"), 0).unwrap_err(),
            ErrorCode::A917
        );
        // A duplicate is reported as such even when full.
        assert_eq!(l.add(sample("Bank", "u1"), 0).unwrap_err(), ErrorCode::A916);
    }

    #[test]
    fn rename_rules() {
        let mut l = TokenList::default();
        let a = l.add(sample("Bank", "u1"), 0).unwrap();
        let b = l.add(sample("Bank", "u2"), 0).unwrap();
        l.rename(b, " (家計用)".trim()).unwrap();
        assert_eq!(l.get(b).unwrap().display_name(), "Bank(家計用)");
        assert_eq!(l.rename(a, "(家計用)").unwrap_err(), ErrorCode::A918);
        assert_eq!(l.rename(a, " x").unwrap_err(), ErrorCode::A918);
        assert_eq!(l.rename(a, "a\u{7}").unwrap_err(), ErrorCode::A918);
        assert_eq!(l.rename(a, &"x".repeat(21)).unwrap_err(), ErrorCode::A918);
        l.rename(a, &"x".repeat(20)).unwrap();
        l.rename(b, "").unwrap();
        assert_eq!(l.find("Bank").unwrap().id, b);
        assert_eq!(l.find("bank").unwrap().id, b);
        assert!(l.find("nothing").is_none());
    }

    #[test]
    fn states_follow_the_clock() {
        let mut l = TokenList::default();
        let id = l.add(sample("Bank", "u1"), 0).unwrap();
        let t = l.get(id).unwrap();
        let exp = t.expires_at;
        assert_eq!(t.state(exp - RENEWAL_WINDOW_SECS - 1), TokenState::Active);
        assert_eq!(
            t.state(exp - RENEWAL_WINDOW_SECS),
            TokenState::RenewalDue { days_left: 180 }
        );
        assert_eq!(t.state(exp - 1), TokenState::RenewalDue { days_left: 0 });
        assert_eq!(t.state(exp), TokenState::Expired);
        let mut p = t.clone();
        p.provisioning = Provisioning::Pending;
        assert_eq!(p.state(0), TokenState::Pending);
        assert_eq!(p.state(exp), TokenState::Expired);
    }

    #[test]
    fn secrets_do_not_print() {
        let mut l = TokenList::default();
        l.add(sample("Bank", "u1"), 0).unwrap();
        let shown = format!("{l:?}");
        assert!(shown.contains("REDACTED"));
        assert!(!shown.contains("49, 50, 51"), "{shown}");
    }
}
