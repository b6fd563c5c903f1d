//! The app's side: building requests, checking the center's answers and
//! deriving the token key.

use std::fmt;

use ed25519_dalek::SigningKey;
use x25519_dalek::StaticSecret;
use zeroize::Zeroizing;

use super::{
    B32, Bytes, CenterKey, Confirmed, CorrectRequest, Corrected, Derived, Nonce, ProtocolError,
    ProvisionOffer, ProvisionStart, RenewOffer, RenewStart, VERSION, check_serial, check_version,
    correct_reply_transcript, correct_request_transcript, device_public, ephemeral, mac_eq,
    new_signing_key, provision_transcript, renew_request_transcript, renew_transcript, sign,
};

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
        let derived = super::derive(
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
        let derived = super::derive(
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
