//! `ippun otp`: the code for any secret, time and algorithm.
//!
//! The `ippun` command answers the common forms itself (`src/bin/ippun.rs`)
//! and hands the rest here; both read the options through
//! [`ippun_core::otp::Request`].

use std::io::{self, BufRead, Write};

use ippun_core::otp::Request;
use ippun_core::{Clock, InputError, Lang, SecretKey};
use zeroize::Zeroizing;

use crate::Failure;
use crate::cli::OtpArgs;

pub fn run(args: &OtpArgs, clock: &dyn Clock, lang: Lang) -> Result<(), Failure> {
    let bad = |e| Failure::input(&e, lang);
    let key = match (&args.secret, &args.secret_hex) {
        (Some(s), _) if s == "-" => {
            let mut line = Zeroizing::new(String::new());
            io::stdin().lock().read_line(&mut line)?;
            SecretKey::from_base32(line.trim_end_matches(['\r', '\n'])).map_err(bad)?
        }
        (Some(s), _) => SecretKey::from_base32(s).map_err(bad)?,
        (None, Some(h)) => SecretKey::from_hex(h).map_err(bad)?,
        // clap requires one of the two.
        (None, None) => return Err(Failure::input(&InputError::EmptySecret, lang)),
    };
    let request = Request {
        algorithm: &args.algorithm,
        digits: &args.digits,
        period: &args.period,
        time: args.time.as_deref(),
        counter: args.counter.as_deref(),
    };
    let code = request.code(&key, clock).map_err(bad)?;
    writeln!(io::stdout().lock(), "{code}")?;
    Ok(())
}
