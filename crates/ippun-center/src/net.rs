//! Serving on TCP or TLS: a listener whose TLS handshakes run off the
//! accept path with a time limit, and the TLS configurations.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::CenterError;

/// Any byte stream the server can speak HTTP on.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The stream of an accepted socket: the socket itself, or TLS over it
/// once the handshake completes (`None` if it fails or takes too long).
pub async fn handshake(
    sock: TcpStream,
    peer: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Option<Box<dyn Stream>> {
    let _ = sock.set_nodelay(true);
    let Some(cfg) = tls else {
        return Some(Box::new(sock));
    };
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, TlsAcceptor::from(cfg).accept(sock)).await {
        Ok(Ok(s)) => Some(Box::new(s)),
        Ok(Err(e)) => {
            tracing::info!(%peer, error = %e, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::info!(%peer, "TLS handshake timed out");
            None
        }
    }
}

/// The next connection on `tcp`. A failed accept (out of descriptors, a
/// connection reset while queued) is logged and tried again after 50 ms.
/// Safe to cancel, as in `select!`.
pub async fn accept(tcp: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match tcp.accept().await {
            Ok(x) => return x,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A TCP listener, with TLS when configured. Handshakes run off the accept
/// path, with a time limit, so a slow client cannot hold up others.
#[derive(Debug)]
pub struct Listener {
    local: SocketAddr,
    rx: mpsc::Receiver<(Box<dyn Stream>, SocketAddr)>,
}

impl Listener {
    /// Starts accepting on `tcp`, with TLS when `tls` is given.
    pub fn new(tcp: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                // Stop (and free the port) as soon as the server drops its end.
                let (sock, peer) = tokio::select! {
                    () = tx.closed() => break,
                    a = accept(&tcp) => a,
                };
                let tx = tx.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    if let Some(stream) = handshake(sock, peer, tls).await {
                        let _ = tx.send((stream, peer)).await;
                    }
                });
            }
        });
        Ok(Self { local, rx })
    }

    /// The bound address.
    pub fn local(&self) -> SocketAddr {
        self.local
    }
}

impl axum::serve::Listener for Listener {
    type Io = Box<dyn Stream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// The ring crypto provider, installed once for the process (one TLS stack
/// project-wide).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A TLS server configuration from PEM files.
pub fn tls_from_files(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<rustls::ServerConfig>, CenterError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    install_crypto_provider();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| CenterError::Config(format!("{}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| CenterError::Config(format!("{}: {e}", cert.display())))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| CenterError::Config(format!("{}: {e}", key.display())))?;
    tls_config(certs, key)
}

/// A TLS server configuration with a fresh self-signed certificate for
/// `localhost` (the demo's `bad-tls` fault: no app trusts it).
pub fn tls_self_signed() -> Result<Arc<rustls::ServerConfig>, CenterError> {
    install_crypto_provider();
    let c = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(|_| CenterError::Crypto("self-signed certificate"))?;
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(c.signing_key.serialize_der().into());
    tls_config(vec![c.cert.der().clone()], key)
}

/// A TLS server configuration (ring, safe defaults, HTTP/1.1) for a
/// certificate chain and its key.
pub fn tls_config(
    certs: Vec<rustls_pki_types::CertificateDer<'static>>,
    key: rustls_pki_types::PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, CenterError> {
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| CenterError::Config(format!("TLS: {e}")))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| CenterError::Config(format!("TLS: {e}")))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}
