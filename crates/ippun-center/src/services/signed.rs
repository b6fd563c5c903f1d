//! Challenges and device-signed requests: a center nonce bound to a token
//! and a purpose, used once by a request the device key signs.

use ippun_core::protocol::{self, B32, Bytes, Challenge, ChallengeRequest, ProtocolError, Purpose};

use super::{ApiError, Center};
use crate::data::nonces;
use crate::data::tokens::{self, TokenRow};

impl Center {
    /// Hands out a fresh nonce for a token.
    pub async fn challenge(&self, req: ChallengeRequest) -> Result<Challenge, ApiError> {
        if req.version != protocol::VERSION {
            return Err(ProtocolError::Version(req.version).into());
        }
        protocol::check_serial(&req.serial)?;
        let now = self.now();
        if tokens::get(self.db(), &req.serial).await?.is_none() {
            return Err(ApiError::UnknownToken);
        }
        let nonce: protocol::Nonce = Bytes::random()?;
        let mut w = self.db().write(now).await?;
        nonces::issue(
            &mut w,
            &nonce,
            &req.serial,
            req.purpose,
            now + self.config().nonce_ttl_secs,
        )
        .await?;
        w.commit().await?;
        Ok(Challenge {
            version: protocol::VERSION,
            nonce,
            center_time: now,
        })
    }

    /// The token behind a device-signed request. In order: version, serial,
    /// token, a live nonce for `purpose`, the device signature (`check`, with
    /// the token's device key); only then is the nonce used up, so a bad
    /// request writes nothing.
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
        let token = tokens::get(self.db(), serial)
            .await?
            .ok_or(ApiError::UnknownToken)?;
        if !nonces::is_live(self.db(), nonce, serial, purpose, self.now()).await? {
            return Err(ApiError::StaleNonce);
        }
        check(&token.device_key)?;
        let mut w = self.db().write(self.now()).await?;
        let fresh = nonces::use_once(&mut w, nonce).await?;
        w.commit().await?;
        if !fresh {
            return Err(ApiError::StaleNonce);
        }
        Ok(token)
    }
}
