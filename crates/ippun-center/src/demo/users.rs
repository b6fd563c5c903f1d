//! The demo's scenario table: its services and one ready user per
//! scenario, so that every S-code can be reproduced on demand.

use serde::Serialize;

/// The demo's main service.
pub const SERVICE: &str = "DEMO-BANK";
/// A second service with other parameters.
pub const SERVICE_2: &str = "DEMO-SHINKIN";
/// A service that exists but is closed for setup.
pub const CLOSED_SERVICE: &str = "CLOSED-BANK";
/// A service ID the center does not know.
pub const UNKNOWN_SERVICE: &str = "NO-SUCH-BANK";
/// The activation password the demo's re-issue hook gives out.
pub const REISSUE_PASSWORD: &str = "reissue-0000";
/// The verify-API key of [`SERVICE`] on the demo center, well known like
/// the demo users' activation passwords, so that a bank's developers can
/// try `POST /v1/verify` against a demo token at once.
pub const VERIFY_KEY: &str =
    "ipk_de0000000001_0000000000000000000000000000000000000000000000000000000000000001";

/// One ready user, as `ippun-center demo --list-users --json` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DemoUser {
    /// Service ID to enter.
    pub service_id: &'static str,
    /// User ID to enter.
    pub user_id: &'static str,
    /// Activation password to enter.
    pub activation_password: &'static str,
    /// What the user shows.
    pub scenario: &'static str,
    /// The phase where the code appears: setup, renewal, correction or
    /// transaction.
    pub phase: &'static str,
    /// The code the app shows in that phase; `null` when it succeeds.
    pub expected_code: Option<&'static str>,
    /// Run the app with its clock this far from the real time
    /// (`--fake-time`) to see the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_clock_offset_secs: Option<i64>,
    /// What the demo bank does right after setup completes.
    #[serde(skip)]
    pub(crate) after_setup: Option<AfterSetup>,
    /// Token validity for this user, in days.
    #[serde(skip)]
    pub(crate) validity_days: Option<u64>,
    /// How the user is seeded.
    #[serde(skip)]
    pub(crate) seed: Seed,
}

/// What the demo bank does right after a user's setup completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterSetup {
    /// Re-issues the user (the old token cannot renew: S3B3).
    Reissue,
    /// Suspends the user (S3B5).
    Suspend,
    /// Moves the expiry years away (renewal too early: S3E4).
    Extend,
    /// Ends the token now (S4E3).
    Expire,
    /// Starts transaction confirmation (renewal waits: S3D3).
    TxStart,
    /// Starts transaction confirmation, and posts two sample transfers
    /// once the app completes the start.
    TxDemo,
    /// Enables transaction confirmation and posts a transfer (S3D4).
    TxWaiting,
}

/// How a demo user is seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seed {
    /// Ready for setup.
    Ready,
    /// Not in the database at all.
    Absent,
    /// Has an active token and no activation password.
    Active,
    /// Ready, then suspended.
    Suspended,
    /// Activation password locked.
    Locked,
    /// Activation password past its validity.
    PasswordExpired,
}

#[allow(clippy::too_many_arguments)]
const fn user(
    service_id: &'static str,
    user_id: &'static str,
    activation_password: &'static str,
    scenario: &'static str,
    phase: &'static str,
    expected_code: Option<&'static str>,
    seed: Seed,
    after_setup: Option<AfterSetup>,
    validity_days: Option<u64>,
    device_clock_offset_secs: Option<i64>,
) -> DemoUser {
    DemoUser {
        service_id,
        user_id,
        activation_password,
        scenario,
        phase,
        expected_code,
        device_clock_offset_secs,
        after_setup,
        validity_days,
        seed,
    }
}

/// Every demo user.
#[allow(clippy::too_many_lines)] // a table
pub fn users() -> Vec<DemoUser> {
    use Seed::{Absent, Active, Locked, PasswordExpired, Ready, Suspended};
    let mut v = vec![
        user(
            SERVICE,
            "demo-user",
            "demo-1111-2222",
            "happy path: setup, codes, correction",
            "setup",
            None,
            Ready,
            None,
            None,
            None,
        ),
        user(
            SERVICE_2,
            "demo-user",
            "demo-3333-4444",
            "happy path on a service with 8-digit SHA-256 codes",
            "setup",
            None,
            Ready,
            None,
            None,
            None,
        ),
        user(
            SERVICE,
            "renew-ok",
            "demo-renew-0001",
            "token expires in 90 days: renewal succeeds",
            "renewal",
            None,
            Ready,
            None,
            Some(90),
            None,
        ),
        user(
            SERVICE,
            "correct-ok",
            "demo-correct-01",
            "device clock 10 minutes fast: correction learns +10 steps",
            "correction",
            None,
            Ready,
            None,
            None,
            Some(600),
        ),
        user(
            UNKNOWN_SERVICE,
            "anyone",
            "demo-0000-0000",
            "service ID unknown to the center",
            "setup",
            Some("S0A1"),
            Absent,
            None,
            None,
            None,
        ),
        user(
            CLOSED_SERVICE,
            "closed-user",
            "demo-closed-01",
            "service exists but is closed for setup",
            "setup",
            Some("S0B1"),
            Ready,
            None,
            None,
            None,
        ),
        user(
            SERVICE,
            "no-such-user",
            "demo-0000-0000",
            "user ID unknown (or activation password wrong)",
            "setup",
            Some("S0C1"),
            Absent,
            None,
            None,
            None,
        ),
        user(
            SERVICE,
            "already-active",
            "demo-active-01",
            "already set up on another device",
            "setup",
            Some("S0B4"),
            Active,
            None,
            None,
            None,
        ),
        user(
            SERVICE,
            "suspended",
            "demo-susp-0001",
            "user suspended by the bank",
            "setup",
            Some("S0B5"),
            Suspended,
            None,
            None,
            None,
        ),
        user(
            SERVICE,
            "password-expired",
            "demo-expd-0001",
            "activation password past its validity",
            "setup",
            Some("S0G1"),
            PasswordExpired,
            None,
            None,
            None,
        ),
        user(
            SERVICE,
            "locked",
            "demo-lock-0001",
            "activation password locked after too many wrong tries",
            "setup",
            Some("S0C4"),
            Locked,
            None,
            None,
            None,
        ),
        user(
            SERVICE,
            "clock-off",
            "demo-clock-001",
            "device clock one hour off at setup",
            "setup",
            Some("S0F1"),
            Ready,
            None,
            None,
            Some(3600),
        ),
        user(
            SERVICE,
            "reissued-after-setup",
            "demo-reiss-001",
            "bank re-issues right after setup; the old token cannot renew",
            "renewal",
            Some("S3B3"),
            Ready,
            Some(AfterSetup::Reissue),
            Some(90),
            None,
        ),
        user(
            SERVICE,
            "suspended-after-setup",
            "demo-susp-0002",
            "bank suspends right after setup; renewal refused",
            "renewal",
            Some("S3B5"),
            Ready,
            Some(AfterSetup::Suspend),
            Some(90),
            None,
        ),
        user(
            SERVICE,
            "renew-too-early",
            "demo-early-001",
            "the app believes renewal is open, the center's expiry is years away",
            "renewal",
            Some("S3E4"),
            Ready,
            Some(AfterSetup::Extend),
            Some(90),
            None,
        ),
        user(
            SERVICE,
            "expired-after-setup",
            "demo-expr-0001",
            "bank ends the token right after setup; correction refused",
            "correction",
            Some("S4E3"),
            Ready,
            Some(AfterSetup::Expire),
            None,
            None,
        ),
        user(
            SERVICE,
            "clock-far-off",
            "demo-far-00001",
            "device clock two days off: beyond the correction bound",
            "correction",
            Some("S4F1"),
            Ready,
            None,
            None,
            Some(2 * 86_400),
        ),
    ];
    v.extend([
        user(
            SERVICE,
            "tx-user",
            "demo-tx-0001",
            "transaction confirmation: start it in the app, then approve or reject two sample transfers",
            "transaction",
            None,
            Ready,
            Some(AfterSetup::TxDemo),
            None,
            None,
        ),
        user(
            SERVICE,
            "tx-starting",
            "demo-txs-0001",
            "bank starts transaction confirmation right after setup; renewal refused until the app completes it",
            "renewal",
            Some("S3D3"),
            Ready,
            Some(AfterSetup::TxStart),
            Some(90),
            None,
        ),
        user(
            SERVICE,
            "tx-faults",
            "demo-txf-0001",
            "bank starts transaction confirmation right after setup: a token to try the transaction codes' faults on",
            "transaction",
            None,
            Ready,
            Some(AfterSetup::TxStart),
            None,
            None,
        ),
        user(
            SERVICE,
            "tx-waiting",
            "demo-txw-0001",
            "a transaction waits for confirmation right after setup; renewal refused until it is answered",
            "renewal",
            Some("S3D4"),
            Ready,
            Some(AfterSetup::TxWaiting),
            Some(90),
            None,
        ),
    ]);
    for (uid, pw) in SPARE {
        v.push(user(
            SERVICE,
            uid,
            pw,
            "spare user for trying faults",
            "setup",
            None,
            Ready,
            None,
            Some(90),
            None,
        ));
    }
    v
}

const SPARE: [(&str, &str); 8] = [
    ("spare-1", "demo-spare-001"),
    ("spare-2", "demo-spare-002"),
    ("spare-3", "demo-spare-003"),
    ("spare-4", "demo-spare-004"),
    ("spare-5", "demo-spare-005"),
    ("spare-6", "demo-spare-006"),
    ("spare-7", "demo-spare-007"),
    ("spare-8", "demo-spare-008"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_setup_renewal_and_correction_s_code_has_a_demo_user() {
        let have: HashSet<&str> = users().iter().filter_map(|u| u.expected_code).collect();
        for code in [
            "S0A1", "S0B1", "S0C1", "S0B4", "S0B5", "S0G1", "S0C4", "S0F1", "S3B3", "S3B5", "S3E4",
            "S3D3", "S3D4", "S4E3", "S4F1",
        ] {
            assert!(have.contains(code), "{code}");
        }
        let ids: HashSet<(&str, &str)> =
            users().iter().map(|u| (u.service_id, u.user_id)).collect();
        assert_eq!(ids.len(), users().len(), "demo users are unique");
    }
}
