//! `ippun token list|delete|rename` and `ippun code`.

use std::io::{self, Write};

use ippun_core::input::format_utc;
use ippun_core::{ErrorCode, Token, TokenState};

use super::{Ctx, Input, find};
use crate::Failure;
use crate::cli::{CodeArgs, TokenCommand};

pub fn run(cmd: &TokenCommand, ctx: &Ctx<'_>) -> Result<(), Failure> {
    let mut input = Input::new();
    let mut vault = ctx.open(&mut input, None)?;
    match cmd {
        TokenCommand::Add(args) => super::center::add(args, ctx, &mut input, vault),
        TokenCommand::Renew { name, .. } => super::center::renew(name.as_deref(), ctx, vault),
        TokenCommand::Correct { name, .. } => super::center::correct(name.as_deref(), ctx, vault),
        TokenCommand::List { json } => {
            let now = ctx.clock.unix_seconds();
            let tokens = vault.tokens().tokens();
            let mut out = io::stdout().lock();
            if *json {
                let list: Vec<serde_json::Value> = tokens.iter().map(|t| summary(t, now)).collect();
                writeln!(out, "{}", serde_json::Value::Array(list))?;
            } else if tokens.is_empty() {
                writeln!(out, "{}", ctx.lang.text("cli-no-tokens"))?;
            } else {
                write_table(&mut out, tokens, now, ctx)?;
            }
            Ok(())
        }
        TokenCommand::Delete { name, yes } => {
            let (id, display) = find(ctx, vault.tokens(), Some(name))?;
            if !yes {
                if !input.is_terminal() {
                    return Err(Failure::Usage(ctx.lang.text("cli-delete-needs-yes")));
                }
                let a = super::ask(ctx.lang, "cli-delete-confirm", &[("name", &display)])?;
                if !a.eq_ignore_ascii_case("yes") {
                    return Err(Failure::Usage(ctx.lang.text("cli-delete-needs-yes")));
                }
            }
            vault.delete_token(id)?;
            ctx.say("cli-deleted", &[("name", &display)])?;
            if vault.tokens().is_empty() {
                ctx.say("cli-all-deleted", &[])?;
            }
            Ok(())
        }
        TokenCommand::Rename { name, suffix } => {
            let (id, _) = find(ctx, vault.tokens(), Some(name))?;
            vault.rename_token(id, suffix)?;
            let new_name = vault
                .tokens()
                .get(id)
                .map(Token::display_name)
                .unwrap_or_default();
            ctx.say("cli-renamed", &[("name", &new_name)])
        }
    }
}

pub fn code(args: &CodeArgs, ctx: &Ctx<'_>) -> Result<(), Failure> {
    let mut input = Input::new();
    let vault = ctx.open(&mut input, None)?;
    let (id, _) = find(ctx, vault.tokens(), args.name.as_deref())?;
    let Some(token) = vault.tokens().get(id) else {
        return Err(ErrorCode::A999.into());
    };
    match token.state(ctx.clock.unix_seconds()) {
        TokenState::Expired => return Err(ErrorCode::A919.into()),
        // The center has not acknowledged the setup: its codes may be refused.
        TokenState::Pending => return Err(ErrorCode::A010.into()),
        _ => {}
    }
    super::center::clock_hint(ctx, token);
    let generator = token.generator()?;
    let result = if args.next {
        generator.next(ctx.clock)
    } else {
        generator.current(ctx.clock)
    };
    let at = result.map_err(|e| Failure::input(&e, ctx.lang))?;
    writeln!(io::stdout().lock(), "{}", at.code)?;
    Ok(())
}

fn state_label(state: TokenState, ctx: &Ctx<'_>) -> String {
    match state {
        TokenState::Pending => ctx.lang.text("cli-state-pending"),
        TokenState::Active => ctx.lang.text("cli-state-active"),
        TokenState::RenewalDue { days_left } => ctx
            .lang
            .text_with("cli-state-renewal-due", &[("days", &days_left.to_string())]),
        TokenState::Expired => ctx.lang.text("cli-state-expired"),
    }
}

fn summary(t: &Token, now: u64) -> serde_json::Value {
    serde_json::json!({
        "name": t.display_name(),
        "service_id": t.service_id,
        "service_name": t.service_name,
        "user_id": t.user_id,
        "serial": t.serial,
        "expires_at": format_utc(t.expires_at),
        "state": t.state(now),
        "algorithm": t.params.algorithm,
        "digits": t.params.digits,
        "period": t.params.period,
        "center": t.center_url,
        "offset_steps": t.drift_steps,
        "clock_offset_secs": t.clock_offset_secs,
        "renewal_pending": t.pending_renewal.is_some(),
        "tx_confirmation": t.tx_confirmation,
    })
}

fn write_table(out: &mut impl Write, tokens: &[Token], now: u64, ctx: &Ctx<'_>) -> io::Result<()> {
    let rows: Vec<[String; 4]> = tokens
        .iter()
        .map(|t| {
            [
                t.display_name(),
                t.serial.clone(),
                ctx.zone().date(ctx.lang, t.expires_at),
                state_label(t.state(now), ctx),
            ]
        })
        .collect();
    let head = [
        ctx.lang.text("cli-header-name"),
        ctx.lang.text("cli-header-serial"),
        ctx.lang.text("cli-header-expires"),
        ctx.lang.text("cli-header-state"),
    ];
    let widths: Vec<usize> = (0..3)
        .map(|c| {
            rows.iter()
                .map(|r| super::explain::display_width(&r[c]))
                .chain([super::explain::display_width(&head[c])])
                .max()
                .unwrap_or(0)
                + 2
        })
        .collect();
    for row in std::iter::once(&head).chain(rows.iter()) {
        let mut line = String::new();
        for (c, w) in widths.iter().enumerate() {
            line.push_str(&super::explain::pad(&row[c], *w));
        }
        line.push_str(&row[3]);
        writeln!(out, "{line}")?;
    }
    Ok(())
}
