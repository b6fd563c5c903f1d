//! App-lock codes and the growing wait after wrong codes.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode};

/// Longest lock code.
pub const MAX_CODE_LEN: usize = 32;

/// Wrong codes allowed before any wait.
pub const FREE_TRIES: u32 = 3;

/// First wait, after the fourth wrong code in a row.
pub const FIRST_WAIT_SECS: u64 = 30;

/// Longest wait.
pub const MAX_WAIT_SECS: u64 = 3600;

/// An app-lock code: 1 to 32 ASCII digits. Never printed, zeroized on drop.
#[derive(Clone)]
pub struct LockCode(Zeroizing<String>);

impl LockCode {
    /// Checks the form of a code (A912 when it is not 1–32 ASCII digits).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let t = text.trim_end_matches(['\r', '\n']);
        if t.is_empty() || t.len() > MAX_CODE_LEN || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ErrorCode::A912.into());
        }
        Ok(Self(Zeroizing::new(t.to_owned())))
    }

    /// A new code typed twice: A912 for a bad form, A913 when they differ.
    pub fn confirmed(first: &str, second: &str) -> Result<Self, Error> {
        let a = Self::parse(first)?;
        let b = Self::parse(second)?;
        if a.0.as_bytes() != b.0.as_bytes() {
            return Err(ErrorCode::A913.into());
        }
        Ok(a)
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for LockCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockCode(REDACTED)")
    }
}

/// The wait imposed after `failures` wrong codes in a row: none for the first
/// three, then 30 s, doubling each time, at most one hour.
pub fn wait_after(failures: u32) -> u64 {
    if failures <= FREE_TRIES {
        return 0;
    }
    let doublings = (failures - FREE_TRIES - 1).min(16);
    (FIRST_WAIT_SECS << doublings).min(MAX_WAIT_SECS)
}

/// Seconds still to wait at `now`, given the failure count and the time of
/// the last failure. A clock set back before the last failure does not
/// shorten the wait: the whole wait applies again from now.
pub fn wait_remaining(failures: u32, last_failure: u64, now: u64) -> u64 {
    let wait = wait_after(failures);
    if now < last_failure {
        return wait;
    }
    wait.saturating_sub(now - last_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_forms() {
        assert!(LockCode::parse("0").is_ok());
        assert!(LockCode::parse(&"9".repeat(32)).is_ok());
        assert!(LockCode::parse("1234\n").is_ok());
        for bad in ["", "12a4", " 1234", "１２３４", &"9".repeat(33), "-1"] {
            assert_eq!(
                LockCode::parse(bad).unwrap_err(),
                ErrorCode::A912,
                "{bad:?}"
            );
        }
        assert_eq!(
            LockCode::confirmed("1234", "1235").unwrap_err(),
            ErrorCode::A913
        );
        assert_eq!(
            LockCode::confirmed("12x", "12x").unwrap_err(),
            ErrorCode::A912
        );
        assert!(LockCode::confirmed("0042", "0042").is_ok());
        assert_eq!(
            format!("{:?}", LockCode::parse("1234").unwrap()),
            "LockCode(REDACTED)"
        );
    }

    #[test]
    fn waits_grow_and_cap() {
        let w: Vec<u64> = (0..=12).map(wait_after).collect();
        assert_eq!(
            w,
            [0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
        );
        assert_eq!(wait_after(u32::MAX), 3600);
        assert_eq!(wait_remaining(4, 100, 100), 30);
        assert_eq!(wait_remaining(4, 100, 120), 10);
        assert_eq!(wait_remaining(4, 100, 200), 0);
        assert_eq!(wait_remaining(4, 100, 50), 30);
        assert_eq!(wait_remaining(2, 100, 100), 0);
    }
}
