//! `DATABASE_URL` ↔ `PostgresConfig`: parsing (never echoing the URL) and percent-encoded building.

use std::path::PathBuf;

use percent_encoding::{AsciiSet, CONTROLS, percent_decode_str, utf8_percent_encode};

use super::{PostgresConfig, SslMode, invalid};
use crate::error::PostgresError;

/// Everything but unreserved characters is encoded in the user, password and database of a URL.
const COMPONENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'$')
    .add(b'%')
    .add(b'&')
    .add(b'\'')
    .add(b'(')
    .add(b')')
    .add(b'*')
    .add(b'+')
    .add(b',')
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

const URL_FIELD: &str = "database_url";

/// The connection fields a URL carries; TLS fields only when its query names them.
struct UrlFields {
    host: String,
    port: u16,
    database: Option<String>,
    user: Option<String>,
    password: String,
    ssl_mode: Option<SslMode>,
    ssl_root_cert: Option<PathBuf>,
    ssl_cert: Option<PathBuf>,
    ssl_key: Option<PathBuf>,
}

fn decode(text: &str, what: &str) -> Result<String, PostgresError> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| invalid(URL_FIELD, format!("the {what} is not valid UTF-8 once percent-decoded")))
}

fn parse(database_url: &str) -> Result<UrlFields, PostgresError> {
    // The scheme is checked before parsing, so no error below ever needs to show the URL (or its password).
    let scheme = database_url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
    let scheme_ok = scheme.as_deref().is_some_and(|scheme| {
        scheme == "postgres"
            || scheme == "postgresql"
            || scheme.strip_prefix("postgresql+").or_else(|| scheme.strip_prefix("postgres+")).is_some_and(|driver| {
                !driver.is_empty() && driver.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    });
    if !scheme_ok {
        return Err(invalid(URL_FIELD, "must start with postgres://, postgresql:// or postgresql+DRIVER://"));
    }
    let url = ::url::Url::parse(database_url).map_err(|error| match error {
        ::url::ParseError::EmptyHost => invalid(URL_FIELD, "cannot parse the host: the database URL names none"),
        other => invalid(URL_FIELD, format!("cannot be parsed ({other})")),
    })?;
    let host = url.host_str().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid(URL_FIELD, "cannot parse the host: the database URL names none"));
    }
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port().unwrap_or(5432);
    if port == 0 {
        return Err(invalid(URL_FIELD, "the port must be between 1 and 65535, got 0"));
    }
    let database = decode(url.path().trim_start_matches('/'), "database name")?;
    let user = decode(url.username(), "user name")?;
    let password = decode(url.password().unwrap_or_default(), "password")?;
    let mut fields = UrlFields {
        host,
        port,
        database: (!database.is_empty()).then_some(database),
        user: (!user.is_empty()).then_some(user),
        password,
        ssl_mode: None,
        ssl_root_cert: None,
        ssl_cert: None,
        ssl_key: None,
    };
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "sslmode" => {
                fields.ssl_mode = Some(SslMode::parse(&value).ok_or_else(|| {
                    invalid(
                        URL_FIELD,
                        format!(
                            "sslmode `{}` is not one of disable, prefer, require, verify-ca, verify-full",
                            value.escape_debug()
                        ),
                    )
                })?);
            }
            "sslrootcert" => fields.ssl_root_cert = Some(PathBuf::from(value.as_ref())),
            "sslcert" => fields.ssl_cert = Some(PathBuf::from(value.as_ref())),
            "sslkey" => fields.ssl_key = Some(PathBuf::from(value.as_ref())),
            other => tracing::warn!(parameter = %other.escape_debug(), "ignoring an unknown database URL parameter"),
        }
    }
    Ok(fields)
}

impl PostgresConfig {
    /// A config from a `DATABASE_URL` (`postgres://`, `postgresql://` or `postgresql+DRIVER://`), every
    /// other field at its default. The port defaults to 5432, the user and database to `brainstore`;
    /// `sslmode`, `sslrootcert`, `sslcert` and `sslkey` are read from the query. Errors never echo the URL.
    pub fn from_database_url(database_url: &str) -> Result<PostgresConfig, PostgresError> {
        let mut config = PostgresConfig::default();
        config.apply_database_url(database_url)?;
        Ok(config)
    }

    /// Overrides the connection fields (host, port, database, user, password, and the TLS fields the URL
    /// names) from a `DATABASE_URL`; pool, TLS, language and HNSW settings from the config file survive.
    pub fn apply_database_url(&mut self, database_url: &str) -> Result<(), PostgresError> {
        let fields = parse(database_url)?;
        let defaults = PostgresConfig::default();
        self.host = fields.host;
        self.port = fields.port;
        self.database = fields.database.unwrap_or(defaults.database);
        self.user = fields.user.unwrap_or(defaults.user);
        self.password = fields.password.into();
        if let Some(ssl_mode) = fields.ssl_mode {
            self.ssl_mode = ssl_mode;
        }
        if fields.ssl_root_cert.is_some() {
            self.ssl_root_cert = fields.ssl_root_cert;
        }
        if fields.ssl_cert.is_some() {
            self.ssl_cert = fields.ssl_cert;
        }
        if fields.ssl_key.is_some() {
            self.ssl_key = fields.ssl_key;
        }
        Ok(())
    }

    /// The connection URL, user, password and database percent-encoded; `?sslmode=` is added unless the
    /// mode is the default `prefer`. It holds the password: hand it to a tool, never to a log.
    pub fn connection_url(&self) -> String {
        let mut url = String::from("postgres://");
        url.push_str(&utf8_percent_encode(&self.user, COMPONENT).to_string());
        if !self.password.is_empty() {
            url.push(':');
            url.push_str(&utf8_percent_encode(self.password.expose(), COMPONENT).to_string());
        }
        url.push('@');
        url.push_str(&self.host_port());
        url.push('/');
        url.push_str(&utf8_percent_encode(&self.database, COMPONENT).to_string());
        if self.ssl_mode != SslMode::Prefer {
            url.push_str("?sslmode=");
            url.push_str(self.ssl_mode.as_str());
        }
        url
    }
}
