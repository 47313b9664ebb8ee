//! Bearer-token authentication: with a token configured, every route but the liveness probe `GET /health` needs `Authorization: Bearer <token>`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use crate::config::BearerToken;
use crate::error::ApiError;

/// The one route open to anyone: it says only that the process answers.
pub(crate) const LIVENESS_PATH: &str = "/health";

/// The middleware: passes the request on when no token is configured, the route is the liveness probe, or
/// the request carries the token.
pub(crate) async fn require_token(
    State(token): State<Option<Arc<BearerToken>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = token else {
        return next.run(request).await;
    };
    let is_probe = request.uri().path() == LIVENESS_PATH && matches!(*request.method(), Method::GET | Method::HEAD);
    if is_probe {
        return next.run(request).await;
    }
    let given =
        request.headers().get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).and_then(bearer_credentials);
    match given {
        Some(given) if tokens_match(given.trim().as_bytes(), token.expose().as_bytes()) => next.run(request).await,
        Some(_) => ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "the bearer token is wrong").into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server needs `Authorization: Bearer <token>` (the token set with BRAINSTORE_TOKEN)",
        )
        .into_response(),
    }
}

/// The credentials of an `Authorization` value with the `Bearer` scheme, whose name is case-insensitive
/// (RFC 9110 §11.1): `Bearer`, `bearer` and `BEARER` alike.
fn bearer_credentials(value: &str) -> Option<&str> {
    let (scheme, credentials) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(credentials)
}

/// Whether `given` equals `expected`, in time that depends on `expected`'s length only: every byte of a
/// same-length prefix is compared, so a mismatch's position is not observable.
fn tokens_match(given: &[u8], expected: &[u8]) -> bool {
    let padded: Vec<u8> = (0..expected.len()).map(|idx| given.get(idx).copied().unwrap_or(0)).collect();
    let same_bytes = padded.as_slice().ct_eq(expected);
    let same_length = given.len().ct_eq(&expected.len());
    bool::from(same_bytes & same_length)
}

#[cfg(test)]
mod tests {
    use super::{bearer_credentials, tokens_match};

    #[test]
    fn the_scheme_name_is_case_insensitive() {
        for value in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc"] {
            assert_eq!(bearer_credentials(value), Some("abc"), "{value}");
        }
        assert_eq!(bearer_credentials("Basic abc"), None);
        assert_eq!(bearer_credentials("Bearerabc"), None);
    }

    #[test]
    fn only_the_exact_token_matches() {
        let expected = b"0123456789abcdef";
        assert!(tokens_match(b"0123456789abcdef", expected));
        assert!(!tokens_match(b"0123456789abcdeF", expected));
        assert!(!tokens_match(b"0123456789abcde", expected));
        assert!(!tokens_match(b"0123456789abcdef0", expected));
        assert!(!tokens_match(b"", expected));
    }
}
