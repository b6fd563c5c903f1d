//! The HTTP layer: the app's routes and the bank's routes as two routers,
//! extractors for protocol JSON and the bank's API key, errors as
//! responses (see [`error`] for the status codes), rate limits
//! ([`limit`]), and serving with timeouts and a connection bound
//! ([`server`]).
//!
//! Nothing is written to the database for 4xx answers other than 403.

pub mod app;
pub mod bank;
pub mod contract;
pub mod error;
pub mod extract;
pub mod limit;
pub mod server;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ippun_core::protocol;

pub use error::HttpError;

use crate::{Center, CenterError};

/// The whole API of a production center: the app's routes (rate-limited)
/// and the bank's, a JSON 404 for any other path, and the 16 KiB body
/// limit.
pub fn router(center: Arc<Center>) -> Router {
    let app = limit::limited(app::routes(), &center);
    finish(app.merge(bank::routes()), center)
}

/// Adds the JSON 404 and the body limit to `routes` and gives them the
/// center.
pub fn finish(routes: Router<Arc<Center>>, center: Arc<Center>) -> Router {
    routes
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(protocol::MAX_BODY_BYTES))
        .with_state(center)
}

async fn not_found(State(c): State<Arc<Center>>) -> impl IntoResponse {
    HttpError::new(
        c.now(),
        StatusCode::NOT_FOUND,
        "not-found",
        "no such endpoint",
    )
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    /// Whether it speaks TLS.
    pub tls: bool,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), CenterError>>,
}

impl Running {
    /// Runs `serve` (an axum server that stops when the future it is given
    /// resolves) until shut down.
    pub fn spawn<F, S>(addr: std::net::SocketAddr, tls: bool, serve: S) -> Self
    where
        S: FnOnce(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> F,
        F: Future<Output = std::io::Result<()>> + Send + 'static,
    {
        let (tx, mut rx) = tokio::sync::watch::channel(false);
        let mut rx2 = rx.clone();
        let graceful = serve(Box::pin(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }));
        let task = tokio::spawn(async move {
            tokio::select! {
                r = graceful => r.map_err(CenterError::from),
                // Requests in flight get 5 s after the signal; then we stop anyway.
                () = async {
                    let _ = rx2.wait_for(|stop| *stop).await;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                } => Ok(()),
            }
        });
        Self {
            addr,
            tls,
            shutdown: tx,
            task,
        }
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish (at most 5 s), and
    /// waits for the server to end.
    pub async fn shutdown(self) -> Result<(), CenterError> {
        let _ = self.shutdown.send(true);
        match tokio::time::timeout(Duration::from_secs(6), self.task).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) | Err(_) => Ok(()),
        }
    }
}

/// Serves the center's API on `tcp` (TLS when `tls` is given) until shut
/// down.
pub fn serve(
    tcp: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    center: Arc<Center>,
) -> Result<Running, CenterError> {
    let is_tls = tls.is_some();
    let listener = crate::net::Listener::new(tcp, tls)?;
    let app = router(Arc::clone(&center));
    Ok(server::run(listener, is_tls, app, center)?)
}
