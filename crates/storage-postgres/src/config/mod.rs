//! `PostgresConfig`: every setting of the PostgreSQL backend, deserialised with serde and validated.
//!
//! Connection fields (`host`, `port`, `database`, `user`, `password` and, when a URL names them, the TLS
//! fields) can come from a `DATABASE_URL` through [`PostgresConfig::apply_database_url`]; every other field
//! (pool, TLS, language, HNSW) keeps the value from the config file.

mod password;
mod url;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

pub use self::password::Password;
use crate::error::PostgresError;

/// Text-search configurations PostgreSQL ships with: the offline check of `language` (the server's
/// `pg_ts_config` is checked again at startup, so a custom configuration must exist there too).
pub const BUILT_IN_LANGUAGES: &[&str] = &[
    "arabic",
    "armenian",
    "basque",
    "catalan",
    "danish",
    "dutch",
    "english",
    "finnish",
    "french",
    "german",
    "greek",
    "hindi",
    "hungarian",
    "indonesian",
    "irish",
    "italian",
    "lithuanian",
    "nepali",
    "norwegian",
    "portuguese",
    "romanian",
    "russian",
    "serbian",
    "simple",
    "spanish",
    "swedish",
    "tamil",
    "turkish",
    "yiddish",
];

/// How the connection is encrypted, as libpq's `sslmode` names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it (libpq's default).
    #[default]
    Prefer,
    /// TLS always, without checking the server certificate.
    Require,
    /// TLS with a server certificate signed by `ssl_root_cert` (or a well-known root).
    VerifyCa,
    /// As `verify-ca`, and the certificate must name `host`.
    VerifyFull,
}

impl SslMode {
    /// The mode as a URL's `sslmode` spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(text: &str) -> Option<SslMode> {
        [SslMode::Disable, SslMode::Prefer, SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull]
            .into_iter()
            .find(|mode| mode.as_str() == text)
    }
}

/// pgvector's `hnsw.iterative_scan` mode for filtered vector searches (pgvector ≥ 0.8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IterativeScan {
    /// Candidates come back in exact distance order.
    #[default]
    StrictOrder,
    /// Candidates may come back slightly out of order (better recall); brainstore re-sorts them.
    RelaxedOrder,
}

impl IterativeScan {
    /// The value of the `hnsw.iterative_scan` setting.
    pub fn as_str(self) -> &'static str {
        match self {
            IterativeScan::StrictOrder => "strict_order",
            IterativeScan::RelaxedOrder => "relaxed_order",
        }
    }
}

/// Settings of the PostgreSQL backend (the `postgres:` section of the config file). Unknown keys are refused.
///
/// `Debug` shows the password as `<redacted>`; `Serialize` leaves it out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostgresConfig {
    /// Server host name or address.
    pub host: String,
    /// Server port, 1 to 65535.
    #[serde(deserialize_with = "port_from_integer")]
    pub port: u16,
    /// Database name.
    pub database: String,
    /// User name.
    pub user: String,
    /// Password; empty means none.
    #[serde(skip_serializing)]
    pub password: Password,
    /// The PostgreSQL schema holding brainstore's tables (`public` by default): several stores can share
    /// one database in different schemas. Lowercase letters, digits and `_`, starting with a letter.
    pub schema: String,
    /// Connections kept for reuse.
    pub pool_size: u32,
    /// Extra connections opened under load; the pool never holds more than `pool_size + pool_max_overflow`.
    pub pool_max_overflow: u32,
    /// Seconds to wait for a free connection before failing.
    pub pool_timeout: u64,
    /// Seconds after which a connection is closed and replaced.
    pub pool_recycle: u64,
    /// Check a connection that sat idle before handing it out.
    pub pool_pre_ping: bool,
    /// Text-search configuration of new collections (`english`, `simple`, ...), case-insensitive.
    pub language: String,
    /// HNSW `m`: links per node (2 to 100).
    pub hnsw_m: u32,
    /// HNSW `ef_construction`: candidate list while building (at least `2 × hnsw_m`, at most 1000).
    pub hnsw_ef_construction: u32,
    /// HNSW `ef_search`: candidate list while searching (1 to 1000); raised per query to the rows asked for.
    pub ef_search: u32,
    /// Iterative index scan mode for filtered vector searches (pgvector ≥ 0.8).
    pub iterative_scan: IterativeScan,
    /// TLS mode.
    pub ssl_mode: SslMode,
    /// CA certificate file that signs the server certificate.
    pub ssl_root_cert: Option<PathBuf>,
    /// Client certificate file (with `ssl_key`).
    pub ssl_cert: Option<PathBuf>,
    /// Client key file (with `ssl_cert`).
    pub ssl_key: Option<PathBuf>,
    /// Milliseconds after which the server cancels a statement; 0 means no limit.
    pub statement_timeout_ms: u64,
    /// Seconds one connection attempt may take.
    pub connect_timeout: u64,
    /// Connection attempts at startup; transient failures (refused, timeout, starting up) are retried.
    pub connect_attempts: u32,
    /// Milliseconds before the second attempt; the delay doubles after each failed attempt.
    pub connect_backoff_ms: u64,
    /// Log every SQL statement (at debug level, through `tracing`).
    pub debug: bool,
}

impl Default for PostgresConfig {
    fn default() -> Self {
        PostgresConfig {
            host: "localhost".to_owned(),
            port: 5432,
            database: "brainstore".to_owned(),
            user: "brainstore".to_owned(),
            password: Password::default(),
            schema: "public".to_owned(),
            pool_size: 10,
            pool_max_overflow: 10,
            pool_timeout: 30,
            pool_recycle: 3600,
            pool_pre_ping: true,
            language: "english".to_owned(),
            hnsw_m: 16,
            hnsw_ef_construction: 64,
            ef_search: 100,
            iterative_scan: IterativeScan::default(),
            ssl_mode: SslMode::default(),
            ssl_root_cert: None,
            ssl_cert: None,
            ssl_key: None,
            statement_timeout_ms: 0,
            connect_timeout: 10,
            connect_attempts: 5,
            connect_backoff_ms: 1000,
            debug: false,
        }
    }
}

fn port_from_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u16, D::Error> {
    let port = i64::deserialize(deserializer)?;
    u16::try_from(port)
        .ok()
        .filter(|port| *port != 0)
        .ok_or_else(|| serde::de::Error::custom(format!("port must be between 1 and 65535, got {port}")))
}

fn invalid(field: &str, reason: impl Into<String>) -> PostgresError {
    PostgresError::Config { field: field.to_owned(), reason: reason.into() }
}

/// Whether `name` is a safe lowercase identifier: a letter, then letters, digits or `_`.
pub(crate) fn is_plain_identifier(name: &str, max_len: usize) -> bool {
    name.len() <= max_len
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl PostgresConfig {
    /// The config with `language` lowercased, after every check passed.
    pub fn validated(mut self) -> Result<Self, PostgresError> {
        self.language = self.language.trim().to_ascii_lowercase();
        self.validate()?;
        Ok(self)
    }

    /// Checks every field. `language` must already be lowercase (see [`PostgresConfig::validated`]).
    pub fn validate(&self) -> Result<(), PostgresError> {
        for (field, value) in [("host", &self.host), ("database", &self.database), ("user", &self.user)] {
            if value.trim().is_empty() {
                return Err(invalid(field, "must not be empty"));
            }
            if value.contains('\0') {
                return Err(invalid(field, "must not contain a NUL byte"));
            }
        }
        if self.port == 0 {
            return Err(invalid("port", "must be between 1 and 65535, got 0"));
        }
        if !is_plain_identifier(&self.schema, 40) || self.schema.starts_with("pg_") {
            return Err(invalid(
                "schema",
                format!(
                    "`{}` must be 1 to 40 lowercase letters, digits or `_`, start with a letter and not with `pg_`",
                    self.schema.escape_debug()
                ),
            ));
        }
        if self.pool_size == 0 {
            return Err(invalid("pool_size", "must be at least 1"));
        }
        if self.pool_size.saturating_add(self.pool_max_overflow) > 10_000 {
            return Err(invalid("pool_max_overflow", "pool_size + pool_max_overflow must be at most 10000"));
        }
        if self.pool_timeout == 0 {
            return Err(invalid("pool_timeout", "must be at least 1 second"));
        }
        if !BUILT_IN_LANGUAGES.contains(&self.language.as_str()) {
            return Err(invalid(
                "language",
                format!(
                    "unsupported language `{}`; must be one of: {}",
                    self.language.escape_debug(),
                    BUILT_IN_LANGUAGES.join(", ")
                ),
            ));
        }
        for (field, value, min, max) in [
            ("hnsw_m", self.hnsw_m, 2, 100),
            ("hnsw_ef_construction", self.hnsw_ef_construction, 2 * self.hnsw_m, 1000),
            ("ef_search", self.ef_search, 1, 1000),
        ] {
            if let Some(reason) = storage_core::out_of_range(value, min, max) {
                return Err(invalid(field, reason));
            }
        }
        if self.ssl_cert.is_some() != self.ssl_key.is_some() {
            return Err(invalid("ssl_cert", "a client certificate needs both ssl_cert and ssl_key"));
        }
        if self.connect_timeout == 0 {
            return Err(invalid("connect_timeout", "must be at least 1 second"));
        }
        if self.connect_attempts == 0 {
            return Err(invalid("connect_attempts", "must be at least 1"));
        }
        Ok(())
    }

    /// `host:port/database`: where the store lives, for messages. Never the URL with credentials.
    pub fn target(&self) -> String {
        format!("{}/{}", self.host_port(), self.database)
    }

    /// `host:port` (IPv6 addresses in brackets).
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Most connections the pool opens.
    pub fn max_connections(&self) -> u32 {
        self.pool_size.saturating_add(self.pool_max_overflow)
    }

    pub(crate) fn pool_timeout_duration(&self) -> Duration {
        Duration::from_secs(self.pool_timeout)
    }
}

#[cfg(test)]
mod tests;
