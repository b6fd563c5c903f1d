//! Faults the demo center can show, one per A-code suffix, so that help
//! desks and tests can reproduce every communication error; switchable
//! while the demo runs. The router layer here acts on the app's routes only
//! (the bank's never see a fault); `refuse` and `bad-tls` act in the
//! demo's [listener](super::listener).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ippun_core::protocol::{self, paths};
use ippun_core::{CommFailure, ErrorCode, NetPhase};
use serde::Serialize;

use super::listener::CutSwitch;

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

/// The demo's current fault, shared by its router layer, its listener and
/// its control port. Cloning shares it.
#[derive(Debug, Clone)]
pub struct FaultSwitch(std::sync::Arc<tokio::sync::watch::Sender<Option<Fault>>>);

impl FaultSwitch {
    /// A switch set to `fault`.
    pub fn new(fault: Option<Fault>) -> Self {
        Self(std::sync::Arc::new(tokio::sync::watch::channel(fault).0))
    }

    /// The fault now.
    pub fn get(&self) -> Option<Fault> {
        *self.0.borrow()
    }

    /// Switches to `fault` (`None`: no fault).
    pub fn set(&self, fault: Option<Fault>) {
        self.0.send_replace(fault);
        tracing::info!(
            fault = fault.map_or("none", Fault::name),
            "demo fault switched"
        );
    }

    /// Follows changes.
    pub fn watch(&self) -> tokio::sync::watch::Receiver<Option<Fault>> {
        self.0.subscribe()
    }
}

/// Applies the current fault around every request to the app's routes.
pub async fn apply(
    State(faults): State<FaultSwitch>,
    ConnectInfo(conn): ConnectInfo<CutSwitch>,
    req: Request,
    next: Next,
) -> Response {
    let Some(fault) = faults.get() else {
        return next.run(req).await;
    };
    let commit_leg = paths::COMMITTING.contains(&req.uri().path());
    match fault {
        Fault::Refuse | Fault::BadTls => next.run(req).await,
        Fault::Stall => {
            // Hold the request far longer than any client waits.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            next.run(req).await
        }
        Fault::HttpStatus => (
            StatusCode::IM_A_TEAPOT,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>418</body></html>",
        )
            .into_response(),
        Fault::ServerError => (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::RETRY_AFTER, "120"),
                (header::CONTENT_TYPE, "text/html"),
            ],
            "<html><body>Maintenance</body></html>",
        )
            .into_response(),
        Fault::Garbage => {
            let resp = next.run(req).await;
            let (mut parts, _) = resp.into_parts();
            parts.status = StatusCode::OK;
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Response::from_parts(
                parts,
                Body::from(&b"{\"version\":1,\"ses\x00\xff garbage"[..]),
            )
        }
        Fault::BadSignature | Fault::WrongVersion => {
            let resp = next.run(req).await;
            rewrite_json(resp, |v| {
                if fault == Fault::WrongVersion {
                    v["version"] = serde_json::json!(2);
                } else if let Some(sig) = v.get("signature").and_then(|s| s.as_str()) {
                    // Flip one bit of the signature.
                    let mut b = hex::decode(sig).unwrap_or_default();
                    if let Some(first) = b.first_mut() {
                        *first ^= 1;
                    }
                    v["signature"] = serde_json::json!(hex::encode(b));
                }
            })
            .await
        }
        Fault::DropSecondLeg => {
            let resp = next.run(req).await;
            if commit_leg {
                tracing::info!(peer = %conn.peer, "fault drop-second-leg: cutting the connection after the commit");
                conn.cut();
            }
            resp
        }
    }
}

async fn rewrite_json(resp: Response, f: impl FnOnce(&mut serde_json::Value)) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, protocol::MAX_BODY_BYTES * 4)
        .await
        .unwrap_or_default();
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    f(&mut v);
    let out = serde_json::to_vec(&v).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(out))
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
