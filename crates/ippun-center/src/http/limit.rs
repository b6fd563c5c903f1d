//! Rate limits on the app's endpoints (`tower_governor`: GCRA per key): one
//! per client address and one for everyone together, answered 429 with
//! `Retry-After`. The bank's endpoints need an API key and are not limited
//! here.
//!
//! A refusal for being over a limit (429, or 503 `busy` from the password
//! checks) is sent after a [`PAUSE`]: a client that ignores `Retry-After`
//! and asks again at once spends its own time waiting, not the center's
//! CPU on a spinning loop of refusals.
//!
//! The client address is the connection's peer, or, when
//! [`HttpLimits::client_ip_header`](crate::HttpLimits) is set (behind a
//! proxy), the last address in that header. IPv6 clients are counted per
//! /64 network, the block one subscriber usually holds.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_governor::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::{GlobalKeyExtractor, KeyExtractor};

use super::HttpError;
use super::server::PeerIp;
use crate::{Center, Rate};

/// The rate-limit key of a request: its client's address (IPv6: the /64).
#[derive(Debug, Clone)]
pub struct ClientKey {
    header: Option<HeaderName>,
}

impl ClientKey {
    /// Keys from the peer address, or from `header` when given.
    pub fn new(header: Option<HeaderName>) -> Self {
        Self { header }
    }

    /// The client address of `req`.
    pub fn client<T>(&self, req: &Request<T>) -> Option<IpAddr> {
        let from_header = self.header.as_ref().and_then(|h| {
            let v = req.headers().get_all(h).iter().next_back()?.to_str().ok()?;
            v.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        });
        from_header.or_else(|| req.extensions().get::<PeerIp>().map(|p| p.0))
    }
}

/// An address as counted: IPv4 as is, IPv6 by its /64.
pub fn counted(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                IpAddr::V4(v4)
            } else {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        }
    }
}

impl KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<Self::Key, GovernorError> {
        self.client(req)
            .map(counted)
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

fn too_many(center: &Center, e: &GovernorError) -> Response {
    let now = center.now();
    match e {
        GovernorError::TooManyRequests { wait_time, .. } => {
            let wait_time = *wait_time;
            let mut r = HttpError::new(
                now,
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "too many requests; retry later",
            )
            .into_response();
            if let Ok(v) = wait_time.max(1).to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        _ => HttpError::new(
            now,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the center failed",
        )
        .into_response(),
    }
}

/// How long an over-the-limit refusal waits before it is sent.
pub const PAUSE: Duration = Duration::from_millis(250);

/// Holds back 429 and 503 answers by [`PAUSE`].
async fn pause_refusals(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let r = next.run(req).await;
    if matches!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ) {
        tokio::time::sleep(PAUSE).await;
    }
    r
}

fn period(rate: Rate) -> Duration {
    Duration::from_nanos(1_000_000_000 / u64::from(rate.per_second.max(1)))
}

/// `routes` with the center's rate limits, and a task that forgets idle
/// clients once a minute (so the table does not grow with every address
/// ever seen).
pub fn limited(routes: Router<Arc<Center>>, center: &Arc<Center>) -> Router<Arc<Center>> {
    let limits = &center.config().http;
    let mut routes = routes;
    if let Some(rate) = limits.per_client {
        let header = limits
            .client_ip_header
            .as_deref()
            .and_then(|h| HeaderName::try_from(h).ok());
        if let Some(cfg) = GovernorConfigBuilder::default()
            .period(period(rate))
            .burst_size(rate.burst.max(1))
            .key_extractor(ClientKey::new(header))
            .finish()
        {
            let limiter = Arc::clone(cfg.limiter());
            // Not in tests without a runtime: there is nothing to clean.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_secs(60));
                    loop {
                        tick.tick().await;
                        limiter.retain_recent();
                        limiter.shrink_to_fit();
                    }
                });
            }
            let c = Arc::clone(center);
            routes = routes.layer(
                tower_governor::GovernorLayer::new(cfg).error_handler(move |e| too_many(&c, &e)),
            );
        }
    }
    if let Some(rate) = limits.overall
        && let Some(cfg) = GovernorConfigBuilder::default()
            .period(period(rate))
            .burst_size(rate.burst.max(1))
            .key_extractor(GlobalKeyExtractor)
            .finish()
    {
        let c = Arc::clone(center);
        routes = routes.layer(
            tower_governor::GovernorLayer::new(cfg).error_handler(move |e| too_many(&c, &e)),
        );
    }
    routes.layer(axum::middleware::from_fn(pause_refusals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_header_says() {
        let peer: IpAddr = "192.0.2.1".parse().unwrap();
        let mut req = Request::new(());
        req.extensions_mut().insert(PeerIp(peer));
        req.headers_mut().insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        assert_eq!(ClientKey::new(None).client(&req), Some(peer));
        let via = ClientKey::new(Some(HeaderName::from_static("x-forwarded-for")));
        assert_eq!(via.client(&req), Some("198.51.100.7".parse().unwrap()));
        req.headers_mut()
            .insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(
            via.client(&req),
            Some(peer),
            "garbage falls back to the peer"
        );
    }

    #[test]
    fn ipv6_counts_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(counted(a), counted(b));
        assert_ne!(counted(a), counted(c));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(counted(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }
}
