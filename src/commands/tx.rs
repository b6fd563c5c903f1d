//! `ippun tx list|start|approve|reject`: transaction confirmation.

use std::io::{self, Write};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use ippun_core::txconfirm::text::mixes_look_alike_scripts;
use ippun_core::txconfirm::{Decision, Transaction, group_code, show_amount};
use ippun_core::{Error, ErrorCode};

use super::{Ctx, Input};
use crate::Failure;
use crate::cli::TxCommand;
use ippun::flows;

pub fn run(cmd: &TxCommand, ctx: &Ctx<'_>) -> Result<(), Failure> {
    let mut input = Input::new();
    let vault = ctx.open(&mut input, None)?;
    let name = match cmd {
        TxCommand::List { name, .. } | TxCommand::Start { name } => name.as_deref(),
        TxCommand::Approve(a) | TxCommand::Reject(a) => Some(a.name.as_str()),
    };
    let (id, display) = super::find(ctx, vault.tokens(), name)?;
    let vault = Mutex::new(vault);
    let cancel = AtomicBool::new(false);
    let inbox = flows::tx_list(&vault, id, ctx.clock, &cancel)?;
    match cmd {
        TxCommand::List { json, .. } => {
            let mut out = io::stdout().lock();
            if *json {
                let v = serde_json::json!({
                    "token": display,
                    "enabled": inbox.enabled,
                    "start": inbox.start,
                    "transactions": inbox.transactions,
                    "center_time": inbox.center_time,
                });
                writeln!(out, "{v}")?;
                return Ok(());
            }
            if inbox.start.is_some() {
                writeln!(
                    out,
                    "{}",
                    ctx.lang
                        .text_with("cli-tx-start-waiting", &[("name", &display)])
                )?;
            }
            if !inbox.enabled && inbox.start.is_none() {
                return Err(Error::new(ErrorCode::S5A1).into());
            }
            if inbox.transactions.is_empty() {
                if inbox.enabled {
                    writeln!(out, "{}", ctx.lang.text("cli-tx-none"))?;
                }
                return Ok(());
            }
            for t in &inbox.transactions {
                write_tx(&mut out, ctx, t)?;
            }
            Ok(())
        }
        TxCommand::Start { .. } => {
            let Some(start) = inbox.start else {
                if inbox.enabled {
                    return ctx.say("cli-tx-already-started", &[("name", &display)]);
                }
                return Err(Error::new(ErrorCode::S5A1).into());
            };
            flows::tx_start(&vault, id, &start.id, ctx.clock, &cancel)?;
            ctx.say("cli-tx-started", &[("name", &display)])
        }
        TxCommand::Approve(a) | TxCommand::Reject(a) => {
            let decision = if matches!(cmd, TxCommand::Approve(_)) {
                Decision::Approve
            } else {
                Decision::Reject
            };
            if !inbox.enabled {
                return Err(Error::new(ErrorCode::S5A1).into());
            }
            let Some(tx) = inbox.transactions.iter().find(|t| t.id == a.id.trim()) else {
                // Not waiting: answered already, expired, withdrawn or not
                // this token's. The center says which when asked directly.
                return Err(Error::new(ErrorCode::S5B1)
                    .with_detail("not among the waiting transactions")
                    .into());
            };
            write_tx(&mut io::stdout().lock(), ctx, tx)?;
            let code = flows::tx_answer(&vault, id, tx, decision, ctx.clock, &cancel)?;
            let msg = match decision {
                Decision::Approve => "cli-tx-approved",
                Decision::Reject => "cli-tx-rejected",
            };
            ctx.say(msg, &[("code", &group_code(&code))])
        }
    }
}

fn write_tx(out: &mut impl Write, ctx: &Ctx<'_>, t: &Transaction) -> Result<(), Failure> {
    let l = ctx.lang;
    let amount = show_amount(l, &t.amount, &t.currency);
    let expires = ctx.zone().date_time(l, t.expires_at);
    writeln!(out, "{}", l.text_with("cli-tx-id", &[("id", &t.id)]))?;
    for (label, value) in [
        ("gui-tx-payee", t.payee.as_str()),
        ("gui-tx-account", t.account.as_str()),
        ("gui-tx-amount", amount.as_str()),
        ("gui-tx-reference", t.reference.as_str()),
        ("gui-tx-expires", expires.as_str()),
    ] {
        writeln!(out, "  {}: {value}", l.text(label))?;
        if mixes_look_alike_scripts(value) {
            writeln!(
                out,
                "  {}",
                l.text_with("cli-tx-look-alike", &[("field", &l.text(label))])
            )?;
        }
    }
    Ok(())
}
