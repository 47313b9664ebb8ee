//! Requests a browser could be tricked into sending: without a token only loopback `Host` names are served
//! (DNS rebinding), and a write must declare a JSON body (a cross-site form or `fetch` without a preflight
//! cannot); oversized headers answer a JSON 431 before any handler runs.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The most header fields a request may carry, and their total size in bytes (names and values).
///
/// hyper refuses a header block past its own, larger limits with a bare 431; these answer first, in the API's
/// JSON error shape, for every request hyper lets through.
pub(crate) const MAX_HEADER_COUNT: usize = 100;
/// See [`MAX_HEADER_COUNT`].
pub(crate) const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What a request must satisfy beyond authentication.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Guard {
    /// Only loopback `Host` names are served (the server has no token).
    pub(crate) loopback_hosts_only: bool,
}

/// The middleware: refuses oversized headers, foreign hosts (without a token) and writes without a JSON
/// content type, in that order.
pub(crate) async fn check_request(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    if let Some(refusal) =
        refusal(guard, request.method(), request.uri().authority().map(|a| a.as_str()), request.headers())
    {
        return refusal.into_response();
    }
    next.run(request).await
}

fn refusal(guard: Guard, method: &Method, authority: Option<&str>, headers: &HeaderMap) -> Option<ApiError> {
    let header_bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if headers.len() > MAX_HEADER_COUNT || header_bytes > MAX_HEADER_BYTES {
        return Some(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!(
                "the request has {} header fields of {header_bytes} bytes; at most {MAX_HEADER_COUNT} fields of \
                 {MAX_HEADER_BYTES} bytes in all are accepted",
                headers.len()
            ),
        ));
    }
    if guard.loopback_hosts_only {
        let host = authority.or_else(|| headers.get(header::HOST).and_then(|value| value.to_str().ok()));
        if let Some(host) = host
            && !is_loopback_host(host)
        {
            return Some(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_host",
                format!(
                    "Host `{}` is not a loopback name; a server without a token answers only localhost, \
                     127.0.0.1 and [::1] (set a token to serve other names)",
                    shorten(host)
                ),
            ));
        }
    }
    // The methods this API changes state with; a PATCH (no route takes one) gets its 405 instead.
    if matches!(*method, Method::POST | Method::PUT) && !declares_json(headers) {
        return Some(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            // The code axum's `Json` extractor gives a body that is not JSON: one code for one cause.
            "invalid_input",
            format!("{method} needs `Content-Type: application/json`, even without a body"),
        ));
    }
    None
}

/// `localhost` (and its subdomains, which resolve to loopback by RFC 6761), or a loopback address, with or
/// without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        // `[::1]` or `[::1]:8000`
        Some(rest) => rest.split_once(']').map_or(rest, |(address, _)| address),
        None => host
            .rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name),
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `application/json`, or a JSON subtype such as `application/merge-patch+json`, parameters allowed.
fn declares_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
    })
}

/// A user value cut to a length an error message can carry.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 100;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn check(guard: Guard, method: Method, pairs: &[(&'static str, &str)]) -> Option<(u16, String)> {
        refusal(guard, &method, None, &headers(pairs)).map(|error| (error.status.as_u16(), error.code.to_owned()))
    }

    const OPEN: Guard = Guard { loopback_hosts_only: true };
    const TOKEN: Guard = Guard { loopback_hosts_only: false };

    #[test]
    fn loopback_names_pass_and_others_are_refused_without_a_token() {
        for host in [
            "localhost",
            "localhost:8000",
            "LOCALHOST.",
            "api.localhost:1",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:8000",
        ] {
            assert_eq!(check(OPEN, Method::GET, &[("host", host)]), None, "{host}");
        }
        for host in [
            "attacker.example",
            "attacker.example:8000",
            "localhost.attacker.example",
            "10.0.0.1:8000",
            "[2001:db8::1]:80",
            "0.0.0.0",
        ] {
            assert_eq!(check(OPEN, Method::GET, &[("host", host)]), Some((403, "forbidden_host".to_owned())), "{host}");
            assert_eq!(check(TOKEN, Method::GET, &[("host", host)]), None, "a token makes the name irrelevant: {host}");
        }
    }

    #[test]
    fn writes_must_declare_json_even_without_a_body() {
        let refused = Some((415, "invalid_input".to_owned()));
        for method in [Method::POST, Method::PUT] {
            assert_eq!(check(TOKEN, method.clone(), &[]), refused, "{method}");
            assert_eq!(check(TOKEN, method.clone(), &[("content-type", "text/plain")]), refused, "{method}");
            assert_eq!(check(TOKEN, method.clone(), &[("content-type", "application/x-www-form-urlencoded")]), refused);
            assert_eq!(check(TOKEN, method.clone(), &[("content-type", "Application/JSON; charset=utf-8")]), None);
            assert_eq!(check(TOKEN, method.clone(), &[("content-type", "application/merge-patch+json")]), None);
        }
        assert_eq!(check(TOKEN, Method::GET, &[]), None);
        assert_eq!(check(TOKEN, Method::DELETE, &[]), None, "browsers preflight a cross-site DELETE");
        assert_eq!(check(TOKEN, Method::PATCH, &[]), None, "no route takes PATCH: it is left to answer 405");
    }

    #[test]
    fn oversized_headers_are_a_json_431() {
        let big = "x".repeat(MAX_HEADER_BYTES);
        assert_eq!(check(TOKEN, Method::GET, &[("x-big", &big)]), Some((431, "headers_too_large".to_owned())));
        let many: Vec<(&'static str, &str)> = (0..=MAX_HEADER_COUNT).map(|_| ("x-many", "1")).collect();
        assert_eq!(check(TOKEN, Method::GET, &many), Some((431, "headers_too_large".to_owned())));
    }

    #[test]
    fn long_hosts_are_cut_short_in_the_message() {
        let host = "a".repeat(10_000);
        let error = refusal(OPEN, &Method::GET, None, &headers(&[("host", &host)])).unwrap();
        assert!(error.message.len() < 400, "{}", error.message);
    }
}
