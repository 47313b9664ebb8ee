//! Unit tests of config validation and URL handling: one `check` helper per concern.

use super::*;

fn check_url(url: &str, expected: Result<(&str, u16, &str, &str, &str), &str>) {
    match (PostgresConfig::from_database_url(url), expected) {
        (Ok(config), Ok((host, port, database, user, password))) => {
            assert_eq!(
                (config.host.as_str(), config.port, config.database.as_str(), config.user.as_str()),
                (host, port, database, user),
                "{url}"
            );
            assert_eq!(config.password.expose(), password, "{url}");
        }
        (Err(error), Err(fragment)) => {
            let message = error.to_string();
            assert!(message.contains(fragment), "{url}: {message}");
            assert!(!message.contains("secret"), "an error echoes the password: {message}");
        }
        (got, expected) => panic!("{url}: got {got:?}, expected {expected:?}"),
    }
}

#[test]
fn database_urls_parse_every_scheme_and_default_the_port() {
    check_url("postgresql://user:pass@host.example.com/mydb", Ok(("host.example.com", 5432, "mydb", "user", "pass")));
    check_url(
        "postgres://user:pass@host.example.com:5433/mydb",
        Ok(("host.example.com", 5433, "mydb", "user", "pass")),
    );
    check_url("postgresql+asyncpg://u:p@db:6543/x", Ok(("db", 6543, "x", "u", "p")));
    check_url("postgresql+psycopg://u@db/x", Ok(("db", 5432, "x", "u", "")));
    check_url("postgres://db", Ok(("db", 5432, "brainstore", "brainstore", "")));
    check_url("postgres://u:p%40ss%3Aword%2F123@[::1]:5439/d%20b", Ok(("::1", 5439, "d b", "u", "p@ss:word/123")));
    check_url("postgres://u:secret@/db", Err("cannot parse the host"));
    check_url("postgres:///db", Err("cannot parse the host"));
    check_url("mysql://u:secret@db/x", Err("must start with postgres://"));
    check_url("postgres://u:secret@db:0/x", Err("port"));
    check_url("postgres://u:secret@db:65536/x", Err("cannot be parsed"));
    check_url("postgres://u:secret@db/x?sslmode=sometimes", Err("sslmode"));
}

#[test]
fn urls_read_tls_settings_and_keep_everything_else() {
    let mut config =
        PostgresConfig { pool_size: 20, language: "french".into(), hnsw_m: 32, ..PostgresConfig::default() };
    config.ssl_mode = SslMode::VerifyFull;
    config.apply_database_url("postgresql://user:pass@db:5432/mydb").unwrap();
    assert_eq!((config.pool_size, config.language.as_str(), config.hnsw_m), (20, "french", 32));
    assert_eq!(config.ssl_mode, SslMode::VerifyFull, "a URL without sslmode keeps the configured mode");
    config.apply_database_url("postgresql://user:pass@db:5432/mydb?sslmode=require&sslrootcert=/ca.pem").unwrap();
    assert_eq!(config.ssl_mode, SslMode::Require);
    assert_eq!(config.ssl_root_cert.as_deref(), Some(std::path::Path::new("/ca.pem")));
}

fn check_connection_url(user: &str, password: &str, expected: &str) {
    let config = PostgresConfig {
        host: "db.example.com".into(),
        port: 5433,
        database: "mydb".into(),
        user: user.into(),
        password: password.into(),
        ..PostgresConfig::default()
    };
    assert_eq!(config.connection_url(), expected);
}

#[test]
fn connection_urls_percent_encode_user_and_password() {
    check_connection_url("myuser", "mypass", "postgres://myuser:mypass@db.example.com:5433/mydb");
    check_connection_url("myuser", "", "postgres://myuser@db.example.com:5433/mydb");
    check_connection_url("myuser", "p@ss:word/123", "postgres://myuser:p%40ss%3Aword%2F123@db.example.com:5433/mydb");
    check_connection_url("me@corp", "a b", "postgres://me%40corp:a%20b@db.example.com:5433/mydb");
}

fn check_valid(config: PostgresConfig, expected_error: Option<&str>) {
    match (config.validated(), expected_error) {
        (Ok(_), None) => {}
        (Err(error), Some(fragment)) => assert!(error.to_string().contains(fragment), "{error}"),
        (got, expected) => panic!("got {got:?}, expected error {expected:?}"),
    }
}

#[test]
fn validation_names_the_field() {
    let base = PostgresConfig::default;
    check_valid(base(), None);
    check_valid(PostgresConfig { port: 0, ..base() }, Some("port"));
    check_valid(PostgresConfig { language: "ENGLISH".into(), ..base() }, None);
    check_valid(PostgresConfig { language: "klingon".into(), ..base() }, Some("unsupported language"));
    check_valid(PostgresConfig { schema: "Bad-Schema".into(), ..base() }, Some("schema"));
    check_valid(PostgresConfig { schema: "pg_catalog".into(), ..base() }, Some("schema"));
    check_valid(PostgresConfig { hnsw_m: 1, ..base() }, Some("hnsw_m"));
    check_valid(PostgresConfig { hnsw_m: 40, hnsw_ef_construction: 64, ..base() }, Some("hnsw_ef_construction"));
    check_valid(PostgresConfig { ef_search: 0, ..base() }, Some("ef_search"));
    check_valid(PostgresConfig { pool_size: 0, ..base() }, Some("pool_size"));
    check_valid(PostgresConfig { connect_attempts: 0, ..base() }, Some("connect_attempts"));
    check_valid(PostgresConfig { host: " ".into(), ..base() }, Some("host"));
    assert_eq!(PostgresConfig { language: "ENGLISH".into(), ..base() }.validated().unwrap().language, "english");
}
