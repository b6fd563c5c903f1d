//! `ippun token add|renew|correct`: the flows that talk to a center.

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use ippun::client::{self, BadUrl};
use ippun::flows;
use ippun_core::protocol::CenterKey;
use ippun_core::{ErrorCode, Token, Vault, profile};

use super::{Ctx, Input};
use crate::Failure;
use crate::cli::AddArgs;

fn url_failure(ctx: &Ctx<'_>, url: &str, e: &BadUrl) -> Failure {
    let id = match e {
        BadUrl::Scheme | BadUrl::Unparsable => "cli-center-url-scheme",
        BadUrl::PlainToRemote => "cli-center-url-plain",
        BadUrl::UserInfo => "cli-center-url-userinfo",
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

/// `ippun token add`.
pub fn add(args: &AddArgs, ctx: &Ctx<'_>, input: &mut Input, vault: Vault) -> Result<(), Failure> {
    let url = args.center.trim();
    client::check_url(url).map_err(|e| url_failure(ctx, url, &e))?;
    let center = flows::Center {
        url: url.to_owned(),
        key: center_key(ctx, url, args.center_key.as_deref())?,
    };
    let vault = Mutex::new(vault);
    // A setup whose confirmation was not acknowledged is completed first.
    if let Some(id) =
        flows::resume_setup(&vault, &center, &args.service_id, &args.user_id, ctx.clock)?
    {
        return done(ctx, &vault, id);
    }
    flows::lock(&vault)?
        .tokens()
        .check_add(&args.service_id, &args.user_id)?;
    let password = input.line(ctx.lang, "cli-prompt-activation-password")?;
    let id = flows::setup(
        &vault,
        &center,
        &args.service_id,
        &args.user_id,
        &password,
        ctx.clock,
        &AtomicBool::new(false),
    )?;
    done(ctx, &vault, id)
}

fn done(ctx: &Ctx<'_>, vault: &Mutex<Vault>, id: u64) -> Result<(), Failure> {
    let vault = flows::lock(vault)?;
    let Some(t) = vault.tokens().get(id) else {
        return Err(ErrorCode::A999.into());
    };
    ctx.say(
        "cli-setup-complete",
        &[
            ("name", &t.display_name()),
            ("serial", &t.serial),
            ("expires", &ctx.zone().date(ctx.lang, t.expires_at)),
        ],
    )?;
    clock_hint(ctx, t);
    Ok(())
}

/// `ippun token renew`.
pub fn renew(name: Option<&str>, ctx: &Ctx<'_>, vault: Vault) -> Result<(), Failure> {
    let (id, _) = super::find(ctx, vault.tokens(), name)?;
    let vault = Mutex::new(vault);
    flows::renew(&vault, id, ctx.clock, &AtomicBool::new(false))?;
    let vault = flows::lock(&vault)?;
    let t = vault.tokens().get(id).ok_or(ErrorCode::A999)?;
    ctx.say(
        "cli-renewed",
        &[
            ("name", &t.display_name()),
            ("expires", &ctx.zone().date(ctx.lang, t.expires_at)),
        ],
    )
}

/// `ippun token correct`.
pub fn correct(name: Option<&str>, ctx: &Ctx<'_>, vault: Vault) -> Result<(), Failure> {
    let (id, _) = super::find(ctx, vault.tokens(), name)?;
    let vault = Mutex::new(vault);
    let c = flows::correct(&vault, id, ctx.clock, &AtomicBool::new(false))?;
    let msg = match c.offset_seconds.cmp(&0) {
        std::cmp::Ordering::Greater => "cli-corrected-ahead",
        std::cmp::Ordering::Less => "cli-corrected-behind",
        std::cmp::Ordering::Equal => "cli-corrected-none",
    };
    ctx.say(
        msg,
        &[
            ("seconds", &c.offset_seconds.unsigned_abs().to_string()),
            ("steps", &c.offset_steps.unsigned_abs().to_string()),
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
