//! The OpenAPI 3.1 document: paths and schemas come from the handlers' `#[utoipa::path]` and the DTOs' `ToSchema`; `finish` adds the bearer scheme and the error responses every operation shares.

use std::sync::Arc;

use axum::Extension;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

use crate::auth::LIVENESS_PATH;
use crate::error::ErrorBody;

/// The document's fixed parts; the paths are added by the router (`routes/mod.rs`).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "brainstore",
        description = "Storage for AI agents over HTTP: collections of chunks searched by vector, keyword or both; \
                       agent memory; sessions, messages and artifacts; a shared task queue. Every error is \
                       `{\"error\": {\"code\", \"message\"}}`. With a token configured, every route but `GET /health` \
                       needs `Authorization: Bearer <token>`. Guide: docs/http-api.md."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "health", description = "Liveness, store status, PostgreSQL pool metrics"),
        (name = "collections", description = "Collections of chunks"),
        (name = "documents", description = "Chunks: upsert, get, delete, query, count"),
        (name = "memories", description = "Agent memory, per tenant"),
        (name = "sessions", description = "Sessions, messages, artifacts and agents, per tenant"),
        (name = "tasks", description = "The task queue, per tenant"),
        (name = "meta", description = "This document")
    )
)]
pub(crate) struct ApiDoc;

/// The name of the bearer security scheme.
const BEARER: &str = "bearer";

/// The error statuses every operation documents, with what they mean here.
const ERRORS: &[(&str, &str)] = &[
    ("400", "invalid_input or unsupported: a value, field, filter or parameter is unusable"),
    ("401", "unauthorized: the bearer token is missing or wrong"),
    ("403", "forbidden_host: a server without a token answers loopback host names only"),
    ("404", "not_found: no such record or collection"),
    (
        "409",
        "incompatible_state (dimension or model mismatch, not initialized) or conflict (lost lease, finished task)",
    ),
    ("413", "payload_too_large: the body is over server.body_limit_bytes"),
    ("415", "invalid_input: a POST or PUT without `Content-Type: application/json` (even without a body)"),
    ("422", "invalid_input: well-formed JSON of the wrong shape"),
    ("431", "headers_too_large: more than 100 header fields or 64 KiB of them"),
    ("500", "internal: a bug or a backend failure"),
    ("503", "unavailable (backend unreachable or locked) or timeout"),
];

/// Adds the version, the bearer scheme, and the error responses to every operation (all but the liveness
/// probe need the token when one is configured).
pub(crate) fn finish(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(BEARER, SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    for (path, item) in &mut doc.paths.paths {
        let open = path == LIVENESS_PATH;
        for operation in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            add_errors(operation, open);
        }
    }
    doc
}

fn add_errors(operation: &mut Operation, open: bool) {
    operation.security = Some(if open {
        vec![SecurityRequirement::default()]
    } else {
        vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]
    });
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build(),
        )
    };
    for (status, description) in ERRORS {
        if open && *status != "500" && *status != "503" {
            continue;
        }
        operation.responses.responses.entry((*status).to_owned()).or_insert_with(|| error(description));
    }
    operation.responses.responses.entry("default".to_owned()).or_insert_with(|| error("Any other error"));
}

/// The document, serialised once at start-up.
#[derive(Clone)]
pub(crate) struct OpenApiJson(pub(crate) Arc<String>);

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document of this server", body = Object)))]
pub(crate) async fn document(Extension(doc): Extension<OpenApiJson>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], doc.0.as_str().to_owned()).into_response()
}
