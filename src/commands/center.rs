//! `ippun token add|renew|correct`: the flows that talk to a center.

use ippun_core::input::format_utc;
use ippun_core::protocol::{
    self, AppProvision, AppRenew, Bytes, CenterKey, Challenge, ChallengeRequest, Confirm,
    Confirmed, Corrected, ProvisionOffer, Purpose, RenewOffer,
};
use ippun_core::token::{PendingConfirm, PendingRenewal, Provisioning, SecretBytes};
use ippun_core::{Error, ErrorCode, NetPhase, NewToken, Token, TokenState, Vault, profile};

use super::{Ctx, Input};
use crate::Failure;
use crate::cli::AddArgs;
use crate::client::{self, Answer, BadUrl, Client};

/// Checks the fields of the setup form before anything is sent (A911).
pub fn check_setup_fields(service_id: &str, user_id: &str, password: &str) -> Result<(), Error> {
    let bad = |what: &str| Err(Error::new(ErrorCode::A911).with_detail(what.to_owned()));
    let sid_ok = (1..=32).contains(&service_id.len())
        && service_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !sid_ok {
        return bad("service ID");
    }
    let uid_ok = (1..=64).contains(&user_id.chars().count())
        && !user_id.chars().any(|c| c.is_control() || c.is_whitespace());
    if !uid_ok {
        return bad("user ID");
    }
    let pw_ok =
        (4..=64).contains(&password.len()) && password.bytes().all(|b| b.is_ascii_graphic());
    if !pw_ok {
        return bad("activation password");
    }
    Ok(())
}

fn url_failure(ctx: &Ctx<'_>, url: &str, e: &BadUrl) -> Failure {
    let id = match e {
        BadUrl::Scheme => "cli-center-url-scheme",
        BadUrl::PlainToRemote => "cli-center-url-plain",
    };
    Failure::Usage(ctx.lang.text_with(id, &[("url", url)]))
}

fn center_key(ctx: &Ctx<'_>, url: &str, given: Option<&str>) -> Result<CenterKey, Failure> {
    if let Some(text) = given {
        return CenterKey::parse(text)
            .ok_or_else(|| Failure::Usage(ctx.lang.text("cli-center-key-bad")));
    }
    profile::find(ctx.home.dir(), url)
        .and_then(|p| p.key())
        .ok_or_else(|| {
            Failure::Usage(
                ctx.lang
                    .text_with("cli-center-key-unknown", &[("url", url)]),
            )
        })
}

fn hex32(text: &str) -> Result<Bytes<32>, Error> {
    Bytes::from_hex(text)
        .ok_or_else(|| Error::new(ErrorCode::A996).with_detail("pending confirmation"))
}

/// `ippun token add`.
pub fn add(
    args: &AddArgs,
    ctx: &Ctx<'_>,
    input: &mut Input,
    vault: &mut Vault,
) -> Result<(), Failure> {
    let url = args.center.trim();
    client::check_url(url).map_err(|e| url_failure(ctx, url, &e))?;
    let key = center_key(ctx, url, args.center_key.as_deref())?;
    let client = Client::new(url, NetPhase::Setup, ctx.clock);

    // A setup whose confirmation was not acknowledged is completed first.
    let pending = vault
        .tokens()
        .tokens()
        .iter()
        .find(|t| {
            t.service_id == args.service_id
                && t.user_id == args.user_id
                && t.provisioning == Provisioning::Pending
        })
        .map(|t| (t.id, t.pending_confirm.clone()));
    if let Some((id, Some(p))) = pending {
        if confirm(&client, "/v1/provision/confirm", &p)? {
            vault.update_token(id, |t| {
                t.provisioning = Provisioning::Active;
                t.pending_confirm = None;
                t.clock_offset_secs = client.clock_offset();
            })?;
            return done(ctx, vault, id);
        }
        // The center no longer knows that session: start afresh.
        vault.delete_token(id)?;
    }
    vault.tokens().check_add(&args.service_id, &args.user_id)?;
    let password = input.line(ctx.lang, "cli-prompt-activation-password")?;
    check_setup_fields(&args.service_id, &args.user_id, &password)?;

    let app = AppProvision::new(
        &args.service_id,
        &args.user_id,
        &password,
        ctx.clock.unix_seconds(),
    )
    .map_err(|e| client.reply_failure(e))?;
    let offer: ProvisionOffer = client.call("/v1/provision/start", app.request())?;
    let accepted = app
        .accept(offer, &key)
        .map_err(|e| client.reply_failure(e))?;
    let o = &accepted.offer;
    let pending = PendingConfirm {
        session: o.session.to_hex(),
        app_confirm: accepted.derived.app_confirm.to_hex(),
        center_confirm: accepted.derived.center_confirm.to_hex(),
    };
    let id = vault.add_token(
        NewToken {
            service_id: o.service.id.clone(),
            service_name: o.service.name.clone(),
            user_id: args.user_id.clone(),
            serial: o.serial.clone(),
            expires_at: o.expires_at,
            logo_url: o.service.logo_url.clone(),
            link_url: o.service.link_url.clone(),
            params: o.params,
            secret: SecretBytes::new(accepted.derived.token_key.to_vec()),
            device_signing_key: Some(SecretBytes::new(accepted.device.to_bytes().to_vec())),
            provisioning: Provisioning::Pending,
            center_url: Some(url.to_owned()),
            center_key: Some(key.to_string()),
            pending_confirm: Some(pending.clone()),
        },
        ctx.clock,
    )?;
    if !confirm(&client, "/v1/provision/confirm", &pending)? {
        // The session vanished between the two legs: the setup did not happen.
        vault.delete_token(id)?;
        return Err(Error::new(ErrorCode::A003)
            .with_detail("session unknown at confirmation")
            .into());
    }
    vault.update_token(id, |t| {
        t.provisioning = Provisioning::Active;
        t.pending_confirm = None;
        t.clock_offset_secs = client.clock_offset();
    })?;
    done(ctx, vault, id)
}

fn done(ctx: &Ctx<'_>, vault: &Vault, id: u64) -> Result<(), Failure> {
    let Some(t) = vault.tokens().get(id) else {
        return Err(ErrorCode::A999.into());
    };
    ctx.say(
        "cli-setup-complete",
        &[
            ("name", &t.display_name()),
            ("serial", &t.serial),
            ("expires", &format_utc(t.expires_at).unwrap_or_default()),
        ],
    )?;
    clock_hint(ctx, t);
    Ok(())
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
        Answer::Rejected(status, b) => Err(Error::new(ErrorCode::communication(
            client_phase(path),
            ippun_core::CommFailure::HttpStatus,
        ))
        .with_detail(format!("HTTP {status} {}", b.error))),
    }
}

fn client_phase(path: &str) -> NetPhase {
    if path.starts_with("/v1/renew") {
        NetPhase::Renewal
    } else {
        NetPhase::Setup
    }
}

struct Bound {
    id: u64,
    url: String,
    key: CenterKey,
    device: ed25519_dalek::SigningKey,
}

fn bound(token: &Token) -> Result<Bound, Error> {
    let missing =
        |what: &str| Error::new(ErrorCode::A999).with_detail(format!("token has no {what}"));
    let url = token.center_url.clone().ok_or_else(|| missing("center"))?;
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
    Ok(Bound {
        id: token.id,
        url,
        key,
        device,
    })
}

fn challenge(client: &Client<'_>, serial: &str, purpose: Purpose) -> Result<Challenge, Error> {
    client.call(
        "/v1/challenge",
        &ChallengeRequest {
            version: protocol::VERSION,
            serial: serial.to_owned(),
            purpose,
        },
    )
}

/// `ippun token renew`.
pub fn renew(name: Option<&str>, ctx: &Ctx<'_>, vault: &mut Vault) -> Result<(), Failure> {
    let (id, _) = super::tokens::find(ctx, vault.tokens(), name)?;
    let token = vault.tokens().get(id).cloned().ok_or(ErrorCode::A999)?;
    match token.state(ctx.clock.unix_seconds()) {
        TokenState::Pending => return Err(ErrorCode::S3B3.into()),
        TokenState::Expired | TokenState::Active if token.pending_renewal.is_none() => {
            return Err(Error::new(ErrorCode::S3E4)
                .with_detail("outside the renewal period on this device")
                .into());
        }
        _ => {}
    }
    let b = bound(&token)?;
    client::check_url(&b.url).map_err(|e| url_failure(ctx, &b.url, &e))?;
    let client = Client::new(&b.url, NetPhase::Renewal, ctx.clock);

    if let Some(p) = token.pending_renewal.clone() {
        if confirm(&client, "/v1/renew/confirm", &p.confirm)? {
            apply_renewal(vault, b.id, p, client.clock_offset())?;
            return renewed(ctx, vault, b.id);
        }
        vault.update_token(b.id, |t| t.pending_renewal = None)?;
    }

    let ch = challenge(&client, &token.serial, Purpose::Renew)?;
    let app =
        AppRenew::new(&token.serial, ch.nonce, &b.device).map_err(|e| client.reply_failure(e))?;
    let offer: RenewOffer = client.call("/v1/renew/start", app.request())?;
    let acc = app
        .accept(offer, &b.key)
        .map_err(|e| client.reply_failure(e))?;
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
    vault.update_token(b.id, |t| t.pending_renewal = Some(pending.clone()))?;
    if !confirm(&client, "/v1/renew/confirm", &pending.confirm)? {
        vault.update_token(b.id, |t| t.pending_renewal = None)?;
        return Err(Error::new(ErrorCode::A303)
            .with_detail("session unknown at confirmation")
            .into());
    }
    apply_renewal(vault, b.id, pending, client.clock_offset())?;
    renewed(ctx, vault, b.id)
}

fn apply_renewal(
    vault: &mut Vault,
    id: u64,
    p: PendingRenewal,
    offset: Option<i64>,
) -> Result<(), Error> {
    vault.update_token(id, move |t| {
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

fn renewed(ctx: &Ctx<'_>, vault: &Vault, id: u64) -> Result<(), Failure> {
    let t = vault.tokens().get(id).ok_or(ErrorCode::A999)?;
    ctx.say(
        "cli-renewed",
        &[
            ("name", &t.display_name()),
            ("expires", &format_utc(t.expires_at).unwrap_or_default()),
        ],
    )
}

/// `ippun token correct`.
pub fn correct(name: Option<&str>, ctx: &Ctx<'_>, vault: &mut Vault) -> Result<(), Failure> {
    let (id, _) = super::tokens::find(ctx, vault.tokens(), name)?;
    let token = vault.tokens().get(id).cloned().ok_or(ErrorCode::A999)?;
    if matches!(
        token.state(ctx.clock.unix_seconds()),
        TokenState::Expired | TokenState::Pending
    ) {
        return Err(ErrorCode::S4E3.into());
    }
    let b = bound(&token)?;
    client::check_url(&b.url).map_err(|e| url_failure(ctx, &b.url, &e))?;
    let client = Client::new(&b.url, NetPhase::Correction, ctx.clock);
    let ch = challenge(&client, &token.serial, Purpose::Correct)?;
    let g = token.generator()?;
    let now = ctx.clock.unix_seconds();
    let step = g
        .counter_at(now)
        .map_err(|e| Failure::input(&e, ctx.lang))?;
    let otps = [
        g.code_at_counter(step).to_string(),
        g.code_at_counter(step.saturating_add(1)).to_string(),
    ];
    let req = protocol::correct_request(&token.serial, ch.nonce, otps, now, &b.device);
    let reply: Corrected = client.call("/v1/correct", &req)?;
    protocol::check_corrected(&req, &reply, &b.key).map_err(|e| client.reply_failure(e))?;
    let offset = client.clock_offset();
    vault.update_token(b.id, |t| {
        t.drift_steps = reply.offset_steps;
        t.clock_offset_secs = offset;
    })?;
    let secs = reply.offset_seconds;
    let id = match secs.cmp(&0) {
        std::cmp::Ordering::Greater => "cli-corrected-ahead",
        std::cmp::Ordering::Less => "cli-corrected-behind",
        std::cmp::Ordering::Equal => "cli-corrected-none",
    };
    ctx.say(
        id,
        &[
            ("seconds", &secs.unsigned_abs().to_string()),
            ("steps", &reply.offset_steps.unsigned_abs().to_string()),
        ],
    )?;
    ctx.say("cli-corrected-wait", &[])
}

/// Says, on standard error, when the last center reply showed the device
/// clock is off by more than 30 seconds.
pub fn clock_hint(ctx: &Ctx<'_>, t: &Token) {
    if let Some(off) = t.clock_offset_secs
        && off.unsigned_abs() > 30
    {
        let id = if off > 0 {
            "cli-clock-behind"
        } else {
            "cli-clock-ahead"
        };
        let text = ctx
            .lang
            .text_with(id, &[("seconds", &off.unsigned_abs().to_string())]);
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{text}\n").as_bytes());
    }
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
}
