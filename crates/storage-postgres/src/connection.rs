//! Connecting: driver options from the config, connect-with-retry on transient failures only, the pool
//! with its per-connection session settings, and pool metrics.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use storage_core::PoolStatus;

use crate::config::{PostgresConfig, SslMode};
use crate::error::{PostgresError, cause, is_transient, refusal, sqlstate};
use crate::ops::probe::{ServerInfo, probe_server};

/// A connection older than this is pinged before it is handed out, when `pool_pre_ping` is on. Pinging
/// every checkout would add a round trip to every query.
const PRE_PING_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Idle connections are closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// The pgvector version the server has installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PgvectorVersion {
    pub(crate) major: u32,
    pub(crate) minor: u32,
    pub(crate) patch: u32,
}

impl PgvectorVersion {
    /// Parses `extversion` (`0.8.2`).
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(|part| part.parse::<u32>().ok());
        let major = parts.next()??;
        let minor = parts.next().flatten().unwrap_or(0);
        let patch = parts.next().flatten().unwrap_or(0);
        Some(PgvectorVersion { major, minor, patch })
    }

    fn at_least(self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }

    /// `hnsw.iterative_scan` exists (0.8).
    pub(crate) fn has_iterative_scan(self) -> bool {
        self.at_least(0, 8)
    }

    /// `halfvec` and its HNSW operator classes exist (0.7).
    pub(crate) fn has_halfvec(self) -> bool {
        self.at_least(0, 7)
    }

    /// HNSW indexes exist (0.5).
    pub(crate) fn has_hnsw(self) -> bool {
        self.at_least(0, 5)
    }
}

impl std::fmt::Display for PgvectorVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Which HNSW settings every pooled connection starts with (as startup parameters, so they cost no round
/// trip). A query that needs more sets them with `SET LOCAL` inside its own transaction.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SessionSettings {
    /// `hnsw.ef_search` of every session, when set at startup.
    pub(crate) ef_search: Option<u32>,
    /// Whether `hnsw.iterative_scan` is on in every session.
    pub(crate) iterative_scan: bool,
}

/// The driver options of every connection, without session parameters.
pub(crate) fn base_options(config: &PostgresConfig) -> PgConnectOptions {
    let ssl_mode = match config.ssl_mode {
        SslMode::Disable => PgSslMode::Disable,
        SslMode::Prefer => PgSslMode::Prefer,
        SslMode::Require => PgSslMode::Require,
        SslMode::VerifyCa => PgSslMode::VerifyCa,
        SslMode::VerifyFull => PgSslMode::VerifyFull,
    };
    // Built field by field (never from a URL holding the password); `new_without_pgpass` would still read
    // PG* variables, which every line below overrides where it matters.
    let mut options = PgConnectOptions::new_without_pgpass()
        .host(&config.host)
        .port(config.port)
        .username(&config.user)
        .database(&config.database)
        .ssl_mode(ssl_mode)
        .application_name("brainstore");
    if !config.password.is_empty() {
        options = options.password(config.password.expose());
    }
    if let Some(root_cert) = &config.ssl_root_cert {
        options = options.ssl_root_cert(root_cert);
    }
    if let (Some(cert), Some(key)) = (&config.ssl_cert, &config.ssl_key) {
        options = options.ssl_client_cert(cert).ssl_client_key(key);
    }
    if config.debug {
        options.log_statements(tracing::log::LevelFilter::Debug)
    } else {
        options.disable_statement_logging()
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Connects once to learn the server's versions, retrying transient failures with exponential backoff.
///
/// The final error names the attempts, `host:port` and the last cause; a failure retrying cannot fix
/// (password, missing database, TLS) is returned at once.
pub(crate) async fn probe_with_retry(config: &PostgresConfig) -> Result<ServerInfo, PostgresError> {
    let options = base_options(config);
    let mut delay = Duration::from_millis(config.connect_backoff_ms);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let outcome = match tokio::time::timeout(
            Duration::from_secs(config.connect_timeout),
            PgConnection::connect_with(&options),
        )
        .await
        {
            Ok(Ok(mut connection)) => {
                let info = probe_server(&mut connection, &config.language).await;
                let _closed = connection.close().await;
                info
            }
            Ok(Err(error)) => Err(error),
            Err(_elapsed) => Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {} s", config.connect_timeout),
            ))),
        };
        let error = match outcome {
            Ok(info) => return Ok(info),
            Err(error) => error,
        };
        if !is_transient(&error) {
            let refused = sqlstate(&error).and_then(|code| refusal(&code, &config.user, &config.database));
            return Err(match refused {
                Some(refusal) => PostgresError::Refused { target: config.target(), refusal, source: cause(error) },
                None => PostgresError::Connect { target: config.target(), source: cause(error) },
            });
        }
        if attempt >= config.connect_attempts {
            return Err(PostgresError::Unreachable {
                target: config.host_port(),
                attempts: attempt,
                source: Box::new(error),
            });
        }
        tracing::warn!(
            target_host = %config.host_port(),
            attempt,
            of = config.connect_attempts,
            retry_in_ms = delay.as_millis() as u64,
            cause = %error,
            "PostgreSQL is not reachable yet"
        );
        tokio::time::sleep(delay).await;
        delay = delay.saturating_mul(2);
    }
}

/// The pool: every connection starts with brainstore's schema first in `search_path` and, when pgvector
/// is installed, the HNSW settings of [`SessionSettings`].
pub(crate) fn build_pool(config: &PostgresConfig, info: &ServerInfo) -> (PgPool, SessionSettings) {
    let extension_schema = info.pgvector_schema.clone().unwrap_or_else(|| "public".to_owned());
    let mut search_path = quote_ident(&config.schema);
    if extension_schema != config.schema {
        search_path.push_str(", ");
        search_path.push_str(&quote_ident(&extension_schema));
    }
    let mut parameters: Vec<(&str, String)> = vec![("search_path", search_path)];
    if config.statement_timeout_ms > 0 {
        parameters.push(("statement_timeout", config.statement_timeout_ms.to_string()));
    }
    let mut session = SessionSettings::default();
    if let Some(version) = info.pgvector {
        parameters.push(("hnsw.ef_search", config.ef_search.to_string()));
        session.ef_search = Some(config.ef_search);
        if version.has_iterative_scan() {
            parameters.push(("hnsw.iterative_scan", config.iterative_scan.as_str().to_owned()));
            session.iterative_scan = true;
        }
    }
    let options = base_options(config).options(parameters);
    let pre_ping = config.pool_pre_ping;
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections())
        .min_connections(0)
        .acquire_timeout(config.pool_timeout_duration())
        .max_lifetime(Duration::from_secs(config.pool_recycle.max(1)))
        .idle_timeout(IDLE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(move |connection, meta| {
            Box::pin(async move {
                if pre_ping && meta.idle_for >= PRE_PING_AFTER_IDLE {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(options);
    (pool, session)
}

/// Pool metrics in the seed's shape; `overflow` is never negative.
pub(crate) fn pool_status(pool: &PgPool, config: &PostgresConfig) -> PoolStatus {
    if pool.is_closed() {
        return PoolStatus::not_initialized();
    }
    let open = pool.size();
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX).min(open);
    let overflow = open.saturating_sub(config.pool_size);
    PoolStatus {
        status: "active".to_owned(),
        pool_size: config.pool_size,
        checked_in: idle,
        checked_out: open - idle,
        overflow,
        total: config.pool_size + overflow,
        max_connections: config.max_connections(),
    }
}
