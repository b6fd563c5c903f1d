//! Setup: the app's first leg (checks, offer) and its key confirmation
//! (the token becomes active). Confirmation also ends renewal's exchange.

use ippun_core::ErrorCode;
use ippun_core::protocol::{
    self, Bytes, Confirm, Confirmed, OfferFields, ProtocolError, ProvisionOffer, ProvisionStart,
    SessionId,
};

use super::{ApiError, Center};
use crate::CenterError;
use crate::data::sessions::{self, NewSession, SessionKind};
use crate::data::tokens::{self, NewToken, TokenStatus};
use crate::data::{Action, Actor, AuditEntry, Outcome, Who, attempts, users};
use crate::services::events::Event;

/// How long a done session is kept, so that a lost confirmation reply can be
/// fetched again (30 days).
const DONE_SESSION_KEEP_SECS: u64 = 30 * 86_400;

impl Center {
    /// First leg of provisioning. Refusals in this order: service (S0A1,
    /// S0B1), device clock (S0F1); then, for users that exist and users
    /// that do not alike, an attempt is reserved (S0C4 while locked) and
    /// the password checked (S0C1, the last try S0C4); only after the
    /// right password: its validity (S0G1), suspension (S0B5) and a token
    /// already set up (S0B4).
    ///
    /// The check waits for the [hasher](super::admission) first ("busy"
    /// when it is full), so a flood of setups costs bounded memory and CPU
    /// and at most as many attempt writes as checks.
    #[allow(clippy::too_many_lines)] // one flow, read top to bottom
    pub async fn provision_start(&self, start: ProvisionStart) -> Result<ProvisionOffer, ApiError> {
        protocol::check_start(&start)?;
        let now = self.now();
        if sessions::app_nonce_seen(self.db(), &start.app_nonce).await? {
            return Err(ApiError::StaleNonce);
        }
        let sid = start.service_id.as_str();
        let uid = start.user_id.as_str();
        let who = Who::user(sid, uid);
        let act = Action::Provision;
        let Some(service) = crate::data::services::get(self.db(), sid).await? else {
            return Err(self.refuse(act, Who::service(sid), ErrorCode::S0A1).await?);
        };
        if !service.open {
            return Err(self.refuse(act, who, ErrorCode::S0B1).await?);
        }
        if now.abs_diff(start.device_time) > self.config().max_skew_secs {
            return Err(self.refuse(act, who, ErrorCode::S0F1).await?);
        }
        let admitted = self.hasher().admit().await.map_err(|_| ApiError::Busy)?;
        let max = self.config().max_activation_failures.max(1);
        let lock_secs = self.config().activation_lock_secs;
        let mut w = self.db().write(now).await?;
        let attempt = attempts::reserve(&mut w, sid, uid, max, lock_secs).await?;
        w.commit().await?;
        let Some(attempt) = attempt else {
            drop(admitted);
            return Err(self.refuse(act, who, ErrorCode::S0C4).await?);
        };
        let user = users::activation(self.db(), sid, uid).await?;
        let stored = user.as_ref().and_then(|u| u.hash.clone());
        let pw = start.activation_password.clone();
        let right = admitted.check(pw, stored).await?;
        let user = match user {
            Some(u) if right => u,
            _ => {
                let code = if attempt >= max {
                    let mut w = self.db().write(now).await?;
                    attempts::lock(&mut w, sid, uid, now.saturating_add(lock_secs)).await?;
                    w.commit().await?;
                    ErrorCode::S0C4
                } else {
                    ErrorCode::S0C1
                };
                return Err(self.refuse(act, who, code).await?);
            }
        };
        let mut w = self.db().write(now).await?;
        attempts::clear(&mut w, sid, uid).await?;
        w.commit().await?;
        let has_active = tokens::has_active(self.db(), sid, uid).await?;
        if user.used {
            // The password of a setup that completed: it cannot set up
            // again, only tell the customer why.
            let code = if has_active {
                ErrorCode::S0B4
            } else {
                ErrorCode::S0C1
            };
            return Err(self.refuse(act, who, code).await?);
        }
        if user.expires_at.is_some_and(|t| t <= now) {
            return Err(self.refuse(act, who, ErrorCode::S0G1).await?);
        }
        if user.suspended {
            return Err(self.refuse(act, who, ErrorCode::S0B5).await?);
        }
        if has_active {
            return Err(self.refuse(act, who, ErrorCode::S0B4).await?);
        }

        let days = user.validity_days.unwrap_or(service.validity_days);
        let expires_at = now.saturating_add(days.saturating_mul(86_400));
        let mut w = self.db().write(now).await?;
        tokens::delete_pending(&mut w, sid, uid).await?;
        let serial = tokens::new_serial(&mut w).await?;
        let (eph, _) = protocol::ephemeral()?;
        let session: SessionId = Bytes::random()?;
        let fields = OfferFields {
            session,
            serial: serial.clone(),
            expires_at,
            params: service.params,
            service: service.info.clone(),
            center_time: now,
        };
        let c = protocol::center_provision(&start, fields, self.signing(), &eph, Bytes::random()?)?;
        let key_enc = self
            .master()
            .seal(serial.as_bytes(), &c.derived.token_key)?;
        tokens::insert(
            &mut w,
            &NewToken {
                serial: &serial,
                service: sid,
                user: uid,
                status: TokenStatus::Pending,
                key_enc: &key_enc,
                params: service.params,
                device_key: start.device_key.0.as_slice(),
                expires_at,
            },
        )
        .await?;
        sessions::insert(
            &mut w,
            &NewSession {
                id: &session,
                kind: SessionKind::Provision,
                serial: &serial,
                app_nonce: &start.app_nonce,
                derived: &c.derived,
                expires_at: now + self.config().session_ttl_secs,
                rekey: None,
            },
        )
        .await?;
        w.audit(AuditEntry::new(
            Actor::App,
            act,
            Who::token(sid, uid, &serial),
            Outcome::Offered,
        ))
        .await?;
        w.commit().await?;
        tracing::info!(serial, "provisioning offered");
        Ok(c.offer)
    }

    /// Second leg of provisioning or renewal: checks the app's key
    /// confirmation and commits. Repeating a confirmation that was already
    /// taken answers the same again.
    pub async fn confirm(
        &self,
        kind: SessionKind,
        confirm: Confirm,
    ) -> Result<Confirmed, ApiError> {
        if confirm.version != protocol::VERSION {
            return Err(ProtocolError::Version(confirm.version).into());
        }
        let now = self.now();
        let Some(session) = sessions::get(self.db(), &confirm.session, kind).await? else {
            return Err(ApiError::UnknownSession);
        };
        if !session.done && session.expires_at <= now {
            return Err(ApiError::UnknownSession);
        }
        protocol::check_confirm(&confirm, &session.app_confirm)?;
        let reply = Confirmed {
            version: protocol::VERSION,
            center_confirm: session.center_confirm,
            center_time: now,
        };
        if session.done {
            return Ok(reply);
        }
        let serial = session.serial.as_str();
        let mut w = self.db().write(now).await?;
        if !sessions::mark_done(&mut w, &confirm.session, now + DONE_SESSION_KEEP_SECS).await? {
            // Another request committed it a moment ago.
            return Ok(reply);
        }
        let (sid, uid) = tokens::owner(&mut w, serial)
            .await?
            .ok_or(ApiError::UnknownSession)?;
        let action = match kind {
            SessionKind::Provision => {
                if !tokens::activate(&mut w, serial, &sid, &uid).await? {
                    return Err(ApiError::UnknownSession);
                }
                users::mark_activation_used(&mut w, &sid, &uid).await?;
                Action::Provision
            }
            SessionKind::Renew => {
                let rekey = session.rekey.as_ref().ok_or(CenterError::Corrupt(
                    "a renewal session without its new key",
                ))?;
                tokens::rekey(&mut w, serial, rekey).await?;
                Action::Renew
            }
        };
        w.audit(AuditEntry::new(
            Actor::App,
            action,
            Who::token(&sid, &uid, serial),
            Outcome::Confirmed,
        ))
        .await?;
        w.commit().await?;
        tracing::info!(serial, kind = kind.as_str(), "confirmed");
        if kind == SessionKind::Provision {
            self.emit(Event::TokenActivated {
                service: &sid,
                user: &uid,
                serial,
            })
            .await;
        }
        Ok(reply)
    }
}
