//! The flows that talk to a center — setup, renewal, correction,
//! transaction confirmation — shared by
//! the command line and the window. They return results and catalogue
//! errors and print nothing.
//!
//! The vault sits behind a mutex that is held only while the vault is read
//! or changed, never across a network call, so the window keeps showing
//! codes while a flow waits for the center. A flow checks its cancel flag
//! before each request: a cancelled flow stops before the next leg and
//! leaves the vault as the protocol allows (a setup whose confirmation was
//! sent stays pending and is completed by the next setup of the same user).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use ippun_core::protocol::{
    self, AppProvision, AppRenew, Bytes, CenterKey, Challenge, ChallengeRequest, Confirm,
    Confirmed, Corrected, ProvisionOffer, Purpose, RenewOffer, paths,
};
use ippun_core::token::{PendingConfirm, PendingRenewal, Provisioning, SecretBytes};
use ippun_core::{
    Clock, Error, ErrorCode, NetPhase, NewToken, Token, TokenState, Vault, txconfirm,
};
use zeroize::Zeroizing;

use crate::client::{Answer, Client};

/// Checks the fields of the setup form before anything is sent (A911).
pub fn check_setup_fields(service_id: &str, user_id: &str, password: &str) -> Result<(), Error> {
    let bad = |what: &str| Err(Error::new(ErrorCode::A911).with_detail(what.to_owned()));
    if !service_id_ok(service_id) {
        return bad("service ID");
    }
    if !user_id_ok(user_id) {
        return bad("user ID");
    }
    if !password_ok(password) {
        return bad("activation password");
    }
    Ok(())
}

pub use ippun_core::ids::{service_id_ok, user_id_ok};

/// 4–64 printable ASCII characters.
pub fn password_ok(s: &str) -> bool {
    (4..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
}

/// Where a new token comes from.
#[derive(Debug, Clone)]
pub struct Center {
    /// The center's address (already checked with `client::check_url`).
    pub url: String,
    /// The center's pinned key.
    pub key: CenterKey,
}

/// What correction learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Correction {
    /// Device clock minus center clock, in seconds (positive: ahead).
    pub offset_seconds: i64,
    /// The same in steps.
    pub offset_steps: i64,
}

/// The vault behind its mutex (A999 if a thread panicked while holding it).
pub fn lock(vault: &Mutex<Vault>) -> Result<MutexGuard<'_, Vault>, Error> {
    vault
        .lock()
        .map_err(|_| Error::new(ErrorCode::A999).with_detail("token data lock poisoned"))
}

fn check_cancel(cancel: &AtomicBool) -> Result<(), Error> {
    if cancel.load(Ordering::Acquire) {
        Err(Error::new(ErrorCode::A999).with_detail("cancelled by the user"))
    } else {
        Ok(())
    }
}

fn hex32(text: &str) -> Result<Bytes<32>, Error> {
    Bytes::from_hex(text)
        .ok_or_else(|| Error::new(ErrorCode::A996).with_detail("pending confirmation"))
}

/// Completes a setup of `service_id` + `user_id` whose confirmation the
/// center never acknowledged. `Ok(Some(id))`: the token is active now;
/// `Ok(None)`: nothing was pending, or the center no longer knew the session
/// (the pending token is then removed so that setup can start afresh).
pub fn resume_setup(
    vault: &Mutex<Vault>,
    center: &Center,
    service_id: &str,
    user_id: &str,
    clock: &dyn Clock,
) -> Result<Option<u64>, Error> {
    let pending = lock(vault)?
        .tokens()
        .tokens()
        .iter()
        .find(|t| {
            t.service_id == service_id
                && t.user_id == user_id
                && t.provisioning == Provisioning::Pending
        })
        .map(|t| (t.id, t.pending_confirm.clone()));
    let Some((id, p)) = pending else {
        return Ok(None);
    };
    if let Some(p) = p {
        let client = Client::new(&center.url, NetPhase::Setup, clock)?;
        if confirm(&client, paths::PROVISION_CONFIRM, &p)? {
            lock(vault)?.update_token(id, |t| {
                t.provisioning = Provisioning::Active;
                t.pending_confirm = None;
                t.clock_offset_secs = client.clock_offset();
            })?;
            return Ok(Some(id));
        }
    }
    lock(vault)?.delete_token(id)?;
    Ok(None)
}

/// Sets up a new token: the two legs of the provisioning exchange. The
/// token is kept (pending) before the confirmation is sent, so that a lost
/// reply can be completed by [`resume_setup`].
pub fn setup(
    vault: &Mutex<Vault>,
    center: &Center,
    service_id: &str,
    user_id: &str,
    password: &Zeroizing<String>,
    clock: &dyn Clock,
    cancel: &AtomicBool,
) -> Result<u64, Error> {
    check_setup_fields(service_id, user_id, password)?;
    lock(vault)?.tokens().check_add(service_id, user_id)?;
    let client = Client::new(&center.url, NetPhase::Setup, clock)?;
    let app = AppProvision::new(service_id, user_id, password, clock.unix_seconds())
        .map_err(|e| client.reply_failure(e))?;
    check_cancel(cancel)?;
    let offer: ProvisionOffer = client.call(paths::PROVISION_START, app.request())?;
    let accepted = app
        .accept(offer, &center.key)
        .map_err(|e| client.reply_failure(e))?;
    check_cancel(cancel)?;
    let o = &accepted.offer;
    let pending = PendingConfirm {
        session: o.session.to_hex(),
        app_confirm: accepted.derived.app_confirm.to_hex(),
        center_confirm: accepted.derived.center_confirm.to_hex(),
    };
    let id = lock(vault)?.add_token(
        NewToken {
            service_id: o.service.id.clone(),
            service_name: o.service.name.clone(),
            user_id: user_id.to_owned(),
            serial: o.serial.clone(),
            expires_at: o.expires_at,
            logo_url: o.service.logo_url.clone(),
            link_url: o.service.link_url.clone(),
            params: o.params,
            secret: SecretBytes::new(accepted.derived.token_key.to_vec()),
            device_signing_key: Some(SecretBytes::new(accepted.device.to_bytes().to_vec())),
            provisioning: Provisioning::Pending,
            center_url: Some(center.url.clone()),
            center_key: Some(center.key.to_string()),
            pending_confirm: Some(pending.clone()),
        },
        clock,
    )?;
    if !confirm(&client, paths::PROVISION_CONFIRM, &pending)? {
        // The session vanished between the two legs: the setup did not happen.
        lock(vault)?.delete_token(id)?;
        return Err(Error::new(ErrorCode::A003).with_detail("session unknown at confirmation"));
    }
    let tx_confirmation = o.service.tx_confirmation;
    lock(vault)?.update_token(id, |t| {
        t.provisioning = Provisioning::Active;
        t.pending_confirm = None;
        t.clock_offset_secs = client.clock_offset();
        t.tx_confirmation = tx_confirmation;
    })?;
    Ok(id)
}

/// Sends a key confirmation. `Ok(true)`: acknowledged and checked;
/// `Ok(false)`: the center does not know the session.
fn confirm(client: &Client<'_>, path: &str, p: &PendingConfirm) -> Result<bool, Error> {
    let session = Bytes::<16>::from_hex(&p.session)
        .ok_or_else(|| Error::new(ErrorCode::A996).with_detail("pending session"))?;
    let req = Confirm {
        version: protocol::VERSION,
        session,
        app_confirm: hex32(&p.app_confirm)?,
    };
    match client.post::<_, Confirmed>(path, &req)? {
        Answer::Ok(reply) => {
            protocol::check_confirmed(&reply, &hex32(&p.center_confirm)?)
                .map_err(|e| client.reply_failure(e))?;
            Ok(true)
        }
        Answer::Rejected(404, _) => Ok(false),
        Answer::Refused(code) => Err(Error::new(code)),
        Answer::Rejected(status, b) => {
            let phase = if path == paths::RENEW_CONFIRM {
                NetPhase::Renewal
            } else {
                NetPhase::Setup
            };
            Err(Error::new(ErrorCode::communication(
                phase,
                ippun_core::CommFailure::HttpStatus,
            ))
            .with_detail(format!("HTTP {status} {}", b.error)))
        }
    }
}

/// A token's link to its center: address, pinned key, device key.
struct Bound {
    url: String,
    key: CenterKey,
    device: ed25519_dalek::SigningKey,
}

fn bound(token: &Token) -> Result<Bound, Error> {
    let missing =
        |what: &str| Error::new(ErrorCode::A999).with_detail(format!("token has no {what}"));
    let url = token.center_url.clone().ok_or_else(|| missing("center"))?;
    crate::client::check_url(&url)
        .map_err(|_| Error::new(ErrorCode::A999).with_detail("token's center address refused"))?;
    let key = token
        .center_key
        .as_deref()
        .and_then(CenterKey::parse)
        .ok_or_else(|| missing("center key"))?;
    let device = token
        .device_signing_key
        .as_ref()
        .and_then(|k| protocol::signing_key(k.expose()))
        .ok_or_else(|| missing("device key"))?;
    Ok(Bound { url, key, device })
}

fn token(vault: &Mutex<Vault>, id: u64) -> Result<Token, Error> {
    lock(vault)?
        .tokens()
        .get(id)
        .cloned()
        .ok_or_else(|| Error::new(ErrorCode::A999).with_detail("no token with this id"))
}

fn challenge(client: &Client<'_>, serial: &str, purpose: Purpose) -> Result<Challenge, Error> {
    client.call(
        paths::CHALLENGE,
        &ChallengeRequest {
            version: protocol::VERSION,
            serial: serial.to_owned(),
            purpose,
        },
    )
}

/// Renews a token's key and expiry. Refused on this device before any
/// traffic when the token is pending (S3B3) or outside the renewal period
/// (S3E4). A renewal agreed but not acknowledged is completed first.
pub fn renew(
    vault: &Mutex<Vault>,
    id: u64,
    clock: &dyn Clock,
    cancel: &AtomicBool,
) -> Result<(), Error> {
    let token = token(vault, id)?;
    match token.state(clock.unix_seconds()) {
        TokenState::Pending => return Err(ErrorCode::S3B3.into()),
        TokenState::Expired | TokenState::Active if token.pending_renewal.is_none() => {
            return Err(Error::new(ErrorCode::S3E4)
                .with_detail("outside the renewal period on this device"));
        }
        _ => {}
    }
    let b = bound(&token)?;
    let client = Client::new(&b.url, NetPhase::Renewal, clock)?;

    if let Some(p) = token.pending_renewal.clone() {
        check_cancel(cancel)?;
        if confirm(&client, paths::RENEW_CONFIRM, &p.confirm)? {
            return apply_renewal(vault, id, p, client.clock_offset());
        }
        lock(vault)?.update_token(id, |t| t.pending_renewal = None)?;
    }

    check_cancel(cancel)?;
    let ch = challenge(&client, &token.serial, Purpose::Renew)?;
    let app =
        AppRenew::new(&token.serial, ch.nonce, &b.device).map_err(|e| client.reply_failure(e))?;
    check_cancel(cancel)?;
    let offer: RenewOffer = client.call(paths::RENEW_START, app.request())?;
    let acc = app
        .accept(offer, &b.key)
        .map_err(|e| client.reply_failure(e))?;
    check_cancel(cancel)?;
    let pending = PendingRenewal {
        confirm: PendingConfirm {
            session: acc.offer.session.to_hex(),
            app_confirm: acc.derived.app_confirm.to_hex(),
            center_confirm: acc.derived.center_confirm.to_hex(),
        },
        secret: SecretBytes::new(acc.derived.token_key.to_vec()),
        expires_at: acc.offer.expires_at,
        params: acc.offer.params,
    };
    // Kept before sending, so that a lost reply can be completed later.
    lock(vault)?.update_token(id, |t| t.pending_renewal = Some(pending.clone()))?;
    if !confirm(&client, paths::RENEW_CONFIRM, &pending.confirm)? {
        lock(vault)?.update_token(id, |t| t.pending_renewal = None)?;
        return Err(Error::new(ErrorCode::A303).with_detail("session unknown at confirmation"));
    }
    apply_renewal(vault, id, pending, client.clock_offset())
}

fn apply_renewal(
    vault: &Mutex<Vault>,
    id: u64,
    p: PendingRenewal,
    offset: Option<i64>,
) -> Result<(), Error> {
    lock(vault)?.update_token(id, move |t| {
        t.secret = p.secret;
        t.expires_at = p.expires_at;
        t.params = p.params;
        t.pending_renewal = None;
        t.renewal_postponed_at = None;
        if offset.is_some() {
            t.clock_offset_secs = offset;
        }
    })
}

/// Password correction: the center learns this device's clock offset from
/// the codes of the device's current step and the next one. Refused before
/// any traffic for an expired or pending token (S4E3).
pub fn correct(
    vault: &Mutex<Vault>,
    id: u64,
    clock: &dyn Clock,
    cancel: &AtomicBool,
) -> Result<Correction, Error> {
    let token = token(vault, id)?;
    if matches!(
        token.state(clock.unix_seconds()),
        TokenState::Expired | TokenState::Pending
    ) {
        return Err(ErrorCode::S4E3.into());
    }
    let b = bound(&token)?;
    let client = Client::new(&b.url, NetPhase::Correction, clock)?;
    check_cancel(cancel)?;
    let ch = challenge(&client, &token.serial, Purpose::Correct)?;
    let g = token.generator()?;
    let now = clock.unix_seconds();
    let step = g
        .counter_at(now)
        .map_err(|e| Error::new(ErrorCode::A999).with_detail(format!("{e:?}")))?;
    let otps = [
        g.code_at_counter(step).to_string(),
        g.code_at_counter(step.saturating_add(1)).to_string(),
    ];
    let req = protocol::correct_request(&token.serial, ch.nonce, otps, now, &b.device);
    check_cancel(cancel)?;
    let reply: Corrected = client.call(paths::CORRECT, &req)?;
    protocol::check_corrected(&req, &reply, &b.key).map_err(|e| client.reply_failure(e))?;
    let offset = client.clock_offset();
    lock(vault)?.update_token(id, |t| {
        t.drift_steps = reply.offset_steps;
        t.clock_offset_secs = offset;
    })?;
    Ok(Correction {
        offset_seconds: reply.offset_seconds,
        offset_steps: reply.offset_steps,
    })
}

/// What waits for the user in transaction confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxInbox {
    /// Confirmation is in use for this token.
    pub enabled: bool,
    /// The bank asked to start confirmation; the app completes it with
    /// [`tx_start`].
    pub start: Option<txconfirm::PendingStart>,
    /// Transactions waiting for an answer, oldest first, exactly as the
    /// center signed them.
    pub transactions: Vec<txconfirm::Transaction>,
    /// Center time of the list.
    pub center_time: u64,
}

/// What every transaction-confirmation request starts from: the token, its
/// center, a client and a fresh center nonce.
struct TxCall<'c> {
    token: Token,
    bound: Bound,
    client: Client<'c>,
    nonce: protocol::Nonce,
}

fn tx_call<'c>(
    vault: &Mutex<Vault>,
    id: u64,
    clock: &'c dyn Clock,
    cancel: &AtomicBool,
) -> Result<TxCall<'c>, Error> {
    let token = token(vault, id)?;
    if token.provisioning != Provisioning::Active {
        return Err(Error::new(ErrorCode::S5A1).with_detail("setup not complete on this device"));
    }
    if token.pending_renewal.is_some() {
        // Answers are keyed by the token key, which an unfinished renewal
        // may have changed at the center: finish the renewal first.
        return Err(Error::new(ErrorCode::A310).with_detail("renewal not finished"));
    }
    let bound = bound(&token)?;
    let client = Client::new(&bound.url, NetPhase::Transaction, clock)?;
    check_cancel(cancel)?;
    let nonce = challenge(&client, &token.serial, Purpose::Tx)?.nonce;
    check_cancel(cancel)?;
    Ok(TxCall {
        token,
        bound,
        client,
        nonce,
    })
}

/// Fetches what waits (device-signed; the list is checked against the
/// center's signature). A token that turns out to have confirmation is
/// marked so, and shows the tab from then on.
pub fn tx_list(
    vault: &Mutex<Vault>,
    id: u64,
    clock: &dyn Clock,
    cancel: &AtomicBool,
) -> Result<TxInbox, Error> {
    let TxCall {
        token,
        bound,
        client,
        nonce,
    } = tx_call(vault, id, clock, cancel)?;
    let req = txconfirm::list_request(&token.serial, nonce, &bound.device);
    let list: txconfirm::List = client.call(paths::TX_LIST, &req)?;
    txconfirm::check_list(&req, &list, &bound.key).map_err(|e| client.reply_failure(e))?;
    let has = list.enabled || list.start.is_some();
    if has && !token.tx_confirmation {
        lock(vault)?.update_token(id, |t| t.tx_confirmation = true)?;
    }
    Ok(TxInbox {
        enabled: list.enabled,
        start: list.start,
        transactions: list.transactions,
        center_time: list.center_time,
    })
}

/// Completes the start of transaction confirmation the bank asked for.
pub fn tx_start(
    vault: &Mutex<Vault>,
    id: u64,
    start_id: &str,
    clock: &dyn Clock,
    cancel: &AtomicBool,
) -> Result<(), Error> {
    let c = tx_call(vault, id, clock, cancel)?;
    let req = txconfirm::start_request(
        &c.token.serial,
        c.nonce,
        start_id,
        c.token.secret.expose(),
        &c.bound.device,
    )
    .map_err(|e| c.client.reply_failure(e))?;
    let reply: txconfirm::Started = c.client.call(paths::TX_ENABLE, &req)?;
    txconfirm::check_started(&req, &reply, &c.bound.key).map_err(|e| c.client.reply_failure(e))?;
    lock(vault)?.update_token(id, |t| t.tx_confirmation = true)
}

/// Answers a transaction as shown to the user. Returns the eight-digit
/// confirmation code that the answer carried (bound to the data and the
/// decision), for the user's records.
pub fn tx_answer(
    vault: &Mutex<Vault>,
    id: u64,
    tx: &txconfirm::Transaction,
    decision: txconfirm::Decision,
    clock: &dyn Clock,
    cancel: &AtomicBool,
) -> Result<String, Error> {
    let c = tx_call(vault, id, clock, cancel)?;
    let req = txconfirm::answer_request(
        &c.token.serial,
        c.nonce,
        tx,
        decision,
        c.token.secret.expose(),
        &c.bound.device,
    )
    .map_err(|e| c.client.reply_failure(e))?;
    let reply: txconfirm::Answered = c.client.call(paths::TX_ANSWER, &req)?;
    txconfirm::check_answered(&req, &reply, &c.bound.key).map_err(|e| c.client.reply_failure(e))?;
    Ok(req.response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_fields_are_checked_before_sending() {
        assert!(check_setup_fields("DEMO-BANK", "taro.yamada", "abcd-1234").is_ok());
        assert!(check_setup_fields("DEMO-BANK", "花子", "abcd").is_ok());
        for (s, u, p) in [
            ("", "u", "abcd"),
            ("DEMO BANK", "u", "abcd"),
            (&"X".repeat(33) as &str, "u", "abcd"),
            ("S", "", "abcd"),
            ("S", "a b", "abcd"),
            ("S", "u\t", "abcd"),
            ("S", "u", "abc"),
            ("S", "u", "ab cd"),
            ("S", "u", "パスワード"),
            ("S", "u", &"p".repeat(65)),
        ] {
            assert_eq!(
                check_setup_fields(s, u, p).unwrap_err(),
                ErrorCode::A911,
                "{s:?} {u:?} {p:?}"
            );
        }
    }

    #[test]
    fn a_cancelled_flow_stops() {
        let flag = AtomicBool::new(false);
        assert!(check_cancel(&flag).is_ok());
        flag.store(true, Ordering::Release);
        assert!(check_cancel(&flag).is_err());
    }
}
