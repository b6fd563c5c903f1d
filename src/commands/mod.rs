//! One module per subcommand, and what the token commands share.

pub mod center;
pub mod explain;
pub mod lock;
pub mod otp;
pub mod tokens;
pub mod tx;
pub mod vectors;

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;

use ippun_core::{Clock, ErrorCode, Home, Lang, LockCode, Opened, Vault, Zone};
use zeroize::Zeroizing;

use crate::Failure;

/// What the token and lock commands need: the data folder, language, clock.
pub struct Ctx<'a> {
    pub home: Home,
    pub lang: Lang,
    pub clock: &'a dyn Clock,
    /// The zone people read times in (the computer's, `TZ` first), read
    /// when first needed.
    zone: std::sync::OnceLock<Zone>,
}

impl<'a> Ctx<'a> {
    pub fn new(home: Option<PathBuf>, lang: Lang, clock: &'a dyn Clock) -> Result<Self, Failure> {
        Ok(Self {
            home: Home::locate(home)?,
            lang,
            clock,
            zone: std::sync::OnceLock::new(),
        })
    }

    /// The zone people read times in.
    pub fn zone(&self) -> &Zone {
        self.zone.get_or_init(Zone::system)
    }

    pub fn say(&self, id: &str, args: &[(&str, &str)]) -> Result<(), Failure> {
        writeln!(io::stdout().lock(), "{}", self.lang.text_with(id, args))?;
        Ok(())
    }

    /// Opens the vault; when app lock is on, the code comes from
    /// `IPPUN_LOCK_CODE`, else from `first_code` (already read), else from a
    /// prompt or standard input.
    pub fn open(&self, input: &mut Input, first_code: Option<&LockCode>) -> Result<Vault, Failure> {
        match self.home.open()? {
            Opened::Ready(v) => Ok(v),
            Opened::Locked(mut locked) => {
                let wait = locked.wait_remaining(self.clock);
                if wait > 0 {
                    return Err(self.wait_failure(wait));
                }
                let code = match std::env::var("IPPUN_LOCK_CODE") {
                    Ok(text) => LockCode::parse(&text).map_err(|_| ErrorCode::A914)?,
                    Err(_) => match first_code {
                        Some(c) => c.clone(),
                        None => LockCode::parse(&input.line(self.lang, "cli-prompt-lock-code")?)
                            .map_err(|_| ErrorCode::A914)?,
                    },
                };
                locked.unlock(&code, self.clock).map_err(|e| {
                    if e.code() == ErrorCode::A915 {
                        self.wait_failure(locked.wait_remaining(self.clock))
                    } else {
                        e.into()
                    }
                })
            }
        }
    }

    /// A915 with the remaining wait said first.
    pub fn wait_failure(&self, seconds: u64) -> Failure {
        let _ = writeln!(
            io::stderr().lock(),
            "{}",
            self.lang
                .text_with("cli-lock-wait", &[("seconds", &seconds.to_string())])
        );
        ErrorCode::A915.into()
    }
}

/// Lines typed by the user: masked prompts on a terminal, plain lines from a
/// pipe. Each line is zeroized after use.
pub struct Input {
    stdin_is_terminal: bool,
}

impl Input {
    pub fn new() -> Self {
        Self {
            stdin_is_terminal: io::stdin().is_terminal(),
        }
    }

    pub fn line(&mut self, lang: Lang, prompt_id: &str) -> Result<Zeroizing<String>, Failure> {
        if self.stdin_is_terminal {
            let prompt = format!("{} ", lang.text(prompt_id));
            return Ok(Zeroizing::new(rpassword::prompt_password(prompt)?));
        }
        let mut line = Zeroizing::new(String::new());
        io::stdin().lock().read_line(&mut line)?;
        let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
        Ok(trimmed)
    }

    pub fn is_terminal(&self) -> bool {
        self.stdin_is_terminal
    }
}

/// A plain (not masked) answer on standard input, for confirmations.
pub fn ask(lang: Lang, prompt_id: &str, args: &[(&str, &str)]) -> Result<String, Failure> {
    let mut err = io::stderr().lock();
    write!(err, "{} ", lang.text_with(prompt_id, args))?;
    err.flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

/// The token named `name`, or the only one when no name is given.
pub fn find(
    ctx: &Ctx<'_>,
    list: &ippun_core::TokenList,
    name: Option<&str>,
) -> Result<(u64, String), Failure> {
    let names = || {
        list.tokens()
            .iter()
            .map(|t| format!("“{}”", t.display_name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = match (name, list.tokens()) {
        (_, []) => return Err(Failure::Usage(ctx.lang.text("cli-no-tokens"))),
        (Some(n), _) => list.find(n).ok_or_else(|| {
            Failure::Usage(
                ctx.lang
                    .text_with("cli-no-such-token", &[("name", n), ("names", &names())]),
            )
        })?,
        (None, [only]) => only,
        (None, _) => {
            return Err(Failure::Usage(
                ctx.lang
                    .text_with("cli-which-token", &[("names", &names())]),
            ));
        }
    };
    Ok((found.id, found.display_name()))
}
