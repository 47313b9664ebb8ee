//! Error messages: PostgreSQL's words without the driver's additions, and connection refusals that a
//! configuration change fixes reported as configuration errors (exit code 2), naming user and database.

mod common;

use sqlx::Connection;
use storage_core::testing::fixtures;
use storage_core::{Chunk, DocumentStore, StorageError};
use storage_postgres::testing::TestServer;
use storage_postgres::{PostgresError, PostgresStore};

/// The error and every cause, as the command line prints them.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[tokio::test]
async fn server_errors_carry_their_sqlstate_but_not_the_drivers_source_line() {
    for server in TestServer::ALL {
        let config = common::config(server, &common::unique_schema("error_words"));
        let store = common::open(config.clone()).await;
        let c = fixtures::name("docs");
        store.create_collection(&c, Some(&fixtures::space())).await.unwrap();
        // A constraint the store does not know of makes the insert fail with a class the store does not map
        // to bad input (23514 check_violation): reported as a backend failure, in PostgreSQL's words.
        let mut admin = sqlx::PgConnection::connect(&config.connection_url()).await.unwrap();
        let alter =
            format!("ALTER TABLE \"{}\".bs_chunks_docs ADD CONSTRAINT no_rows CHECK (false) NOT VALID", config.schema);
        sqlx::query(sqlx::AssertSqlSafe(alter)).execute(&mut admin).await.unwrap();
        let error = store.upsert(&c, vec![Chunk::new("a", "text")]).await.unwrap_err();
        let text = chain(&error);
        assert!(matches!(error, StorageError::Backend { .. }), "{server:?}: {error:?}");
        assert!(text.contains("no_rows") && text.contains("(SQLSTATE 23514)"), "{server:?}: {text}");
        assert!(!text.contains(" at line "), "{server:?}: the driver's source line leaked: {text}");
        store.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_missing_database_or_role_is_a_configuration_error_naming_it() {
    let config = common::config(TestServer::Current, "public");
    let mut missing_database = config.clone();
    missing_database.database = "brainstore_no_such_database".into();
    let mut missing_role = config.clone();
    missing_role.user = "brainstore_no_such_role".into();
    missing_role.password = storage_postgres::Password::new("p@ss:word/123");
    let cases = [
        (missing_database, "3D000", "no database `brainstore_no_such_database`"),
        (missing_role, "28000", "user `brainstore_no_such_role`"),
    ];
    for (config, code, names) in cases {
        let error = PostgresStore::connect(config).await.unwrap_err();
        assert!(matches!(error, PostgresError::Refused { .. }), "{code}: {error:?}");
        let storage = StorageError::from(error);
        let text = chain(&storage);
        assert!(
            matches!(&storage, StorageError::InvalidInput { field, .. } if field == "database_url"),
            "{code}: a configuration error naming database_url (the CLI's exit code 2): {storage:?}"
        );
        assert!(text.contains(names) && text.contains(&format!("(SQLSTATE {code})")), "{code}: {text}");
        assert!(!text.contains(" at line ") && !text.contains("p@ss"), "{code}: {text}");
    }
}
