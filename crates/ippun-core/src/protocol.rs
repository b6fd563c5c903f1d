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

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use crate::otp::{Algorithm, OtpParams};

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

/// Fixed-size bytes, written as lowercase hex on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bytes<const N: usize>(pub [u8; N]);

impl<const N: usize> Bytes<N> {
    /// Fresh random bytes from the operating system.
    pub fn random() -> Result<Self, ProtocolError> {
        let mut b = [0u8; N];
        getrandom::fill(&mut b).map_err(|_| ProtocolError::Random)?;
        Ok(Self(b))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses exactly `2 * N` hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut b = [0u8; N];
        hex::decode_to_slice(text, &mut b).ok()?;
        Some(Self(b))
    }
}

impl<const N: usize> fmt::Debug for Bytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl<const N: usize> Serialize for Bytes<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de, const N: usize> Deserialize<'de> for Bytes<N> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_hex(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("expected {} hex digits", N * 2)))
    }
}

/// A 32-byte nonce.
pub type Nonce = Bytes<32>;
/// A 32-byte public key or MAC.
pub type B32 = Bytes<32>;
/// A 64-byte Ed25519 signature.
pub type Sig = Bytes<64>;
/// A 16-byte session identifier.
pub type SessionId = Bytes<16>;

/// A center's long-term public key, pinned in the app per center.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CenterKey(VerifyingKey);

impl CenterKey {
    /// Parses `ed25519:` followed by 64 hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.trim().strip_prefix(CENTER_KEY_PREFIX)?;
        let b = Bytes::<32>::from_hex(hex)?;
        VerifyingKey::from_bytes(&b.0).ok().map(Self)
    }

    /// The key of a signing key.
    pub fn of(signing: &SigningKey) -> Self {
        Self(signing.verifying_key())
    }

    /// Checks `sig` over `msg`.
    pub fn verify(&self, msg: &[u8], sig: &Sig) -> Result<(), ProtocolError> {
        let sig = ed25519_dalek::Signature::from_bytes(&sig.0);
        self.0
            .verify_strict(msg, &sig)
            .map_err(|_| ProtocolError::BadSignature)
    }
}

impl fmt::Display for CenterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{CENTER_KEY_PREFIX}{}", hex::encode(self.0.as_bytes()))
    }
}

impl fmt::Debug for CenterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The public half of a device key, as the center keeps it.
pub fn device_public(device: &SigningKey) -> B32 {
    Bytes(device.verifying_key().to_bytes())
}

/// Checks a device signature over `msg` with the device's public key.
pub fn verify_device(device_pub: &B32, msg: &[u8], sig: &Sig) -> Result<(), ProtocolError> {
    let key = VerifyingKey::from_bytes(&device_pub.0).map_err(|_| ProtocolError::BadSignature)?;
    CenterKey(key).verify(msg, sig)
}

/// Signs `msg` with an Ed25519 key.
pub fn sign(key: &SigningKey, msg: &[u8]) -> Sig {
    Bytes(key.sign(msg).to_bytes())
}

/// A signing key from its 32-byte seed.
pub fn signing_key(seed: &[u8]) -> Option<SigningKey> {
    let seed: [u8; 32] = seed.try_into().ok()?;
    Some(SigningKey::from_bytes(&seed))
}

/// A new random Ed25519 key.
pub fn new_signing_key() -> Result<SigningKey, ProtocolError> {
    let mut seed = Bytes::<32>::random()?;
    let key = SigningKey::from_bytes(&seed.0);
    seed.0.zeroize();
    Ok(key)
}

/// The canonical byte string that both sides hash and sign. Each field is
/// written as a 4-byte big-endian length and its bytes; numbers as 8-byte
/// big-endian values (lengths included, so fields cannot run into each
/// other).
#[derive(Debug, Clone)]
pub struct Transcript(Vec<u8>);

impl Transcript {
    /// A transcript that starts with `label`.
    pub fn new(label: &str) -> Self {
        let mut t = Self(Vec::with_capacity(512));
        t.bytes(label.as_bytes());
        t
    }

    /// Appends a byte field.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        let len = u32::try_from(b.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(b);
        self
    }

    /// Appends a text field (UTF-8).
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// Appends an optional text field (absent is written as empty).
    pub fn opt(&mut self, s: Option<&str>) -> &mut Self {
        self.str(s.unwrap_or(""))
    }

    /// Appends an unsigned number.
    pub fn u64(&mut self, n: u64) -> &mut Self {
        self.bytes(&n.to_be_bytes())
    }

    /// Appends a signed number.
    pub fn i64(&mut self, n: i64) -> &mut Self {
        self.bytes(&n.to_be_bytes())
    }

    /// Appends token parameters (algorithm name, digits, period).
    pub fn params(&mut self, p: &OtpParams) -> &mut Self {
        self.str(p.algorithm.as_str())
            .u64(u64::from(p.digits.get()))
            .u64(p.period.secs())
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// SHA-256 of the encoded bytes.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(&self.0).into()
    }
}

/// Token-key length for an algorithm: the hash's output size (RFC 4226 §4
/// asks for at least 128 bits; RFC 6238 seeds use these lengths).
pub const fn key_len(algorithm: Algorithm) -> usize {
    match algorithm {
        Algorithm::Sha1 => 20,
        Algorithm::Sha256 => 32,
        Algorithm::Sha512 => 64,
    }
}

/// What both sides derive from one exchange.
pub struct Derived {
    /// The token key.
    pub token_key: Zeroizing<Vec<u8>>,
    /// The app's key confirmation.
    pub app_confirm: B32,
    /// The center's key confirmation.
    pub center_confirm: B32,
}

impl fmt::Debug for Derived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Derived")
            .field("token_key", &"REDACTED")
            .field("app_confirm", &self.app_confirm)
            .field("center_confirm", &self.center_confirm)
            .finish()
    }
}

/// Key agreement and derivation: X25519 between `own` and `peer`, then
/// HKDF-SHA256 with salt `app_nonce ‖ center_nonce` and info
/// `label ‖ transcript hash`.
pub fn derive(
    own: &StaticSecret,
    peer: &B32,
    app_nonce: &Nonce,
    center_nonce: &Nonce,
    transcript_hash: &[u8; 32],
    algorithm: Algorithm,
) -> Result<Derived, ProtocolError> {
    let shared = own.diffie_hellman(&PublicKey::from(peer.0));
    if !shared.was_contributory() {
        return Err(ProtocolError::WeakKey);
    }
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(&app_nonce.0);
    salt[32..].copy_from_slice(&center_nonce.0);
    let hk = Hkdf::<Sha256>::new(Some(&salt), shared.as_bytes());
    let info = |prefix: &str| [prefix.as_bytes(), transcript_hash.as_slice()].concat();
    let mut token_key = Zeroizing::new(vec![0u8; key_len(algorithm)]);
    hk.expand(&info(label::TOKEN_KEY), &mut token_key)
        .map_err(|_| ProtocolError::Malformed("key length"))?;
    let mut confirm_key = Zeroizing::new([0u8; 32]);
    hk.expand(&info(label::CONFIRM_KEY), confirm_key.as_mut_slice())
        .map_err(|_| ProtocolError::Malformed("key length"))?;
    let mac = |prefix: &str| -> Result<B32, ProtocolError> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(confirm_key.as_slice())
            .map_err(|_| ProtocolError::Malformed("mac key"))?;
        m.update(prefix.as_bytes());
        m.update(transcript_hash);
        Ok(Bytes(m.finalize().into_bytes().into()))
    };
    Ok(Derived {
        token_key,
        app_confirm: mac(label::APP_CONFIRM)?,
        center_confirm: mac(label::CENTER_CONFIRM)?,
    })
}

/// Compares two MACs in constant time.
pub fn mac_eq(a: &B32, b: &B32) -> bool {
    a.0.iter()
        .zip(b.0.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// A fresh X25519 key pair for one exchange.
pub fn ephemeral() -> Result<(StaticSecret, B32), ProtocolError> {
    let mut seed = Bytes::<32>::random()?;
    let secret = StaticSecret::from(seed.0);
    seed.0.zeroize();
    let public = Bytes(PublicKey::from(&secret).to_bytes());
    Ok((secret, public))
}

// ---------------------------------------------------------------------------
// Wire messages
// ---------------------------------------------------------------------------

/// Service details the center sends with a new token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInfo {
    /// Service ID.
    pub id: String,
    /// Service name (shown as the token's display name).
    pub name: String,
    /// Logo address.
    pub logo_url: Option<String>,
    /// Web site.
    pub link_url: Option<String>,
    /// Whether the service offers transaction confirmation. Absent means no;
    /// in the transcript only when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub tx_confirmation: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if signature
const fn is_false(b: &bool) -> bool {
    !*b
}

/// Provisioning, first leg (app → center): `POST /v1/provision/start`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionStart {
    /// Protocol version.
    pub version: u32,
    /// Service ID.
    pub service_id: String,
    /// User ID.
    pub user_id: String,
    /// Activation password (never logged, never in `Debug`).
    pub activation_password: Zeroizing<String>,
    /// Device time, Unix seconds.
    pub device_time: u64,
    /// App nonce.
    pub app_nonce: Nonce,
    /// App ephemeral X25519 public key.
    pub app_ephemeral: B32,
    /// The new device Ed25519 public key.
    pub device_key: B32,
}

impl fmt::Debug for ProvisionStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvisionStart")
            .field("version", &self.version)
            .field("service_id", &self.service_id)
            .field("user_id", &self.user_id)
            .field("activation_password", &"REDACTED")
            .field("device_time", &self.device_time)
            .finish_non_exhaustive()
    }
}

/// Provisioning, center's answer to the first leg.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionOffer {
    /// Protocol version.
    pub version: u32,
    /// Session, named in the confirmation.
    pub session: SessionId,
    /// Center nonce.
    pub center_nonce: Nonce,
    /// Center ephemeral X25519 public key.
    pub center_ephemeral: B32,
    /// Eight-digit serial number.
    pub serial: String,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
    /// Token parameters.
    pub params: OtpParams,
    /// Service details.
    pub service: ServiceInfo,
    /// Center time, Unix seconds.
    pub center_time: u64,
    /// Center signature over the transcript hash.
    pub signature: Sig,
}

/// Key confirmation (app → center), for provisioning
/// (`POST /v1/provision/confirm`) and renewal (`POST /v1/renew/confirm`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// Protocol version.
    pub version: u32,
    /// The session of the offer.
    pub session: SessionId,
    /// HMAC over the transcript hash with the confirmation key.
    pub app_confirm: B32,
}

/// The center's answer to a confirmation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmed {
    /// Protocol version.
    pub version: u32,
    /// The center's HMAC over the transcript hash.
    pub center_confirm: B32,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

/// What a fresh center nonce is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Renewal.
    Renew,
    /// Correction.
    Correct,
    /// Transaction confirmation (list, start, answer).
    Tx,
}

impl Purpose {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Renew => "renew",
            Self::Correct => "correct",
            Self::Tx => "tx",
        }
    }
}

/// Asks for a center nonce: `POST /v1/challenge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// Protocol version.
    pub version: u32,
    /// Token serial.
    pub serial: String,
    /// What the nonce will be used for.
    pub purpose: Purpose,
}

/// A center nonce, valid once and for a few minutes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// Protocol version.
    pub version: u32,
    /// The nonce.
    pub nonce: Nonce,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

/// Renewal, first signed leg: `POST /v1/renew/start`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewStart {
    /// Protocol version.
    pub version: u32,
    /// Token serial.
    pub serial: String,
    /// The center nonce from the challenge.
    pub nonce: Nonce,
    /// App nonce.
    pub app_nonce: Nonce,
    /// App ephemeral X25519 public key.
    pub app_ephemeral: B32,
    /// Device signature over the renew-request transcript.
    pub signature: Sig,
}

/// The center's renewal offer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenewOffer {
    /// Protocol version.
    pub version: u32,
    /// Session, named in the confirmation.
    pub session: SessionId,
    /// Center nonce.
    pub center_nonce: Nonce,
    /// Center ephemeral X25519 public key.
    pub center_ephemeral: B32,
    /// New expiry, Unix seconds.
    pub expires_at: u64,
    /// Token parameters (may change with the service's).
    pub params: OtpParams,
    /// Center time, Unix seconds.
    pub center_time: u64,
    /// Center signature over the renewal transcript hash.
    pub signature: Sig,
}

/// Correction request: `POST /v1/correct`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectRequest {
    /// Protocol version.
    pub version: u32,
    /// Token serial.
    pub serial: String,
    /// The center nonce from the challenge.
    pub nonce: Nonce,
    /// The codes of the device's current step and the step after it.
    pub otps: [String; 2],
    /// Device time, Unix seconds (for the center's log only).
    pub device_time: u64,
    /// Device signature over the correct-request transcript.
    pub signature: Sig,
}

/// The center's correction answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corrected {
    /// Protocol version.
    pub version: u32,
    /// Device step minus center step, as learned.
    pub offset_steps: i64,
    /// The same in seconds (steps × period).
    pub offset_seconds: i64,
    /// Center time, Unix seconds.
    pub center_time: u64,
    /// Center signature over the correct-reply transcript.
    pub signature: Sig,
}

/// A refusal with a catalogue code (HTTP 403).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Protocol version.
    pub version: u32,
    /// The S-code, e.g. `"S0C1"`.
    pub refusal: String,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

/// A request the center could not take (HTTP 400, 404, 409, 413, 415, 422).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadRequest {
    /// Protocol version.
    pub version: u32,
    /// Short machine-readable reason, e.g. `"malformed-json"`.
    pub error: String,
    /// What was wrong, for people.
    pub detail: String,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

// ---------------------------------------------------------------------------
// Transcripts
// ---------------------------------------------------------------------------

/// The provisioning transcript: every field of both messages except the
/// activation password and the signature.
pub fn provision_transcript(start: &ProvisionStart, offer: &ProvisionOffer) -> Transcript {
    let mut t = Transcript::new(label::PROVISION);
    t.str(&start.service_id)
        .str(&start.user_id)
        .u64(start.device_time)
        .bytes(&start.app_nonce.0)
        .bytes(&start.app_ephemeral.0)
        .bytes(&start.device_key.0)
        .bytes(&offer.session.0)
        .bytes(&offer.center_nonce.0)
        .bytes(&offer.center_ephemeral.0)
        .str(&offer.serial)
        .u64(offer.expires_at)
        .params(&offer.params)
        .str(&offer.service.id)
        .str(&offer.service.name)
        .opt(offer.service.logo_url.as_deref())
        .opt(offer.service.link_url.as_deref())
        .u64(offer.center_time);
    if offer.service.tx_confirmation {
        t.str("tx-confirmation");
    }
    t
}

/// What the device signs to ask for a renewal.
pub fn renew_request_transcript(start: &RenewStart) -> Transcript {
    let mut t = Transcript::new(label::RENEW_REQUEST);
    t.str(&start.serial)
        .bytes(&start.nonce.0)
        .bytes(&start.app_nonce.0)
        .bytes(&start.app_ephemeral.0);
    t
}

/// The renewal transcript (signed by the center, hashed into the keys).
pub fn renew_transcript(start: &RenewStart, offer: &RenewOffer) -> Transcript {
    let mut t = Transcript::new(label::RENEW);
    t.str(&start.serial)
        .bytes(&start.nonce.0)
        .bytes(&start.app_nonce.0)
        .bytes(&start.app_ephemeral.0)
        .bytes(&offer.session.0)
        .bytes(&offer.center_nonce.0)
        .bytes(&offer.center_ephemeral.0)
        .u64(offer.expires_at)
        .params(&offer.params)
        .u64(offer.center_time);
    t
}

/// What the device signs to ask for a correction.
pub fn correct_request_transcript(req: &CorrectRequest) -> Transcript {
    let mut t = Transcript::new(label::CORRECT_REQUEST);
    t.str(&req.serial)
        .bytes(&req.nonce.0)
        .str(&req.otps[0])
        .str(&req.otps[1])
        .u64(req.device_time);
    t
}

/// What the center signs in its correction reply.
pub fn correct_reply_transcript(req: &CorrectRequest, reply: &Corrected) -> Transcript {
    let mut t = Transcript::new(label::CORRECT_REPLY);
    t.str(&req.serial)
        .bytes(&req.nonce.0)
        .i64(reply.offset_steps)
        .i64(reply.offset_seconds)
        .u64(reply.center_time);
    t
}

fn check_version(v: u32) -> Result<(), ProtocolError> {
    if v == VERSION {
        Ok(())
    } else {
        Err(ProtocolError::Version(v))
    }
}

// ---------------------------------------------------------------------------
// App side
// ---------------------------------------------------------------------------

/// The app's half of a provisioning exchange between the two legs.
pub struct AppProvision {
    start: ProvisionStart,
    ephemeral: StaticSecret,
    device: SigningKey,
}

impl fmt::Debug for AppProvision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppProvision")
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

/// A token the center offered and the app accepted, before confirmation.
pub struct Accepted {
    /// The offer as received.
    pub offer: ProvisionOffer,
    /// Derived keys.
    pub derived: Derived,
    /// The device signing key (kept in the vault).
    pub device: SigningKey,
}

impl fmt::Debug for Accepted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accepted")
            .field("offer", &self.offer)
            .finish_non_exhaustive()
    }
}

impl AppProvision {
    /// Starts provisioning: fresh nonce, ephemeral key and device key.
    pub fn new(
        service_id: &str,
        user_id: &str,
        activation_password: &str,
        device_time: u64,
    ) -> Result<Self, ProtocolError> {
        let (ephemeral, app_ephemeral) = ephemeral()?;
        let device = new_signing_key()?;
        let start = ProvisionStart {
            version: VERSION,
            service_id: service_id.to_owned(),
            user_id: user_id.to_owned(),
            activation_password: Zeroizing::new(activation_password.to_owned()),
            device_time,
            app_nonce: Bytes::random()?,
            app_ephemeral,
            device_key: device_public(&device),
        };
        Ok(Self {
            start,
            ephemeral,
            device,
        })
    }

    /// Builds from given parts (known-answer tests).
    pub fn from_parts(start: ProvisionStart, ephemeral: StaticSecret, device: SigningKey) -> Self {
        Self {
            start,
            ephemeral,
            device,
        }
    }

    /// The first-leg request.
    pub fn request(&self) -> &ProvisionStart {
        &self.start
    }

    /// Checks the center's offer (version, signature by the pinned key,
    /// consistency) and derives the token key and confirmations.
    pub fn accept(
        self,
        offer: ProvisionOffer,
        center: &CenterKey,
    ) -> Result<Accepted, ProtocolError> {
        check_version(offer.version)?;
        let t = provision_transcript(&self.start, &offer);
        center.verify(&t.hash(), &offer.signature)?;
        if offer.service.id != self.start.service_id {
            return Err(ProtocolError::Malformed("service ID differs"));
        }
        check_serial(&offer.serial)?;
        let derived = derive(
            &self.ephemeral,
            &offer.center_ephemeral,
            &self.start.app_nonce,
            &offer.center_nonce,
            &t.hash(),
            offer.params.algorithm,
        )?;
        Ok(Accepted {
            offer,
            derived,
            device: self.device,
        })
    }
}

/// Checks the center's confirmation against the expected value.
pub fn check_confirmed(reply: &Confirmed, expected: &B32) -> Result<(), ProtocolError> {
    check_version(reply.version)?;
    if mac_eq(&reply.center_confirm, expected) {
        Ok(())
    } else {
        Err(ProtocolError::BadConfirmation)
    }
}

/// The app's half of a renewal exchange.
pub struct AppRenew {
    start: RenewStart,
    ephemeral: StaticSecret,
}

impl fmt::Debug for AppRenew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRenew")
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

/// A renewal the center offered and the app accepted, before confirmation.
#[derive(Debug)]
pub struct RenewAccepted {
    /// The offer as received.
    pub offer: RenewOffer,
    /// Derived keys.
    pub derived: Derived,
}

impl AppRenew {
    /// Signs a renewal request for `serial` over the center's `nonce`.
    pub fn new(serial: &str, nonce: Nonce, device: &SigningKey) -> Result<Self, ProtocolError> {
        let (ephemeral, app_ephemeral) = ephemeral()?;
        let mut start = RenewStart {
            version: VERSION,
            serial: serial.to_owned(),
            nonce,
            app_nonce: Bytes::random()?,
            app_ephemeral,
            signature: Bytes([0; 64]),
        };
        start.signature = sign(device, &renew_request_transcript(&start).hash());
        Ok(Self { start, ephemeral })
    }

    /// The signed request.
    pub fn request(&self) -> &RenewStart {
        &self.start
    }

    /// Checks the center's offer and derives the new key.
    pub fn accept(
        self,
        offer: RenewOffer,
        center: &CenterKey,
    ) -> Result<RenewAccepted, ProtocolError> {
        check_version(offer.version)?;
        let t = renew_transcript(&self.start, &offer);
        center.verify(&t.hash(), &offer.signature)?;
        let derived = derive(
            &self.ephemeral,
            &offer.center_ephemeral,
            &self.start.app_nonce,
            &offer.center_nonce,
            &t.hash(),
            offer.params.algorithm,
        )?;
        Ok(RenewAccepted { offer, derived })
    }
}

/// A signed correction request.
pub fn correct_request(
    serial: &str,
    nonce: Nonce,
    otps: [String; 2],
    device_time: u64,
    device: &SigningKey,
) -> CorrectRequest {
    let mut req = CorrectRequest {
        version: VERSION,
        serial: serial.to_owned(),
        nonce,
        otps,
        device_time,
        signature: Bytes([0; 64]),
    };
    req.signature = sign(device, &correct_request_transcript(&req).hash());
    req
}

/// Checks the center's correction reply.
pub fn check_corrected(
    req: &CorrectRequest,
    reply: &Corrected,
    center: &CenterKey,
) -> Result<(), ProtocolError> {
    check_version(reply.version)?;
    center.verify(
        &correct_reply_transcript(req, reply).hash(),
        &reply.signature,
    )
}

// ---------------------------------------------------------------------------
// Center side
// ---------------------------------------------------------------------------

/// What the center decides for a new token or a renewal, before signing.
#[derive(Debug, Clone)]
pub struct OfferFields {
    /// Session.
    pub session: SessionId,
    /// Serial.
    pub serial: String,
    /// Expiry.
    pub expires_at: u64,
    /// Parameters.
    pub params: OtpParams,
    /// Service details.
    pub service: ServiceInfo,
    /// Center time.
    pub center_time: u64,
}

/// The center's offer with what it must keep until the confirmation.
pub struct CenterOffer<O> {
    /// The signed offer to send.
    pub offer: O,
    /// Derived keys.
    pub derived: Derived,
}

impl<O: fmt::Debug> fmt::Debug for CenterOffer<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CenterOffer")
            .field("offer", &self.offer)
            .finish_non_exhaustive()
    }
}

/// Checks the shape of a first-leg request (version, sizes) before anything
/// else is looked at.
pub fn check_start(start: &ProvisionStart) -> Result<(), ProtocolError> {
    check_version(start.version)?;
    if !crate::ids::service_id_ok(&start.service_id) {
        return Err(ProtocolError::Malformed("service_id"));
    }
    if !crate::ids::user_id_ok(&start.user_id) {
        return Err(ProtocolError::Malformed("user_id"));
    }
    if start.activation_password.is_empty() || start.activation_password.len() > 128 {
        return Err(ProtocolError::Malformed("activation_password length"));
    }
    VerifyingKey::from_bytes(&start.device_key.0)
        .map_err(|_| ProtocolError::Malformed("device_key"))?;
    Ok(())
}

/// The center's answer to a first leg: an ephemeral key, a nonce, the
/// signed offer and the derived keys.
pub fn center_provision(
    start: &ProvisionStart,
    fields: OfferFields,
    signing: &SigningKey,
    ephemeral: &StaticSecret,
    center_nonce: Nonce,
) -> Result<CenterOffer<ProvisionOffer>, ProtocolError> {
    check_start(start)?;
    let mut offer = ProvisionOffer {
        version: VERSION,
        session: fields.session,
        center_nonce,
        center_ephemeral: Bytes(PublicKey::from(ephemeral).to_bytes()),
        serial: fields.serial,
        expires_at: fields.expires_at,
        params: fields.params,
        service: fields.service,
        center_time: fields.center_time,
        signature: Bytes([0; 64]),
    };
    let t = provision_transcript(start, &offer);
    let derived = derive(
        ephemeral,
        &start.app_ephemeral,
        &start.app_nonce,
        &center_nonce,
        &t.hash(),
        offer.params.algorithm,
    )?;
    offer.signature = sign(signing, &t.hash());
    Ok(CenterOffer { offer, derived })
}

/// The center's answer to a signed renewal request, after it checked the
/// device signature with [`check_renew_start`].
pub fn center_renew(
    start: &RenewStart,
    fields: &OfferFields,
    signing: &SigningKey,
    ephemeral: &StaticSecret,
    center_nonce: Nonce,
) -> Result<CenterOffer<RenewOffer>, ProtocolError> {
    let mut offer = RenewOffer {
        version: VERSION,
        session: fields.session,
        center_nonce,
        center_ephemeral: Bytes(PublicKey::from(ephemeral).to_bytes()),
        expires_at: fields.expires_at,
        params: fields.params,
        center_time: fields.center_time,
        signature: Bytes([0; 64]),
    };
    let t = renew_transcript(start, &offer);
    let derived = derive(
        ephemeral,
        &start.app_ephemeral,
        &start.app_nonce,
        &center_nonce,
        &t.hash(),
        offer.params.algorithm,
    )?;
    offer.signature = sign(signing, &t.hash());
    Ok(CenterOffer { offer, derived })
}

/// Checks a renewal request's version and device signature.
pub fn check_renew_start(start: &RenewStart, device_pub: &B32) -> Result<(), ProtocolError> {
    check_version(start.version)?;
    verify_device(
        device_pub,
        &renew_request_transcript(start).hash(),
        &start.signature,
    )
}

/// Checks a correction request's version, codes and device signature.
pub fn check_correct_request(req: &CorrectRequest, device_pub: &B32) -> Result<(), ProtocolError> {
    check_version(req.version)?;
    for otp in &req.otps {
        if !(6..=8).contains(&otp.len()) || !otp.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProtocolError::Malformed("otps"));
        }
    }
    verify_device(
        device_pub,
        &correct_request_transcript(req).hash(),
        &req.signature,
    )
}

/// The center's signed correction reply.
pub fn center_corrected(
    req: &CorrectRequest,
    offset_steps: i64,
    offset_seconds: i64,
    center_time: u64,
    signing: &SigningKey,
) -> Corrected {
    let mut reply = Corrected {
        version: VERSION,
        offset_steps,
        offset_seconds,
        center_time,
        signature: Bytes([0; 64]),
    };
    reply.signature = sign(signing, &correct_reply_transcript(req, &reply).hash());
    reply
}

/// Checks an app confirmation against the expected value.
pub fn check_confirm(confirm: &Confirm, expected: &B32) -> Result<(), ProtocolError> {
    check_version(confirm.version)?;
    if mac_eq(&confirm.app_confirm, expected) {
        Ok(())
    } else {
        Err(ProtocolError::BadConfirmation)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otp::{Digits, Period};

    fn params() -> OtpParams {
        OtpParams {
            algorithm: Algorithm::Sha256,
            digits: Digits::EIGHT,
            period: Period::SIXTY,
        }
    }

    fn fields() -> OfferFields {
        OfferFields {
            session: Bytes([7; 16]),
            serial: "12345678".into(),
            expires_at: 2_000_000_000,
            params: params(),
            service: ServiceInfo {
                id: "BANK".into(),
                name: "Bank".into(),
                logo_url: None,
                link_url: Some("https://bank.example/".into()),
                tx_confirmation: false,
            },
            center_time: 1_800_000_000,
        }
    }

    #[test]
    fn provisioning_agrees_on_the_key_and_confirms_both_ways() {
        let center = new_signing_key().unwrap();
        let app = AppProvision::new("BANK", "alice", "pass-1234", 1_800_000_001).unwrap();
        let (ceph, _) = ephemeral().unwrap();
        let c = center_provision(
            app.request(),
            fields(),
            &center,
            &ceph,
            Bytes::random().unwrap(),
        )
        .unwrap();
        let wire = serde_json::to_string(&c.offer).unwrap();
        let offer: ProvisionOffer = serde_json::from_str(&wire).unwrap();
        let a = app.accept(offer, &CenterKey::of(&center)).unwrap();
        assert_eq!(*a.derived.token_key, *c.derived.token_key);
        assert_eq!(a.derived.token_key.len(), 32);
        let confirm = Confirm {
            version: VERSION,
            session: a.offer.session,
            app_confirm: a.derived.app_confirm,
        };
        check_confirm(&confirm, &c.derived.app_confirm).unwrap();
        let done = Confirmed {
            version: VERSION,
            center_confirm: c.derived.center_confirm,
            center_time: 0,
        };
        check_confirmed(&done, &a.derived.center_confirm).unwrap();
        assert_ne!(a.derived.app_confirm, a.derived.center_confirm);
    }

    #[test]
    fn a_tampered_offer_or_another_center_key_is_refused() {
        let center = new_signing_key().unwrap();
        let other = new_signing_key().unwrap();
        let (ceph, _) = ephemeral().unwrap();
        let make = || AppProvision::new("BANK", "alice", "pw", 1).unwrap();
        let app = make();
        let c = center_provision(app.request(), fields(), &center, &ceph, Bytes([1; 32])).unwrap();
        assert_eq!(
            app.accept(c.offer.clone(), &CenterKey::of(&other))
                .unwrap_err(),
            ProtocolError::BadSignature
        );
        for tamper in [
            |o: &mut ProvisionOffer| o.expires_at += 1,
            |o: &mut ProvisionOffer| o.serial = "87654321".into(),
            |o: &mut ProvisionOffer| o.params.digits = Digits::SIX,
            |o: &mut ProvisionOffer| o.center_ephemeral.0[0] ^= 1,
            |o: &mut ProvisionOffer| o.service.link_url = None,
        ] {
            let app = make();
            let c =
                center_provision(app.request(), fields(), &center, &ceph, Bytes([1; 32])).unwrap();
            let mut offer = c.offer;
            tamper(&mut offer);
            assert_eq!(
                app.accept(offer, &CenterKey::of(&center)).unwrap_err(),
                ProtocolError::BadSignature
            );
        }
        let app = make();
        let mut offer = center_provision(app.request(), fields(), &center, &ceph, Bytes([1; 32]))
            .unwrap()
            .offer;
        offer.version = 2;
        assert_eq!(
            app.accept(offer, &CenterKey::of(&center)).unwrap_err(),
            ProtocolError::Version(2)
        );
    }

    #[test]
    fn renewal_and_correction_signatures_bind_their_fields() {
        let center = new_signing_key().unwrap();
        let device = new_signing_key().unwrap();
        let dpub = device_public(&device);
        let app = AppRenew::new("12345678", Bytes([3; 32]), &device).unwrap();
        check_renew_start(app.request(), &dpub).unwrap();
        let mut forged = app.request().clone();
        forged.serial = "12345679".into();
        assert!(check_renew_start(&forged, &dpub).is_err());
        let (ceph, _) = ephemeral().unwrap();
        let c = center_renew(app.request(), &fields(), &center, &ceph, Bytes([4; 32])).unwrap();
        let got = app.accept(c.offer, &CenterKey::of(&center)).unwrap();
        assert_eq!(*got.derived.token_key, *c.derived.token_key);

        let req = correct_request(
            "12345678",
            Bytes([5; 32]),
            ["123456".into(), "654321".into()],
            99,
            &device,
        );
        check_correct_request(&req, &dpub).unwrap();
        let mut bad = req.clone();
        bad.otps[1] = "654322".into();
        assert!(check_correct_request(&bad, &dpub).is_err());
        let reply = center_corrected(&req, -3, -180, 1000, &center);
        check_corrected(&req, &reply, &CenterKey::of(&center)).unwrap();
        let mut lie = reply.clone();
        lie.offset_steps = 3;
        assert!(check_corrected(&req, &lie, &CenterKey::of(&center)).is_err());
    }

    #[test]
    fn center_keys_parse_and_print() {
        let key = CenterKey::of(&new_signing_key().unwrap());
        let text = key.to_string();
        assert!(text.starts_with("ed25519:") && text.len() == 8 + 64);
        assert_eq!(CenterKey::parse(&text), Some(key));
        assert_eq!(CenterKey::parse(&text[1..]), None);
        assert_eq!(CenterKey::parse("ed25519:zz"), None);
    }

    #[test]
    fn passwords_do_not_print() {
        let app = AppProvision::new("BANK", "alice", "secret-pw-9", 1).unwrap();
        let shown = format!("{app:?}");
        assert!(!shown.contains("secret-pw-9"), "{shown}");
    }

    #[test]
    fn a_zero_ephemeral_key_is_refused() {
        let (own, _) = ephemeral().unwrap();
        let err = derive(
            &own,
            &Bytes([0; 32]),
            &Bytes([1; 32]),
            &Bytes([2; 32]),
            &[0; 32],
            Algorithm::Sha1,
        )
        .unwrap_err();
        assert_eq!(err, ProtocolError::WeakKey);
    }

    /// Known answers computed independently (`tests/vectors/protocol_kat.py`,
    /// Python `cryptography`).
    mod known_answers {
        use super::*;
        use crate::otp::Digits;

        const FILE: &str = include_str!("../../../tests/vectors/protocol-kdf.toml");

        fn cases(kind: &str) -> Vec<toml::Table> {
            let doc: toml::Table = toml::from_str(FILE).unwrap();
            doc[kind]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_table().unwrap().clone())
                .collect()
        }

        fn text<'a>(v: &'a toml::Table, k: &str) -> &'a str {
            v[k].as_str().unwrap_or_else(|| panic!("{k}"))
        }

        fn num(v: &toml::Table, k: &str) -> u64 {
            u64::try_from(v[k].as_integer().unwrap()).unwrap()
        }

        fn b32(v: &toml::Table, k: &str) -> B32 {
            Bytes::from_hex(text(v, k)).unwrap()
        }

        fn opt(v: &toml::Table, k: &str) -> Option<String> {
            Some(text(v, k).to_owned()).filter(|s| !s.is_empty())
        }

        fn params(v: &toml::Table) -> OtpParams {
            OtpParams {
                algorithm: text(v, "algorithm").parse().unwrap(),
                digits: Digits::try_from(u8::try_from(num(v, "digits")).unwrap()).unwrap(),
                period: num(v, "period").try_into().unwrap(),
            }
        }

        #[test]
        fn provisioning_matches_the_independent_implementation() {
            let all = cases("provision");
            assert_eq!(all.len(), 3);
            for v in &all {
                let app_eph = StaticSecret::from(b32(v, "app_ephemeral_secret").0);
                let center_eph = StaticSecret::from(b32(v, "center_ephemeral_secret").0);
                let device = SigningKey::from_bytes(&b32(v, "device_seed").0);
                let center = SigningKey::from_bytes(&b32(v, "center_seed").0);
                let start = ProvisionStart {
                    version: VERSION,
                    service_id: text(v, "service_id").into(),
                    user_id: text(v, "user_id").into(),
                    activation_password: Zeroizing::new("not in the transcript".into()),
                    device_time: num(v, "device_time"),
                    app_nonce: b32(v, "app_nonce"),
                    app_ephemeral: Bytes(PublicKey::from(&app_eph).to_bytes()),
                    device_key: device_public(&device),
                };
                assert_eq!(start.app_ephemeral, b32(v, "app_ephemeral_public"));
                assert_eq!(start.device_key, b32(v, "device_public"));
                let fields = OfferFields {
                    session: Bytes::from_hex(text(v, "session")).unwrap(),
                    serial: text(v, "serial").into(),
                    expires_at: num(v, "expires_at"),
                    params: params(v),
                    service: ServiceInfo {
                        id: text(v, "service_id").into(),
                        name: text(v, "service_name").into(),
                        logo_url: opt(v, "logo_url"),
                        link_url: opt(v, "link_url"),
                        tx_confirmation: false,
                    },
                    center_time: num(v, "center_time"),
                };
                let c =
                    center_provision(&start, fields, &center, &center_eph, b32(v, "center_nonce"))
                        .unwrap();
                let name = text(v, "name");
                let t = provision_transcript(&start, &c.offer);
                assert_eq!(hex::encode(t.as_bytes()), text(v, "transcript"), "{name}");
                assert_eq!(hex::encode(t.hash()), text(v, "transcript_hash"), "{name}");
                assert_eq!(c.offer.center_ephemeral, b32(v, "center_ephemeral_public"));
                let shared = app_eph.diffie_hellman(&PublicKey::from(c.offer.center_ephemeral.0));
                assert_eq!(hex::encode(shared.as_bytes()), text(v, "shared_secret"));
                assert_eq!(
                    hex::encode(&*c.derived.token_key),
                    text(v, "token_key"),
                    "{name}"
                );
                assert_eq!(c.derived.app_confirm, b32(v, "app_confirm"), "{name}");
                assert_eq!(c.derived.center_confirm, b32(v, "center_confirm"), "{name}");
                assert_eq!(c.offer.signature.to_hex(), text(v, "signature"), "{name}");
                assert_eq!(
                    CenterKey::of(&center).to_string(),
                    format!("ed25519:{}", text(v, "center_public"))
                );
                // The app side derives the same from the same offer.
                let app = AppProvision::from_parts(start, app_eph, device);
                let got = app.accept(c.offer, &CenterKey::of(&center)).unwrap();
                assert_eq!(hex::encode(&*got.derived.token_key), text(v, "token_key"));
            }
        }

        #[test]
        fn renewal_matches_the_independent_implementation() {
            for v in &cases("renew") {
                let app_eph = StaticSecret::from(b32(v, "app_ephemeral_secret").0);
                let center_eph = StaticSecret::from(b32(v, "center_ephemeral_secret").0);
                let device = SigningKey::from_bytes(&b32(v, "device_seed").0);
                let center = SigningKey::from_bytes(&b32(v, "center_seed").0);
                let mut start = RenewStart {
                    version: VERSION,
                    serial: text(v, "serial").into(),
                    nonce: b32(v, "nonce"),
                    app_nonce: b32(v, "app_nonce"),
                    app_ephemeral: Bytes(PublicKey::from(&app_eph).to_bytes()),
                    signature: Bytes([0; 64]),
                };
                start.signature = sign(&device, &renew_request_transcript(&start).hash());
                assert_eq!(start.signature.to_hex(), text(v, "request_signature"));
                check_renew_start(&start, &b32(v, "device_public")).unwrap();
                let fields = OfferFields {
                    session: Bytes::from_hex(text(v, "session")).unwrap(),
                    serial: text(v, "serial").into(),
                    expires_at: num(v, "expires_at"),
                    params: params(v),
                    service: ServiceInfo {
                        id: String::new(),
                        name: String::new(),
                        logo_url: None,
                        link_url: None,
                        tx_confirmation: false,
                    },
                    center_time: num(v, "center_time"),
                };
                let c = center_renew(
                    &start,
                    &fields,
                    &center,
                    &center_eph,
                    b32(v, "center_nonce"),
                )
                .unwrap();
                let t = renew_transcript(&start, &c.offer);
                assert_eq!(hex::encode(t.as_bytes()), text(v, "transcript"));
                assert_eq!(hex::encode(&*c.derived.token_key), text(v, "token_key"));
                assert_eq!(c.derived.app_confirm, b32(v, "app_confirm"));
                assert_eq!(c.derived.center_confirm, b32(v, "center_confirm"));
                assert_eq!(c.offer.signature.to_hex(), text(v, "signature"));
            }
        }
    }
}
