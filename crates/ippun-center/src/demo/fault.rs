//! Faults the demo center can be started with, one per A-code suffix, so
//! that help desks and tests can reproduce every communication error.

use std::fmt;
use std::str::FromStr;

use ippun_core::{CommFailure, ErrorCode, NetPhase};
use serde::Serialize;

/// A switchable fault of the demo center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Nothing listens at the published address (x00).
    Refuse,
    /// Requests are read but never answered (x01).
    Stall,
    /// TLS with a certificate no app trusts (x02).
    BadTls,
    /// An HTTP status the protocol does not use (x03).
    HttpStatus,
    /// 503, as in maintenance (x06).
    ServerError,
    /// A 200 reply whose body is not the protocol's JSON (x07).
    Garbage,
    /// Signed replies carry a broken signature (x08).
    BadSignature,
    /// Replies carry protocol version 2 (x09).
    WrongVersion,
    /// The leg that commits (confirmation, correction) is carried out, then
    /// the connection is cut before the reply (x10).
    DropSecondLeg,
}

impl Fault {
    /// Every fault.
    pub const ALL: [Self; 9] = [
        Self::Refuse,
        Self::Stall,
        Self::BadTls,
        Self::HttpStatus,
        Self::ServerError,
        Self::Garbage,
        Self::BadSignature,
        Self::WrongVersion,
        Self::DropSecondLeg,
    ];

    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Refuse => "refuse",
            Self::Stall => "stall",
            Self::BadTls => "bad-tls",
            Self::HttpStatus => "http-status",
            Self::ServerError => "5xx",
            Self::Garbage => "garbage",
            Self::BadSignature => "bad-signature",
            Self::WrongVersion => "wrong-version",
            Self::DropSecondLeg => "drop-second-leg",
        }
    }

    /// The failure the app sees.
    pub const fn failure(self) -> CommFailure {
        match self {
            Self::Refuse => CommFailure::NoConnection,
            Self::Stall => CommFailure::Timeout,
            Self::BadTls => CommFailure::Tls,
            Self::HttpStatus => CommFailure::HttpStatus,
            Self::ServerError => CommFailure::Server,
            Self::Garbage => CommFailure::MalformedReply,
            Self::BadSignature => CommFailure::BadSignature,
            Self::WrongVersion => CommFailure::UnsupportedVersion,
            Self::DropSecondLeg => CommFailure::Interrupted,
        }
    }

    /// The code the app shows in `phase`.
    pub const fn expected(self, phase: NetPhase) -> ErrorCode {
        ErrorCode::communication(phase, self.failure())
    }

    /// Every fault in every phase, with its expected code.
    pub fn table() -> Vec<FaultCase> {
        let mut out = Vec::new();
        for f in Self::ALL {
            for (phase, name) in [
                (NetPhase::Setup, "setup"),
                (NetPhase::Renewal, "renewal"),
                (NetPhase::Correction, "correction"),
                (NetPhase::Transaction, "transaction"),
            ] {
                out.push(FaultCase {
                    fault: f.name(),
                    phase: name,
                    expected_code: f.expected(phase).as_str(),
                });
            }
        }
        out
    }
}

/// One row of `ippun-center demo --list-faults --json`.
#[derive(Debug, Clone, Serialize)]
pub struct FaultCase {
    /// Fault name.
    pub fault: &'static str,
    /// Phase: setup, renewal, correction or transaction.
    pub phase: &'static str,
    /// The code the app shows.
    pub expected_code: &'static str,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown fault name.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "unknown fault {0:?}; one of: refuse, stall, bad-tls, http-status, 5xx, garbage, bad-signature, wrong-version, drop-second-leg"
)]
pub struct UnknownFault(String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == s.trim())
            .ok_or_else(|| UnknownFault(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_maps_to_its_suffix_in_every_phase() {
        let t = Fault::table();
        assert_eq!(t.len(), 36);
        let codes: Vec<&str> = t
            .iter()
            .filter(|c| c.phase == "setup")
            .map(|c| c.expected_code)
            .collect();
        assert_eq!(
            codes,
            [
                "A000", "A001", "A002", "A003", "A006", "A007", "A008", "A009", "A010"
            ]
        );
        let codes: Vec<&str> = t
            .iter()
            .filter(|c| c.phase == "renewal")
            .map(|c| c.expected_code)
            .collect();
        assert_eq!(
            codes,
            [
                "A300", "A301", "A302", "A303", "A306", "A307", "A308", "A309", "A310"
            ]
        );
        let codes: Vec<&str> = t
            .iter()
            .filter(|c| c.phase == "correction")
            .map(|c| c.expected_code)
            .collect();
        assert_eq!(
            codes,
            [
                "A400", "A401", "A401", "A403", "A401", "A403", "A403", "A403", "A401"
            ]
        );
        let codes: Vec<&str> = t
            .iter()
            .filter(|c| c.phase == "transaction")
            .map(|c| c.expected_code)
            .collect();
        assert_eq!(
            codes,
            [
                "A500", "A501", "A501", "A503", "A501", "A503", "A503", "A503", "A501"
            ]
        );
        for f in Fault::ALL {
            assert_eq!(f.name().parse::<Fault>().unwrap(), f);
        }
        assert!("nope".parse::<Fault>().is_err());
    }
}
