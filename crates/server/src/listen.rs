//! `serve`: the accept loop. Each connection must finish sending a request's headers within
//! `server.header_read_timeout_secs` (an idle keep-alive connection likewise), and at most
//! `server.max_connections` are open at once, so clients that trickle headers (slowloris) neither hold
//! connections for ever nor exhaust the process's file descriptors. On shutdown it stops accepting and lets
//! in-flight requests finish.
//!
//! axum's own `serve` sets neither limit, which is why this loop drives hyper directly.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::{ServerConfig, ServerError};

/// hyper's own limits, above [`crate::guard`]'s, so that every header block hyper accepts reaches the guard
/// and is refused with a JSON 431 rather than hyper's empty one.
const HYPER_MAX_HEADERS: usize = 4 * crate::guard::MAX_HEADER_COUNT;
const HYPER_MAX_BUF_BYTES: usize = 4 * crate::guard::MAX_HEADER_BYTES;

/// How long to wait before accepting again after `accept` failed (out of file descriptors, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `shutdown` resolves, with `config`'s connection limits; then it stops
/// accepting and lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    // HTTP/1.1 only, as before (axum's `http2` feature is off): no client of this API needs more.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout())
        .max_headers(HYPER_MAX_HEADERS)
        .max_buf_size(HYPER_MAX_BUF_BYTES);
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let graceful = GracefulShutdown::new();
    let service = TowerToHyperService::new(router);
    tokio::pin!(shutdown);
    loop {
        // A slot first: past the limit, new connections wait in the kernel's backlog, not in our memory.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.map_err(|_| ServerError::Serve(std::io::Error::other("the connection limit closed")))?,
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    tracing::warn!("cannot accept a connection: {error}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {error}");
        }
        let connection = builder.serve_connection(TokioIo::new(stream), service.clone());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!("connection ended: {error}");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    tracing::info!("stopped: every in-flight request finished");
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM: the usual `shutdown` of [`serve`].
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {error}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!("cannot listen for SIGTERM: {error}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: no new connections; finishing in-flight requests");
}
