//! Challenges and device-signed requests: a center nonce bound to a token
//! and a purpose, used once by a request the device key signs.
//!
//! A nonce is issued without writing anything: its 32 bytes are the issue
//! time (8, big-endian Unix seconds), 8 random bytes, and the first 16
//! bytes of an HMAC-SHA256, under a key derived from the master key, over
//! a label, the serial, the purpose and those 16 bytes. So a stranger
//! asking for nonces cannot evict a customer's, fill a table, or learn
//! whether a serial exists (every well-formed serial gets a nonce). The
//! nonce is checked (MAC, purpose, serial, age) when it comes back and
//! recorded as used only once a device signature over it verifies. A
//! signed request for a serial no token has is answered like a wrong
//! signature (there is no key it could verify with).

use hmac::{KeyInit, Mac};
use ippun_core::protocol::{self, B32, Bytes, Challenge, ChallengeRequest, ProtocolError, Purpose};

use super::{ApiError, Center};
use crate::CenterError;
use crate::data::nonces;
use crate::data::tokens::{self, TokenRow};
use crate::secret::{self, MasterKey};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The key that MACs nonces.
pub(crate) struct NonceKey(zeroize::Zeroizing<[u8; 32]>);

impl std::fmt::Debug for NonceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NonceKey(REDACTED)")
    }
}

impl NonceKey {
    pub(crate) fn of(master: &MasterKey) -> Self {
        Self(master.derive("ippun center nonce key v1"))
    }

    fn tag(&self, serial: &str, purpose: Purpose, head: &[u8]) -> Result<[u8; 16], CenterError> {
        let mut mac = HmacSha256::new_from_slice(self.0.as_slice())
            .map_err(|_| CenterError::Crypto("nonce key"))?;
        mac.update(b"ippun nonce v1");
        for part in [serial.as_bytes(), purpose.as_str().as_bytes()] {
            mac.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
            mac.update(part);
        }
        mac.update(head);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; 16];
        tag.copy_from_slice(&full[..16]);
        Ok(tag)
    }

    /// A fresh nonce for `serial` and `purpose`, issued at `now`.
    fn issue(
        &self,
        serial: &str,
        purpose: Purpose,
        now: u64,
    ) -> Result<protocol::Nonce, CenterError> {
        let mut n = [0u8; 32];
        n[..8].copy_from_slice(&now.to_be_bytes());
        getrandom::fill(&mut n[8..16]).map_err(|_| CenterError::Random)?;
        let tag = self.tag(serial, purpose, &n[..16])?;
        n[16..].copy_from_slice(&tag);
        Ok(Bytes(n))
    }

    /// When `nonce` was issued, if this center issued it for `serial` and
    /// `purpose`.
    fn issued_at(
        &self,
        nonce: &protocol::Nonce,
        serial: &str,
        purpose: Purpose,
    ) -> Result<Option<u64>, CenterError> {
        let n = &nonce.0;
        let want = self.tag(serial, purpose, &n[..16])?;
        let mut at = [0u8; 8];
        at.copy_from_slice(&n[..8]);
        Ok(secret::same(&want, &n[16..]).then_some(u64::from_be_bytes(at)))
    }
}

impl Center {
    /// Hands out a fresh nonce for a token. Nothing is read or written:
    /// an unknown serial gets a nonce like any other (it fails later, at
    /// the signed request, like a wrong signature would).
    pub fn challenge(&self, req: &ChallengeRequest) -> Result<Challenge, ApiError> {
        if req.version != protocol::VERSION {
            return Err(ProtocolError::Version(req.version).into());
        }
        protocol::check_serial(&req.serial)?;
        let now = self.now();
        let nonce = self.nonce_key().issue(&req.serial, req.purpose, now)?;
        Ok(Challenge {
            version: protocol::VERSION,
            nonce,
            center_time: now,
        })
    }

    /// The token behind a device-signed request. In order: version, serial,
    /// the nonce (this center's, for this serial and `purpose`, not
    /// expired), the token and the device signature (`check`, with the
    /// token's device key; no token reads as a bad signature); only then is
    /// the nonce used up, so a bad request writes nothing.
    pub(crate) async fn signed_request(
        &self,
        version: u32,
        serial: &str,
        nonce: &protocol::Nonce,
        purpose: Purpose,
        check: impl FnOnce(&B32) -> Result<(), ProtocolError>,
    ) -> Result<TokenRow, ApiError> {
        if version != protocol::VERSION {
            return Err(ProtocolError::Version(version).into());
        }
        protocol::check_serial(serial)?;
        let now = self.now();
        let ttl = self.config().nonce_ttl_secs;
        let expires_at = match self.nonce_key().issued_at(nonce, serial, purpose)? {
            // A little slack for a center clock that stepped back.
            Some(at) if at <= now.saturating_add(5) && now < at.saturating_add(ttl) => {
                at.saturating_add(ttl)
            }
            _ => return Err(ApiError::StaleNonce),
        };
        // No token, no key that could have signed it: answered like a wrong
        // signature, so that serials cannot be probed here either.
        let token = tokens::get(self.db(), serial)
            .await?
            .ok_or(ApiError::BadSignature)?;
        check(&token.device_key)?;
        let mut w = self.db().write(now).await?;
        let fresh = nonces::use_once(&mut w, nonce, serial, purpose, expires_at).await?;
        w.commit().await?;
        if !fresh {
            return Err(ApiError::StaleNonce);
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_bound_to_serial_purpose_and_key() {
        let master = MasterKey::from_bytes([7; 32]);
        let k = NonceKey::of(&master);
        let n = k.issue("12345678", Purpose::Correct, 1_000).unwrap();
        assert_eq!(
            k.issued_at(&n, "12345678", Purpose::Correct).unwrap(),
            Some(1_000)
        );
        assert_eq!(k.issued_at(&n, "12345679", Purpose::Correct).unwrap(), None);
        assert_eq!(k.issued_at(&n, "12345678", Purpose::Renew).unwrap(), None);
        let other = NonceKey::of(&MasterKey::from_bytes([8; 32]));
        assert_eq!(
            other.issued_at(&n, "12345678", Purpose::Correct).unwrap(),
            None
        );
        let mut forged = n;
        forged.0[7] ^= 1; // a later issue time
        assert_eq!(
            k.issued_at(&forged, "12345678", Purpose::Correct).unwrap(),
            None
        );
        assert_ne!(n, k.issue("12345678", Purpose::Correct, 1_000).unwrap());
    }
}
