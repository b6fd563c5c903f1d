//! Correction: two consecutive codes from the device find its step within
//! the bound; the drift is stored. The last accepted step is not touched.

use ippun_core::protocol::{self, CorrectRequest, Corrected, Purpose};
use ippun_core::{ErrorCode, Totp};

use super::{ApiError, Center};
use crate::data::tokens::{self, TokenStatus};
use crate::data::{Action, Actor, AuditEntry, Outcome, Who};

impl Center {
    /// Correction: finds the device's step from two consecutive codes within
    /// the bound and stores the drift. Refusals: expired or not active
    /// (S4E3), no match within the bound (S4F1).
    pub async fn correct(&self, req: CorrectRequest) -> Result<Corrected, ApiError> {
        let token = self
            .signed_request(
                req.version,
                &req.serial,
                &req.nonce,
                Purpose::Correct,
                |key| protocol::check_correct_request(&req, key),
            )
            .await?;
        let now = self.now();
        let who = Who::token(&token.service_id, &token.user_id, &req.serial);
        let act = Action::Correct;
        if token.status != TokenStatus::Active || now >= token.expires_at {
            return Err(self.refuse(act, who, ErrorCode::S4E3).await?);
        }
        let totp = self.generator(&token)?;
        let period = token.params.period.secs();
        let center_step = now / period;
        let bound = self.config().correction_bound_secs / period;
        let Some(device_step) = search(&totp, center_step, bound, &req.otps) else {
            return Err(self.refuse(act, who, ErrorCode::S4F1).await?);
        };
        let drift = i64::try_from(i128::from(device_step) - i128::from(center_step)).unwrap_or(0);
        let mut w = self.db().write(now).await?;
        tokens::set_drift(&mut w, &req.serial, drift).await?;
        w.audit(
            AuditEntry::new(Actor::App, act, who, Outcome::Corrected).detail(format!(
                "drift {drift} steps (device time {})",
                req.device_time
            )),
        )
        .await?;
        w.commit().await?;
        let seconds = drift.saturating_mul(i64::try_from(period).unwrap_or(i64::MAX));
        Ok(protocol::center_corrected(
            &req,
            drift,
            seconds,
            now,
            self.signing(),
        ))
    }
}

/// The step whose code is `otps[0]` and whose successor's code is
/// `otps[1]`, searched outwards from `center` up to `bound` steps.
fn search(totp: &Totp, center: u64, bound: u64, otps: &[String; 2]) -> Option<u64> {
    let hit = |k: u64| {
        totp.code_at_counter(k).to_string() == otps[0]
            && k.checked_add(1)
                .is_some_and(|n| totp.code_at_counter(n).to_string() == otps[1])
    };
    (0..=bound).find_map(|d| {
        if let Some(k) = center.checked_add(d).filter(|k| hit(*k)) {
            return Some(k);
        }
        center.checked_sub(d).filter(|k| d > 0 && hit(*k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ippun_core::{OtpParams, SecretKey};

    #[test]
    fn search_finds_the_device_step_on_either_side() {
        let key = SecretKey::from_bytes(b"12345678901234567890".to_vec()).unwrap();
        let totp = Totp::new(&key, OtpParams::default());
        let codes = |k: u64| {
            [
                totp.code_at_counter(k).to_string(),
                totp.code_at_counter(k + 1).to_string(),
            ]
        };
        let c = 29_000_000;
        assert_eq!(search(&totp, c, 1440, &codes(c)), Some(c));
        assert_eq!(search(&totp, c, 1440, &codes(c + 700)), Some(c + 700));
        assert_eq!(search(&totp, c, 1440, &codes(c - 1440)), Some(c - 1440));
        assert_eq!(search(&totp, c, 1440, &codes(c + 1441)), None);
        assert_eq!(search(&totp, 3, 1440, &codes(0)), Some(0));
    }
}
