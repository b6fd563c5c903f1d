//! The demo's listener: the production listener's TLS handshakes, plus
//! what only the demo does — stop listening while the fault is `refuse`
//! (so that connecting is refused on the very address the token uses),
//! answer with a certificate no app trusts while it is `bad-tls`, and a
//! per-connection switch that cuts a connection before its reply
//! (`drop-second-leg`).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::fault::{Fault, FaultSwitch};
use crate::CenterError;
use crate::net::{self, Stream};

/// One accepted connection: its stream and the switch that cuts it.
pub struct CutConn {
    inner: Box<dyn Stream>,
    cut: Arc<AtomicBool>,
}

impl std::fmt::Debug for CutConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CutConn").finish_non_exhaustive()
    }
}

fn cut_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection cut on purpose",
    )
}

impl AsyncRead for CutConn {
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

impl AsyncWrite for CutConn {
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

/// What a handler learns about its connection: the peer, and the switch.
#[derive(Debug, Clone)]
pub struct CutSwitch {
    /// The peer.
    pub peer: SocketAddr,
    cut: Arc<AtomicBool>,
}

impl CutSwitch {
    /// Cuts the connection: nothing more is written to it.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

impl crate::http::server::Peer for CutSwitch {
    fn addr(&self) -> SocketAddr {
        self.peer
    }
}

/// The demo's listener (see the module docs).
#[derive(Debug)]
pub struct DemoListener {
    local: SocketAddr,
    rx: mpsc::Receiver<(CutConn, CutSwitch)>,
}

impl DemoListener {
    /// Starts accepting on `tcp` (TLS with `tls` when given), following
    /// `faults`.
    pub fn new(
        tcp: TcpListener,
        tls: Option<Arc<rustls::ServerConfig>>,
        faults: FaultSwitch,
    ) -> Result<Self, CenterError> {
        let local = tcp.local_addr()?;
        let untrusted = match &tls {
            Some(_) => Some(net::tls_self_signed()?),
            None => None,
        };
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(accept_loop(tcp, local, tls, untrusted, faults, tx));
        Ok(Self { local, rx })
    }

    /// The bound address.
    pub fn local(&self) -> SocketAddr {
        self.local
    }
}

async fn accept_loop(
    tcp: TcpListener,
    local: SocketAddr,
    tls: Option<Arc<rustls::ServerConfig>>,
    untrusted: Option<Arc<rustls::ServerConfig>>,
    faults: FaultSwitch,
    tx: mpsc::Sender<(CutConn, CutSwitch)>,
) {
    let mut watch = faults.watch();
    let mut listening = (faults.get() != Some(Fault::Refuse)).then_some(tcp);
    loop {
        let Some(tcp) = &listening else {
            // Refusing: nothing listens until the fault changes.
            tokio::select! {
                () = tx.closed() => break,
                changed = watch.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    if faults.get() != Some(Fault::Refuse) {
                        listening = rebind(local).await;
                    }
                }
            }
            continue;
        };
        let (sock, peer) = tokio::select! {
            () = tx.closed() => break,
            changed = watch.changed() => {
                if changed.is_err() {
                    break;
                }
                if faults.get() == Some(Fault::Refuse) {
                    listening = None;
                }
                continue;
            }
            a = net::accept(tcp) => a,
        };
        let cfg = if faults.get() == Some(Fault::BadTls) {
            untrusted.clone()
        } else {
            tls.clone()
        };
        let tx = tx.clone();
        tokio::spawn(async move {
            if let Some(inner) = net::handshake(sock, peer, cfg).await {
                let cut = Arc::new(AtomicBool::new(false));
                let conn = CutConn {
                    inner,
                    cut: cut.clone(),
                };
                let _ = tx.send((conn, CutSwitch { peer, cut })).await;
            }
        });
    }
}

/// Listens on `addr` again (the port was just freed; retry briefly).
async fn rebind(addr: SocketAddr) -> Option<TcpListener> {
    for _ in 0..100 {
        match TcpListener::bind(addr).await {
            Ok(l) => return Some(l),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    tracing::warn!(%addr, "could not listen again after the refuse fault");
    None
}

impl axum::serve::Listener for DemoListener {
    type Io = CutConn;
    type Addr = CutSwitch;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(x) => x,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(CutSwitch {
            peer: self.local,
            cut: Arc::new(AtomicBool::new(false)),
        })
    }
}
