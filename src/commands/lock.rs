//! `ippun lock set|change|off` and `ippun start-over`.

use ippun_core::LockCode;

use super::{Ctx, Input};
use crate::Failure;
use crate::cli::LockCommand;

pub fn run(cmd: &LockCommand, ctx: &Ctx<'_>) -> Result<(), Failure> {
    let mut input = Input::new();
    match cmd {
        LockCommand::Set => {
            let mut vault = ctx.open(&mut input, None)?;
            if vault.lock_enabled() {
                return Err(Failure::Usage(ctx.lang.text("cli-lock-already-on")));
            }
            let new = read_new(ctx, &mut input)?;
            vault.set_lock(&new)?;
            ctx.say("cli-lock-set", &[])
        }
        LockCommand::Change | LockCommand::Off => {
            let current = LockCode::parse(&input.line(ctx.lang, "cli-prompt-lock-code")?)
                .map_err(|_| ippun_core::ErrorCode::A914)?;
            let mut vault = ctx.open(&mut input, Some(&current))?;
            if !vault.lock_enabled() {
                return Err(Failure::Usage(ctx.lang.text("cli-lock-already-off")));
            }
            let (result, done) = if matches!(cmd, LockCommand::Change) {
                let new = read_new(ctx, &mut input)?;
                (
                    vault.change_lock(&current, &new, ctx.clock),
                    "cli-lock-changed",
                )
            } else {
                (vault.disable_lock(&current, ctx.clock), "cli-lock-off")
            };
            match result {
                Ok(()) => ctx.say(done, &[]),
                Err(e) if e.code() == ippun_core::ErrorCode::A915 => {
                    Err(ctx.wait_failure(vault.lock_wait_remaining(ctx.clock)))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

fn read_new(ctx: &Ctx<'_>, input: &mut Input) -> Result<LockCode, Failure> {
    let first = input.line(ctx.lang, "cli-prompt-new-code")?;
    let second = input.line(ctx.lang, "cli-prompt-new-code-again")?;
    Ok(LockCode::confirmed(&first, &second)?)
}

pub fn start_over(yes: bool, ctx: &Ctx<'_>) -> Result<(), Failure> {
    if !yes {
        return Err(Failure::Usage(ctx.lang.text("cli-start-over-needs-yes")));
    }
    match ctx.home.start_over(ctx.clock)? {
        Some(kept) => ctx.say("cli-started-over", &[("path", &kept.display().to_string())]),
        None => ctx.say("cli-nothing-to-start-over", &[]),
    }
}
