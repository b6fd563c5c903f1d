//! Keys: the center's and the device's Ed25519 keys, X25519 key agreement,
//! HKDF derivation of the token key and the confirmation key, and the key
//! confirmations.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, Zeroizing};

use super::{B32, Bytes, CENTER_KEY_PREFIX, Nonce, ProtocolError, Sig, label};
use crate::otp::Algorithm;

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
