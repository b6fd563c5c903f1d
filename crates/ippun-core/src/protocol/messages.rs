//! The wire messages of provisioning, renewal, correction, challenges and
//! the center's error bodies. Unknown fields are refused everywhere
//! (`deny_unknown_fields`).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{B32, Nonce, SessionId, Sig};
use crate::otp::OtpParams;

/// Service details the center sends with a new token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionStart {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Service ID: 1–32 ASCII letters, digits, `-`, `_` and `.`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,32}$"))]
    pub service_id: String,
    /// User ID: 1–64 characters, none a control character, white space
    /// or an invisible format character.
    #[schemars(length(min = 1, max = 64))]
    pub user_id: String,
    /// Activation password from the bank's letter, 1–128 bytes of UTF-8
    /// (never logged, never part of a transcript).
    #[schemars(with = "String", length(min = 1))]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionOffer {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Session, named in the confirmation.
    pub session: SessionId,
    /// Center nonce.
    pub center_nonce: Nonce,
    /// Center ephemeral X25519 public key.
    pub center_ephemeral: B32,
    /// Eight-digit serial number.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The session of the offer.
    pub session: SessionId,
    /// HMAC over the transcript hash with the confirmation key.
    pub app_confirm: B32,
}

/// The center's answer to a confirmation.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirmed {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The center's HMAC over the transcript hash.
    pub center_confirm: B32,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

/// What a fresh center nonce is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Token serial: eight digits.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
    pub serial: String,
    /// What the nonce will be used for.
    pub purpose: Purpose,
}

/// A center nonce, valid once and for a few minutes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The nonce.
    pub nonce: Nonce,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

/// Renewal, first signed leg: `POST /v1/renew/start`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewStart {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Token serial: eight digits.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewOffer {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectRequest {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Token serial: eight digits.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
    pub serial: String,
    /// The center nonce from the challenge.
    pub nonce: Nonce,
    /// The codes of the device's current step and the step after it.
    #[schemars(inner(regex(pattern = r"^[0-9]{6,8}$")))]
    pub otps: [String; 2],
    /// Device time, Unix seconds (for the center's log only).
    pub device_time: u64,
    /// Device signature over the correct-request transcript.
    pub signature: Sig,
}

/// The center's correction answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Corrected {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
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
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The S-code, e.g. `"S0C1"`.
    #[schemars(regex(pattern = r"^S[0-9][A-Z][0-9]$"))]
    pub refusal: String,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

/// Every error answer other than a refusal: the request could not be taken
/// (HTTP 400, 401, 404, 408, 409, 413, 415, 429), the center failed (500)
/// or cannot write for now (503), or a bank's key is of another service
/// (403). Clients act on the status; `error` names the case (new names may
/// appear within version 1).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ErrorBody")]
pub struct BadRequest {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Short machine-readable reason, e.g. `"malformed-json"`.
    pub error: String,
    /// What was wrong, for people.
    pub detail: String,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

/// The center's health and identity: `GET /v1/health`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Center time, Unix seconds.
    pub center_time: u64,
    /// The center's public key: `ed25519:` and 64 lowercase hex digits.
    #[schemars(regex(pattern = r"^ed25519:[0-9a-f]{64}$"))]
    pub center_key: String,
}
