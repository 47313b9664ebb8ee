//! The test servers answer, and each carries the pgvector version its flavor promises.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, Statement};
use storage_postgres::testing::{TestServer, test_database_url};

/// Connects to `server` with sea-orm and returns the installed pgvector version.
async fn pgvector_version(server: TestServer) -> String {
    let url = test_database_url(server);
    let mut options = ConnectOptions::new(url);
    options.connect_timeout(Duration::from_secs(10)).acquire_timeout(Duration::from_secs(10)).sqlx_logging(false);
    let db = Database::connect(options).await.unwrap_or_else(|error| {
        panic!("cannot connect to the server in {} ({error}); run `cargo xtask test`", server.url_variable())
    });
    let query = "SELECT extversion FROM pg_extension WHERE extname = 'vector'";
    let row = db.query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, query, [])).await;
    let row = row.unwrap_or_else(|error| panic!("`{query}` failed on {}: {error}", server.url_variable()));
    let row = row.unwrap_or_else(|| {
        panic!("no `vector` extension in {}: `cargo xtask pg start` creates it", server.url_variable())
    });
    row.try_get::<String>("", "extversion").expect("pg_extension.extversion is text")
}

#[tokio::test]
async fn current_server_runs_pgvector_0_8() {
    let version = pgvector_version(TestServer::Current).await;
    assert!(version.starts_with("0.8"), "PostgreSQL 18 test server has pgvector {version}, expected 0.8.x");
}

#[tokio::test]
async fn compat_server_runs_pgvector_0_6() {
    let version = pgvector_version(TestServer::Compat).await;
    assert!(version.starts_with("0.6"), "PostgreSQL 16 test server has pgvector {version}, expected 0.6.x");
}
