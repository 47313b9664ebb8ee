//! `ServerError`, what can stop the server (settings, binding, serving), and `ApiError`: every failed request
//! as `{"error": {"code", "message"}}`, its status chosen by cause like the command line's exit codes.
//!
//! | code | status | meaning | exit code of the same failure in the CLI |
//! |---|---|---|---|
//! | `invalid_input` | 400 (422: well-formed JSON of the wrong shape; 415: not JSON) | a value, field, filter or parameter is unusable; the message names it | 2 |
//! | `unsupported` | 400 | the backend does not offer the operation (`/health/postgres` on the embedded backend) | 2 |
//! | `payload_too_large` | 413 | the body is larger than `server.body_limit_bytes` | 2 |
//! | `unauthorized` | 401 | the bearer token is missing or wrong | – |
//! | `forbidden_host` | 403 | a server without a token was called by a name that is not loopback | – |
//! | `headers_too_large` | 431 | more header fields or bytes than the guard accepts | – |
//! | `not_found` | 404 | no such record, collection or route | 2 |
//! | `method_not_allowed` | 405 | the route exists, not with this method | 2 |
//! | `incompatible_state` | 409 | the store's recorded state refuses it: dimension or model mismatch, not initialized | 3 |
//! | `conflict` | 409 | the record's state refuses it: a lost lease, a finished task | 3 |
//! | `timeout` | 503 | the request took longer than `server.request_timeout_secs` | 4 |
//! | `unavailable` | 503 | the backend is unreachable or locked; retry later | 4 |
//! | `not_configured` | 503 | `POST /v1/embeddings` on a server without an embedder (`embedding:`) | – |
//! | `internal` | 500 | a bug, or a backend failure that is nobody's input | 1 |

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use storage_core::{ErrorKind, StorageError, Uninitialized};
use utoipa::ToSchema;

/// Why the server cannot start or stopped: a setting, the bind address, or the listener.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A setting of the `server:` section is out of range; the message names the key.
    #[error("server.{key}: {reason}")]
    Config {
        /// The key within the section (`token`, `body_limit_bytes`...).
        key: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// The bind address cannot be listened on.
    #[error("cannot listen on `{address}`: {reason}")]
    Bind {
        /// The address as given.
        address: String,
        /// Why.
        reason: String,
    },
    /// The bind address reaches beyond loopback and no token is set.
    #[error(
        "refusing to listen on {address} without a bearer token: anyone who can reach it could read and change the store"
    )]
    Unprotected {
        /// The address as given.
        address: String,
    },
    /// Serving failed.
    #[error("the server failed: {0}")]
    Serve(#[source] std::io::Error),
}

impl ServerError {
    /// A [`ServerError::Config`] for `key`.
    pub(crate) fn config(key: &'static str, reason: impl Into<String>) -> Self {
        ServerError::Config { key, reason: reason.into() }
    }

    /// What is wrong, without the key or address it is about (for a caller that names them its own way).
    pub fn reason(&self) -> String {
        match self {
            ServerError::Config { reason, .. } | ServerError::Bind { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }
}

/// The body of every error response.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong.
    pub(crate) error: ErrorDetail,
}

/// An error's code and message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// A stable code for programs: invalid_input, unsupported, payload_too_large, unauthorized,
    /// forbidden_host, headers_too_large, not_found, method_not_allowed, incompatible_state, conflict,
    /// timeout, unavailable, not_configured or internal.
    pub(crate) code: String,
    /// A sentence for people: names the field, record or limit, and the remedy when one is known.
    pub(crate) message: String,
}

/// A failed request.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl ApiError {
    /// An error with this status and code.
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    /// 400 `invalid_input`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// 404 `not_found`.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// The code a status gets when a layer below the handlers (body limit, timeout, routing) produced it.
    pub(crate) fn from_status(status: StatusCode, message: String) -> Self {
        let code = match status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::CONFLICT => "conflict",
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => "timeout",
            status if status.is_client_error() => "invalid_input",
            _ => "internal",
        };
        Self::new(status, code, message)
    }
}

impl ApiError {
    /// A storage error in the shape of its kind (the command line's exit code maps from the same kind),
    /// `remedy` appended to core's description of the condition.
    pub(crate) fn storage(error: &StorageError, remedy: Option<String>) -> Self {
        let mut message = error.to_string();
        if let Some(remedy) = remedy {
            message.push_str("; ");
            message.push_str(&remedy);
        }
        let (status, code) = match error.kind() {
            ErrorKind::InvalidInput => (StatusCode::BAD_REQUEST, "invalid_input"),
            ErrorKind::Unsupported => (StatusCode::BAD_REQUEST, "unsupported"),
            ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ErrorKind::IncompatibleState => (StatusCode::CONFLICT, "incompatible_state"),
            ErrorKind::Conflict => (StatusCode::CONFLICT, "conflict"),
            ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            // `Internal`, and any kind added to the non-exhaustive enum later, until mapped here.
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Self::new(status, code, message)
    }
}

/// The route that sets up or changes what a storage error found wrong, when there is one. Core's messages
/// describe the condition only; this is the HTTP API's half.
pub(crate) fn remedy(error: &StorageError) -> Option<String> {
    match error {
        StorageError::NotInitialized { what, .. } => match what {
            Uninitialized::Collection { name } => {
                Some(format!("create it first: `POST /collections` with {{\"name\": \"{name}\"}}"))
            }
            Uninitialized::CollectionSpace { name } => Some(format!(
                "record its embedding space first: `POST /collections` with {{\"name\": \"{name}\", \"embedding\": \
                 {{\"dimensions\": N}}}}"
            )),
            Uninitialized::MemorySpace => {
                Some("record it first: `PUT /memories/embedding-space` with {\"dimensions\": N}".to_owned())
            }
            Uninitialized::EmbeddingProvider { .. } => Some(
                "give vectors with the data (`embedding` on every chunk and query), or create a collection whose \
                 space names a provider: `POST /collections` with {\"name\": \"NEW\", \"embedding\": \
                 {\"provider\": \"local\", \"model\": \"all-MiniLM-L6-v2\", \"dimensions\": 384}}; a recorded \
                 provider is built from the server's `embedding:` keys (`embedding.model_path`, \
                 `embedding.base_url`, `embedding.api_key_env`): set them and restart the server"
                    .to_owned(),
            ),
            _ => None,
        },
        StorageError::DimensionMismatch { collection, remedy: None, .. }
        | StorageError::ModelMismatch { collection, .. } => Some(format!(
            "to change its embedding space, drop the collection (`DELETE /collections/{collection}`) and create \
                 it again, or re-embed it"
        )),
        _ => None,
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        ApiError::storage(&error, remedy(&error))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, "{}", self.message);
        } else {
            tracing::debug!(code = self.code, "{}", self.message);
        }
        let body = ErrorBody { error: ErrorDetail { code: self.code.to_owned(), message: self.message } };
        let mut response = (self.status, Json(body)).into_response();
        match self.code {
            "unauthorized" => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            "unavailable" => {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        response
    }
}

/// `Result` of a handler.
pub(crate) type ApiResult<T> = std::result::Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remedies_name_routes_of_this_api() {
        let docs = storage_core::CollectionName::new("docs").expect("a valid name");
        let missing = ApiError::from(StorageError::missing_collection(&docs));
        assert_eq!(
            missing.message,
            "collection `docs` is not initialized; create it first: `POST /collections` with {\"name\": \"docs\"}"
        );
        let space = ApiError::from(StorageError::missing_memory_space());
        assert!(space.message.ends_with("; record it first: `PUT /memories/embedding-space` with {\"dimensions\": N}"));
        assert!(!space.message.contains("brainstore "), "{}", space.message);
    }

    fn check(error: StorageError, status: StatusCode, code: &str) {
        let api = ApiError::from(error);
        assert_eq!((api.status, api.code), (status, code), "{}", api.message);
    }

    #[test]
    fn storage_errors_map_like_the_exit_codes() {
        check(StorageError::invalid("where", "bad"), StatusCode::BAD_REQUEST, "invalid_input");
        check(StorageError::NotFound { what: "x".into() }, StatusCode::NOT_FOUND, "not_found");
        check(
            StorageError::DimensionMismatch { collection: "c".into(), stored: 3, given: 4, remedy: None },
            StatusCode::CONFLICT,
            "incompatible_state",
        );
        check(StorageError::missing_memory_space(), StatusCode::CONFLICT, "incompatible_state");
        check(StorageError::Conflict { reason: "lease lost".into() }, StatusCode::CONFLICT, "conflict");
        check(
            StorageError::Busy { resource: "db".into(), waited_ms: 1 },
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
        );
        check(StorageError::backend("upsert", "boom"), StatusCode::INTERNAL_SERVER_ERROR, "internal");
        check(
            StorageError::Unsupported { operation: "x".into(), backend: "embedded".into() },
            StatusCode::BAD_REQUEST,
            "unsupported",
        );
    }
}
