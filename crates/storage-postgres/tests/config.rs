//! `PostgresConfig`: defaults, validation, URL parsing and encoding, `DATABASE_URL` precedence, and the
//! password never reaching any output (config, a failed connect, status, logs).

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use storage_core::DocumentStore;
use storage_postgres::testing::TestServer;
use storage_postgres::{IterativeScan, Password, PostgresConfig, PostgresError, SslMode};

const SECRET: &str = "p@ss:word/123";

#[test]
fn defaults_match_the_documented_values() {
    let config = PostgresConfig::default();
    assert_eq!((config.host.as_str(), config.port), ("localhost", 5432));
    assert_eq!((config.database.as_str(), config.user.as_str()), ("brainstore", "brainstore"));
    assert!(config.password.is_empty());
    assert_eq!(
        (config.pool_size, config.pool_max_overflow, config.pool_timeout, config.pool_recycle),
        (10, 10, 30, 3600)
    );
    assert!(config.pool_pre_ping);
    assert_eq!(config.language, "english");
    assert_eq!((config.hnsw_m, config.hnsw_ef_construction), (16, 64));
    assert_eq!(config.iterative_scan, IterativeScan::StrictOrder);
    assert_eq!(config.ssl_mode, SslMode::Prefer);
    assert_eq!((config.connect_attempts, config.connect_backoff_ms), (5, 1000));
    assert_eq!(config.schema, "public");
    assert_eq!(config.max_connections(), 20);
    config.validated().expect("the defaults are valid");
}

#[test]
fn connection_url_percent_encodes_and_omits_an_empty_password() {
    let config = PostgresConfig { password: Password::new(SECRET), ..PostgresConfig::default() };
    assert_eq!(config.connection_url(), "postgres://brainstore:p%40ss%3Aword%2F123@localhost:5432/brainstore");
    let config = PostgresConfig::default();
    assert_eq!(config.connection_url(), "postgres://brainstore@localhost:5432/brainstore");
    let config = PostgresConfig { ssl_mode: SslMode::VerifyFull, ..PostgresConfig::default() };
    assert!(config.connection_url().ends_with("/brainstore?sslmode=verify-full"));
    let parsed = PostgresConfig::from_database_url(
        &PostgresConfig { password: Password::new(SECRET), ..PostgresConfig::default() }.connection_url(),
    )
    .unwrap();
    assert_eq!(parsed.password.expose(), SECRET, "the URL round-trips the password");
}

fn check_url(url: &str, host: &str, port: u16, database: &str) {
    let config = PostgresConfig::from_database_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    assert_eq!((config.host.as_str(), config.port, config.database.as_str()), (host, port, database), "{url}");
}

#[test]
fn database_urls_of_every_scheme_parse_with_their_ports() {
    check_url("postgres://user:pass@host.example.com/mydb", "host.example.com", 5432, "mydb");
    check_url("postgresql://user:pass@host.example.com:5433/mydb", "host.example.com", 5433, "mydb");
    check_url("postgresql+asyncpg://user:pass@db:6000/x", "db", 6000, "x");
    check_url("postgresql+psycopg2://db/x", "db", 5432, "x");
    check_url("postgres://db:1/x", "db", 1, "x");
    check_url("postgres://db:65535/x", "db", 65535, "x");
    let config =
        PostgresConfig::from_database_url("postgres://u:p@db/x?sslmode=verify-ca&sslrootcert=/etc/ca.pem").unwrap();
    assert_eq!(config.ssl_mode, SslMode::VerifyCa);
    for bad in ["postgres://u:p%40ss%3Aword%2F123@/x", "postgres:///x", "http://u:p@db/x", "postgres://u:pw@db:0/x"] {
        let error = PostgresConfig::from_database_url(bad).unwrap_err().to_string();
        assert!(!error.contains(SECRET) && !error.contains("p%40ss"), "the error echoes the password: {error}");
        assert!(!error.contains(bad), "the error echoes the URL: {error}");
    }
    let error = PostgresConfig::from_database_url("postgres://u:pw@/x").unwrap_err().to_string();
    assert!(error.contains("cannot parse the host"), "{error}");
}

fn from_json(json: serde_json::Value) -> Result<PostgresConfig, String> {
    serde_json::from_value::<PostgresConfig>(json).map_err(|e| e.to_string())?.validated().map_err(|e| e.to_string())
}

#[test]
fn ports_languages_and_unknown_keys_are_validated() {
    for port in [0, 65536, -1] {
        let error = from_json(serde_json::json!({"port": port})).unwrap_err();
        assert!(error.contains("port must be between 1 and 65535"), "{port}: {error}");
    }
    assert_eq!(from_json(serde_json::json!({"port": 1})).unwrap().port, 1);
    assert_eq!(from_json(serde_json::json!({"port": 65535})).unwrap().port, 65535);
    assert_eq!(from_json(serde_json::json!({"language": "ENGLISH"})).unwrap().language, "english");
    for language in storage_postgres::BUILT_IN_LANGUAGES {
        from_json(serde_json::json!({ "language": language })).unwrap();
    }
    let error = from_json(serde_json::json!({"language": "klingon"})).unwrap_err();
    assert!(error.contains("unsupported language `klingon`"), "{error}");
    let error = from_json(serde_json::json!({"username": "typo"})).unwrap_err();
    assert!(error.contains("unknown field `username`"), "{error}");
    let error = from_json(serde_json::json!({"ssl_mode": "sometimes"})).unwrap_err();
    assert!(error.contains("unknown variant"), "{error}");
    let error = from_json(serde_json::json!({"iterative_scan": "off"})).unwrap_err();
    assert!(error.contains("strict_order"), "{error}");
}

#[test]
fn database_url_keeps_pool_tls_language_and_hnsw_settings_from_the_file() {
    let mut config: PostgresConfig = serde_json::from_value(serde_json::json!({
        "host": "yaml-host", "pool_size": 20, "pool_max_overflow": 5, "pool_timeout": 45,
        "ssl_mode": "verify-full", "ssl_root_cert": "/etc/ca.pem", "language": "french",
        "hnsw_m": 24, "hnsw_ef_construction": 100, "ef_search": 200,
    }))
    .unwrap();
    config.apply_database_url("postgresql://user:pass@db:5432/mydb").unwrap();
    assert_eq!((config.host.as_str(), config.user.as_str(), config.database.as_str()), ("db", "user", "mydb"));
    assert_eq!((config.pool_size, config.pool_max_overflow, config.pool_timeout), (20, 5, 45));
    assert_eq!(config.ssl_mode, SslMode::VerifyFull);
    assert_eq!(config.ssl_root_cert.as_deref(), Some(std::path::Path::new("/etc/ca.pem")));
    assert_eq!(
        (config.language.as_str(), config.hnsw_m, config.hnsw_ef_construction, config.ef_search),
        ("french", 24, 100, 200)
    );
}

/// Collects everything `tracing` writes during a test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("not poisoned").extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = format!("{error} / {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(" / {cause} / {cause:?}"));
        source = cause.source();
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_never_appears_in_config_errors_status_or_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut outputs = Vec::new();

    let mut config = common::config(TestServer::Current, &common::unique_schema("secrets"));
    config.password = Password::new(SECRET);
    config.debug = true;
    outputs.push(format!("{config:?}"));
    outputs.push(serde_json::to_string(&config).unwrap());

    // A failed connect: a database that does not exist (the test server trusts every password).
    let mut wrong_database = config.clone();
    wrong_database.database = "no_such_database".into();
    let error = storage_postgres::PostgresStore::connect(wrong_database).await.unwrap_err();
    assert!(matches!(error, PostgresError::Refused { .. }), "{error:?}");
    outputs.push(error_chain(&error));
    outputs.push(error_chain(&storage_core::StorageError::from(error)));

    // A failed connect: a user the server does not know (28000), which names the user in the message.
    let mut wrong_user = config.clone();
    wrong_user.user = "no_such_user".into();
    let error = storage_postgres::PostgresStore::connect(wrong_user).await.unwrap_err();
    assert!(error.to_string().contains("`no_such_user`"), "{error}");
    outputs.push(error_chain(&error));
    outputs.push(error_chain(&storage_core::StorageError::from(error)));

    // A failed connect: a closed port, retried.
    let mut closed = config.clone();
    closed.port = common::closed_port();
    (closed.connect_attempts, closed.connect_backoff_ms) = (2, 1);
    let error = storage_postgres::PostgresStore::connect(closed).await.unwrap_err();
    outputs.push(error_chain(&error));

    // Status of a working store.
    let store = common::open(config).await;
    outputs.push(format!("{store:?}"));
    outputs.push(serde_json::to_string(&store.health().await.unwrap()).unwrap());
    outputs.push(format!("{:?}", store.config()));
    store.close().await.unwrap();

    outputs.push(String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned());
    assert!(outputs.last().is_some_and(|logs| logs.contains("not reachable yet")), "the retry was logged");
    for output in &outputs {
        for form in [SECRET, "p%40ss%3Aword%2F123", "p@ss"] {
            assert!(!output.contains(form), "`{form}` leaked into: {output}");
        }
    }
}
