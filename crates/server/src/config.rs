//! `ServerConfig`, the `server:` configuration section (bind address, bearer token, body limit, timeout), and the start-up policy: no token, no network.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ServerError;

/// Where the server listens unless told otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:8000";

/// The shortest bearer token accepted: guessing 16 random characters over the network is hopeless, guessing
/// `secret` is not.
pub const MIN_TOKEN_LEN: usize = 16;

/// `server:` — how the HTTP API listens and what it accepts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// `host:port` to listen on; port 0 picks a free port.
    pub bind: String,
    /// The bearer token every route but `GET /health` requires; required to listen beyond loopback.
    pub token: Option<BearerToken>,
    /// The largest request body, in bytes.
    pub body_limit_bytes: usize,
    /// Seconds a request may take, body included, before it is answered with 503 `timeout`.
    pub request_timeout_secs: u64,
    /// Seconds a connection may take to send a request's headers, and may stay idle between requests.
    pub header_read_timeout_secs: u64,
    /// The most connections open at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            bind: DEFAULT_BIND.to_owned(),
            token: None,
            body_limit_bytes: 32 * 1024 * 1024,
            request_timeout_secs: 60,
            header_read_timeout_secs: 10,
            max_connections: 512,
        }
    }
}

impl ServerConfig {
    /// Checks ranges and the token's length, naming the key.
    pub fn validate(&self) -> Result<(), ServerError> {
        if self.body_limit_bytes < 1024 {
            return Err(ServerError::config(
                "body_limit_bytes",
                format!("must be at least 1024, got {}", self.body_limit_bytes),
            ));
        }
        check_range("request_timeout_secs", self.request_timeout_secs, 1, 3600)?;
        check_range("header_read_timeout_secs", self.header_read_timeout_secs, 1, 3600)?;
        check_range("max_connections", self.max_connections, 1, 65_536)?;
        if let Some(token) = &self.token {
            token.validate()?;
        }
        Ok(())
    }

    /// How long a connection may take to send a request's headers.
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    /// How long one request may take.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// The section as a configuration listing shows it: the token is `********` when set.
    pub fn redacted_json(&self) -> serde_json::Value {
        // `BearerToken` serialises as `********`, so the plain serialisation is already redacted; a struct of
        // strings and numbers always serialises.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Resolves `bind` (`host:port`, the host an address or a name such as `localhost`) and applies the
    /// policy: an address beyond loopback needs a token. Returns the address to listen on.
    pub fn resolve_bind(&self) -> Result<SocketAddr, ServerError> {
        let bind = &self.bind;
        let addresses: Vec<SocketAddr> = bind
            .to_socket_addrs()
            .map_err(|e| ServerError::Bind {
                address: bind.clone(),
                reason: format!("not a host:port to listen on ({e})"),
            })?
            .collect();
        let Some(first) = addresses.first().copied() else {
            return Err(ServerError::Bind { address: bind.clone(), reason: "resolves to no address".to_owned() });
        };
        let loopback_only = addresses.iter().all(|address| address.ip().is_loopback());
        if !loopback_only && self.token.is_none() {
            return Err(ServerError::Unprotected { address: bind.clone() });
        }
        Ok(first)
    }
}

/// `value` of `key` is within `min..=max`; the error names the key and the range.
fn check_range<T: PartialOrd + fmt::Display>(key: &'static str, value: T, min: T, max: T) -> Result<(), ServerError> {
    storage_core::out_of_range(value, min, max).map_or(Ok(()), |reason| Err(ServerError::config(key, reason)))
}

/// A bearer token: never shown by `Debug`, and serialised as `********`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct BearerToken(String);

impl BearerToken {
    /// A token, checked: at least [`MIN_TOKEN_LEN`] printable ASCII characters.
    pub fn new(token: String) -> Result<Self, ServerError> {
        let token = BearerToken(token);
        token.validate()?;
        Ok(token)
    }

    /// The token itself, for the one comparison that needs it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    fn validate(&self) -> Result<(), ServerError> {
        if self.0.len() < MIN_TOKEN_LEN {
            return Err(ServerError::config(
                "token",
                format!("a bearer token needs at least {MIN_TOKEN_LEN} characters (try `openssl rand -hex 32`)"),
            ));
        }
        if !self.0.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ServerError::config("token", "a bearer token is printable ASCII without spaces"));
        }
        Ok(())
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl Serialize for BearerToken {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str("********")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> BearerToken {
        BearerToken::new("0123456789abcdef0123".to_owned()).expect("a valid token")
    }

    fn resolve(bind: &str, token: Option<BearerToken>) -> Result<SocketAddr, ServerError> {
        ServerConfig { bind: bind.to_owned(), token, ..ServerConfig::default() }.resolve_bind()
    }

    #[test]
    fn loopback_needs_no_token_and_anything_else_does() {
        assert!(resolve("127.0.0.1:0", None).is_ok());
        assert!(resolve("[::1]:0", None).is_ok());
        assert!(resolve("localhost:0", None).is_ok());
        let refused = resolve("0.0.0.0:0", None).expect_err("no token, all interfaces");
        assert!(matches!(refused, ServerError::Unprotected { .. }), "{refused}");
        assert!(refused.to_string().starts_with("refusing to listen on 0.0.0.0:0"), "{refused}");
        assert!(resolve("0.0.0.0:0", Some(token())).is_ok());
        assert!(matches!(resolve("nonsense", None), Err(ServerError::Bind { .. })));
    }

    #[test]
    fn tokens_are_long_printable_and_never_shown() {
        let short = BearerToken::new("short".to_owned()).expect_err("too short");
        assert_eq!(short.to_string(), format!("server.token: {}", short.reason()));
        assert!(BearerToken::new("0123456789abcdef 0123".to_owned()).is_err());
        let token = token();
        assert_eq!(format!("{token:?}"), "BearerToken(<redacted>)");
        assert_eq!(serde_json::to_value(&token).expect("serialises"), serde_json::json!("********"));
        let section = ServerConfig { token: Some(token), ..ServerConfig::default() };
        let shown = section.redacted_json().to_string();
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    #[test]
    fn ranges_name_the_key() {
        let config = ServerConfig { body_limit_bytes: 10, ..ServerConfig::default() };
        assert!(config.validate().expect_err("too small").to_string().starts_with("server.body_limit_bytes: "));
        let config = ServerConfig { request_timeout_secs: 0, ..ServerConfig::default() };
        assert!(config.validate().expect_err("zero").to_string().starts_with("server.request_timeout_secs: "));
        let config = ServerConfig { header_read_timeout_secs: 0, ..ServerConfig::default() };
        assert!(config.validate().expect_err("zero").to_string().starts_with("server.header_read_timeout_secs: "));
        let config = ServerConfig { max_connections: 0, ..ServerConfig::default() };
        assert!(config.validate().expect_err("zero").to_string().starts_with("server.max_connections: "));
    }
}
