//! The app's side of the center protocol over HTTP: one blocking HTTP stack
//! (ureq with rustls and the ring provider), connect and read timeouts, and
//! every failure mapped to the A-code of its phase.

use std::cell::Cell;
use std::time::Duration;

use ippun_core::protocol::{self, BadRequest, Refusal};
use ippun_core::{Clock, CommFailure, Error, ErrorCode, NetPhase};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Connect timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for the whole reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest reply read.
const MAX_REPLY_BYTES: u64 = 64 * 1024;

/// Why a center address is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadUrl {
    /// Not a URL at all.
    Unparsable,
    /// Not `https://…` (or `http://` to loopback).
    Scheme,
    /// `http://` to a host that is not loopback.
    PlainToRemote,
    /// The address carries a user name or password (`https://user@host`):
    /// never meant for a center, and a way to disguise the real host.
    UserInfo,
}

impl std::fmt::Display for BadUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unparsable => "not a URL",
            Self::Scheme => "not https:// (or http:// to this computer)",
            Self::PlainToRemote => "plain http:// to another computer",
            Self::UserInfo => "a user name or password in the address",
        })
    }
}

/// Checks a center address, parsed as a URL (WHATWG rules, the `url`
/// crate): HTTPS, or plain HTTP to loopback only (`localhost`, 127.0.0.0/8,
/// `::1`, judged on the parsed host), never with a user name or password.
pub fn check_url(url: &str) -> Result<(), BadUrl> {
    let parsed = url::Url::parse(url).map_err(|_| BadUrl::Unparsable)?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(BadUrl::UserInfo);
    }
    let host = parsed.host().ok_or(BadUrl::Unparsable)?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match host {
                url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
            };
            if loopback {
                Ok(())
            } else {
                Err(BadUrl::PlainToRemote)
            }
        }
        _ => Err(BadUrl::Scheme),
    }
}

/// The roots to trust: every certificate of the `IPPUN_CA_FILE` bundle
/// when it is set (then only those), else `None` (the public roots). A
/// file that cannot be read, or holds no certificate, is an error: it
/// must narrow trust, never silently widen it.
fn private_roots() -> Result<Option<Vec<ureq::tls::Certificate<'static>>>, String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let Some(path) = std::env::var_os("IPPUN_CA_FILE") else {
        return Ok(None);
    };
    let shown = std::path::Path::new(&path).display().to_string();
    let pem = std::fs::read(&path).map_err(|e| format!("IPPUN_CA_FILE {shown}: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("IPPUN_CA_FILE {shown}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("IPPUN_CA_FILE {shown}: no certificate in it"));
    }
    Ok(Some(
        certs
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
            .collect(),
    ))
}

/// What the center answered.
#[derive(Debug)]
pub enum Answer<T> {
    /// The protocol message.
    Ok(T),
    /// Refused with a catalogue code of this phase.
    Refused(ErrorCode),
    /// A 4xx answer in the protocol's shape (unknown session, stale nonce, …).
    Rejected(u16, BadRequest),
}

/// A connection to one center for one phase.
#[derive(Debug)]
pub struct Client<'a> {
    agent: ureq::Agent,
    base: String,
    phase: NetPhase,
    clock: &'a dyn Clock,
    offset: Cell<Option<i64>>,
}

impl<'a> Client<'a> {
    /// A client for `base`. An address [`check_url`] refuses, or an
    /// `IPPUN_CA_FILE` that cannot be used, fails with the phase's x02
    /// (TLS/certificate) code before anything is sent.
    pub fn new(base: &str, phase: NetPhase, clock: &'a dyn Clock) -> Result<Self, Error> {
        let tls_fail = |detail: String| {
            Error::new(ErrorCode::communication(phase, CommFailure::Tls)).with_detail(detail)
        };
        check_url(base).map_err(|e| tls_fail(format!("center address refused: {e}")))?;
        let reply = std::env::var("IPPUN_NET_TIMEOUT_SECS")
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map_or(REPLY_TIMEOUT, Duration::from_secs);
        let mut builder = ureq::Agent::config_builder();
        // A private CA (staging centers, tests): only it is trusted then.
        if let Some(certs) = private_roots().map_err(tls_fail)? {
            builder = builder.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                    .build(),
            );
        }
        let config = builder
            .http_status_as_error(false)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(reply + CONNECT_TIMEOUT))
            .timeout_recv_response(Some(reply))
            .max_redirects(0)
            .user_agent(concat!("ippun/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Self {
            agent: config.into(),
            base: base.trim_end_matches('/').to_owned(),
            phase,
            clock,
            offset: Cell::new(None),
        })
    }

    /// Center time minus device time at the last reply that carried it.
    pub fn clock_offset(&self) -> Option<i64> {
        self.offset.get()
    }

    fn fail(&self, f: CommFailure, detail: impl Into<String>) -> Error {
        Error::new(ErrorCode::communication(self.phase, f)).with_detail(detail)
    }

    /// Posts `req` to `path` and reads the answer.
    pub fn post<Req: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Answer<T>, Error> {
        let url = format!("{}{path}", self.base);
        let body = serde_json::to_vec(req)
            .map_err(|e| Error::new(ErrorCode::A999).with_detail(e.to_string()))?;
        let sent = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(&body[..]);
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(self.transport(&e)),
        };
        let status = resp.status().as_u16();
        let text = match resp
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(e) => return Err(self.transport(&e)),
        };
        if status >= 500 {
            return Err(self.fail(CommFailure::Server, format!("HTTP {status}")));
        }
        let json_reply = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json_reply && status != 200 {
            return Err(self.fail(CommFailure::HttpStatus, format!("HTTP {status}")));
        }
        let value: serde_json::Value = serde_json::from_slice(&text)
            .map_err(|e| self.fail(CommFailure::MalformedReply, format!("HTTP {status}: {e}")))?;
        if let Some(t) = value.get("center_time").and_then(serde_json::Value::as_u64) {
            let now = self.clock.unix_seconds();
            let off = i128::from(t) - i128::from(now);
            self.offset.set(i64::try_from(off).ok());
        }
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(protocol::VERSION) => {}
            Some(v) => {
                return Err(self.fail(
                    CommFailure::UnsupportedVersion,
                    format!("center speaks version {v}"),
                ));
            }
            None => return Err(self.fail(CommFailure::MalformedReply, "no version")),
        }
        let malformed =
            |e: serde_json::Error| self.fail(CommFailure::MalformedReply, e.to_string());
        match status {
            200 => Ok(Answer::Ok(
                serde_json::from_value(value).map_err(malformed)?,
            )),
            403 => {
                let r: Refusal = serde_json::from_value(value).map_err(malformed)?;
                let code: ErrorCode = r.refusal.parse().map_err(|_| {
                    self.fail(
                        CommFailure::MalformedReply,
                        format!("unknown refusal {}", r.refusal),
                    )
                })?;
                let phase_ok = matches!(
                    (self.phase, code.phase()),
                    (NetPhase::Setup, ippun_core::Phase::Setup)
                        | (NetPhase::Renewal, ippun_core::Phase::Renewal)
                        | (NetPhase::Correction, ippun_core::Phase::Correction)
                        | (NetPhase::Transaction, ippun_core::Phase::Transaction)
                ) && code.as_str().starts_with('S');
                if phase_ok {
                    Ok(Answer::Refused(code))
                } else {
                    Err(self.fail(
                        CommFailure::MalformedReply,
                        format!("refusal {code} does not belong here"),
                    ))
                }
            }
            400..=499 => match serde_json::from_value::<BadRequest>(value) {
                Ok(b) => Ok(Answer::Rejected(status, b)),
                Err(_) => Err(self.fail(CommFailure::HttpStatus, format!("HTTP {status}"))),
            },
            _ => Err(self.fail(CommFailure::HttpStatus, format!("HTTP {status}"))),
        }
    }

    /// Posts and insists on the protocol message: refusals become their
    /// code, other 4xx answers an unexpected-status failure.
    pub fn call<Req: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<T, Error> {
        match self.post(path, req)? {
            Answer::Ok(v) => Ok(v),
            Answer::Refused(code) => Err(Error::new(code)),
            Answer::Rejected(status, b) => Err(self.fail(
                CommFailure::HttpStatus,
                format!("HTTP {status} {}: {}", b.error, b.detail),
            )),
        }
    }

    /// Maps a failed protocol check on a reply to its code.
    pub fn reply_failure(&self, e: protocol::ProtocolError) -> Error {
        use protocol::ProtocolError as P;
        let f = match e {
            P::BadSignature | P::BadConfirmation => CommFailure::BadSignature,
            P::Version(_) => CommFailure::UnsupportedVersion,
            P::Random => return Error::new(ErrorCode::A999).with_detail("no randomness"),
            _ => CommFailure::MalformedReply,
        };
        self.fail(f, e.to_string())
    }

    fn transport(&self, e: &ureq::Error) -> Error {
        use std::io::ErrorKind as K;
        let f = match e {
            ureq::Error::Timeout(t) => match t {
                ureq::Timeout::Resolve | ureq::Timeout::Connect => CommFailure::NoConnection,
                _ => CommFailure::Timeout,
            },
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => CommFailure::NoConnection,
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => CommFailure::Tls,
            ureq::Error::Io(io) => {
                let tls = io
                    .get_ref()
                    .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
                if tls {
                    CommFailure::Tls
                } else {
                    match io.kind() {
                        K::ConnectionRefused
                        | K::AddrNotAvailable
                        | K::NetworkUnreachable
                        | K::HostUnreachable
                        | K::NotFound => CommFailure::NoConnection,
                        K::TimedOut | K::WouldBlock => CommFailure::Timeout,
                        _ => CommFailure::Interrupted,
                    }
                }
            }
            ureq::Error::Protocol(_)
            | ureq::Error::BodyExceedsLimit(_)
            | ureq::Error::LargeResponseHeader(..) => CommFailure::MalformedReply,
            ureq::Error::StatusCode(_)
            | ureq::Error::RedirectFailed
            | ureq::Error::TooManyRedirects => CommFailure::HttpStatus,
            _ => CommFailure::Interrupted,
        };
        self.fail(f, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert_eq!(check_url("https://otp.bank.example"), Ok(()));
        assert_eq!(check_url("http://127.0.0.1:8080"), Ok(()));
        assert_eq!(check_url("http://localhost:1/x"), Ok(()));
        assert_eq!(check_url("http://[::1]:1"), Ok(()));
        assert_eq!(check_url("http://127.1.2.3"), Ok(()));
        assert_eq!(check_url("http://10.0.0.1:80"), Err(BadUrl::PlainToRemote));
        assert_eq!(
            check_url("http://localhost.evil.example"),
            Err(BadUrl::PlainToRemote)
        );
        assert_eq!(check_url("ftp://x"), Err(BadUrl::Scheme));
        assert_eq!(check_url("otp.bank.example"), Err(BadUrl::Unparsable));
        // The host is what the URL parser finds, not what a prefix suggests.
        assert_eq!(
            check_url("http://[::1]@bank.example/"),
            Err(BadUrl::UserInfo)
        );
        assert_eq!(
            check_url("http://127.0.0.1@bank.example/"),
            Err(BadUrl::UserInfo)
        );
        assert_eq!(
            check_url("https://a:b@bank.example/"),
            Err(BadUrl::UserInfo)
        );
        assert_eq!(
            check_url("http://127.0.0.1.bank.example/"),
            Err(BadUrl::PlainToRemote)
        );
        assert_eq!(
            check_url("http://0x7f.1/"),
            Ok(()),
            "127.0.0.1 spelled in hex"
        );
        assert_eq!(check_url("http://LOCALHOST:8/"), Ok(()));
    }
}
