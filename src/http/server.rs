//! The accept loop: axum's `serve` has no header-read timeout, so a client sending its headers
//! one byte a minute would hold a connection for ever. Each connection here runs hyper's
//! HTTP/1 with a timer, upgrades (WebSockets) allowed, and graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// How long a connection opened just before shutdown may take to send its first request.
const FIRST_REQUEST_WAIT: Duration = Duration::from_secs(1);

/// How long a client may take to send a request's headers.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    pub header_timeout: Duration,
    /// How long in-flight requests may take to finish once shutdown begins.
    pub shutdown_grace: Duration,
}

/// Serves `app` until `shutdown` completes, then lets open connections finish their requests
/// (for at most `shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(());
    let (open_tx, open_rx) = watch::channel(());
    let connections = Connections {
        app,
        limits,
        stop: stop_rx,
        open: open_rx,
    };
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        connections.serve(stream, peer);
    }
    match listener.into_std() {
        Ok(listener) => connections.take_queued(&listener),
        Err(error) => tracing::warn!(%error, "cannot take the connections still queued"),
    }
    drop(connections);
    // Connections finish the request they are serving, then close.
    let _ = stop_tx.send(());
    if tokio::time::timeout(limits.shutdown_grace, open_tx.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            open = open_tx.receiver_count(),
            "shutdown grace period over; closing connections still open"
        );
    }
    Ok(())
}

/// What each connection's task needs: the app, the limits, and the shutdown signals.
struct Connections {
    app: Router,
    limits: ConnectionLimits,
    /// Changes when shutdown begins.
    stop: watch::Receiver<()>,
    /// Held by every connection's task, so shutdown can wait for them all.
    open: watch::Receiver<()>,
}

impl Connections {
    /// Connections the kernel completed but the accept loop had not taken yet would be reset
    /// when the listener closes, their requests sent and never answered: they are served too.
    fn take_queued(&self, listener: &std::net::TcpListener) {
        loop {
            let accepted = listener.accept().and_then(|(stream, peer)| {
                stream.set_nonblocking(true)?;
                Ok((TcpStream::from_std(stream)?, peer))
            });
            match accepted {
                Ok((stream, peer)) => self.serve(stream, peer),
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionAborted => continue,
                Err(error) => {
                    if error.kind() != std::io::ErrorKind::WouldBlock {
                        tracing::warn!(%error, "cannot accept the connections still queued");
                    }
                    return;
                }
            }
        }
    }

    fn serve(&self, stream: TcpStream, peer: SocketAddr) {
        let requested = Arc::new(Notify::new());
        let service = self.app.clone().map_request({
            let requested = requested.clone();
            move |mut request: hyper::Request<Incoming>| {
                requested.notify_one();
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(axum::body::Body::new)
            }
        });
        let mut stop = self.stop.clone();
        let open = self.open.clone();
        let header_timeout = self.limits.header_timeout;
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .with_upgrades();
            let mut connection = pin!(connection);
            let ended = tokio::select! {
                result = connection.as_mut() => Some(result),
                _ = stop.changed() => {
                    // hyper closes a connection it has read nothing from at once; one opened
                    // just before shutdown has its request on the way: it is let in first.
                    tokio::select! {
                        result = connection.as_mut() => Some(result),
                        () = requested.notified() => None,
                        () = tokio::time::sleep(FIRST_REQUEST_WAIT) => None,
                    }
                }
            };
            let result = match ended {
                Some(result) => result,
                None => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            log_connection_end(peer, result);
            drop(open);
        });
    }
}

fn log_connection_end(peer: SocketAddr, result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%peer, %error, "connection ended with an error");
    }
}
