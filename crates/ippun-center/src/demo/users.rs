//! The demo center: seeded services and one ready user per scenario, so
//! that every S-code can be reproduced on demand.

use serde::Serialize;
use sqlx::Row;

use crate::admin::{self, ServiceSpec};
use crate::center::audit;
use crate::tx::{BankError, NewTransaction};
use crate::{Center, CenterError, RelyingParty, to_db};

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
    /// Demo only: what the center does right after setup completes.
    #[serde(skip)]
    after_setup: Option<&'static str>,
    /// Demo only: token validity for this user, in days.
    #[serde(skip)]
    validity_days: Option<u64>,
    /// Demo only: how the user is seeded.
    #[serde(skip)]
    seed: Seed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seed {
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
    after_setup: Option<&'static str>,
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
            Some("reissue"),
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
            Some("suspend"),
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
            Some("extend"),
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
            Some("expire"),
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
            Some("tx-demo"),
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
            Some("tx-start"),
            Some(90),
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
            Some("tx-waiting"),
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

/// Seeds the demo services and users, unless the database already has
/// services (a demo database that is reused keeps its state).
pub async fn seed(center: &Center) -> Result<bool, CenterError> {
    let has = sqlx::query("SELECT 1 FROM services LIMIT 1")
        .fetch_optional(center.pool())
        .await?;
    if has.is_some() {
        return Ok(false);
    }
    let services = [
        ServiceSpec {
            id: SERVICE.into(),
            name: "Demo Bank".into(),
            logo_url: Some("https://bank.example/logo.png".into()),
            link_url: Some("https://bank.example/".into()),
            algorithm: "sha1".into(),
            digits: 6,
            period: 60,
            validity_days: 365,
            open: true,
        },
        ServiceSpec {
            id: SERVICE_2.into(),
            name: "Demo Shinkin".into(),
            logo_url: None,
            link_url: Some("https://shinkin.example/".into()),
            algorithm: "sha256".into(),
            digits: 8,
            period: 60,
            validity_days: 730,
            open: true,
        },
        ServiceSpec {
            id: CLOSED_SERVICE.into(),
            name: "Closed Bank".into(),
            logo_url: None,
            link_url: None,
            algorithm: "sha1".into(),
            digits: 6,
            period: 60,
            validity_days: 365,
            open: false,
        },
    ];
    for s in &services {
        admin::add_service(center, s, "demo").await?;
    }
    admin::set_tx_confirmation(center, SERVICE, true, "demo").await?;
    let now = center.now();
    for u in users() {
        if u.seed == Seed::Absent {
            continue;
        }
        admin::add_user(
            center,
            u.service_id,
            u.user_id,
            Some(u.activation_password),
            u.validity_days,
            "demo",
        )
        .await?;
        let pool = center.pool();
        if let Some(hook) = u.after_setup {
            sqlx::query(
                "UPDATE users SET demo_after_setup = $1 WHERE service_id = $2 AND user_id = $3",
            )
            .bind(hook)
            .bind(u.service_id)
            .bind(u.user_id)
            .execute(pool)
            .await?;
        }
        match u.seed {
            Seed::Ready | Seed::Absent => {}
            Seed::Suspended => {
                admin::set_suspended(center, u.service_id, u.user_id, true, "demo").await?;
            }
            Seed::Locked => {
                sqlx::query(
                    "UPDATE users SET failures = $1 WHERE service_id = $2 AND user_id = $3",
                )
                .bind(center.config().max_activation_failures)
                .bind(u.service_id)
                .bind(u.user_id)
                .execute(pool)
                .await?;
            }
            Seed::PasswordExpired => {
                sqlx::query("UPDATE users SET activation_expires_at = $1 WHERE service_id = $2 AND user_id = $3")
                    .bind(to_db(now.saturating_sub(86_400)))
                    .bind(u.service_id)
                    .bind(u.user_id)
                    .execute(pool)
                    .await?;
            }
            Seed::Active => admin::seed_active_token(center, u.service_id, u.user_id).await?,
        }
    }
    admin::add_api_key(center, SERVICE, "demo web site", VERIFY_KEY, "demo").await?;
    Ok(true)
}

/// A demo user's hook (`demo_after_setup`), if it has one.
async fn hook_of(center: &Center, sid: &str, uid: &str) -> Result<Option<String>, CenterError> {
    let row =
        sqlx::query("SELECT demo_after_setup FROM users WHERE service_id = $1 AND user_id = $2")
            .bind(sid)
            .bind(uid)
            .fetch_optional(center.pool())
            .await?;
    Ok(row.and_then(|r| {
        r.try_get::<Option<String>, _>("demo_after_setup")
            .ok()
            .flatten()
    }))
}

/// Applies a demo user's after-setup act, if it has one.
pub(crate) async fn after_setup(
    center: &Center,
    sid: &str,
    uid: &str,
    serial: &str,
) -> Result<(), CenterError> {
    let Some(hook) = hook_of(center, sid, uid).await? else {
        return Ok(());
    };
    let now = center.now();
    match hook.as_str() {
        "suspend" => admin::set_suspended(center, sid, uid, true, "demo").await?,
        "reissue" => {
            admin::reissue(center, sid, uid, Some(REISSUE_PASSWORD), "demo").await?;
        }
        "extend" => admin::set_expiry(center, serial, now + 3 * 365 * 86_400, "demo").await?,
        "expire" => admin::set_expiry(center, serial, now, "demo").await?,
        "tx-start" | "tx-demo" => {
            demo_bank_start(center, uid).await?;
        }
        "tx-waiting" => {
            // As if the app had completed the start at once.
            sqlx::query("UPDATE tokens SET tx_enabled = 1 WHERE serial = $1")
                .bind(serial)
                .execute(center.pool())
                .await?;
            post_samples(center, uid, 1).await?;
        }
        other => {
            audit(
                center.pool(),
                now,
                "demo",
                "after-setup",
                (Some(sid), Some(uid), Some(serial)),
                "unknown hook",
                Some(other),
            )
            .await?;
        }
    }
    Ok(())
}

fn demo_bank() -> RelyingParty {
    RelyingParty {
        key_id: VERIFY_KEY_ID.to_owned(),
        service_id: SERVICE.to_owned(),
    }
}

/// The key ID inside [`VERIFY_KEY`].
const VERIFY_KEY_ID: &str = "de0000000001";

async fn demo_bank_start(center: &Center, uid: &str) -> Result<(), CenterError> {
    match center.tx_request_start(&demo_bank(), uid).await {
        Ok(_) => Ok(()),
        Err(BankError::Internal(e)) => Err(e),
        Err(other) => Err(CenterError::Conflict(format!("demo start: {other:?}"))),
    }
}

/// Sample transfers the demo bank posts (a day to answer them).
const SAMPLES: [(&str, &str, &str, &str); 2] = [
    (
        "ヤマダ タロウ",
        "Demo Bank Shibuya 001 1234567",
        "150000",
        "Rent for December",
    ),
    (
        "Example Trading Co.",
        "Demo Shinkin Main 100 7654321",
        "3980",
        "Invoice 2026-1125",
    ),
];

async fn post_samples(center: &Center, uid: &str, count: usize) -> Result<(), CenterError> {
    for (payee, account, amount, reference) in SAMPLES.iter().take(count) {
        let new = NewTransaction {
            service: SERVICE.to_owned(),
            user: uid.to_owned(),
            payee: (*payee).to_owned(),
            account: (*account).to_owned(),
            amount: (*amount).to_owned(),
            currency: "JPY".to_owned(),
            reference: (*reference).to_owned(),
            expires_in_secs: Some(86_400),
        };
        match center.tx_post(&demo_bank(), &new).await {
            Ok(_) => {}
            Err(BankError::Internal(e)) => return Err(e),
            Err(other) => return Err(CenterError::Conflict(format!("demo post: {other:?}"))),
        }
    }
    Ok(())
}

/// After the app completes a start: the demo's `tx-user` gets two sample
/// transfers to answer.
pub(crate) async fn after_tx_enable(
    center: &Center,
    sid: &str,
    uid: &str,
) -> Result<(), CenterError> {
    if hook_of(center, sid, uid).await?.as_deref() == Some("tx-demo") {
        post_samples(center, uid, SAMPLES.len()).await?;
    }
    Ok(())
}

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
