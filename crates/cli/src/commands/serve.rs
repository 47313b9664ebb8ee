//! `brainstore serve`: the configured store over HTTP through the `server` crate, until SIGINT or SIGTERM.
//!
//! Everything is validated before the store opens (bind address, token policy); then the store is migrated
//! (idempotent, like `init`), the address bound and printed on stdout, and requests served until a signal,
//! after which in-flight requests finish. The store embeds text-only chunks, queries and memories into
//! spaces that name a provider (the `embedding:` section supplies model folders, servers and keys), and
//! `POST /v1/embeddings` answers with the configured model when `embedding.provider` or `.model` is set. A build without the `server` feature refuses with a usage error.

#[cfg(feature = "server")]
use std::io::{self, Write};

#[cfg(feature = "server")]
use serde::Serialize;

use crate::args::ServeArgs;
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::output::Printer;
#[cfg(feature = "server")]
use crate::output::Report;

/// `serve`, validated: the server's settings with the flags applied, and the address they resolve to.
#[cfg(feature = "server")]
#[derive(Debug)]
pub(crate) struct Input {
    config: server::ServerConfig,
    address: std::net::SocketAddr,
}

/// Flags over the `server:` section; refuses a non-loopback address without a token.
#[cfg(feature = "server")]
pub(crate) fn parse(args: ServeArgs, app: &AppConfig) -> Result<Input> {
    let mut config = app.server.clone();
    if let Some(token) = args.token {
        let token = server::BearerToken::new(token).map_err(|e| CliError::usage(format!("--token: {}", e.reason())))?;
        config.token = Some(token);
    }
    if let Some(bind) = args.bind {
        config.bind = bind;
    }
    let address = config.resolve_bind().map_err(|error| match error {
        server::ServerError::Unprotected { .. } => CliError::usage(format!(
            "{error}. Set BRAINSTORE_TOKEN (or server.token, or --token), or bind to 127.0.0.1"
        )),
        other => CliError::usage(format!("--bind: {other}")),
    })?;
    Ok(Input { config, address })
}

/// Without the server, `serve` is a usage error, found before any store opens.
#[cfg(not(feature = "server"))]
pub(crate) fn parse(_args: ServeArgs, _app: &AppConfig) -> Result<std::convert::Infallible> {
    Err(CliError::usage("this brainstore was built without the HTTP server (cargo feature server)"))
}

/// Never called: `parse` always fails in a build without the server.
#[cfg(not(feature = "server"))]
pub(crate) fn run(input: std::convert::Infallible, _app: &AppConfig, _printer: &mut Printer) -> Result<()> {
    match input {}
}

/// What `serve` prints once it listens: the address to call (port 0 resolved).
#[cfg(feature = "server")]
#[derive(Debug, Serialize)]
struct ServeReport {
    /// `http://HOST:PORT`.
    url: String,
    /// `HOST:PORT`.
    listening: String,
    /// `embedded` or `postgres`.
    backend: String,
    /// `bearer` when a token is required, else `none`.
    auth: &'static str,
}

#[cfg(feature = "server")]
impl Report for ServeReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let auth = if self.auth == "bearer" { "bearer token required" } else { "no token (loopback only)" };
        writeln!(out, "listening on {} ({} backend, {auth}); Ctrl-C stops", self.url, self.backend)
    }
}

/// Opens and migrates the store, listens, and serves until SIGINT or SIGTERM.
#[cfg(feature = "server")]
pub(crate) fn run(input: Input, app: &AppConfig, printer: &mut Printer) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(input, app, printer))
}

#[cfg(feature = "server")]
async fn serve(input: Input, app: &AppConfig, printer: &mut Printer) -> Result<()> {
    let resolver = std::sync::Arc::new(::embed::ConfiguredResolver::new(app.embedding.provider_config()));
    let stores = crate::factory::open(&crate::factory::configured(app)?).await?.with_resolver(resolver);
    let outcome = async {
        stores.documents.initialize().await?;
        let listener = tokio::net::TcpListener::bind(input.address)
            .await
            .map_err(|e| CliError::usage(format!("--bind: cannot listen on {}: {e}", input.address)))?;
        let local =
            listener.local_addr().map_err(|e| CliError::Internal(format!("cannot read the bound address: {e}")))?;
        let backend = stores.documents.backend().to_owned();
        let auth = if input.config.token.is_some() { "bearer" } else { "none" };
        let mut router = server::router(stores.clone(), app.search.clone(), &input.config);
        // `POST /v1/embeddings` serves the model `embedding:` names; loaded now, so the first request is fast.
        if app.embedding.is_configured() {
            let embedder =
                ::embed::connect(&app.embedding.provider_config()).await.map_err(storage_core::StorageError::from)?;
            router = server::with_embedder(router, embedder);
        }
        printer.report(&ServeReport { url: format!("http://{local}"), listening: local.to_string(), backend, auth })?;
        tracing::info!("listening on http://{local}");
        server::serve(listener, router, &input.config, server::shutdown_signal())
            .await
            .map_err(|e| CliError::Internal(e.to_string()))
    }
    .await;
    if let Err(error) = stores.documents.close().await {
        tracing::warn!("closing the store failed: {error}");
    }
    outcome
}
