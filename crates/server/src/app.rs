//! The router with its middleware: request id, tracing, panic catching, JSON errors, timeout, body limit,
//! bearer auth and the request guard (host names, content type, header size).

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use storage_core::{SearchDefaults, Stores};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::ApiError;
use crate::guard::{self, Guard};
use crate::openapi::{OpenApiJson, finish};
use crate::state::AppState;
use crate::{ServerConfig, auth, routes};

/// The OpenAPI document exactly as `GET /openapi.json` serves it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, doc) = routes::api().split_for_parts();
    finish(doc)
}

/// The router over `stores` with every middleware: request id, tracing, panic catching, JSON errors, timeout,
/// body limit, bearer auth and the request guard, outermost first. The `search:` defaults fill the gaps of a query as the
/// command line fills them; `config` gives the token and the limits.
pub fn router(stores: Stores, search: SearchDefaults, config: &ServerConfig) -> Router {
    let state = AppState::new(stores, search);
    let (router, doc) = routes::api().split_for_parts();
    let doc = finish(doc);
    let doc_json = serde_json::to_string(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    let timeout_secs = config.request_timeout_secs;
    let token = config.token.clone().map(Arc::new);
    let guard = Guard { loopback_hosts_only: token.is_none() };
    router
        .fallback(no_route)
        .with_state(state)
        .layer(axum::Extension(OpenApiJson(Arc::new(doc_json))))
        .layer(middleware::from_fn_with_state(guard, guard::check_request))
        .layer(middleware::from_fn_with_state(token, auth::require_token))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, config.request_timeout()))
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
