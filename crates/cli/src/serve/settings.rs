//! The `server:` configuration section (bind address, bearer token, body limit, timeout) and the start-up policy: no token, no network.

use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};

/// Where `brainstore serve` listens unless told otherwise.
pub(crate) const DEFAULT_BIND: &str = "127.0.0.1:8000";

/// The shortest bearer token accepted: guessing 16 random characters over the network is hopeless, guessing
/// `secret` is not.
pub(crate) const MIN_TOKEN_LEN: usize = 16;

/// `server:` — settings of `brainstore serve`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ServerSection {
    /// `host:port` to listen on; port 0 picks a free port (the chosen address is printed).
    pub(crate) bind: String,
    /// The bearer token every route but `GET /health` requires; required to listen beyond loopback.
    /// Also `BRAINSTORE_TOKEN`.
    pub(crate) token: Option<BearerToken>,
    /// The largest request body, in bytes.
    pub(crate) body_limit_bytes: usize,
    /// Seconds a request may take, body included, before it is answered with 503 `timeout`.
    pub(crate) request_timeout_secs: u64,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            bind: DEFAULT_BIND.to_owned(),
            token: None,
            body_limit_bytes: 32 * 1024 * 1024,
            request_timeout_secs: 60,
        }
    }
}

impl ServerSection {
    /// Checks ranges and the token's length, naming the key.
    pub(crate) fn validate(&self) -> Result<()> {
        if self.body_limit_bytes < 1024 {
            return Err(CliError::Config(format!(
                "server.body_limit_bytes: must be at least 1024, got {}",
                self.body_limit_bytes
            )));
        }
        if self.request_timeout_secs == 0 || self.request_timeout_secs > 3600 {
            return Err(CliError::Config(format!(
                "server.request_timeout_secs: must be between 1 and 3600, got {}",
                self.request_timeout_secs
            )));
        }
        if let Some(token) = &self.token {
            token.validate().map_err(|reason| CliError::Config(format!("server.token: {reason}")))?;
        }
        Ok(())
    }

    /// The section as `config show` prints it: the token is `********` when set.
    pub(crate) fn redacted_json(&self) -> Result<serde_json::Value> {
        // `BearerToken` serialises as `********`, so the plain serialisation is already redacted.
        serde_json::to_value(self).map_err(|e| CliError::Internal(format!("cannot show the server section: {e}")))
    }
}

/// A bearer token: never shown by `Debug`, and serialised as `********`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(crate) struct BearerToken(String);

impl BearerToken {
    /// A token from a flag or the environment, checked.
    pub(crate) fn new(token: String) -> std::result::Result<Self, String> {
        let token = BearerToken(token);
        token.validate()?;
        Ok(token)
    }

    /// The token itself, for the one comparison that needs it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.0.len() < MIN_TOKEN_LEN {
            return Err(format!(
                "a bearer token needs at least {MIN_TOKEN_LEN} characters (try `openssl rand -hex 32`)"
            ));
        }
        if !self.0.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("a bearer token is printable ASCII without spaces".to_owned());
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

/// Resolves `bind` (`host:port`, the host an address or a name such as `localhost`) and applies the policy:
/// an address beyond loopback needs a token. Returns the address to listen on.
pub(crate) fn resolve_bind(bind: &str, token: Option<&BearerToken>) -> Result<SocketAddr> {
    let addresses: Vec<SocketAddr> = bind
        .to_socket_addrs()
        .map_err(|e| CliError::usage(format!("--bind: `{bind}` is not a host:port to listen on ({e})")))?
        .collect();
    let Some(first) = addresses.first().copied() else {
        return Err(CliError::usage(format!("--bind: `{bind}` resolves to no address")));
    };
    let loopback_only = addresses.iter().all(|address| address.ip().is_loopback());
    if !loopback_only && token.is_none() {
        return Err(CliError::usage(format!(
            "refusing to listen on {bind} without a bearer token: anyone who can reach it could read and change \
             the store. Set BRAINSTORE_TOKEN (or server.token, or --token), or bind to 127.0.0.1"
        )));
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> BearerToken {
        BearerToken::new("0123456789abcdef0123".to_owned()).expect("a valid token")
    }

    #[test]
    fn loopback_needs_no_token_and_anything_else_does() {
        assert!(resolve_bind("127.0.0.1:0", None).is_ok());
        assert!(resolve_bind("[::1]:0", None).is_ok());
        assert!(resolve_bind("localhost:0", None).is_ok());
        let refused = resolve_bind("0.0.0.0:0", None).expect_err("no token, all interfaces");
        assert!(refused.to_string().contains("BRAINSTORE_TOKEN"), "{refused}");
        assert!(resolve_bind("0.0.0.0:0", Some(&token())).is_ok());
        assert!(resolve_bind("nonsense", None).is_err());
    }

    #[test]
    fn tokens_are_long_printable_and_never_shown() {
        assert!(BearerToken::new("short".to_owned()).is_err());
        assert!(BearerToken::new("0123456789abcdef 0123".to_owned()).is_err());
        let token = token();
        assert_eq!(format!("{token:?}"), "BearerToken(<redacted>)");
        assert_eq!(serde_json::to_value(&token).expect("serialises"), serde_json::json!("********"));
        let section = ServerSection { token: Some(token), ..ServerSection::default() };
        let shown = section.redacted_json().expect("serialises").to_string();
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }
}
