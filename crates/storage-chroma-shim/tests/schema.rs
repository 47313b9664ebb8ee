//! Memory, session and task schema: reversible migrations, CHECKs equal to core's enums, language rebuilds,
//! and the orders only rows written by hand can set up.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use storage_chroma_shim::{DB_FILE_NAME, EmbeddedConfig, EmbeddedStore};
use storage_core::memory::{MemoryStatus, MemoryStore, MemoryTier, NewMemory, RecallRequest, RememberOptions, Scope};
use storage_core::session::{
    AgentStatus, ListMessages, MessageRole, NewAgent, NewArtifact, NewMessage, NewSession, SessionStatus, SessionStore,
    TextSearch,
};
use storage_core::task::{NewTask, TaskQueue, TaskStatus};
use storage_core::{DocumentStore, Metadata, TextLanguage};

async fn raw(dir: &Path) -> DatabaseConnection {
    let path = dir.join(DB_FILE_NAME);
    Database::connect(format!("sqlite://{}?mode=rw", path.display())).await.expect("raw connection")
}

fn sql(text: &str) -> Statement {
    Statement::from_sql_and_values(DbBackend::Sqlite, text, vec![])
}

/// Every schema object with its DDL, sorted.
async fn schema(dir: &Path) -> Vec<(String, String, Option<String>)> {
    let conn = raw(dir).await;
    let rows = conn
        .query_all_raw(sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        ))
        .await
        .expect("read the schema");
    conn.close().await.expect("close");
    rows.iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("type"),
                row.try_get_by_index(1).expect("name"),
                row.try_get_by_index(2).expect("sql"),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_down_migration_restores_the_schema_before_it() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(EmbeddedConfig::new(temp.path().join("full"))).expect("config");
    store.initialize().await.expect("initialize");
    let latest = store.migrations().await.expect("migrations").len() as u32;
    let full = schema(&temp.path().join("full")).await;
    for version in (3..latest).rev() {
        let reverted = store.migrate_down(version).await.expect("migrate down");
        assert_eq!(reverted.len(), 1, "one migration above {version}");
        let reference_dir = temp.path().join(format!("up-to-{version}"));
        let reference = EmbeddedStore::open(EmbeddedConfig::new(&reference_dir)).expect("config");
        reference.migrate_up(Some(version)).await.expect("migrate up to the version");
        reference.close().await.expect("close");
        assert_eq!(
            schema(&temp.path().join("full")).await,
            schema(&reference_dir).await,
            "down to {version} equals up to {version}"
        );
    }
    store.migrate_up(None).await.expect("migrate up again");
    assert_eq!(schema(&temp.path().join("full")).await, full, "up again restores every object");
}

/// An initialized store in `parent/data`, holding session `s` of tenant `acme`.
async fn store_with_a_session(parent: &Path) -> (PathBuf, EmbeddedStore) {
    let dir = parent.join("data");
    let store = EmbeddedStore::open(EmbeddedConfig::new(&dir)).expect("config");
    store.initialize().await.expect("initialize");
    store.create_session(NewSession::new("acme").id("s")).await.expect("session");
    (dir, store)
}

/// Whether `statement` is accepted by the schema.
async fn accepted(conn: &DatabaseConnection, statement: String) -> bool {
    conn.execute_raw(sql(&statement)).await.is_ok()
}

#[tokio::test]
async fn checks_accept_exactly_the_values_core_writes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (dir, store) = store_with_a_session(temp.path()).await;
    store.append_message("acme", "s", NewMessage::new(MessageRole::User, "hi")).await.expect("message");
    store.enqueue(NewTask::new("acme", "work")).await.expect("task");
    store.remember(NewMemory::new(Scope::tenant("acme"), "a fact"), &RememberOptions::default()).await.expect("memory");
    let agent = NewAgent { name: "a".into(), kind: "code".into(), capabilities: vec![], metadata: Metadata::new() };
    store.register_agent("acme", agent).await.expect("agent");
    store.close().await.expect("close");

    let conn = raw(&dir).await;
    let columns: [(&str, &str, Vec<&str>); 6] = [
        ("tasks", "status", TaskStatus::ALL.iter().map(|v| v.as_str()).collect()),
        ("sessions", "status", SessionStatus::ALL.iter().map(|v| v.as_str()).collect()),
        ("messages", "role", MessageRole::ALL.iter().map(|v| v.as_str()).collect()),
        ("memories", "status", MemoryStatus::ALL.iter().map(|v| v.as_str()).collect()),
        ("memories", "tier", MemoryTier::ALL.iter().map(|v| v.as_str()).collect()),
        ("agents", "status", AgentStatus::ALL.iter().map(|v| v.as_str()).collect()),
    ];
    for (table, column, values) in columns {
        for value in values {
            assert!(
                accepted(&conn, format!("UPDATE {table} SET {column} = '{value}'")).await,
                "{table}.{column} = {value}"
            );
        }
        // The seed systems' values that their own schemas rejected, and near misses.
        for value in ["in_progress", "general", "claimed", "Active", ""] {
            assert!(
                !accepted(&conn, format!("UPDATE {table} SET {column} = '{value}'")).await,
                "{table}.{column} = {value}"
            );
        }
    }
    conn.close().await.expect("close");
}

#[tokio::test]
async fn changing_the_keyword_language_rebuilds_memory_and_message_indexes() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let english = EmbeddedStore::open(EmbeddedConfig::new(&dir)).expect("config");
    english.initialize().await.expect("initialize");
    english.create_session(NewSession::new("acme").id("s")).await.expect("session");
    english
        .append_message("acme", "s", NewMessage::new(MessageRole::User, "we are migrating tonight"))
        .await
        .expect("message");
    english
        .remember(NewMemory::new(Scope::tenant("acme"), "deployments run nightly"), &RememberOptions::default())
        .await
        .expect("memory");
    assert_eq!(
        english.search_messages(&TextSearch::new("acme", "migrate", 10)).await.expect("search").len(),
        1,
        "stemmed"
    );
    let recall = |text: &str| RecallRequest::new(Scope::tenant("acme")).text(text);
    assert_eq!(english.recall(&recall("deployment")).await.expect("recall").len(), 1, "stemmed");
    english.close().await.expect("close");

    let simple = EmbeddedStore::open(EmbeddedConfig { language: TextLanguage::Simple, ..EmbeddedConfig::new(&dir) })
        .expect("config");
    simple.initialize().await.expect("initialize with another language");
    assert!(
        simple.search_messages(&TextSearch::new("acme", "migrate", 10)).await.expect("search").is_empty(),
        "no stemming"
    );
    assert_eq!(
        simple.search_messages(&TextSearch::new("acme", "migrating", 10)).await.expect("search").len(),
        1,
        "exact word"
    );
    assert!(simple.recall(&recall("deployment")).await.expect("recall").is_empty(), "no stemming");
    assert_eq!(simple.recall(&recall("deployments")).await.expect("recall").len(), 1, "exact word");
}

/// A session's messages as (seq, content), in the order listed.
async fn positions(store: &EmbeddedStore, session: &str) -> Vec<(i64, String)> {
    let messages = store.list_messages(&ListMessages::new("acme", session, 100)).await.expect("list");
    messages.into_iter().map(|m| (m.seq, m.content)).collect()
}

#[tokio::test]
async fn upgrading_numbers_each_sessions_messages_from_one_in_their_order() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let store = EmbeddedStore::open(EmbeddedConfig::new(&dir)).expect("config");
    store.migrate_up(Some(10)).await.expect("the schema before per-session numbering");
    let conn = raw(&dir).await;
    for (pk, id) in [(1, "a"), (2, "b")] {
        let session = format!(
            "INSERT INTO sessions (pk, tenant, id, title, participants, status, metadata, created_at, \
             last_activity_at) VALUES ({pk}, 'acme', '{id}', '', '[]', 'active', '{{}}', 0, 0)"
        );
        conn.execute_raw(sql(&session)).await.expect("session");
    }
    // Interleaved, so the store-wide row numbers of session b are 2 and 4.
    for (session_pk, content) in [(1, "a one"), (2, "b one"), (1, "a two"), (2, "b two"), (1, "a three")] {
        let message = format!(
            "INSERT INTO messages (session_pk, id, role, content, format, metadata, created_at) \
             VALUES ({session_pk}, '{content}', 'user', '{content}', 'text', '{{}}', 0)"
        );
        conn.execute_raw(sql(&message)).await.expect("message");
    }
    conn.close().await.expect("close");

    store.migrate_up(None).await.expect("upgrade");
    let numbered = |rows: &[(i64, &str)]| rows.iter().map(|(seq, text)| (*seq, text.to_string())).collect::<Vec<_>>();
    assert_eq!(positions(&store, "a").await, numbered(&[(1, "a one"), (2, "a two"), (3, "a three")]));
    assert_eq!(positions(&store, "b").await, numbered(&[(1, "b one"), (2, "b two")]));
    let appended =
        store.append_message("acme", "b", NewMessage::new(MessageRole::User, "b three")).await.expect("append");
    assert_eq!(appended.message.seq, 3, "appending goes on from the session's last seq");
    let after = store
        .list_messages(&ListMessages { after_seq: Some(1), ..ListMessages::new("acme", "b", 100) })
        .await
        .expect("page");
    assert_eq!(after.iter().map(|m| m.seq).collect::<Vec<_>>(), [2, 3], "after_seq counts within the session");
}

#[tokio::test]
async fn artifacts_created_at_the_same_instant_are_listed_by_id() {
    let temp = tempfile::tempdir().expect("temp dir");
    let (dir, store) = store_with_a_session(temp.path()).await;
    for id in ["zeta", "alpha", "mid"] {
        let artifact = NewArtifact { id: Some(id.into()), ..NewArtifact::new("note", id, id) };
        store.put_artifact("acme", "s", artifact).await.expect("artifact");
    }
    // Only raw rows can share an instant: the store stamps each write with the clock.
    let conn = raw(&dir).await;
    conn.execute_raw(sql("UPDATE artifacts SET created_at = 1000")).await.expect("one instant");
    conn.close().await.expect("close");
    let listed = store.list_artifacts("acme", "s").await.expect("list");
    assert_eq!(listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["alpha", "mid", "zeta"]);
}
