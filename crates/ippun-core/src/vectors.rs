//! Test-vector files: reading, checking and writing.
//!
//! A vectors file is TOML:
//!
//! ```toml
//! format = 1
//!
//! [[vector]]
//! name = "RFC 6238 SHA-1 t=59"
//! source = "RFC 6238 Appendix B"          # optional, free text
//! kind = "totp"                            # "totp" or "hotp"
//! secret_hex = "3132333435363738393031323334353637383930"  # or secret = "<base32>"
//! algorithm = "sha1"                       # sha1 | sha256 | sha512
//! digits = 8                               # 6, 7 or 8
//! period = 30                              # totp only, seconds
//! time = 59                                # totp only, Unix seconds
//! utc = "1970-01-01T00:00:59Z"             # optional, must equal `time`
//! counter = 1                              # hotp: the input; totp: optional expected step
//! hmac = "…"                               # optional, hex HMAC over the counter
//! truncated = 1094287082                   # optional, 31-bit dynamic truncation
//! code = "94287082"
//! ```
//!
//! OCRA vectors (`kind = "ocra"`, RFC 6287) name the `suite` and give the
//! `question` as the suite formats it, with `counter`, `pin` (and its
//! expected `pin_hash`), `session_hex` and `time` where the suite takes them;
//! `algorithm` and `digits` must agree with the suite.
//!
//! Every vector is computed twice: by the engine (on `totp-rs`) and by a direct
//! HMAC computation ([`crate::otp::hmac_trace`]); both must give `code`, and the
//! optional fields are checked against the direct computation.

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
use crate::input::{self, InputError, SecretKey};
use crate::otp::{Algorithm, Digits, Hotp, OtpParams, Period, Totp, hmac_trace};

/// The only file format version so far.
pub const FORMAT: i64 = 1;

/// Files larger than this are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// HOTP, TOTP or OCRA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// RFC 4226, counter-based.
    Hotp,
    /// RFC 6238, time-based.
    Totp,
    /// RFC 6287, challenge-response (checked only, not generated).
    Ocra,
}

/// A whole vectors file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorFile {
    /// Format version; must be [`FORMAT`].
    pub format: i64,
    /// The vectors, in file order.
    #[serde(default, rename = "vector")]
    pub vectors: Vec<Vector>,
}

/// One vector as written in the file. Values are kept as written, so that a
/// bad value is reported for its vector and the others are still checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// Name shown in reports.
    pub name: String,
    /// Where the vector comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// HOTP or TOTP.
    pub kind: Kind,
    /// Key in base32 (test keys only: files are not for real secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Key in hexadecimal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hex: Option<String>,
    /// `sha1`, `sha256` or `sha512`.
    pub algorithm: String,
    /// 6, 7 or 8.
    pub digits: i64,
    /// TOTP step in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<i64>,
    /// TOTP time in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    /// The same time in RFC 3339, for readers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc: Option<String>,
    /// HOTP counter, or the expected TOTP step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<i64>,
    /// Expected HMAC, hexadecimal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hmac: Option<String>,
    /// Expected 31-bit truncated value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<i64>,
    /// OCRA suite string (ocra only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suite: Option<String>,
    /// OCRA challenge as written in the suite's format (ocra only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// OCRA PIN, hashed with the suite's PIN hash (ocra only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// Expected hash of `pin`, hexadecimal (ocra only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
    /// OCRA session information, hexadecimal (ocra only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_hex: Option<String>,
    /// Expected code.
    pub code: String,
}

/// A vectors file that cannot be used at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("the file is larger than {MAX_FILE_BYTES} bytes")]
    TooLarge,
    /// Not UTF-8 text.
    #[error("the file is not UTF-8 text")]
    NotText,
    /// TOML syntax or structure error (the message names the line).
    #[error("{0}")]
    Syntax(String),
    /// An unsupported `format` value.
    #[error("format {0} is not supported (this version reads format {FORMAT})")]
    Format(i64),
    /// No vectors at all: a check of nothing must not pass.
    #[error("the file holds no vectors")]
    Empty,
}

/// Reads and parses a vectors file.
pub fn read_file(path: &Path) -> Result<VectorFile, FileError> {
    let f = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FileError::TooLarge);
    }
    let text = String::from_utf8(bytes).map_err(|_| FileError::NotText)?;
    parse(&text)
}

/// Parses the text of a vectors file.
pub fn parse(text: &str) -> Result<VectorFile, FileError> {
    let file: VectorFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let msg = e.message().trim().to_owned();
        FileError::Syntax(match line {
            Some(l) => format!("line {l}: {msg}"),
            None => msg,
        })
    })?;
    if file.format != FORMAT {
        return Err(FileError::Format(file.format));
    }
    if file.vectors.is_empty() {
        return Err(FileError::Empty);
    }
    Ok(file)
}

/// A field whose computed value differs from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Field name as in the file (`code`, `hmac`, …).
    pub field: &'static str,
    /// Value in the file.
    pub expected: String,
    /// Value computed.
    pub actual: String,
}

/// The result of checking one vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every given field matches.
    Pass,
    /// At least one field differs.
    Mismatch(Vec<Mismatch>),
    /// The vector itself is not usable (missing or contradictory fields).
    Invalid(String),
}

impl Outcome {
    /// Whether the vector passed.
    pub const fn passed(&self) -> bool {
        matches!(self, Self::Pass)
    }
}

/// Results for a whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Each vector's name and outcome, in file order.
    pub results: Vec<(String, Outcome)>,
}

impl Report {
    /// Vectors that passed.
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|(_, o)| o.passed()).count()
    }

    /// Vectors that did not pass (mismatch or invalid).
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    /// Lines for people: one per mismatch or invalid vector, then the summary.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        let mut out = Vec::new();
        for (name, outcome) in &self.results {
            match outcome {
                Outcome::Pass => {}
                Outcome::Mismatch(ms) => {
                    for m in ms {
                        out.push(lang.text_with(
                            "vectors-mismatch",
                            &[
                                ("name", name),
                                ("field", m.field),
                                ("expected", &m.expected),
                                ("actual", &m.actual),
                            ],
                        ));
                    }
                }
                Outcome::Invalid(reason) => out
                    .push(lang.text_with("vectors-invalid", &[("name", name), ("reason", reason)])),
            }
        }
        out.push(lang.text_with(
            "vectors-summary",
            &[
                ("passed", &self.passed().to_string()),
                ("failed", &self.failed().to_string()),
            ],
        ));
        out
    }
}

/// Checks every vector of a file.
pub fn check_file(file: &VectorFile) -> Report {
    Report {
        results: file
            .vectors
            .iter()
            .map(|v| (v.name.clone(), check(v)))
            .collect(),
    }
}

/// Why a vector is unusable, in English (vector files are QA material).
#[derive(Debug)]
struct Invalid(String);

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<InputError> for Invalid {
    fn from(e: InputError) -> Self {
        Self(e.to_string())
    }
}

fn invalid(msg: impl Into<String>) -> Invalid {
    Invalid(msg.into())
}

fn non_negative(field: &str, v: i64) -> Result<u64, Invalid> {
    u64::try_from(v).map_err(|_| invalid(format!("{field} must not be negative")))
}

/// Checks one vector.
pub fn check(v: &Vector) -> Outcome {
    match check_inner(v) {
        Ok(ms) if ms.is_empty() => Outcome::Pass,
        Ok(ms) => Outcome::Mismatch(ms),
        Err(e) => Outcome::Invalid(e.0),
    }
}

fn check_inner(v: &Vector) -> Result<Vec<Mismatch>, Invalid> {
    if v.kind == Kind::Ocra {
        return check_ocra(v);
    }
    if v.suite.is_some()
        || v.question.is_some()
        || v.pin.is_some()
        || v.pin_hash.is_some()
        || v.session_hex.is_some()
    {
        return Err(invalid(
            "suite, question, pin, pin_hash and session_hex are for ocra vectors",
        ));
    }
    let key = key_of(v)?;
    let algorithm: Algorithm = v.algorithm.parse()?;
    let digits = u8::try_from(v.digits)
        .map_err(|_| InputError::Digits(v.digits.to_string()))
        .and_then(Digits::try_from)?;
    if v.code.len() != usize::from(digits.get()) || !v.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!(
            "code must be exactly {digits} digits, not {:?}",
            v.code
        )));
    }

    let mut ms = Vec::new();
    let counter = match v.kind {
        Kind::Hotp | Kind::Ocra => {
            if v.time.is_some() || v.period.is_some() || v.utc.is_some() {
                return Err(invalid(
                    "hotp vectors take counter, not time, period or utc",
                ));
            }
            let c = v
                .counter
                .ok_or_else(|| invalid("hotp vectors need counter"))?;
            let counter = non_negative("counter", c)?;
            let code = Hotp::new(&key, algorithm, digits).code(counter).to_string();
            push_if_differs(&mut ms, "code", &v.code, code);
            counter
        }
        Kind::Totp => {
            let time = non_negative(
                "time",
                v.time.ok_or_else(|| invalid("totp vectors need time"))?,
            )?;
            let period = non_negative(
                "period",
                v.period
                    .ok_or_else(|| invalid("totp vectors need period"))?,
            )?;
            let period = Period::try_from(period)?;
            if let Some(utc) = &v.utc {
                let t = input::parse_time(utc)?;
                if t != time {
                    return Err(invalid(format!("utc {utc} is not time {time}")));
                }
            }
            let totp = Totp::new(
                &key,
                OtpParams {
                    algorithm,
                    digits,
                    period,
                },
            );
            let counter = totp.counter_at(time)?;
            if let Some(expected) = v.counter {
                push_if_differs(
                    &mut ms,
                    "counter",
                    &expected.to_string(),
                    counter.to_string(),
                );
            }
            push_if_differs(&mut ms, "code", &v.code, totp.code_at(time)?.to_string());
            counter
        }
    };

    let trace = hmac_trace(&key, algorithm, digits, counter);
    push_if_differs(&mut ms, "code (direct HMAC)", &v.code, trace.code.clone());
    if let Some(h) = &v.hmac {
        push_if_differs(
            &mut ms,
            "hmac",
            &h.to_ascii_lowercase(),
            hex::encode(&trace.hmac),
        );
    }
    if let Some(t) = v.truncated {
        push_if_differs(
            &mut ms,
            "truncated",
            &t.to_string(),
            trace.truncated.to_string(),
        );
    }
    Ok(ms)
}

fn key_of(v: &Vector) -> Result<SecretKey, Invalid> {
    match (&v.secret, &v.secret_hex) {
        (Some(b32), None) => Ok(SecretKey::from_base32(b32)?),
        (None, Some(h)) => Ok(SecretKey::from_hex(h)?),
        _ => Err(invalid(
            "give exactly one of secret (base32) and secret_hex",
        )),
    }
}

fn check_ocra(v: &Vector) -> Result<Vec<Mismatch>, Invalid> {
    use crate::ocra::{Inputs, Suite};
    let key = key_of(v)?;
    let suite: Suite = v
        .suite
        .as_deref()
        .ok_or_else(|| invalid("ocra vectors need suite"))?
        .parse()
        .map_err(|e: crate::ocra::OcraError| invalid(e.to_string()))?;
    let algorithm: Algorithm = v.algorithm.parse()?;
    if algorithm != suite.algorithm() || v.digits != i64::from(suite.digits()) {
        return Err(invalid("algorithm and digits must agree with the suite"));
    }
    if v.period.is_some() || v.hmac.is_some() || v.truncated.is_some() {
        return Err(invalid("ocra vectors take no period, hmac or truncated"));
    }
    let question = v
        .question
        .as_deref()
        .ok_or_else(|| invalid("ocra vectors need question"))?;
    let counter = v.counter.map(|c| non_negative("counter", c)).transpose()?;
    let time = v.time.map(|t| non_negative("time", t)).transpose()?;
    if let (Some(utc), Some(t)) = (&v.utc, time)
        && input::parse_time(utc)? != t
    {
        return Err(invalid(format!("utc {utc} is not time {t}")));
    }
    let pin_hash = match &v.pin {
        Some(p) => Some(
            suite
                .hash_pin(p)
                .ok_or_else(|| invalid("the suite takes no PIN"))?,
        ),
        None => None,
    };
    let session = v
        .session_hex
        .as_deref()
        .map(hex::decode)
        .transpose()
        .map_err(|_| invalid("session_hex is not hexadecimal"))?;
    let mut ms = Vec::new();
    if let (Some(want), Some(got)) = (&v.pin_hash, &pin_hash) {
        push_if_differs(
            &mut ms,
            "pin_hash",
            &want.to_ascii_lowercase(),
            hex::encode(got),
        );
    }
    let answer = suite
        .answer(
            key.expose(),
            &Inputs {
                counter,
                question,
                pin_hash: pin_hash.as_deref(),
                session: session.as_deref(),
                time,
            },
        )
        .map_err(|e| invalid(e.to_string()))?;
    push_if_differs(&mut ms, "code", &v.code, answer);
    Ok(ms)
}

fn push_if_differs(ms: &mut Vec<Mismatch>, field: &'static str, expected: &str, actual: String) {
    if expected != actual {
        ms.push(Mismatch {
            field,
            expected: expected.to_owned(),
            actual,
        });
    }
}

/// How to write the key in generated vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyForm {
    /// `secret = "<base32>"`
    Base32,
    /// `secret_hex = "<hex>"`
    Hex,
}

/// What `ippun vectors generate` writes: the cross product of keys,
/// algorithms, digits and times (TOTP) or counters (HOTP).
#[derive(Debug)]
pub struct GenerateSpec {
    /// Keys with the form to write them in.
    pub keys: Vec<(SecretKey, KeyForm)>,
    /// HOTP or TOTP.
    pub kind: Kind,
    /// Hashes.
    pub algorithms: Vec<Algorithm>,
    /// Code lengths.
    pub digits: Vec<Digits>,
    /// TOTP step.
    pub period: Period,
    /// TOTP times.
    pub times: Vec<u64>,
    /// HOTP counters.
    pub counters: Vec<u64>,
    /// Also write `hmac` and `truncated`.
    pub trace: bool,
    /// Start of each vector's name.
    pub name_prefix: String,
    /// Written into each vector's `source`.
    pub source: Option<String>,
}

/// Builds the vectors of `spec`.
pub fn generate(spec: &GenerateSpec) -> Result<VectorFile, InputError> {
    let mut vectors = Vec::new();
    let points: &[u64] = match spec.kind {
        Kind::Hotp => &spec.counters,
        Kind::Totp => &spec.times,
        // OCRA vectors are transcribed, not generated.
        Kind::Ocra => return Err(InputError::NothingToGenerate),
    };
    if points.is_empty() || spec.keys.is_empty() {
        return Err(InputError::NothingToGenerate);
    }
    for (ki, (key, form)) in spec.keys.iter().enumerate() {
        let (secret, secret_hex) = match form {
            KeyForm::Base32 => (Some(key.to_base32().to_string()), None),
            KeyForm::Hex => (None, Some(key.to_hex().to_string())),
        };
        let key_label = if spec.keys.len() > 1 {
            format!(" key{} ({} bytes)", ki + 1, key.len())
        } else {
            String::new()
        };
        for &algorithm in &spec.algorithms {
            for &digits in &spec.digits {
                let params = OtpParams {
                    algorithm,
                    digits,
                    period: spec.period,
                };
                let totp = Totp::new(key, params);
                let hotp = Hotp::new(key, algorithm, digits);
                for &point in points {
                    let as_toml = |v: u64| i64::try_from(v).map_err(|_| InputError::TimeOutOfRange);
                    let (counter, code, time, utc, label) = match spec.kind {
                        Kind::Hotp | Kind::Ocra => (
                            point,
                            hotp.code(point).to_string(),
                            None,
                            None,
                            format!("counter={point}"),
                        ),
                        Kind::Totp => (
                            totp.counter_at(point)?,
                            totp.code_at(point)?.to_string(),
                            Some(as_toml(point)?),
                            input::format_utc(point),
                            format!("t={point}"),
                        ),
                    };
                    let trace = spec
                        .trace
                        .then(|| hmac_trace(key, algorithm, digits, counter));
                    vectors.push(Vector {
                        name: format!(
                            "{}{key_label} {algorithm} {digits}d {label}",
                            spec.name_prefix
                        ),
                        source: spec.source.clone(),
                        kind: spec.kind,
                        secret: secret.clone(),
                        secret_hex: secret_hex.clone(),
                        algorithm: algorithm.as_str().to_owned(),
                        digits: i64::from(digits.get()),
                        period: (spec.kind == Kind::Totp)
                            .then(|| as_toml(spec.period.secs()))
                            .transpose()?,
                        time,
                        utc,
                        counter: Some(as_toml(counter)?),
                        hmac: trace.as_ref().map(|t| hex::encode(&t.hmac)),
                        truncated: trace.as_ref().map(|t| i64::from(t.truncated)),
                        suite: None,
                        question: None,
                        pin: None,
                        pin_hash: None,
                        session_hex: None,
                        code,
                    });
                }
            }
        }
    }
    Ok(VectorFile {
        format: FORMAT,
        vectors,
    })
}

/// The TOML text of a vectors file, with a header comment.
pub fn to_toml(file: &VectorFile, header: &str) -> String {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    if !header.is_empty() {
        out.push('\n');
    }
    // Serialising plain strings and integers cannot fail.
    out.push_str(&toml::to_string(file).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC6238_SHA1_59: &str = r#"
format = 1

[[vector]]
name = "RFC 6238 SHA-1 t=59"
kind = "totp"
secret_hex = "3132333435363738393031323334353637383930"
algorithm = "sha1"
digits = 8
period = 30
time = 59
utc = "1970-01-01T00:00:59Z"
counter = 1
code = "94287082"

[[vector]]
name = "RFC 4226 count 1"
kind = "hotp"
secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
algorithm = "sha1"
digits = 6
counter = 1
hmac = "75a48a19d4cbe100644e8ac1397eea747a2d33ab"
truncated = 1094287082
code = "287082"
"#;

    #[test]
    fn good_vectors_pass() {
        let f = parse(RFC6238_SHA1_59).unwrap();
        let r = check_file(&f);
        assert_eq!((r.passed(), r.failed()), (2, 0), "{:?}", r.results);
        assert_eq!(r.lines(Lang::En), vec!["2 passed, 0 failed"]);
    }

    #[test]
    fn wrong_values_are_mismatches_naming_the_field() {
        let bad = RFC6238_SHA1_59
            .replace("94287082", "94287083")
            .replace("1094287082", "1094287000");
        let r = check_file(&parse(&bad).unwrap());
        assert_eq!(r.failed(), 2);
        let Outcome::Mismatch(ms) = &r.results[0].1 else {
            panic!("{:?}", r.results[0])
        };
        assert_eq!(ms[0].field, "code");
        assert_eq!(ms[0].expected, "94287083");
        assert_eq!(ms[0].actual, "94287082");
        let Outcome::Mismatch(ms) = &r.results[1].1 else {
            panic!("{:?}", r.results[1])
        };
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].field, "truncated");
        let lines = r.lines(Lang::En);
        assert!(lines[0].starts_with("MISMATCH RFC 6238 SHA-1 t=59: code"));
        assert_eq!(lines.last().unwrap(), "0 passed, 2 failed");
    }

    #[test]
    fn unusable_vectors_are_invalid_not_panics() {
        let cases = [
            ("digits = 8", "digits = 9"),
            (
                "algorithm = \"sha1\"\ndigits = 8",
                "algorithm = \"md5\"\ndigits = 8",
            ),
            ("time = 59", "time = -59"),
            ("period = 30", "period = 0"),
            (
                "utc = \"1970-01-01T00:00:59Z\"",
                "utc = \"1970-01-01T00:01:00Z\"",
            ),
            (
                "secret_hex = \"3132333435363738393031323334353637383930\"",
                "secret_hex = \"zz\"",
            ),
            ("code = \"94287082\"", "code = \"9428708\""),
            ("period = 30\n", ""),
        ];
        for (from, to) in cases {
            let text = RFC6238_SHA1_59.replacen(from, to, 1);
            let r = check_file(&parse(&text).unwrap());
            assert!(
                matches!(r.results[0].1, Outcome::Invalid(_)),
                "{to}: {:?}",
                r.results[0]
            );
            assert!(r.results[1].1.passed());
        }
    }

    #[test]
    fn broken_files_are_errors_with_line_numbers() {
        let e = parse("format = 1\n[[vector]]\nname = \"x\"\nkind = \"totp\"\ncolour = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("line "), "{e}");
        assert!(matches!(parse("format = 2\n"), Err(FileError::Format(2))));
        assert!(matches!(parse("format = 1\n"), Err(FileError::Empty)));
        assert!(matches!(parse("format = "), Err(FileError::Syntax(_))));
        assert!(matches!(parse(""), Err(FileError::Syntax(_))));
    }

    #[test]
    fn generated_vectors_check_and_round_trip() {
        let spec = GenerateSpec {
            keys: vec![
                (
                    SecretKey::from_bytes(b"12345678901234567890".to_vec()).unwrap(),
                    KeyForm::Hex,
                ),
                (
                    SecretKey::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
                    KeyForm::Base32,
                ),
            ],
            kind: Kind::Totp,
            algorithms: Algorithm::ALL.to_vec(),
            digits: vec![Digits::SIX, Digits::EIGHT],
            period: Period::SIXTY,
            times: vec![0, 59, 60, 4_294_967_296],
            counters: vec![],
            trace: true,
            name_prefix: "own".into(),
            source: Some("test".into()),
        };
        let file = generate(&spec).unwrap();
        assert_eq!(file.vectors.len(), 2 * 3 * 2 * 4);
        let text = to_toml(&file, "header line");
        assert!(text.starts_with("# header line\n\nformat = 1\n"));
        let back = parse(&text).unwrap();
        assert_eq!(back, file);
        let r = check_file(&back);
        assert_eq!(r.failed(), 0);
        let too_late = GenerateSpec {
            times: vec![u64::MAX],
            ..spec
        };
        assert_eq!(generate(&too_late).unwrap_err(), InputError::TimeOutOfRange);
        let nothing = GenerateSpec {
            times: vec![],
            ..too_late
        };
        assert_eq!(
            generate(&nothing).unwrap_err(),
            InputError::NothingToGenerate
        );
    }

    proptest::proptest! {
        /// Arbitrary text never panics the parser or the checker.
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
            if let Ok(f) = parse(&text) {
                let _ = check_file(&f);
            }
        }

        /// Mutating a good file never panics and never makes a wrong code pass.
        #[test]
        fn mutated_files_never_panic(pos in 0_usize..600, byte in proptest::num::u8::ANY) {
            let mut bytes = RFC6238_SHA1_59.as_bytes().to_vec();
            let p = pos % bytes.len();
            bytes[p] = byte;
            if let Ok(text) = String::from_utf8(bytes)
                && let Ok(f) = parse(&text)
            {
                let _ = check_file(&f);
            }
        }
    }
}
