//! The OTP engine: HOTP (RFC 4226) and TOTP (RFC 6238) on `totp-rs`.
//!
//! TOTP is HOTP over the step counter `floor(t / period) + drift`. The engine
//! computes the counter itself and hands it to `totp-rs` with a one-second
//! step, so any positive period works and no multiplication can overflow.
//! [`hmac_trace`] is a second, independent computation on the `hmac` crate that
//! also exposes the intermediate values that RFC 4226 Appendix D publishes.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use hmac::{KeyInit, Mac};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::input::{InputError, SecretKey, parse_counter, parse_time};

/// The HMAC hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// HMAC-SHA-1 (the RFC 4226 default).
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl Algorithm {
    /// All algorithms, in the order the RFCs list them.
    pub const ALL: [Self; 3] = [Self::Sha1, Self::Sha256, Self::Sha512];

    /// Lowercase name as used on the command line and in files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    const fn to_totp_rs(self) -> totp_rs::Algorithm {
        match self {
            Self::Sha1 => totp_rs::Algorithm::SHA1,
            Self::Sha256 => totp_rs::Algorithm::SHA256,
            Self::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        let norm = norm.strip_prefix("hmac").unwrap_or(&norm);
        match norm {
            "sha1" => Ok(Self::Sha1),
            "sha256" => Ok(Self::Sha256),
            "sha512" => Ok(Self::Sha512),
            _ => Err(InputError::Algorithm(s.into())),
        }
    }
}

/// Number of code digits: 6, 7 or 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Digits(u8);

impl Digits {
    /// Six digits.
    pub const SIX: Self = Self(6);
    /// Seven digits.
    pub const SEVEN: Self = Self(7);
    /// Eight digits.
    pub const EIGHT: Self = Self(8);

    /// The count as a number.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Digits {
    type Error = InputError;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        if (6..=8).contains(&n) {
            Ok(Self(n))
        } else {
            Err(InputError::Digits(n.to_string()))
        }
    }
}

impl From<Digits> for u8 {
    fn from(d: Digits) -> u8 {
        d.0
    }
}

impl FromStr for Digits {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<u8>()
            .map_err(|_| InputError::Digits(s.into()))
            .and_then(Self::try_from)
    }
}

impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The TOTP time step in whole seconds (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Period(u64);

impl Period {
    /// 30 seconds, the RFC 6238 recommendation.
    pub const THIRTY: Self = Self(30);
    /// 60 seconds, the ippun default.
    pub const SIXTY: Self = Self(60);

    /// Seconds in one step.
    pub const fn secs(self) -> u64 {
        self.0
    }
}

impl Default for Period {
    fn default() -> Self {
        Self::SIXTY
    }
}

impl TryFrom<u64> for Period {
    type Error = InputError;

    fn try_from(n: u64) -> Result<Self, Self::Error> {
        if n == 0 {
            Err(InputError::Period(n.to_string()))
        } else {
            Ok(Self(n))
        }
    }
}

impl From<Period> for u64 {
    fn from(p: Period) -> u64 {
        p.0
    }
}

impl FromStr for Period {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let t = t.strip_suffix('s').unwrap_or(t);
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InputError::Period(s.into()));
        }
        t.parse::<u64>()
            .map_err(|_| InputError::Period(s.into()))
            .and_then(Self::try_from)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Parameters of a TOTP token, as a center chooses them per service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OtpParams {
    /// HMAC hash.
    pub algorithm: Algorithm,
    /// Code length.
    pub digits: Digits,
    /// Step length.
    pub period: Period,
}

impl JsonSchema for Digits {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Digits")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "integer",
            "description": "Number of code digits.",
            "minimum": 6,
            "maximum": 8,
        })
    }
}

impl JsonSchema for Period {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Period")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "integer",
            "description": "The time step in whole seconds.",
            "minimum": 1,
        })
    }
}

impl Default for Digits {
    fn default() -> Self {
        Self::SIX
    }
}

/// One code. Compares in constant time, zeroized when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(totp_rs::Token);

impl Code {
    /// The code split into groups for reading aloud: `123 456`, `123 4567`,
    /// `1234 5678`.
    pub fn grouped(&self) -> String {
        let s = self.to_string();
        let split = s.len() / 2;
        let (a, b) = s.split_at(split);
        format!("{a} {b}")
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(REDACTED)")
    }
}

/// A code together with the step it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeAt {
    /// The code.
    pub code: Code,
    /// The HOTP counter used (time step plus drift).
    pub counter: u64,
    /// First second of the step (device time).
    pub valid_from: u64,
    /// First second of the following step (device time); saturates at `u64::MAX`.
    pub valid_until: u64,
    /// Time left until the next code, from the instant asked about.
    pub remaining: Duration,
}

/// HOTP generator (RFC 4226): a code per counter value.
pub struct Hotp {
    inner: totp_rs::Totp,
    algorithm: Algorithm,
    digits: Digits,
}

impl Hotp {
    /// A generator for `secret`. The key is copied into zeroizing storage.
    pub fn new(secret: &SecretKey, algorithm: Algorithm, digits: Digits) -> Self {
        // A one-second step makes `generate(t)` compute HOTP(t): the counter is
        // passed through unchanged. Digits are already checked to be 6–8.
        let inner = totp_rs::Builder::new()
            .with_algorithm(algorithm.to_totp_rs())
            .with_digits(digits.get())
            .with_step_duration(1)
            .with_secret(secret.expose())
            .build_noncompliant();
        Self {
            inner,
            algorithm,
            digits,
        }
    }

    /// The code for `counter`.
    pub fn code(&self, counter: u64) -> Code {
        Code(self.inner.generate(counter))
    }

    /// Hash function in use.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Code length.
    pub const fn digits(&self) -> Digits {
        self.digits
    }
}

impl fmt::Debug for Hotp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hotp")
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

/// TOTP generator (RFC 6238) with an optional drift in steps.
#[derive(Debug)]
pub struct Totp {
    hotp: Hotp,
    period: Period,
    drift: i64,
}

impl Totp {
    /// A generator for `secret` with `params` and no drift.
    pub fn new(secret: &SecretKey, params: OtpParams) -> Self {
        Self {
            hotp: Hotp::new(secret, params.algorithm, params.digits),
            period: params.period,
            drift: 0,
        }
    }

    /// The same generator, shifted by `steps` (positive: the device is behind
    /// the center and uses later counters).
    #[must_use]
    pub const fn with_drift(mut self, steps: i64) -> Self {
        self.drift = steps;
        self
    }

    /// The parameters in use.
    pub const fn params(&self) -> OtpParams {
        OtpParams {
            algorithm: self.hotp.algorithm,
            digits: self.hotp.digits,
            period: self.period,
        }
    }

    /// Drift in steps.
    pub const fn drift(&self) -> i64 {
        self.drift
    }

    /// The HOTP counter for Unix time `unix` (step plus drift).
    pub fn counter_at(&self, unix: u64) -> Result<u64, InputError> {
        (unix / self.period.secs())
            .checked_add_signed(self.drift)
            .ok_or(InputError::TimeOutOfRange)
    }

    /// The code of HOTP counter `counter` (no drift applied).
    pub fn code_at_counter(&self, counter: u64) -> Code {
        self.hotp.code(counter)
    }

    /// The code at Unix time `unix` (whole seconds).
    pub fn code_at(&self, unix: u64) -> Result<Code, InputError> {
        Ok(self.hotp.code(self.counter_at(unix)?))
    }

    /// The code at an instant, with its step bounds and time left.
    pub fn at(&self, now: Duration) -> Result<CodeAt, InputError> {
        let unix = now.as_secs();
        let p = self.period.secs();
        let counter = self.counter_at(unix)?;
        let valid_from = unix - unix % p;
        let valid_until = valid_from.saturating_add(p);
        let remaining = Duration::from_secs(valid_until - unix)
            .saturating_sub(Duration::from_nanos(u64::from(now.subsec_nanos())));
        Ok(CodeAt {
            code: self.hotp.code(counter),
            counter,
            valid_from,
            valid_until,
            remaining,
        })
    }

    /// The current code, from `clock`.
    pub fn current(&self, clock: &dyn Clock) -> Result<CodeAt, InputError> {
        self.at(clock.now())
    }

    /// The code of the step after the current one (shown during the last
    /// seconds of a step), from `clock`.
    pub fn next(&self, clock: &dyn Clock) -> Result<CodeAt, InputError> {
        let now = self.at(clock.now())?;
        let start = now
            .valid_from
            .checked_add(self.period.secs())
            .ok_or(InputError::TimeOutOfRange)?;
        let mut next = self.at(Duration::from_secs(start))?;
        next.remaining = next.remaining.saturating_add(now.remaining);
        Ok(next)
    }
}

/// The intermediate values of one HOTP computation (RFC 4226 §5.3).
#[derive(Clone, PartialEq, Eq)]
pub struct HmacTrace {
    /// HMAC over the 8-byte big-endian counter.
    pub hmac: Vec<u8>,
    /// Dynamic-truncation offset (low 4 bits of the last byte).
    pub offset: u8,
    /// The 31-bit value before reduction modulo 10^digits.
    pub truncated: u32,
    /// `truncated mod 10^digits`, zero-padded to `digits` places.
    pub code: String,
}

impl fmt::Debug for HmacTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacTrace(REDACTED)")
    }
}

impl Drop for HmacTrace {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.hmac);
        zeroize::Zeroize::zeroize(&mut self.code);
    }
}

/// HOTP computed directly on the `hmac` crate, independently of `totp-rs`,
/// with every intermediate value.
pub fn hmac_trace(
    secret: &SecretKey,
    algorithm: Algorithm,
    digits: Digits,
    counter: u64,
) -> HmacTrace {
    let msg = counter.to_be_bytes();
    let hmac = match algorithm {
        Algorithm::Sha1 => mac::<hmac::Hmac<sha1::Sha1>>(secret.expose(), &msg),
        Algorithm::Sha256 => mac::<hmac::Hmac<sha2::Sha256>>(secret.expose(), &msg),
        Algorithm::Sha512 => mac::<hmac::Hmac<sha2::Sha512>>(secret.expose(), &msg),
    };
    // Every HMAC output here is 20 bytes or more, so the offset (at most 15)
    // plus four bytes stays inside it.
    let offset = hmac.last().map_or(0, |b| b & 0x0f);
    let o = usize::from(offset);
    let truncated =
        u32::from_be_bytes([hmac[o], hmac[o + 1], hmac[o + 2], hmac[o + 3]]) & 0x7fff_ffff;
    let modulus = 10_u32.pow(u32::from(digits.get()));
    let code = format!(
        "{:0width$}",
        truncated % modulus,
        width = usize::from(digits.get())
    );
    HmacTrace {
        hmac,
        offset,
        truncated,
        code,
    }
}

pub(crate) fn mac<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <M as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

/// A one-off code as asked for on a command line (`ippun otp`): the options
/// as typed, read one way for every program that answers them.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `sha1`, `sha256` or `sha512`.
    pub algorithm: &'a str,
    /// `6`, `7` or `8`.
    pub digits: &'a str,
    /// The time step in seconds (TOTP only).
    pub period: &'a str,
    /// Unix seconds or RFC 3339; `None` reads `clock` (TOTP only).
    pub time: Option<&'a str>,
    /// A HOTP counter: with one, the code is HOTP (RFC 4226).
    pub counter: Option<&'a str>,
}

impl Request<'_> {
    /// What is asked when nothing is said: six digits, HMAC-SHA-1, a
    /// 60-second step, TOTP now.
    pub const DEFAULT: Request<'static> = Request {
        algorithm: "sha1",
        digits: "6",
        period: "60",
        time: None,
        counter: None,
    };

    /// The code for `secret`, or why the options are wrong.
    pub fn code(&self, secret: &SecretKey, clock: &dyn Clock) -> Result<Code, InputError> {
        let algorithm: Algorithm = self.algorithm.parse()?;
        let digits: Digits = self.digits.parse()?;
        if let Some(counter) = self.counter {
            return Ok(Hotp::new(secret, algorithm, digits).code(parse_counter(counter)?));
        }
        let period: Period = self.period.parse()?;
        let time = match self.time {
            Some(t) => parse_time(t)?,
            None => clock.unix_seconds(),
        };
        let params = OtpParams {
            algorithm,
            digits,
            period,
        };
        Totp::new(secret, params).code_at(time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;

    const SEED20: &[u8] = b"12345678901234567890";
    const SEED32: &[u8] = b"12345678901234567890123456789012";
    const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    fn key(b: &[u8]) -> SecretKey {
        SecretKey::from_bytes(b.to_vec()).unwrap()
    }

    /// RFC 4226 Appendix D: HMAC-SHA-1 values, truncated values and HOTP codes.
    const RFC4226: [(&str, u32, &str); 10] = [
        (
            "cc93cf18508d94934c64b65d8ba7667fb7cde4b0",
            1_284_755_224,
            "755224",
        ),
        (
            "75a48a19d4cbe100644e8ac1397eea747a2d33ab",
            1_094_287_082,
            "287082",
        ),
        (
            "0bacb7fa082fef30782211938bc1c5e70416ff44",
            137_359_152,
            "359152",
        ),
        (
            "66c28227d03a2d5529262ff016a1e6ef76557ece",
            1_726_969_429,
            "969429",
        ),
        (
            "a904c900a64b35909874b33e61c5938a8e15ed1c",
            1_640_338_314,
            "338314",
        ),
        (
            "a37e783d7b7233c083d4f62926c7a25f238d0316",
            868_254_676,
            "254676",
        ),
        (
            "bc9cd28561042c83f219324d3c607256c03272ae",
            1_918_287_922,
            "287922",
        ),
        (
            "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa",
            82_162_583,
            "162583",
        ),
        (
            "1b3c89f65e6c9e883012052823443f048b4332db",
            673_399_871,
            "399871",
        ),
        (
            "1637409809a679dc698207310c8c7fc07290d9e5",
            645_520_489,
            "520489",
        ),
    ];

    #[test]
    fn rfc4226_appendix_d() {
        let k = key(SEED20);
        let hotp = Hotp::new(&k, Algorithm::Sha1, Digits::SIX);
        for (counter, (hmac, truncated, code)) in (0_u64..).zip(RFC4226) {
            assert_eq!(hotp.code(counter).to_string(), code, "count {counter}");
            let t = hmac_trace(&k, Algorithm::Sha1, Digits::SIX, counter);
            assert_eq!(hex::encode(&t.hmac), hmac, "count {counter}");
            assert_eq!(t.truncated, truncated, "count {counter}");
            assert_eq!(t.code, code, "count {counter}");
        }
    }

    /// RFC 6238 Appendix B, all three hashes, eight digits, 30-second steps.
    const RFC6238: [(u64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ];

    #[test]
    fn rfc6238_appendix_b() {
        let make = |seed: &[u8], algorithm| {
            Totp::new(
                &key(seed),
                OtpParams {
                    algorithm,
                    digits: Digits::EIGHT,
                    period: Period::THIRTY,
                },
            )
        };
        let sha1 = make(SEED20, Algorithm::Sha1);
        let sha256 = make(SEED32, Algorithm::Sha256);
        let sha512 = make(SEED64, Algorithm::Sha512);
        for (t, c1, c256, c512) in RFC6238 {
            assert_eq!(sha1.code_at(t).unwrap().to_string(), c1, "sha1 t={t}");
            assert_eq!(sha256.code_at(t).unwrap().to_string(), c256, "sha256 t={t}");
            assert_eq!(sha512.code_at(t).unwrap().to_string(), c512, "sha512 t={t}");
        }
    }

    fn sixty(seed: &[u8]) -> Totp {
        Totp::new(&key(seed), OtpParams::default())
    }

    #[test]
    fn current_next_and_remaining() {
        let t = sixty(SEED20);
        let c = t.at(Duration::from_millis(59_250)).unwrap();
        assert_eq!(c.counter, 0);
        assert_eq!((c.valid_from, c.valid_until), (0, 60));
        assert_eq!(c.remaining, Duration::from_millis(750));
        let next = t
            .next(&FixedClock::new(Duration::from_millis(59_250)))
            .unwrap();
        assert_eq!(next.counter, 1);
        assert_eq!(next.remaining, Duration::from_millis(60_750));
        assert_eq!(next.code, t.code_at(60).unwrap());
        let cur = t.current(&FixedClock::from_unix(60)).unwrap();
        assert_eq!(cur.code, next.code);
        assert_eq!(cur.remaining, Duration::from_secs(60));
    }

    #[test]
    fn drift_shifts_the_counter() {
        let base = sixty(SEED20);
        let ahead = sixty(SEED20).with_drift(2);
        let behind = sixty(SEED20).with_drift(-1);
        assert_eq!(ahead.code_at(600).unwrap(), base.code_at(720).unwrap());
        assert_eq!(behind.code_at(600).unwrap(), base.code_at(540).unwrap());
        assert_eq!(behind.counter_at(59), Err(InputError::TimeOutOfRange));
        let one_second = OtpParams {
            period: Period::try_from(1).unwrap(),
            ..OtpParams::default()
        };
        let fast = Totp::new(&key(SEED20), one_second).with_drift(i64::MAX);
        assert_eq!(fast.counter_at(u64::MAX), Err(InputError::TimeOutOfRange));
        // With 60-second steps the same drift still fits.
        assert!(
            sixty(SEED20)
                .with_drift(i64::MAX)
                .counter_at(u64::MAX)
                .is_ok()
        );
    }

    #[test]
    fn extreme_times_and_periods_do_not_panic() {
        let t = Totp::new(
            &key(SEED20),
            OtpParams {
                period: Period::try_from(1).unwrap(),
                ..OtpParams::default()
            },
        );
        let end = t.at(Duration::from_secs(u64::MAX)).unwrap();
        assert_eq!(end.valid_until, u64::MAX);
        assert_eq!(
            t.next(&FixedClock::from_unix(u64::MAX)),
            Err(InputError::TimeOutOfRange)
        );
        let huge = Totp::new(
            &key(SEED20),
            OtpParams {
                period: Period::try_from(u64::MAX).unwrap(),
                ..OtpParams::default()
            },
        );
        assert_eq!(huge.counter_at(u64::MAX - 1).unwrap(), 0);
    }

    #[test]
    fn grouping() {
        let k = key(SEED20);
        let c6 = Hotp::new(&k, Algorithm::Sha1, Digits::SIX).code(0);
        let c7 = Hotp::new(&k, Algorithm::Sha1, Digits::SEVEN).code(0);
        let c8 = Hotp::new(&k, Algorithm::Sha1, Digits::EIGHT).code(0);
        assert_eq!(c6.grouped(), "755 224");
        assert_eq!(c7.grouped(), "475 5224");
        assert_eq!(c8.grouped(), "8475 5224");
        assert_eq!(format!("{c6:?}"), "Code(REDACTED)");
    }

    #[test]
    fn parameter_parsing() {
        assert_eq!("SHA-256".parse::<Algorithm>().unwrap(), Algorithm::Sha256);
        assert_eq!(
            "hmac-sha512".parse::<Algorithm>().unwrap(),
            Algorithm::Sha512
        );
        assert!("md5".parse::<Algorithm>().is_err());
        assert_eq!("8".parse::<Digits>().unwrap(), Digits::EIGHT);
        assert!("9".parse::<Digits>().is_err());
        assert!("5".parse::<Digits>().is_err());
        assert!("x".parse::<Digits>().is_err());
        assert_eq!("60s".parse::<Period>().unwrap(), Period::SIXTY);
        assert!("0".parse::<Period>().is_err());
        assert!("-30".parse::<Period>().is_err());
    }

    proptest::proptest! {
        /// The totp-rs path and the direct hmac path agree everywhere.
        #[test]
        fn two_implementations_agree(
            secret in proptest::collection::vec(proptest::num::u8::ANY, 1..80),
            counter in proptest::num::u64::ANY,
            alg in 0_usize..3,
            digits in 6_u8..=8,
        ) {
            let k = SecretKey::from_bytes(secret).unwrap();
            let algorithm = Algorithm::ALL[alg];
            let digits = Digits::try_from(digits).unwrap();
            let a = Hotp::new(&k, algorithm, digits).code(counter).to_string();
            let b = hmac_trace(&k, algorithm, digits, counter);
            proptest::prop_assert_eq!(&a, &b.code);
        }

        /// Any period and time gives a code and consistent step bounds.
        #[test]
        fn any_period_and_time(period in 1_u64.., t in proptest::num::u64::ANY) {
            let totp = Totp::new(&key(SEED20), OtpParams {
                period: Period::try_from(period).unwrap(),
                ..OtpParams::default()
            });
            let c = totp.at(Duration::from_secs(t)).unwrap();
            proptest::prop_assert!(c.valid_from <= t && t < c.valid_until || c.valid_until == u64::MAX);
            proptest::prop_assert_eq!(c.counter, t / period);
        }
    }

    #[test]
    fn other_seed_lengths_for_sha256_and_sha512() {
        // Cross-check of the two paths on the RFC 6238 seeds with 60-second steps.
        for (seed, alg) in [(SEED32, Algorithm::Sha256), (SEED64, Algorithm::Sha512)] {
            let k = key(seed);
            let t = Totp::new(
                &k,
                OtpParams {
                    algorithm: alg,
                    digits: Digits::EIGHT,
                    period: Period::SIXTY,
                },
            );
            for time in [0, 59, 60, 4_294_967_296] {
                let trace = hmac_trace(&k, alg, Digits::EIGHT, time / 60);
                assert_eq!(t.code_at(time).unwrap().to_string(), trace.code);
            }
        }
    }
}
