//! The center's side: checking the app's requests, signing offers and
//! replies, and deriving the same keys.

use std::fmt;

use ed25519_dalek::{SigningKey, VerifyingKey};
use x25519_dalek::{PublicKey, StaticSecret};

use super::{
    B32, Bytes, Confirm, CorrectRequest, Corrected, Derived, Nonce, ProtocolError, ProvisionOffer,
    ProvisionStart, RenewOffer, RenewStart, ServiceInfo, SessionId, VERSION, check_version,
    correct_reply_transcript, correct_request_transcript, mac_eq, provision_transcript,
    renew_request_transcript, renew_transcript, sign, verify_device,
};
use crate::otp::OtpParams;

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
    let derived = super::derive(
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
    let derived = super::derive(
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
