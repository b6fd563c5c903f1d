//! Framing: fixed-size byte fields (lowercase hex on the wire), the
//! transcript encoding, and the transcript of every signed or authenticated
//! message of provisioning, renewal and correction (transaction
//! confirmation's are in [`crate::txconfirm`]).

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    CorrectRequest, Corrected, ProtocolError, ProvisionOffer, ProvisionStart, RenewOffer,
    RenewStart, label,
};
use crate::otp::OtpParams;

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

    /// Parses exactly `2 * N` hex digits, either case.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut b = [0u8; N];
        hex::decode_to_slice(text, &mut b).ok()?;
        Some(Self(b))
    }

    /// Parses exactly `2 * N` lowercase hex digits: the only form the
    /// protocol's messages take.
    pub fn from_wire_hex(text: &str) -> Option<Self> {
        if text.bytes().any(|c| c.is_ascii_uppercase()) {
            return None;
        }
        Self::from_hex(text)
    }
}

impl<const N: usize> JsonSchema for Bytes<N> {
    fn schema_name() -> Cow<'static, str> {
        Cow::Owned(format!("Hex{N}"))
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": format!("{N} bytes as {} lowercase hex digits", 2 * N),
            "pattern": format!("^[0-9a-f]{{{}}}$", 2 * N),
        })
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
        let s = <Cow<'de, str>>::deserialize(d)?;
        Self::from_wire_hex(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("expected {} lowercase hex digits", N * 2))
        })
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

/// The canonical byte string that both sides hash and sign. The label and
/// every field are written as a 4-byte big-endian length and their bytes;
/// a number is a field of length 8 holding the value big-endian (two's
/// complement when signed). With every length written, fields cannot run
/// into each other.
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
