//! Service IDs and user IDs: one rule, used by the app's setup form, the
//! protocol's checks and every place the center takes one (app requests,
//! the bank's APIs, the admin console).
//!
//! - A **service ID** is 1–32 characters: ASCII letters, digits, `-`, `_`
//!   and `.` (it is printed on the customer's letter and typed by hand).
//! - A **user ID** is 1–64 characters, none of them a control character,
//!   white space or an invisible format character (bidi controls, zero-width
//!   characters): what is stored, audited and printed is what was typed.
//!
//! Either is refused whole, never trimmed or normalised.

use std::fmt;

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;

/// Longest service ID, in characters (all ASCII).
pub const MAX_SERVICE_ID: usize = 32;
/// Longest user ID, in characters.
pub const MAX_USER_ID: usize = 64;

/// Which ID broke the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// A service ID that breaks the rule.
    #[error("service ID must be 1–32 characters: ASCII letters, digits, '-', '_' and '.'")]
    Service,
    /// A user ID that breaks the rule.
    #[error(
        "user ID must be 1–64 characters without spaces, control or invisible format characters"
    )]
    User,
}

/// Whether `s` is a well-formed service ID.
pub fn service_id_ok(s: &str) -> bool {
    (1..=MAX_SERVICE_ID).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// Whether `s` is a well-formed user ID.
pub fn user_id_ok(s: &str) -> bool {
    let gc = CodePointMapData::<GeneralCategory>::new();
    (1..=MAX_USER_ID).contains(&s.chars().count())
        && !s
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || gc.get(c) == GeneralCategory::Format)
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $ok:ident, $err:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// `s`, if it follows the rule.
            pub fn new(s: &str) -> Result<Self, IdError> {
                if $ok(s) { Ok(Self(s.to_owned())) } else { Err($err) }
            }

            /// The ID as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;

            fn try_from(s: String) -> Result<Self, IdError> {
                if $ok(&s) { Ok(Self(s)) } else { Err($err) }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::try_from(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(
    /// A service ID that follows the rule.
    ServiceId,
    service_id_ok,
    IdError::Service
);
id_type!(
    /// A user ID that follows the rule.
    UserId,
    user_id_ok,
    IdError::User
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids_are_short_ascii_words() {
        for ok in ["DEMO-BANK", "a", "bank_1.jp", &"X".repeat(32)] {
            assert!(ServiceId::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "DEMO BANK",
            "DEMO\0BANK",
            "ＤＥＭＯ",
            "bank/1",
            &"X".repeat(33),
        ] {
            assert_eq!(ServiceId::new(bad), Err(IdError::Service), "{bad:?}");
        }
    }

    #[test]
    fn user_ids_refuse_hidden_and_control_characters() {
        for ok in [
            "demo-user",
            "山田太郎",
            "a",
            &"あ".repeat(64),
            "user@example.jp",
        ] {
            assert!(UserId::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "a\u{3000}b",
            "nul\0",
            "esc\u{1b}[2J",
            "new\nline",
            "rtl\u{202e}",
            "zero\u{200b}width",
            &"あ".repeat(65),
        ] {
            assert_eq!(UserId::new(bad), Err(IdError::User), "{bad:?}");
        }
    }

    #[test]
    fn ids_deserialize_only_when_they_follow_the_rule() {
        let ok: UserId = serde_json::from_str("\"demo-user\"").unwrap();
        assert_eq!(ok.as_str(), "demo-user");
        assert!(serde_json::from_str::<ServiceId>("\"DEMO\\u0000BANK\"").is_err());
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"demo-user\"");
    }
}
