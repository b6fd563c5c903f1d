//! The app ↔ center protocol, version 1 (SPEC §6): wire messages, the
//! transcript, key agreement and derivation, signatures and key
//! confirmation. Both the app and the center use this module; it holds no
//! network code.
//!
//! The full description, with the byte layout of every transcript, is in
//! `docs/protocol.md`; known-answer vectors are in
//! `tests/vectors/protocol-kdf.toml`.
//!
//! Provisioning in short:
//!
//! 1. app → center [`ProvisionStart`]: IDs, activation password, device
//!    time, app nonce, app ephemeral X25519 key, new device Ed25519 key.
//! 2. center → app [`ProvisionOffer`]: session, center nonce, center
//!    ephemeral key, serial, expiry, parameters, service, center time and an
//!    Ed25519 signature over the transcript hash with the center's key.
//! 3. Both derive, with HKDF-SHA256 over the X25519 shared secret (salt: both
//!    nonces; info: label and transcript hash), the token key and a
//!    confirmation key.
//! 4. app → center [`Confirm`]: HMAC over the transcript hash; the center
//!    activates the token only now and answers [`Confirmed`] with its own
//!    HMAC, which the app checks.
//!
//! The module in parts, in the order a reader meets them:
//!
//! - [`framing`]: fixed-size byte fields and their hex form, the transcript
//!   encoding and the transcript of every signed or authenticated message;
//! - [`keys`]: key agreement, derivation, signatures and key confirmation;
//! - [`messages`]: the wire messages (their JSON Schemas are generated from
//!   these types into `docs/schema/`);
//! - [`app`] and [`center`]: what each side does with them.

mod app;
mod center;
mod framing;
mod keys;
mod messages;
#[cfg(test)]
mod tests;

pub use app::*;
pub use center::*;
pub use framing::*;
pub use keys::*;
pub use messages::*;

/// The protocol version this build speaks.
pub const VERSION: u32 = 1;

/// Path prefix of every endpoint.
pub const PATH_PREFIX: &str = "/v1";

/// Every endpoint's path, shared by the app's client and the center's
/// routers, so that neither spells one by hand.
pub mod paths {
    /// `GET`: version, center time and center key.
    pub const HEALTH: &str = "/v1/health";
    /// App: first leg of provisioning.
    pub const PROVISION_START: &str = "/v1/provision/start";
    /// App: key confirmation of provisioning.
    pub const PROVISION_CONFIRM: &str = "/v1/provision/confirm";
    /// App: a fresh center nonce for a signed request.
    pub const CHALLENGE: &str = "/v1/challenge";
    /// App: first leg of renewal.
    pub const RENEW_START: &str = "/v1/renew/start";
    /// App: key confirmation of renewal.
    pub const RENEW_CONFIRM: &str = "/v1/renew/confirm";
    /// App: correction.
    pub const CORRECT: &str = "/v1/correct";
    /// App: what waits for transaction confirmation.
    pub const TX_LIST: &str = "/v1/tx/list";
    /// App: completes a start of transaction confirmation.
    pub const TX_ENABLE: &str = "/v1/tx/enable";
    /// App: answers a transaction.
    pub const TX_ANSWER: &str = "/v1/tx/answer";
    /// Bank: verifies a code.
    pub const VERIFY: &str = "/v1/verify";
    /// Bank: starts transaction confirmation for a user.
    pub const TX_STARTS: &str = "/v1/tx/starts";
    /// Bank: posts a transaction.
    pub const TX_TRANSACTIONS: &str = "/v1/tx/transactions";
    /// Bank: reads a transaction (axum path syntax).
    pub const TX_TRANSACTION: &str = "/v1/tx/transactions/{id}";
    /// Bank: withdraws a waiting transaction (axum path syntax).
    pub const TX_WITHDRAW: &str = "/v1/tx/transactions/{id}/withdraw";

    /// The app's legs that commit something at the center: a reply lost
    /// after one of them leaves the change in place.
    pub const COMMITTING: [&str; 5] = [
        PROVISION_CONFIRM,
        RENEW_CONFIRM,
        CORRECT,
        TX_ENABLE,
        TX_ANSWER,
    ];

    #[cfg(test)]
    mod tests {
        #[test]
        fn every_path_has_the_prefix() {
            for p in [
                super::HEALTH,
                super::VERIFY,
                super::TX_WITHDRAW,
                super::PROVISION_START,
            ] {
                assert!(p.starts_with(crate::protocol::PATH_PREFIX), "{p}");
            }
        }
    }
}

/// Largest request body the center reads, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How a center public key is written: `ed25519:` and 64 hex digits.
pub const CENTER_KEY_PREFIX: &str = "ed25519:";

/// Transcript labels (domain separation).
pub mod label {
    /// Provisioning transcript.
    pub const PROVISION: &str = "ippun/v1/provision";
    /// Renewal transcript.
    pub const RENEW: &str = "ippun/v1/renew";
    /// What the device signs to ask for a renewal.
    pub const RENEW_REQUEST: &str = "ippun/v1/renew-request";
    /// What the device signs to ask for a correction.
    pub const CORRECT_REQUEST: &str = "ippun/v1/correct-request";
    /// What the center signs in its correction reply.
    pub const CORRECT_REPLY: &str = "ippun/v1/correct-reply";
    /// HKDF info prefix for the token key.
    pub const TOKEN_KEY: &str = "ippun/v1/token-key";
    /// HKDF info prefix for the confirmation key.
    pub const CONFIRM_KEY: &str = "ippun/v1/confirm-key";
    /// HMAC prefix of the app's confirmation.
    pub const APP_CONFIRM: &str = "ippun/v1/app-confirm";
    /// HMAC prefix of the center's confirmation.
    pub const CENTER_CONFIRM: &str = "ippun/v1/center-confirm";
}

/// Why a message from the other side was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A signature did not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// A key confirmation did not match.
    #[error("key confirmation does not match")]
    BadConfirmation,
    /// The peer's ephemeral key gave an all-zero shared secret.
    #[error("ephemeral key is not contributory")]
    WeakKey,
    /// The message carries another protocol version.
    #[error("protocol version {0} is not supported")]
    Version(u32),
    /// A field is out of range or inconsistent.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// The operating system's random source failed.
    #[error("no randomness available")]
    Random,
    /// A transaction breaks the text rule ([`crate::txconfirm::text`]).
    #[error("transaction cannot be shown: {0}")]
    Transaction(crate::txconfirm::FieldError),
}

pub(crate) fn check_version(v: u32) -> Result<(), ProtocolError> {
    if v == VERSION {
        Ok(())
    } else {
        Err(ProtocolError::Version(v))
    }
}
/// Serial numbers are eight ASCII digits.
pub fn check_serial(serial: &str) -> Result<(), ProtocolError> {
    if serial.len() == 8 && serial.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ProtocolError::Malformed("serial"))
    }
}
