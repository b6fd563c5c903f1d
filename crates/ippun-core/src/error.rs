//! The error catalogue: every code a customer can read out to the help desk.
//!
//! Each code is one variant of [`ErrorCode`] with its phase, whether trying
//! again can help, and whether it is one of the bank manual's codes or an ippun
//! extension. Messages, remedies and help-desk notes in Japanese and English
//! live in the Fluent files (`error-CODE`, `.remedy`, `.helpdesk`), so
//! `ippun explain` and the in-app catalogue read the same table.
//!
//! The A-code suffix means the same in every network phase:
//!
//! | suffix | meaning |
//! | --- | --- |
//! | x00 | no connection |
//! | x01 | timeout |
//! | x02 | TLS or certificate failure |
//! | x03 | unexpected HTTP status |
//! | x06 | center error (5xx) or maintenance |
//! | x07 | malformed reply |
//! | x08 | reply failed its signature or key confirmation |
//! | x09 | protocol version not supported |
//! | x10 | exchange interrupted after the center may have acted (safe to retry) |
//!
//! Correction folds these into A400 (no connection), A401 (transport) and
//! A403 (reply), and transaction confirmation (an ippun extension) likewise
//! into A500, A501 and A503; see [`ErrorCode::communication`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Where in the product a code can occur.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Phase {
    /// Initial setup and adding a token.
    Setup,
    /// Renewal of a token's credentials.
    Renewal,
    /// Password (clock) correction.
    Correction,
    /// Transaction confirmation.
    Transaction,
    /// App lock.
    Lock,
    /// Opening the app and its data.
    Startup,
    /// Anywhere.
    Any,
}

impl Phase {
    /// Every phase, in catalogue order.
    pub const ALL: [Self; 7] = [
        Self::Setup,
        Self::Renewal,
        Self::Correction,
        Self::Transaction,
        Self::Lock,
        Self::Startup,
        Self::Any,
    ];

    /// Stable lowercase name, as in JSON output.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Setup => "setup",
            Self::Renewal => "renewal",
            Self::Correction => "correction",
            Self::Transaction => "transaction",
            Self::Lock => "lock",
            Self::Startup => "startup",
            Self::Any => "any",
        }
    }

    /// The phase's name for people.
    pub fn label(self, lang: Lang) -> String {
        lang.text(&format!("phase-{}", self.as_str()))
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A phase that talks to the center, for mapping transport failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetPhase {
    /// Setup / add token (A0xx).
    Setup,
    /// Renewal (A3xx).
    Renewal,
    /// Correction (A4xx, folded).
    Correction,
    /// Transaction confirmation (A5xx, folded like correction).
    Transaction,
}

/// What went wrong while talking to the center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommFailure {
    /// The connection could not be made (x00).
    NoConnection,
    /// The center did not answer in time (x01).
    Timeout,
    /// TLS handshake or certificate failure (x02).
    Tls,
    /// An HTTP status the protocol does not use (x03).
    HttpStatus,
    /// The center answered 5xx or is in maintenance (x06).
    Server,
    /// The reply could not be read (x07).
    MalformedReply,
    /// The reply failed its signature or key confirmation (x08).
    BadSignature,
    /// The center speaks a protocol version this app does not (x09).
    UnsupportedVersion,
    /// The exchange broke off after the center may have acted (x10).
    Interrupted,
}

/// Whether a code comes from the bank manual or was added by ippun.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// In the bank manual that the app replaces.
    Manual,
    /// Added by ippun; marked as an extension in the catalogue.
    Extension,
}

macro_rules! catalogue {
    ($( $(#[doc = $doc:literal])* $code:ident => $phase:ident, retry: $retry:literal, $origin:ident; )*) => {
        /// Every error code a user can see, one variant each.
        ///
        /// Texts come from the Fluent files; see [`ErrorCode::message`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* $code, )*
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Self] = &[ $( Self::$code, )* ];

            /// The code as printed, e.g. `"S0C1"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( Self::$code => stringify!($code), )* }
            }

            /// The phase the code belongs to.
            pub const fn phase(self) -> Phase {
                match self { $( Self::$code => Phase::$phase, )* }
            }

            /// Whether trying the same step again, after the remedy that the
            /// user can carry out alone, can succeed without the bank's help.
            pub const fn retryable(self) -> bool {
                match self { $( Self::$code => $retry, )* }
            }

            /// Bank manual code or ippun extension.
            pub const fn origin(self) -> Origin {
                match self { $( Self::$code => Origin::$origin, )* }
            }
        }
    };
}

catalogue! {
    /// Input malformed (service ID, user ID or activation password), checked before sending.
    A911 => Setup, retry: true, Manual;
    /// This service ID and user ID are already in the app.
    A916 => Setup, retry: false, Manual;
    /// The app already holds the largest number of tokens (ten).
    A917 => Setup, retry: true, Extension;
    /// Setup failed: the service ID is unknown to the center.
    S0A1 => Setup, retry: true, Manual;
    /// Setup failed: the service ID is known but not open for setup.
    S0B1 => Setup, retry: true, Manual;
    /// User ID or activation password wrong.
    S0C1 => Setup, retry: true, Manual;
    /// The user is already activated on a device; re-issue needed.
    S0B4 => Setup, retry: false, Manual;
    /// The user is suspended.
    S0B5 => Setup, retry: false, Manual;
    /// Setup failed; check every field.
    S0G1 => Setup, retry: true, Manual;
    /// Activation password locked after too many wrong tries.
    S0C4 => Setup, retry: false, Manual;
    /// Device date, time or time zone wrong (skew beyond the center's bound).
    S0F1 => Setup, retry: true, Manual;
    /// Setup: cannot connect.
    A000 => Setup, retry: true, Manual;
    /// Setup: timeout.
    A001 => Setup, retry: true, Manual;
    /// Setup: TLS or certificate failure.
    A002 => Setup, retry: true, Manual;
    /// Setup: unexpected HTTP status.
    A003 => Setup, retry: true, Extension;
    /// Setup: center error or maintenance.
    A006 => Setup, retry: true, Manual;
    /// Setup: malformed reply.
    A007 => Setup, retry: true, Manual;
    /// Setup: reply failed signature or key confirmation.
    A008 => Setup, retry: false, Manual;
    /// Setup: protocol version not supported.
    A009 => Setup, retry: false, Manual;
    /// Setup: exchange interrupted after the center may have acted.
    A010 => Setup, retry: true, Manual;
    /// Renewal: cannot connect.
    A300 => Renewal, retry: true, Manual;
    /// Renewal: timeout.
    A301 => Renewal, retry: true, Manual;
    /// Renewal: TLS or certificate failure.
    A302 => Renewal, retry: true, Manual;
    /// Renewal: unexpected HTTP status.
    A303 => Renewal, retry: true, Manual;
    /// Renewal: center error or maintenance.
    A306 => Renewal, retry: true, Manual;
    /// Renewal: malformed reply.
    A307 => Renewal, retry: true, Manual;
    /// Renewal: reply failed signature or key confirmation.
    A308 => Renewal, retry: false, Manual;
    /// Renewal: protocol version not supported.
    A309 => Renewal, retry: false, Manual;
    /// Renewal: exchange interrupted after the center may have acted.
    A310 => Renewal, retry: true, Manual;
    /// Renewal: the initial setup after the application is not complete.
    S3B3 => Renewal, retry: false, Manual;
    /// Renewal: the user is suspended.
    S3B5 => Renewal, retry: false, Manual;
    /// Renewal: outside the renewal period.
    S3E4 => Renewal, retry: true, Manual;
    /// Renewal: transaction-confirmation start is in progress.
    S3D3 => Renewal, retry: true, Manual;
    /// Renewal: transactions awaiting confirmation exist.
    S3D4 => Renewal, retry: true, Manual;
    /// Correction: cannot connect.
    A400 => Correction, retry: true, Manual;
    /// Correction: communication failed (transport).
    A401 => Correction, retry: true, Manual;
    /// Correction: communication failed (reply).
    A403 => Correction, retry: true, Manual;
    /// Correction: the token has expired.
    S4E3 => Correction, retry: false, Manual;
    /// Correction: the device clock is off by more than the center can correct.
    S4F1 => Correction, retry: true, Extension;
    /// Transaction confirmation: cannot connect.
    A500 => Transaction, retry: true, Extension;
    /// Transaction confirmation: communication failed (transport).
    A501 => Transaction, retry: true, Extension;
    /// Transaction confirmation: communication failed (reply).
    A503 => Transaction, retry: true, Extension;
    /// Transaction confirmation is not in use for this token.
    S5A1 => Transaction, retry: false, Extension;
    /// No such transaction for this token (withdrawn, or another user's).
    S5B1 => Transaction, retry: false, Extension;
    /// The answer does not match the transaction the center holds.
    S5C1 => Transaction, retry: false, Extension;
    /// The transaction has already been answered.
    S5D1 => Transaction, retry: false, Extension;
    /// The transaction has expired.
    S5E1 => Transaction, retry: false, Extension;
    /// The display name cannot be used (already used, too long, or control characters).
    A918 => Setup, retry: true, Extension;
    /// The token has expired; its codes are no longer accepted.
    A919 => Any, retry: false, Extension;
    /// A new lock code that is not 1 to 32 digits.
    A912 => Lock, retry: true, Extension;
    /// The two entries of a new lock code differ.
    A913 => Lock, retry: true, Extension;
    /// Wrong app-lock code.
    A914 => Lock, retry: true, Manual;
    /// Too many wrong app-lock codes: wait before the next try.
    A915 => Lock, retry: true, Extension;
    /// Tokens belong to another device.
    A998 => Startup, retry: false, Manual;
    /// The token data is damaged.
    A996 => Startup, retry: false, Extension;
    /// The token data is in use by another running ippun.
    A997 => Startup, retry: true, Extension;
    /// The token data was written by a newer version of ippun.
    A995 => Startup, retry: false, Extension;
    /// The system keyring that holds the device key cannot be reached.
    A994 => Startup, retry: true, Extension;
    /// The token data could not be read or saved (disk full, permissions).
    A993 => Any, retry: true, Extension;
    /// Out of memory.
    A9EX => Any, retry: true, Manual;
    /// Unexpected error.
    A999 => Any, retry: true, Manual;
}

impl ErrorCode {
    /// The short message.
    pub fn message(self, lang: Lang) -> String {
        lang.text(&format!("error-{}", self.as_str()))
    }

    /// What the user can do.
    pub fn remedy(self, lang: Lang) -> String {
        lang.text(&format!("error-{}.remedy", self.as_str()))
    }

    /// Notes for the bank's help desk.
    pub fn helpdesk(self, lang: Lang) -> String {
        lang.text(&format!("error-{}.helpdesk", self.as_str()))
    }

    /// Everything the catalogue says about this code, in one language.
    pub fn explain(self, lang: Lang) -> Explanation {
        Explanation {
            code: self.as_str(),
            phase: self.phase(),
            phase_label: self.phase().label(lang),
            message: self.message(lang),
            remedy: self.remedy(lang),
            retryable: self.retryable(),
            origin: self.origin(),
            helpdesk: self.helpdesk(lang),
        }
    }

    /// The code for a transport or reply failure in a network phase, following
    /// the suffix table in the module documentation.
    pub const fn communication(phase: NetPhase, failure: CommFailure) -> Self {
        use CommFailure as F;
        match phase {
            NetPhase::Setup => match failure {
                F::NoConnection => Self::A000,
                F::Timeout => Self::A001,
                F::Tls => Self::A002,
                F::HttpStatus => Self::A003,
                F::Server => Self::A006,
                F::MalformedReply => Self::A007,
                F::BadSignature => Self::A008,
                F::UnsupportedVersion => Self::A009,
                F::Interrupted => Self::A010,
            },
            NetPhase::Renewal => match failure {
                F::NoConnection => Self::A300,
                F::Timeout => Self::A301,
                F::Tls => Self::A302,
                F::HttpStatus => Self::A303,
                F::Server => Self::A306,
                F::MalformedReply => Self::A307,
                F::BadSignature => Self::A308,
                F::UnsupportedVersion => Self::A309,
                F::Interrupted => Self::A310,
            },
            NetPhase::Correction => match failure {
                F::NoConnection => Self::A400,
                F::Timeout | F::Tls | F::Server | F::Interrupted => Self::A401,
                F::HttpStatus | F::MalformedReply | F::BadSignature | F::UnsupportedVersion => {
                    Self::A403
                }
            },
            NetPhase::Transaction => match failure {
                F::NoConnection => Self::A500,
                F::Timeout | F::Tls | F::Server | F::Interrupted => Self::A501,
                F::HttpStatus | F::MalformedReply | F::BadSignature | F::UnsupportedVersion => {
                    Self::A503
                }
            },
        }
    }

    /// Codes that a help desk may have heard instead of `input`: the same code
    /// with O/0, I/1 or L/1 mixed up, or one character misheard.
    pub fn suggestions(input: &str) -> Vec<Self> {
        let fold = |s: &str| -> String {
            s.trim()
                .to_ascii_uppercase()
                .chars()
                .map(|c| match c {
                    'O' => '0',
                    'I' | 'L' => '1',
                    c => c,
                })
                .collect()
        };
        let wanted = fold(input);
        let mut out: Vec<Self> = Self::ALL
            .iter()
            .copied()
            .filter(|c| fold(c.as_str()) == wanted)
            .collect();
        if out.is_empty() && wanted.chars().count() == 4 {
            out = Self::ALL
                .iter()
                .copied()
                .filter(|c| {
                    fold(c.as_str())
                        .chars()
                        .zip(wanted.chars())
                        .filter(|(a, b)| a != b)
                        .count()
                        == 1
                })
                .collect();
        }
        out
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a catalogue code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ippun error code")]
pub struct UnknownCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let want = s.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(want))
            .ok_or_else(|| UnknownCode(s.into()))
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The catalogue entry of one code in one language (`ippun explain --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The code.
    pub code: &'static str,
    /// Its phase.
    pub phase: Phase,
    /// The phase's name in this language.
    pub phase_label: String,
    /// Short message.
    pub message: String,
    /// What the user can do.
    pub remedy: String,
    /// Whether trying again can help.
    pub retryable: bool,
    /// Manual code or extension.
    pub origin: Origin,
    /// Help-desk notes.
    pub helpdesk: String,
}

/// An error the user sees: a catalogue code plus context for diagnostics.
///
/// `detail` and `source` are for logs and diagnostics; callers must never put
/// secrets (keys, passwords, lock codes) into either.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {}", code.message(Lang::En))]
pub struct Error {
    code: ErrorCode,
    detail: Option<String>,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// An error with just a code.
    pub const fn new(code: ErrorCode) -> Self {
        Self {
            code,
            detail: None,
            source: None,
        }
    }

    /// Adds a non-secret technical detail.
    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The catalogue code.
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The technical detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// `CODE: message` in `lang`, as the command line prints it.
    pub fn line(&self, lang: Lang) -> String {
        format!("{}: {}", self.code, self.code.message(lang))
    }

    /// The machine-readable form `{code, phase, message, remedy}`.
    pub fn to_json(&self, lang: Lang) -> serde_json::Value {
        serde_json::json!({
            "code": self.code.as_str(),
            "phase": self.code.phase().as_str(),
            "message": self.code.message(lang),
            "remedy": self.code.remedy(lang),
        })
    }

    /// The text of the "copy diagnostics" button: code, phase, app version,
    /// operating system, UTC time and clock offset when known. It holds no
    /// secrets and no technical detail that could carry user data.
    pub fn diagnostics(
        &self,
        app_version: &str,
        now: Duration,
        clock_offset_secs: Option<i64>,
    ) -> String {
        let utc = crate::input::format_utc(now.as_secs()).unwrap_or_else(|| "?".into());
        let offset = clock_offset_secs.map_or_else(|| "unknown".to_owned(), |s| format!("{s:+} s"));
        format!(
            "code: {}\nphase: {}\napp: ippun {}\nos: {} {}\nutc: {}\nclock offset: {}\n",
            self.code,
            self.code.phase(),
            app_version,
            std::env::consts::OS,
            std::env::consts::ARCH,
            utc,
            offset,
        )
    }
}

impl From<ErrorCode> for Error {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

impl PartialEq<ErrorCode> for Error {
    fn eq(&self, other: &ErrorCode) -> bool {
        self.code == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The codes SPEC §5 lists from the bank manual.
    const MANUAL: &[&str] = &[
        "A911", "A916", "S0A1", "S0B1", "S0C1", "S0B4", "S0B5", "S0G1", "S0C4", "S0F1", "A000",
        "A001", "A002", "A006", "A007", "A008", "A009", "A010", "A300", "A301", "A302", "A303",
        "A306", "A307", "A308", "A309", "A310", "S3B3", "S3B5", "S3E4", "S3D3", "S3D4", "A400",
        "A401", "A403", "S4E3", "A914", "A9EX", "A998", "A999",
    ];

    #[test]
    fn every_manual_code_is_in_the_catalogue_and_marked_manual() {
        for m in MANUAL {
            let c: ErrorCode = m.parse().unwrap();
            assert_eq!(c.as_str(), *m);
            assert_eq!(c.origin(), Origin::Manual, "{m}");
        }
        let extensions = ErrorCode::ALL
            .iter()
            .filter(|c| c.origin() == Origin::Extension)
            .count();
        assert_eq!(ErrorCode::ALL.len(), MANUAL.len() + extensions);
    }

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            assert_eq!(c.as_str().parse::<ErrorCode>().unwrap(), *c);
            assert_eq!(c.as_str().to_lowercase().parse::<ErrorCode>().unwrap(), *c);
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *c);
        }
    }

    #[test]
    fn every_code_has_every_text_in_both_languages() {
        for lang in Lang::ALL {
            for c in ErrorCode::ALL {
                for id in [
                    format!("error-{c}"),
                    format!("error-{c}.remedy"),
                    format!("error-{c}.helpdesk"),
                ] {
                    assert!(lang.has(&id), "{lang}: {id} missing");
                    let text = lang.text(&id);
                    assert!(text.trim().len() > 8, "{lang}: {id} too short: {text:?}");
                }
            }
            for p in Phase::ALL {
                assert!(lang.has(&format!("phase-{p}")), "{lang}: phase-{p} missing");
            }
        }
    }

    #[test]
    fn japanese_texts_are_japanese() {
        for c in ErrorCode::ALL {
            let m = c.message(Lang::Ja);
            assert!(
                m.chars().any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch)
                    || ('\u{4e00}'..='\u{9fff}').contains(&ch)),
                "{c}: {m}"
            );
            assert_ne!(c.message(Lang::Ja), c.message(Lang::En));
        }
    }

    #[test]
    fn communication_suffixes_follow_the_table() {
        use CommFailure as F;
        let all = [
            (F::NoConnection, "00"),
            (F::Timeout, "01"),
            (F::Tls, "02"),
            (F::HttpStatus, "03"),
            (F::Server, "06"),
            (F::MalformedReply, "07"),
            (F::BadSignature, "08"),
            (F::UnsupportedVersion, "09"),
            (F::Interrupted, "10"),
        ];
        for (f, suffix) in all {
            let s = ErrorCode::communication(NetPhase::Setup, f);
            let r = ErrorCode::communication(NetPhase::Renewal, f);
            assert_eq!(s.as_str(), format!("A0{suffix}"));
            assert_eq!(r.as_str(), format!("A3{suffix}"));
            assert_eq!(s.phase(), Phase::Setup);
            assert_eq!(r.phase(), Phase::Renewal);
            let c = ErrorCode::communication(NetPhase::Correction, f);
            assert!(matches!(
                c,
                ErrorCode::A400 | ErrorCode::A401 | ErrorCode::A403
            ));
            assert_eq!(c.phase(), Phase::Correction);
        }
        assert_eq!(
            ErrorCode::communication(NetPhase::Correction, F::NoConnection),
            ErrorCode::A400
        );
        assert_eq!(
            ErrorCode::communication(NetPhase::Correction, F::Timeout),
            ErrorCode::A401
        );
        assert_eq!(
            ErrorCode::communication(NetPhase::Correction, F::BadSignature),
            ErrorCode::A403
        );
    }

    #[test]
    fn misheard_codes_get_suggestions() {
        assert_eq!(ErrorCode::suggestions("SOB1"), vec![ErrorCode::S0B1]);
        assert_eq!(ErrorCode::suggestions("a9I6"), vec![ErrorCode::A916]);
        let near = ErrorCode::suggestions("S0C9");
        assert!(near.contains(&ErrorCode::S0C1) && near.contains(&ErrorCode::S0C4));
        assert!(ErrorCode::suggestions("hello world").is_empty());
    }

    #[test]
    fn error_display_and_json() {
        let e = Error::new(ErrorCode::S0C1).with_detail("center said 401");
        assert_eq!(e, ErrorCode::S0C1);
        assert!(e.to_string().starts_with("S0C1: "));
        assert!(e.line(Lang::Ja).starts_with("S0C1: "));
        let j = e.to_json(Lang::En);
        assert_eq!(j["code"], "S0C1");
        assert_eq!(j["phase"], "setup");
        assert!(j["remedy"].as_str().unwrap().len() > 8);
        let d = e.diagnostics("0.1.0", Duration::from_secs(59), Some(-120));
        assert!(d.contains("code: S0C1\n"));
        assert!(d.contains("utc: 1970-01-01T00:00:59Z\n"));
        assert!(d.contains("clock offset: -120 s\n"));
        assert!(!d.contains("center said"));
    }
}
