//! The connection loop: HTTP/1.1 on hyper with its header-read timer on
//! (so slow or idle clients are closed), a time limit per request, a
//! bound on open connections, and graceful shutdown. `axum::serve` has
//! none of the first three.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::{HttpError, Running};
use crate::{Center, HttpLimits};

/// The address a connection comes from, as the listener knows it.
pub trait Peer: Clone + Send + Sync + 'static {
    /// The socket address.
    fn addr(&self) -> SocketAddr;

    /// The IP address.
    fn ip(&self) -> IpAddr {
        self.addr().ip()
    }
}

impl Peer for SocketAddr {
    fn addr(&self) -> SocketAddr {
        *self
    }
}

/// The IP address of the connection a request came on (an extension on
/// every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerIp(pub IpAddr);

/// The hyper header-read buffer cannot be smaller than this.
const MIN_BUF: usize = 8 * 1024;

/// Open connections at most: the setting, but below the descriptor limit
/// (with room for the database, logs and the listener itself).
pub fn connection_cap(setting: usize) -> usize {
    let fds = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| {
        usize::try_from(soft).unwrap_or(usize::MAX)
    });
    setting.min(fds.saturating_sub(64).max(16))
}

/// Serves `app` on what `listener` accepts, under `center`'s HTTP limits,
/// until shut down.
pub fn run<L>(
    mut listener: L,
    tls: bool,
    app: Router,
    center: Arc<Center>,
) -> std::io::Result<Running>
where
    L: axum::serve::Listener,
    L::Addr: Peer,
{
    let addr = listener.local_addr()?.addr();
    let limits: HttpLimits = center.config().http.clone();
    let slots = Arc::new(Semaphore::new(connection_cap(limits.max_connections)));
    let mut h1 = hyper::server::conn::http1::Builder::new();
    h1.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(MIN_BUF))
        .keep_alive(true);
    Ok(Running::spawn(addr, tls, move |stop| async move {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut stop = stop;
        loop {
            let (io, peer) = tokio::select! {
                () = &mut stop => break,
                a = listener.accept() => a,
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                tracing::debug!(peer = %peer.ip(), "connection limit reached: closed");
                drop(io);
                continue;
            };
            let app = app.clone();
            let center = Arc::clone(&center);
            let timeout = limits.request_timeout;
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                handle(app.clone(), Arc::clone(&center), timeout, peer.clone(), req)
            });
            let conn = graceful.watch(h1.serve_connection(TokioIo::new(io), service));
            tokio::spawn(async move {
                let _ = conn.await;
                drop(slot);
            });
        }
        drop(listener);
        // Requests in flight finish; `Running` stops waiting after 5 s.
        graceful.shutdown().await;
        Ok(())
    }))
}

async fn handle<P: Peer>(
    app: Router,
    center: Arc<Center>,
    timeout: Duration,
    peer: P,
    mut req: Request<Incoming>,
) -> Result<Response, Infallible> {
    req.extensions_mut().insert(PeerIp(peer.ip()));
    req.extensions_mut().insert(ConnectInfo(peer));
    match tokio::time::timeout(timeout, app.oneshot(req.map(axum::body::Body::new))).await {
        Ok(r) => r,
        Err(_) => Ok(HttpError::new(
            center.now(),
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request took too long",
        )
        .into_response()),
    }
}
