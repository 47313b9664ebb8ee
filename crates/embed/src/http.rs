//! What the `openai` and `ollama` providers share: the HTTP client, the API key read from a named variable,
//! and the retry loop (429, 5xx, timeouts and refused connections, honouring `Retry-After`).

use std::fmt;
use std::sync::Once;
use std::time::{Duration, SystemTime};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::{EmbeddingConfig, config_error};
use crate::error::{EmbedError, Result};

/// Retries after the first attempt unless `embedding.max_retries` says otherwise.
const DEFAULT_MAX_RETRIES: u32 = 5;

/// The first backoff; each retry doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// The longest wait between two attempts, whatever `Retry-After` asks (a server asking for an hour gets a
/// clear error sooner instead).
const MAX_WAIT: Duration = Duration::from_secs(60);

/// The longest server message kept in an error.
const MAX_MESSAGE_CHARS: usize = 300;

/// An API key. Its `Debug` says `<redacted>`; it has no `Display` and is never serialised.
#[derive(Clone)]
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// A JSON endpoint of an embedding server, with its client, key and retry policy.
#[derive(Debug)]
pub(crate) struct Endpoint {
    provider: &'static str,
    client: reqwest::Client,
    url: Url,
    server: String,
    max_retries: u32,
}

impl Endpoint {
    /// The endpoint `path` under the configured base URL (or `default_base`). The key comes from the variable
    /// `embedding.api_key_env` names, or from `default_key_env` when the base URL is the default one.
    pub(crate) fn new(
        provider: &'static str,
        config: &EmbeddingConfig,
        default_base: &str,
        default_key_env: Option<&str>,
        path: &str,
    ) -> Result<Self> {
        let base = config.base_url.as_deref().unwrap_or(default_base);
        let mut url = Url::parse(base.trim()).map_err(|error| {
            config_error("embedding.base_url", format!("is not a valid URL ({error}); expected e.g. {default_base}"))
        })?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(config_error(
                "embedding.base_url",
                format!("must be an http or https URL like {default_base}"),
            ));
        }
        let server = server_name(&url);
        // `https://host/v1` + `embeddings`; a query (Azure's `?api-version=`) stays at the end.
        let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
        url.set_path(&joined);

        let key_env = config.api_key_env.as_deref().or(if config.base_url.is_none() { default_key_env } else { None });
        let key = match key_env {
            Some(variable) => match std::env::var(variable) {
                Ok(key) if !key.trim().is_empty() => Some(ApiKey(key.trim().to_owned())),
                _ => return Err(EmbedError::MissingKey { variable: variable.to_owned(), server }),
            },
            None => None,
        };
        let mut headers = HeaderMap::new();
        if let Some(key) = &key {
            let (name, value) = if url.host_str().is_some_and(|host| host.ends_with(".openai.azure.com")) {
                // Azure OpenAI takes its API keys in `api-key`, not as a bearer token.
                (HeaderName::from_static("api-key"), key.0.clone())
            } else {
                (AUTHORIZATION, format!("Bearer {}", key.0))
            };
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                config_error("embedding.api_key_env", "the key holds characters an HTTP header cannot carry")
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        install_crypto_provider();
        let timeout = config.timeout();
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("brainstore/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                config_error("embedding", format!("cannot build the HTTP client: {}", error.without_url()))
            })?;
        Ok(Endpoint { provider, client, url, server, max_retries: config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES) })
    }

    /// `host:port` of the server, for messages.
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    /// An error about the server's answer.
    pub(crate) fn bad_response(&self, reason: impl Into<String>) -> EmbedError {
        EmbedError::BadResponse { provider: self.provider, server: self.server.clone(), reason: reason.into() }
    }

    /// POSTs `body` and parses the JSON answer, retrying what a retry can fix.
    pub(crate) async fn post<B: Serialize + Sync, R: DeserializeOwned>(&self, body: &B) -> Result<R> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let (cause, wait): (storage_core::BoxError, Option<Duration>) =
                match self.client.post(self.url.clone()).json(body).send().await {
                    Ok(response) if response.status().is_success() => {
                        let bytes = response.bytes().await.map_err(|error| self.unavailable(attempt, error))?;
                        return serde_json::from_slice(&bytes)
                            .map_err(|error| self.bad_response(format!("the JSON does not parse: {error}")));
                    }
                    Ok(response) => {
                        let status = response.status();
                        let retry_after = retry_after(response.headers(), SystemTime::now());
                        let message = error_message(&response.text().await.unwrap_or_default());
                        if !retryable(status) {
                            return Err(EmbedError::Status {
                                provider: self.provider,
                                server: self.server.clone(),
                                status: status.as_u16(),
                                message,
                            });
                        }
                        (format!("status {status}: {message}").into(), retry_after)
                    }
                    Err(error) if error.is_timeout() || error.is_connect() || error.is_request() => {
                        (Box::new(error.without_url()), None)
                    }
                    Err(error) => return Err(self.unavailable(attempt, error)),
                };
            if attempt > self.max_retries {
                return Err(EmbedError::Unavailable {
                    provider: self.provider,
                    server: self.server.clone(),
                    attempts: attempt,
                    source: cause,
                });
            }
            let wait = wait.unwrap_or_else(|| backoff(attempt)).min(MAX_WAIT);
            tracing::warn!(provider = self.provider, server = %self.server, attempt, wait_ms = wait.as_millis() as u64, %cause, "embedding request failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    fn unavailable(&self, attempts: u32, error: reqwest::Error) -> EmbedError {
        EmbedError::Unavailable {
            provider: self.provider,
            server: self.server.clone(),
            attempts,
            source: Box::new(error.without_url()),
        }
    }
}

/// reqwest is built without a default TLS crypto provider (to leave aws-lc out); rustls' ring provider is
/// installed once per process. Another part of the process may have installed one first, which is as good.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

/// `host:port` of `url`: never its user, password, path or query.
fn server_name(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// 408, 409 (OpenAI's "try again"), 429 and 5xx are worth another attempt; other statuses are final.
fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

/// The wait before retry `attempt` (1-based): 0.5 s, 1 s, 2 s, ...
fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(16))
}

/// `Retry-After` in seconds or as an HTTP date (RFC 9110 §10.2.3).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or_default())
}

/// The `error.message` of an OpenAI-style error body, else `error` as a string (Ollama), else the body;
/// shortened, since bodies can be long pages.
fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|json| {
        let error = json.get("error")?;
        error.get("message").and_then(|m| m.as_str()).or_else(|| error.as_str()).map(str::to_owned)
    });
    let message = message.unwrap_or_else(|| body.trim().to_owned());
    if message.is_empty() {
        return "(empty body)".into();
    }
    let mut short: String = message.chars().take(MAX_MESSAGE_CHARS).collect();
    if short.len() < message.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn backoff_doubles_and_statuses_are_classified() {
        assert_eq!([1, 2, 3].map(backoff), [500, 1000, 2000].map(Duration::from_millis));
        assert!(backoff(40) >= MAX_WAIT);
        for status in [408, 409, 429, 500, 502, 503, 504] {
            assert!(retryable(StatusCode::from_u16(status).unwrap()), "{status}");
        }
        for status in [400, 401, 403, 404, 413, 422] {
            assert!(!retryable(StatusCode::from_u16(status).unwrap()), "{status}");
        }
    }

    #[test]
    fn server_errors_are_shortened_and_servers_named_without_credentials() {
        assert_eq!(error_message(r#"{"error":{"message":"bad model","type":"x"}}"#), "bad model");
        assert_eq!(error_message(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(error_message(""), "(empty body)");
        assert_eq!(error_message(&"x".repeat(1000)).chars().count(), MAX_MESSAGE_CHARS + 1);
        let url = Url::parse("https://user:p%40ss@example.com/v1?api-version=1").unwrap();
        assert_eq!(server_name(&url), "example.com:443");
        assert_eq!(format!("{:?}", ApiKey("sk-secret".into())), "ApiKey(<redacted>)");
    }
}
