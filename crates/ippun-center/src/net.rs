//! Serving the API on TCP or TLS, with a per-connection switch that cuts the
//! connection before a reply is written (used by the demo's
//! `drop-second-leg` fault).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

use crate::CenterError;

/// Any byte stream the server can speak HTTP on.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// One accepted connection: its stream and the switch that cuts it.
pub struct Conn {
    inner: Box<dyn Stream>,
    cut: Arc<AtomicBool>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").finish_non_exhaustive()
    }
}

fn cut_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection cut on purpose",
    )
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.cut.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.cut.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.cut.load(Ordering::SeqCst) {
            return Poll::Ready(Err(cut_error()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What a handler learns about its connection.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The peer.
    pub peer: SocketAddr,
    cut: Arc<AtomicBool>,
}

impl ConnInfo {
    /// Cuts the connection: nothing more is written to it.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, Listener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, Listener>) -> Self {
        stream.remote_addr().clone()
    }
}

/// A TCP listener, with TLS when configured. Handshakes run off the accept
/// path, with a time limit, so a slow client cannot hold up others.
#[derive(Debug)]
pub struct Listener {
    local: SocketAddr,
    rx: mpsc::Receiver<(Conn, ConnInfo)>,
}

impl Listener {
    /// Starts accepting on `tcp`, with TLS when `tls` is given.
    pub fn new(tcp: TcpListener, tls: Option<Arc<rustls::ServerConfig>>) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = tls.map(TlsAcceptor::from);
        tokio::spawn(async move {
            loop {
                // Stop (and free the port) as soon as the server drops its end.
                let accepted = tokio::select! {
                    () = tx.closed() => break,
                    a = tcp.accept() => a,
                };
                let (sock, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = sock.set_nodelay(true);
                let tx = tx.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let inner: Box<dyn Stream> = match acceptor {
                        None => Box::new(sock),
                        Some(a) => {
                            match tokio::time::timeout(Duration::from_secs(10), a.accept(sock))
                                .await
                            {
                                Ok(Ok(s)) => Box::new(s),
                                Ok(Err(e)) => {
                                    tracing::info!(%peer, error = %e, "TLS handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    tracing::info!(%peer, "TLS handshake timed out");
                                    return;
                                }
                            }
                        }
                    };
                    let cut = Arc::new(AtomicBool::new(false));
                    let conn = Conn {
                        inner,
                        cut: cut.clone(),
                    };
                    let _ = tx.send((conn, ConnInfo { peer, cut })).await;
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
    type Io = Conn;
    type Addr = ConnInfo;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(ConnInfo {
            peer: self.local,
            cut: Arc::new(AtomicBool::new(false)),
        })
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

fn tls_config(
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
