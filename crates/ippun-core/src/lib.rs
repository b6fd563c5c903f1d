//! ippun core: the OTP engine, the error catalogue, the injectable clock,
//! user-facing texts and the test-vector format.
//!
//! This crate has no GUI and no network runtime.

pub mod clock;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod input;
pub mod local_time;
pub mod ocra;
pub mod otp;
pub mod profile;
pub mod protocol;
pub mod token;
pub mod txconfirm;
pub mod vault;
pub mod vectors;

pub use clock::{Clock, FixedClock, OffsetClock, SteppingClock, SystemClock};
pub use error::{CommFailure, Error, ErrorCode, NetPhase, Origin, Phase};
pub use i18n::Lang;
pub use input::{InputError, SecretKey};
pub use local_time::Zone;
pub use otp::{Algorithm, Code, CodeAt, Digits, Hotp, OtpParams, Period, Totp};
pub use token::{NewToken, Token, TokenList, TokenState};
pub use vault::{Home, LockCode, LockedVault, Opened, Vault};
