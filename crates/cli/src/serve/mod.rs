//! `brainstore serve`: the store over HTTP (axum on tokio) — JSON errors, bearer auth, body limit, timeout, request tracing, graceful shutdown.
//!
//! Start-up validates everything before the store opens (bind address, token policy), migrates the store
//! (idempotent, like `init`), binds, prints the bound address on stdout, and serves until SIGINT or SIGTERM;
//! then it stops accepting and lets in-flight requests finish. Routes live in `routes/`, bodies in `dto/`.

mod auth;
mod dto;
mod error;
mod extract;
mod openapi;
mod routes;
mod settings;
mod state;
#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

use self::error::ApiError;
pub(crate) use self::settings::ServerSection;
use self::settings::{BearerToken, resolve_bind};
use self::state::AppState;
use crate::args::ServeArgs;
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::factory;
use crate::output::{Printer, Report};

/// `serve`, validated: where to listen and how.
#[derive(Debug)]
pub(crate) struct Input {
    address: SocketAddr,
    limits: Limits,
    token: Option<BearerToken>,
}

/// The request limits the middleware enforces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The largest body, in bytes.
    pub(crate) body_bytes: usize,
    /// How long one request may take.
    pub(crate) timeout: Duration,
}

/// Flags over the `server:` section; refuses a non-loopback address without a token.
pub(crate) fn parse(args: ServeArgs, app: &AppConfig) -> Result<Input> {
    let section = &app.server;
    let token = match args.token {
        Some(token) => Some(BearerToken::new(token).map_err(|reason| CliError::usage(format!("--token: {reason}")))?),
        None => section.token.clone(),
    };
    let bind = args.bind.unwrap_or_else(|| section.bind.clone());
    let address = resolve_bind(&bind, token.as_ref())?;
    let limits =
        Limits { body_bytes: section.body_limit_bytes, timeout: Duration::from_secs(section.request_timeout_secs) };
    Ok(Input { address, limits, token })
}

/// What `serve` prints once it listens: the address to call (port 0 resolved).
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

impl Report for ServeReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let auth = if self.auth == "bearer" { "bearer token required" } else { "no token (loopback only)" };
        writeln!(out, "listening on {} ({} backend, {auth}); Ctrl-C stops", self.url, self.backend)
    }
}

/// Opens and migrates the store, listens, and serves until SIGINT or SIGTERM.
pub(crate) fn run(input: Input, app: &AppConfig, printer: &mut Printer) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(input, app, printer))
}

async fn serve(input: Input, app: &AppConfig, printer: &mut Printer) -> Result<()> {
    let stores = factory::open(&factory::configured(app)?).await?;
    let outcome = async {
        stores.documents.initialize().await?;
        let listener = tokio::net::TcpListener::bind(input.address)
            .await
            .map_err(|e| CliError::usage(format!("--bind: cannot listen on {}: {e}", input.address)))?;
        let local =
            listener.local_addr().map_err(|e| CliError::Internal(format!("cannot read the bound address: {e}")))?;
        let backend = stores.documents.backend().to_owned();
        let state = AppState::new(stores.clone(), app.search.clone());
        let auth = if input.token.is_some() { "bearer" } else { "none" };
        let router = app_router(state, input.limits, input.token.map(Arc::new));
        printer.report(&ServeReport { url: format!("http://{local}"), listening: local.to_string(), backend, auth })?;
        tracing::info!("listening on http://{local}");
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| CliError::Internal(format!("the server failed: {e}")))?;
        tracing::info!("stopped: every in-flight request finished");
        Ok(())
    }
    .await;
    if let Err(error) = stores.documents.close().await {
        tracing::warn!("closing the store failed: {error}");
    }
    outcome
}

/// The OpenAPI document exactly as `GET /openapi.json` serves it.
#[cfg(test)]
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    let (_, doc) = routes::api().split_for_parts();
    openapi::finish(doc)
}

/// The router with every middleware: request id, tracing, panic catching, JSON errors, timeout, body limit
/// and bearer auth, outermost first.
pub(crate) fn app_router(state: AppState, limits: Limits, token: Option<Arc<BearerToken>>) -> Router {
    let (router, doc) = routes::api().split_for_parts();
    let doc = openapi::finish(doc);
    let doc_json = serde_json::to_string(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let timeout_secs = limits.timeout.as_secs();
    router
        .fallback(no_route)
        .with_state(state)
        .layer(axum::Extension(openapi::OpenApiJson(Arc::new(doc_json))))
        .layer(middleware::from_fn_with_state(token, auth::require_token))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(limits.body_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limits.timeout))
        .layer(middleware::from_fn_with_state(timeout_secs, json_errors))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
                    // The path only: no query string, no header (the token stays out of every log line).
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), id = %id)
                })
                .on_request(DefaultOnRequest::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION]))
}

/// 404 for a path no route matches.
async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}; the routes are listed at GET /openapi.json", uri.path()))
}

/// Gives the responses of the layers below the handlers (timeout, body limit, method not allowed) the JSON
/// error shape; handler errors are JSON already and pass through.
async fn json_errors(State(timeout_secs): State<u64>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).trim().to_owned());
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("{method} is not allowed on {path}; the routes are listed at GET /openapi.json")
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            format!("the request took longer than {timeout_secs} s (server.request_timeout_secs)")
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            "the body is larger than the server's limit (server.body_limit_bytes); send smaller batches".to_owned()
        }
        _ => match text {
            Ok(text) if !text.is_empty() => text,
            _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
        },
    };
    let mut converted = ApiError::from_status(status, message).into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        converted.headers_mut().insert(header::ALLOW, allow.clone());
    }
    converted
}

/// A handler that panicked answers 500 `internal`; the server keeps serving.
fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server failed on this request (a bug; see its log)",
    )
    .into_response()
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
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
