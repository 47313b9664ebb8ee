//! pgvector missing and not installable by this user: `initialize` names the statement an administrator
//! must run.

mod common;

use sqlx::Connection;
use storage_core::{DocumentStore, StorageError};
use storage_postgres::testing::TestServer;
use storage_postgres::{PostgresError, PostgresStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_extension_names_the_statement_an_administrator_must_run() {
    let admin_config = common::config(TestServer::Current, "public");
    let suffix = common::unique_schema("x").trim_start_matches("t_x_").to_owned();
    let (database, role) = (format!("bs_noext_{suffix}"), format!("bs_limited_{suffix}"));
    let mut admin = sqlx::PgConnection::connect(&admin_config.connection_url()).await.unwrap();
    for statement in [format!("CREATE ROLE {role} LOGIN"), format!("CREATE DATABASE {database} OWNER {role}")] {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await.unwrap();
    }

    let mut config = admin_config.clone();
    (config.database, config.user, config.schema) = (database.clone(), role.clone(), "brainstore".to_owned());
    let store = PostgresStore::connect(config).await.expect("connecting works without pgvector");
    let error = store.initialize().await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StorageError::NotInitialized { .. }), "{error:?}");
    assert!(message.contains("CREATE EXTENSION IF NOT EXISTS vector;"), "{message}");
    assert!(message.contains(&database) && message.contains(&role), "{message}");
    store.close().await.unwrap();

    let direct = PostgresError::ExtensionMissing {
        database: database.clone(),
        user: role.clone(),
        source: "permission denied".into(),
    };
    assert!(direct.to_string().contains("an administrator must run `CREATE EXTENSION IF NOT EXISTS vector;`"));

    for statement in [format!("DROP DATABASE {database}"), format!("DROP ROLE {role}")] {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut admin).await.unwrap();
    }
}
