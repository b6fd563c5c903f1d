//! OCRA, the OATH challenge-response algorithm (RFC 6287).
//!
//! A suite string such as `OCRA-1:HOTP-SHA256-8:QH64` names the hash, the
//! length of the answer and the data that goes into it: an optional counter
//! (`C`), the challenge (`Q` with format `A`lphanumeric, `N`umeric or
//! `H`exadecimal and a maximum length), an optional hashed PIN (`PSHA1`…),
//! optional session information (`S064`…) and an optional time step (`T1M`…).
//! The data input is the suite string, a zero byte, then each present field
//! in that order; the answer is the HOTP dynamic truncation of its HMAC.
//!
//! Transaction confirmation uses [`TX_SUITE`]: the challenge is the SHA-256
//! of the transaction data and the decision, so the answer is bound to them.
//! The RFC's published vectors live in `tests/vectors/rfc6287.toml`.

use std::fmt;
use std::str::FromStr;

use sha1::Digest as _;

use crate::otp::{Algorithm, mac};

/// The suite of transaction confirmation: HMAC-SHA-256, eight digits, a
/// 64-hex-digit challenge (a SHA-256 hash) and nothing else.
pub const TX_SUITE: &str = "OCRA-1:HOTP-SHA256-8:QH64";

/// Size of the challenge field in the data input (RFC 6287 §5.1).
const QUESTION_BYTES: usize = 128;

/// The challenge's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionFormat {
    /// Alphanumeric: the characters' bytes.
    Alphanumeric,
    /// Numeric: a decimal number, encoded as its hexadecimal digits.
    Numeric,
    /// Hexadecimal digits.
    Hex,
}

/// A parsed suite string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    text: String,
    algorithm: Algorithm,
    /// 0 (no truncation: the whole HMAC in hex) or 4–10.
    digits: u8,
    counter: bool,
    question: (QuestionFormat, u8),
    pin: Option<Algorithm>,
    session: Option<u16>,
    time_step: Option<u64>,
}

/// Why a suite or an input is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OcraError {
    /// The suite string does not follow RFC 6287 §6.
    #[error("not an OCRA suite: {0}")]
    Suite(&'static str),
    /// The suite needs a value that was not given (counter, PIN, …).
    #[error("the suite needs {0}")]
    Missing(&'static str),
    /// A value was given that the suite does not take.
    #[error("the suite does not take {0}")]
    Unexpected(&'static str),
    /// The challenge does not fit the suite's format or length.
    #[error("challenge: {0}")]
    Question(&'static str),
    /// Session information of the wrong length.
    #[error("session information must be {0} bytes")]
    Session(u16),
    /// A PIN hash of the wrong length for its algorithm.
    #[error("the PIN hash has the wrong length")]
    PinHash,
}

fn hash_named(name: &str) -> Option<Algorithm> {
    match name {
        "SHA1" => Some(Algorithm::Sha1),
        "SHA256" => Some(Algorithm::Sha256),
        "SHA512" => Some(Algorithm::Sha512),
        _ => None,
    }
}

const fn hash_len(a: Algorithm) -> usize {
    match a {
        Algorithm::Sha1 => 20,
        Algorithm::Sha256 => 32,
        Algorithm::Sha512 => 64,
    }
}

impl FromStr for Suite {
    type Err = OcraError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(':');
        let (Some(version), Some(crypto), Some(data), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OcraError::Suite("three parts separated by ':'"));
        };
        if version != "OCRA-1" {
            return Err(OcraError::Suite("version must be OCRA-1"));
        }
        let mut c = crypto.split('-');
        let (Some("HOTP"), Some(hash), Some(digits), None) =
            (c.next(), c.next(), c.next(), c.next())
        else {
            return Err(OcraError::Suite("crypto function must be HOTP-SHAx-t"));
        };
        let algorithm =
            hash_named(hash).ok_or(OcraError::Suite("hash must be SHA1, SHA256 or SHA512"))?;
        let digits: u8 = match digits {
            "0" => 0,
            d if d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit()) => d
                .parse()
                .ok()
                .filter(|n| (4..=10).contains(n))
                .ok_or(OcraError::Suite("truncation must be 0 or 4–10"))?,
            _ => return Err(OcraError::Suite("truncation must be 0 or 4–10")),
        };
        let mut fields = data.split('-').peekable();
        let counter = fields.next_if_eq(&"C").is_some();
        let q = fields
            .next()
            .ok_or(OcraError::Suite("the challenge field Q is required"))?;
        let question = parse_question(q)?;
        let mut pin = None;
        let mut session = None;
        let mut time_step = None;
        for f in fields {
            if let Some(h) = f.strip_prefix('P') {
                if pin.is_some() || session.is_some() || time_step.is_some() {
                    return Err(OcraError::Suite("P out of order"));
                }
                pin = Some(
                    hash_named(h)
                        .ok_or(OcraError::Suite("PIN hash must be SHA1, SHA256 or SHA512"))?,
                );
            } else if let Some(n) = f.strip_prefix('S') {
                if session.is_some() || time_step.is_some() {
                    return Err(OcraError::Suite("S out of order"));
                }
                if n.len() != 3 || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(OcraError::Suite("S takes three digits"));
                }
                let len: u16 = n
                    .parse()
                    .map_err(|_| OcraError::Suite("S takes three digits"))?;
                if len == 0 || len > 512 {
                    return Err(OcraError::Suite("S length must be 1–512"));
                }
                session = Some(len);
            } else if let Some(t) = f.strip_prefix('T') {
                if time_step.is_some() {
                    return Err(OcraError::Suite("T given twice"));
                }
                time_step = Some(parse_time_step(t)?);
            } else {
                return Err(OcraError::Suite("unknown data input field"));
            }
        }
        Ok(Self {
            text: s.to_owned(),
            algorithm,
            digits,
            counter,
            question,
            pin,
            session,
            time_step,
        })
    }
}

fn parse_question(q: &str) -> Result<(QuestionFormat, u8), OcraError> {
    let bad = OcraError::Suite("challenge must be QA, QN or QH with a length of 04–64");
    let rest = q.strip_prefix('Q').ok_or(bad.clone())?;
    let mut chars = rest.chars();
    let format = match chars.next() {
        Some('A') => QuestionFormat::Alphanumeric,
        Some('N') => QuestionFormat::Numeric,
        Some('H') => QuestionFormat::Hex,
        _ => return Err(bad),
    };
    let len = chars.as_str();
    if len.len() != 2 || !len.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    let n: u8 = len.parse().map_err(|_| bad.clone())?;
    if !(4..=64).contains(&n) {
        return Err(bad);
    }
    Ok((format, n))
}

fn parse_time_step(t: &str) -> Result<u64, OcraError> {
    let bad = OcraError::Suite("time step must be 1–59S, 1–59M or 0–48H");
    let (n, unit) = t.split_at(t.len().saturating_sub(1));
    if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    let n: u64 = n.parse().map_err(|_| bad.clone())?;
    match unit {
        "S" if (1..=59).contains(&n) => Ok(n),
        "M" if (1..=59).contains(&n) => Ok(n * 60),
        "H" if n <= 48 && n > 0 => Ok(n * 3600),
        _ => Err(bad),
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The data that goes into one answer, besides the key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// Counter (suites with `C`).
    pub counter: Option<u64>,
    /// The challenge, as written in the suite's format.
    pub question: &'a str,
    /// The hash of the PIN, with the suite's PIN hash (suites with `P`).
    pub pin_hash: Option<&'a [u8]>,
    /// Session information (suites with `S`).
    pub session: Option<&'a [u8]>,
    /// Unix seconds (suites with `T`); divided by the suite's time step.
    pub time: Option<u64>,
}

impl Suite {
    /// The HMAC hash.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The answer's length in digits (0: the whole HMAC in hex).
    pub const fn digits(&self) -> u8 {
        self.digits
    }

    /// The PIN hash the suite takes, if any.
    pub const fn pin(&self) -> Option<Algorithm> {
        self.pin
    }

    /// The time step in seconds, if the suite takes time.
    pub const fn time_step(&self) -> Option<u64> {
        self.time_step
    }

    /// Hashes a PIN with the suite's PIN hash.
    pub fn hash_pin(&self, pin: &str) -> Option<Vec<u8>> {
        self.pin.map(|a| match a {
            Algorithm::Sha1 => sha1::Sha1::digest(pin.as_bytes()).to_vec(),
            Algorithm::Sha256 => sha2::Sha256::digest(pin.as_bytes()).to_vec(),
            Algorithm::Sha512 => sha2::Sha512::digest(pin.as_bytes()).to_vec(),
        })
    }

    /// The data input of RFC 6287 §5.1 for these inputs.
    pub fn data_input(&self, inputs: &Inputs<'_>) -> Result<Vec<u8>, OcraError> {
        let mut d = Vec::with_capacity(self.text.len() + 1 + 8 + QUESTION_BYTES + 64 + 8);
        d.extend_from_slice(self.text.as_bytes());
        d.push(0);
        match (self.counter, inputs.counter) {
            (true, Some(c)) => d.extend_from_slice(&c.to_be_bytes()),
            (true, None) => return Err(OcraError::Missing("a counter")),
            (false, Some(_)) => return Err(OcraError::Unexpected("a counter")),
            (false, None) => {}
        }
        d.extend_from_slice(&self.question_field(inputs.question)?);
        match (self.pin, inputs.pin_hash) {
            (Some(a), Some(h)) if h.len() == hash_len(a) => d.extend_from_slice(h),
            (Some(_), Some(_)) => return Err(OcraError::PinHash),
            (Some(_), None) => return Err(OcraError::Missing("a PIN")),
            (None, Some(_)) => return Err(OcraError::Unexpected("a PIN")),
            (None, None) => {}
        }
        match (self.session, inputs.session) {
            (Some(n), Some(s)) if s.len() == usize::from(n) => d.extend_from_slice(s),
            (Some(n), Some(_)) => return Err(OcraError::Session(n)),
            (Some(_), None) => return Err(OcraError::Missing("session information")),
            (None, Some(_)) => return Err(OcraError::Unexpected("session information")),
            (None, None) => {}
        }
        match (self.time_step, inputs.time) {
            (Some(step), Some(t)) => d.extend_from_slice(&(t / step).to_be_bytes()),
            (Some(_), None) => return Err(OcraError::Missing("a time")),
            (None, Some(_)) => return Err(OcraError::Unexpected("a time")),
            (None, None) => {}
        }
        Ok(d)
    }

    /// The 128-byte challenge field. Numeric challenges are turned into their
    /// hexadecimal digits; hexadecimal digits are left-aligned and padded
    /// with `0` digits, as in the RFC's reference implementation.
    fn question_field(&self, q: &str) -> Result<[u8; QUESTION_BYTES], OcraError> {
        let (format, max) = self.question;
        // Mutual challenge-response (RFC 6287 §7.3) concatenates the client's
        // and the server's challenge, each up to the suite's length.
        if q.len() < 4 || q.len() > 2 * usize::from(max) {
            return Err(OcraError::Question(
                "length outside 4 and twice the suite's maximum",
            ));
        }
        let mut field = [0_u8; QUESTION_BYTES];
        match format {
            QuestionFormat::Alphanumeric => {
                if !q.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(OcraError::Question("only letters and digits"));
                }
                field[..q.len()].copy_from_slice(q.as_bytes());
            }
            QuestionFormat::Numeric => {
                if !q.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(OcraError::Question("only digits"));
                }
                put_hex_digits(&mut field, &decimal_to_hex_digits(q));
            }
            QuestionFormat::Hex => {
                let digits: Option<Vec<u8>> = q
                    .chars()
                    .map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok()))
                    .collect();
                put_hex_digits(
                    &mut field,
                    &digits.ok_or(OcraError::Question("only hexadecimal digits"))?,
                );
            }
        }
        Ok(field)
    }

    /// The answer for `key` and `inputs`.
    pub fn answer(&self, key: &[u8], inputs: &Inputs<'_>) -> Result<String, OcraError> {
        let data = self.data_input(inputs)?;
        let h = match self.algorithm {
            Algorithm::Sha1 => mac::<hmac::Hmac<sha1::Sha1>>(key, &data),
            Algorithm::Sha256 => mac::<hmac::Hmac<sha2::Sha256>>(key, &data),
            Algorithm::Sha512 => mac::<hmac::Hmac<sha2::Sha512>>(key, &data),
        };
        if self.digits == 0 {
            return Ok(hex::encode(h));
        }
        let o = usize::from(h.last().map_or(0, |b| b & 0x0f));
        let bin = u64::from(u32::from_be_bytes([h[o], h[o + 1], h[o + 2], h[o + 3]]) & 0x7fff_ffff);
        let modulus = 10_u64.pow(u32::from(self.digits));
        Ok(format!(
            "{:0width$}",
            bin % modulus,
            width = usize::from(self.digits)
        ))
    }
}

/// Writes hex digit values (0–15) into `field`, left-aligned, two per byte.
fn put_hex_digits(field: &mut [u8; QUESTION_BYTES], digits: &[u8]) {
    for (i, d) in digits.iter().take(QUESTION_BYTES * 2).enumerate() {
        let shift = if i % 2 == 0 { 4 } else { 0 };
        field[i / 2] |= d << shift;
    }
}

/// The hexadecimal digits (values 0–15, most significant first) of a
/// decimal number of any length; `"0"` gives `[0]`.
fn decimal_to_hex_digits(decimal: &str) -> Vec<u8> {
    // Repeated division by 16 of the decimal digit string.
    let mut num: Vec<u8> = decimal.bytes().map(|b| b - b'0').collect();
    let mut out = Vec::new();
    loop {
        let mut rem = 0_u8;
        let mut next = Vec::with_capacity(num.len());
        for d in &num {
            let cur = rem * 10 + d;
            let q = cur / 16;
            rem = cur % 16;
            if !(next.is_empty() && q == 0) {
                next.push(q);
            }
        }
        out.push(rem);
        if next.is_empty() {
            break;
        }
        num = next;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY20: &str = "3132333435363738393031323334353637383930";
    const KEY32: &str = "3132333435363738393031323334353637383930313233343536373839303132";

    fn key(h: &str) -> Vec<u8> {
        hex::decode(h).unwrap()
    }

    #[test]
    fn rfc6287_one_way_challenge_response() {
        // RFC 6287 Appendix C.1, the first suite (the full set is in
        // tests/vectors/rfc6287.toml).
        let s: Suite = "OCRA-1:HOTP-SHA1-6:QN08".parse().unwrap();
        let want = [
            "237653", "243178", "653583", "740991", "608993", "388898", "816933", "224598",
            "750600", "294470",
        ];
        for (i, w) in want.iter().enumerate() {
            let q = i.to_string().repeat(8);
            let a = s.answer(
                &key(KEY20),
                &Inputs {
                    question: &q,
                    ..Inputs::default()
                },
            );
            assert_eq!(a.unwrap(), *w, "Q={q}");
        }
    }

    #[test]
    fn rfc6287_counter_and_pin() {
        let s: Suite = "OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1".parse().unwrap();
        let pin = s.hash_pin("1234").unwrap();
        assert_eq!(
            hex::encode(&pin),
            "7110eda4d09e062aa5e4a390b0a572ac0d2c0220"
        );
        let a = s
            .answer(
                &key(KEY32),
                &Inputs {
                    counter: Some(9),
                    question: "12345678",
                    pin_hash: Some(&pin),
                    ..Inputs::default()
                },
            )
            .unwrap();
        assert_eq!(a, "08522129");
    }

    #[test]
    fn decimal_numbers_of_any_length_become_hex() {
        assert_eq!(decimal_to_hex_digits("0"), [0]);
        assert_eq!(decimal_to_hex_digits("12345678"), [0xB, 0xC, 6, 1, 4, 0xE]);
        assert_eq!(decimal_to_hex_digits("22222222"), [1, 5, 3, 1, 5, 8, 0xE]);
        // 2^64 does not fit a u64.
        assert_eq!(
            decimal_to_hex_digits("18446744073709551616"),
            [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn suites_are_checked() {
        for bad in [
            "",
            "OCRA-2:HOTP-SHA1-6:QN08",
            "OCRA-1:HOTP-MD5-6:QN08",
            "OCRA-1:HOTP-SHA1-3:QN08",
            "OCRA-1:HOTP-SHA1-11:QN08",
            "OCRA-1:HOTP-SHA1-6:QN03",
            "OCRA-1:HOTP-SHA1-6:QN65",
            "OCRA-1:HOTP-SHA1-6:QX08",
            "OCRA-1:HOTP-SHA1-6:C",
            "OCRA-1:HOTP-SHA1-6:QN08-T60M",
            "OCRA-1:HOTP-SHA1-6:QN08-S1",
            "OCRA-1:HOTP-SHA1-6:QN08-T1M-PSHA1",
            "OCRA-1:HOTP-SHA1-6:QN08:x",
        ] {
            assert!(bad.parse::<Suite>().is_err(), "{bad}");
        }
        let s: Suite = "OCRA-1:HOTP-SHA512-8:C-QA10-PSHA256-S064-T30S"
            .parse()
            .unwrap();
        assert_eq!(s.time_step(), Some(30));
        assert_eq!(s.pin(), Some(Algorithm::Sha256));
        assert_eq!(
            s.to_string(),
            "OCRA-1:HOTP-SHA512-8:C-QA10-PSHA256-S064-T30S"
        );
    }

    #[test]
    fn inputs_must_fit_the_suite() {
        let s: Suite = TX_SUITE.parse().unwrap();
        let k = key(KEY32);
        let q = "ab".repeat(32);
        assert!(
            s.answer(
                &k,
                &Inputs {
                    question: &q,
                    ..Inputs::default()
                }
            )
            .is_ok()
        );
        let long = "ab".repeat(65);
        assert!(
            s.answer(
                &k,
                &Inputs {
                    question: &long,
                    ..Inputs::default()
                }
            )
            .is_err()
        );
        assert!(
            s.answer(
                &k,
                &Inputs {
                    question: "xyz0",
                    ..Inputs::default()
                }
            )
            .is_err()
        );
        assert!(
            s.answer(
                &k,
                &Inputs {
                    question: &q,
                    counter: Some(1),
                    ..Inputs::default()
                }
            )
            .is_err()
        );
        assert!(
            s.answer(
                &k,
                &Inputs {
                    question: &q,
                    time: Some(1),
                    ..Inputs::default()
                }
            )
            .is_err()
        );
    }
}
