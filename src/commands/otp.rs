//! `ippun otp`: the code for any secret, time and algorithm.

use std::io::{self, BufRead, Write};

use ippun_core::input::{parse_counter, parse_time};
use ippun_core::{
    Algorithm, Clock, Digits, Hotp, InputError, Lang, OtpParams, Period, SecretKey, Totp,
};
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
    let algorithm: Algorithm = args.algorithm.parse().map_err(bad)?;
    let digits: Digits = args.digits.parse().map_err(bad)?;
    let code = if let Some(c) = &args.counter {
        let counter = parse_counter(c).map_err(bad)?;
        Hotp::new(&key, algorithm, digits).code(counter)
    } else {
        let period: Period = args.period.parse().map_err(bad)?;
        let time = match &args.time {
            Some(t) => parse_time(t).map_err(bad)?,
            None => clock.unix_seconds(),
        };
        let params = OtpParams {
            algorithm,
            digits,
            period,
        };
        Totp::new(&key, params).code_at(time).map_err(bad)?
    };
    writeln!(io::stdout().lock(), "{code}")?;
    Ok(())
}
