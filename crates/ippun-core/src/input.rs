//! Parsing of what people type: secrets, times and OTP parameters.
//!
//! Every parser returns an [`InputError`] that says what was wrong in plain
//! words, and never echoes a secret back.

use std::fmt;

use secrecy::{ExposeSecret, SecretSlice};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use crate::i18n::Lang;

/// Why a piece of input was refused. Messages never contain secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
#[non_exhaustive]
pub enum InputError {
    /// The secret was empty.
    EmptySecret,
    /// A character outside the base32 alphabet (A–Z, 2–7).
    Base32Character {
        /// 1-based position in the input as typed.
        position: usize,
    },
    /// A base32 string whose length cannot encode whole bytes.
    Base32Length {
        /// Number of base32 symbols after removing spaces, hyphens and padding.
        symbols: usize,
    },
    /// A hexadecimal secret that is not valid hex.
    Hex,
    /// Digits outside 6–8 (the value as given).
    Digits(String),
    /// A period that is zero, negative or not a number (the value as given).
    Period(String),
    /// An algorithm name that is not SHA-1, SHA-256 or SHA-512.
    Algorithm(String),
    /// A time that is neither Unix seconds nor RFC 3339.
    Time(String),
    /// A time before 1970-01-01T00:00:00Z.
    TimeBeforeEpoch(String),
    /// A counter that is not a whole non-negative number.
    Counter(String),
    /// A step computation went past the largest representable time.
    TimeOutOfRange,
    /// A vectors generation with no time (TOTP) or counter (HOTP) to compute.
    NothingToGenerate,
}

impl InputError {
    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let one = |id: &str, v: &str| lang.text_with(id, &[("value", v)]);
        match self {
            Self::EmptySecret => lang.text("input-empty-secret"),
            Self::Base32Character { position } => lang.text_with(
                "input-base32-character",
                &[("position", &position.to_string())],
            ),
            Self::Base32Length { symbols } => {
                lang.text_with("input-base32-length", &[("symbols", &symbols.to_string())])
            }
            Self::Hex => lang.text("input-hex"),
            Self::Digits(v) => one("input-digits", v),
            Self::Period(v) => one("input-period", v),
            Self::Algorithm(v) => one("input-algorithm", v),
            Self::Time(v) => one("input-time", v),
            Self::TimeBeforeEpoch(v) => one("input-time-before-epoch", v),
            Self::Counter(v) => one("input-counter", v),
            Self::TimeOutOfRange => lang.text("input-time-out-of-range"),
            Self::NothingToGenerate => lang.text("input-nothing-to-generate"),
        }
    }
}

/// A shared secret key. Never printed, zeroized when dropped.
#[derive(Clone)]
pub struct SecretKey(SecretSlice<u8>);

impl SecretKey {
    /// Takes ownership of raw key bytes. Empty keys are refused.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, InputError> {
        if bytes.is_empty() {
            return Err(InputError::EmptySecret);
        }
        Ok(Self(SecretSlice::from(bytes)))
    }

    /// Reads base32 (RFC 4648) as people write it: any case, with spaces or
    /// hyphens between groups, with or without `=` padding.
    pub fn from_base32(text: &str) -> Result<Self, InputError> {
        let mut clean = Zeroizing::new(String::with_capacity(text.len()));
        for (i, ch) in text.chars().enumerate() {
            match ch {
                ' ' | '\t' | '-' => {}
                'a'..='z' | 'A'..='Z' | '2'..='7' => clean.push(ch.to_ascii_uppercase()),
                '=' => {
                    // Padding is allowed only at the end.
                    if text.chars().skip(i).any(|c| c != '=') {
                        return Err(InputError::Base32Character { position: i + 1 });
                    }
                    break;
                }
                _ => return Err(InputError::Base32Character { position: i + 1 }),
            }
        }
        if clean.is_empty() {
            return Err(InputError::EmptySecret);
        }
        // Valid unpadded lengths modulo 8 are 0, 2, 4, 5 and 7.
        if matches!(clean.len() % 8, 1 | 3 | 6) {
            return Err(InputError::Base32Length {
                symbols: clean.len(),
            });
        }
        let bytes = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &clean).ok_or(
            InputError::Base32Length {
                symbols: clean.len(),
            },
        )?;
        Self::from_bytes(bytes)
    }

    /// Reads hexadecimal key bytes (as the RFCs print their seeds).
    pub fn from_hex(text: &str) -> Result<Self, InputError> {
        let bytes = hex::decode(text.trim()).map_err(|_| InputError::Hex)?;
        Self::from_bytes(bytes)
    }

    /// The key bytes. Callers must not copy them anywhere that outlives use.
    pub fn expose(&self) -> &[u8] {
        self.0.expose_secret()
    }

    /// Key length in bytes.
    pub fn len(&self) -> usize {
        self.expose().len()
    }

    /// Always false: empty keys cannot be built.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }

    /// The key as unpadded base32, for writing test vectors.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(base32::encode(
            base32::Alphabet::Rfc4648 { padding: false },
            self.expose(),
        ))
    }

    /// The key as lowercase hexadecimal, for writing test vectors.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.expose()))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(REDACTED)")
    }
}

/// Parses a time given as Unix seconds (`59`) or RFC 3339
/// (`2026-11-24T09:00:00+09:00`, `1970-01-01T00:00:59Z`).
pub fn parse_time(text: &str) -> Result<u64, InputError> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse::<u64>().map_err(|_| InputError::Time(text.into()));
    }
    if let Some(rest) = t.strip_prefix('-')
        && !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(InputError::TimeBeforeEpoch(text.into()));
    }
    let dt = OffsetDateTime::parse(t, &Rfc3339).map_err(|_| InputError::Time(text.into()))?;
    u64::try_from(dt.unix_timestamp()).map_err(|_| InputError::TimeBeforeEpoch(text.into()))
}

/// Formats Unix seconds as RFC 3339 in UTC, or `None` past the year 9999.
pub fn format_utc(unix: u64) -> Option<String> {
    let secs = i64::try_from(unix).ok()?;
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()?
        .format(&Rfc3339)
        .ok()
}

/// Parses a HOTP counter.
pub fn parse_counter(text: &str) -> Result<u64, InputError> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InputError::Counter(text.into()));
    }
    t.parse().map_err(|_| InputError::Counter(text.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_accepts_common_spellings() {
        let a = SecretKey::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let b = SecretKey::from_base32("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq").unwrap();
        assert_eq!(a.expose(), b"12345678901234567890");
        assert_eq!(a.expose(), b.expose());
        let padded = SecretKey::from_base32("MFRGG===").unwrap();
        assert_eq!(padded.expose(), b"abc");
        assert_eq!(&*padded.to_base32(), "MFRGG");
    }

    #[test]
    fn base32_refuses_bad_input_with_position() {
        assert_eq!(
            SecretKey::from_base32("GEZ1").unwrap_err(),
            InputError::Base32Character { position: 4 }
        );
        assert_eq!(
            SecretKey::from_base32("MF=RGG").unwrap_err(),
            InputError::Base32Character { position: 3 }
        );
        assert_eq!(
            SecretKey::from_base32("").unwrap_err(),
            InputError::EmptySecret
        );
        assert_eq!(
            SecretKey::from_base32(" - ").unwrap_err(),
            InputError::EmptySecret
        );
        assert_eq!(
            SecretKey::from_base32("A").unwrap_err(),
            InputError::Base32Length { symbols: 1 }
        );
        assert!(SecretKey::from_base32("日本").is_err());
    }

    #[test]
    fn secret_debug_and_errors_never_show_the_key() {
        let k = SecretKey::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        let shown = format!("{k:?}");
        assert!(!shown.contains("GEZD"));
        assert!(!shown.contains("1234"));
        let err = SecretKey::from_base32("SECRETSECRET!")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("SECRET"), "{err}");
    }

    #[test]
    fn hex_secret() {
        assert_eq!(SecretKey::from_hex("3132").unwrap().expose(), b"12");
        assert_eq!(SecretKey::from_hex("313").unwrap_err(), InputError::Hex);
        assert_eq!(
            SecretKey::from_hex("").unwrap_err(),
            InputError::EmptySecret
        );
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("59").unwrap(), 59);
        assert_eq!(parse_time("1970-01-01T00:00:59Z").unwrap(), 59);
        assert_eq!(
            parse_time("2026-11-24T09:00:00+09:00").unwrap(),
            1_795_478_400
        );
        assert_eq!(parse_time("2603-10-11T11:33:20Z").unwrap(), 20_000_000_000);
        assert_eq!(parse_time("18446744073709551615").unwrap(), u64::MAX);
        assert!(matches!(
            parse_time("-1"),
            Err(InputError::TimeBeforeEpoch(_))
        ));
        assert!(matches!(
            parse_time("1969-12-31T23:59:59Z"),
            Err(InputError::TimeBeforeEpoch(_))
        ));
        assert!(matches!(
            parse_time("18446744073709551616"),
            Err(InputError::Time(_))
        ));
        assert!(matches!(parse_time("yesterday"), Err(InputError::Time(_))));
        assert!(matches!(parse_time(""), Err(InputError::Time(_))));
        assert_eq!(format_utc(59).unwrap(), "1970-01-01T00:00:59Z");
        assert_eq!(format_utc(u64::MAX), None);
    }

    #[test]
    fn messages_in_both_languages() {
        let e = InputError::Base32Character { position: 4 };
        assert!(e.to_string().contains("character 4"), "{e}");
        assert!(e.message(Lang::Ja).contains("4文字目"));
        let d = InputError::Digits("9".into());
        assert!(d.message(Lang::En).contains("\u{201c}9\u{201d}"));
    }

    #[test]
    fn counters() {
        assert_eq!(parse_counter("0").unwrap(), 0);
        assert_eq!(parse_counter("18446744073709551615").unwrap(), u64::MAX);
        assert!(parse_counter("-1").is_err());
        assert!(parse_counter("+1").is_err());
        assert!(parse_counter("1e3").is_err());
    }
}
