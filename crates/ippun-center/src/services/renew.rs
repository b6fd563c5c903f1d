//! Renewal: a device-signed request, a new key and expiry offered, applied
//! on confirmation (see [`Center::confirm`]).

use ippun_core::ErrorCode;
use ippun_core::protocol::{self, Bytes, OfferFields, Purpose, RenewOffer, RenewStart, SessionId};

use super::{ApiError, Center};
use crate::CenterError;
use crate::data::sessions::{self, NewSession, SessionKind};
use crate::data::tokens::{Rekey, TokenStatus};
use crate::data::{Action, Actor, AuditEntry, Outcome, Who, services, users};

impl Center {
    /// Renewal: checks the device signature and the token's state, then
    /// offers a new key and expiry (applied on confirmation). Refusals in
    /// this order: suspended (S3B5), not active (S3B3), outside the renewal
    /// window (S3E4), transaction confirmation waiting (S3D3, S3D4).
    pub async fn renew_start(&self, start: RenewStart) -> Result<RenewOffer, ApiError> {
        let token = self
            .signed_request(
                start.version,
                &start.serial,
                &start.nonce,
                Purpose::Renew,
                |key| protocol::check_renew_start(&start, key),
            )
            .await?;
        let now = self.now();
        let who = Who::token(&token.service_id, &token.user_id, &start.serial);
        let act = Action::Renew;
        if users::suspended(self.db(), &token.service_id, &token.user_id).await? {
            return Err(self.refuse(act, who, ErrorCode::S3B5).await?);
        }
        if token.status != TokenStatus::Active {
            return Err(self.refuse(act, who, ErrorCode::S3B3).await?);
        }
        if now >= token.expires_at
            || now
                < token
                    .expires_at
                    .saturating_sub(self.config().renewal_window_secs)
        {
            return Err(self.refuse(act, who, ErrorCode::S3E4).await?);
        }
        // Renewal re-keys the token, and the answers of transaction
        // confirmation are keyed by it: not while a start or a transaction
        // waits for the app.
        if let Some(code) = self.tx_blocks_renewal(&start.serial, now).await? {
            return Err(self.refuse(act, who, code).await?);
        }
        let service = services::get(self.db(), &token.service_id)
            .await?
            .ok_or_else(|| CenterError::NotFound(token.service_id.clone()))?;
        let validity = users::validity(self.db(), &token.service_id, &token.user_id)
            .await?
            .unwrap_or(service.validity_days);
        // The new period starts at the old expiry: renewing early loses nothing.
        let expires_at = token
            .expires_at
            .saturating_add(validity.saturating_mul(86_400));
        let (eph, _) = protocol::ephemeral()?;
        let session: SessionId = Bytes::random()?;
        let fields = OfferFields {
            session,
            serial: start.serial.clone(),
            expires_at,
            params: service.params,
            service: service.info,
            center_time: now,
        };
        let c = protocol::center_renew(&start, &fields, self.signing(), &eph, Bytes::random()?)?;
        let rekey = Rekey {
            key_enc: self
                .master()
                .seal(start.serial.as_bytes(), &c.derived.token_key)?,
            expires_at,
            params: service.params,
        };
        let mut w = self.db().write(now).await?;
        sessions::insert(
            &mut w,
            &NewSession {
                id: &session,
                kind: SessionKind::Renew,
                serial: &start.serial,
                app_nonce: &start.app_nonce,
                derived: &c.derived,
                expires_at: now + self.config().session_ttl_secs,
                rekey: Some(&rekey),
            },
        )
        .await?;
        w.audit(AuditEntry::new(Actor::App, act, who, Outcome::Offered))
            .await?;
        w.commit().await?;
        Ok(c.offer)
    }
}
