//! Versioned, reversible migrations of the memory, session and task tables: `down` to 0 then `up` leaves
//! the schema exactly as a fresh one, each down migration reverts exactly its own objects, and the CHECK
//! constraints accept exactly the status values core writes. Schemas are compared by a catalog dump
//! (columns, types, defaults, identity, collations, storage, constraints, indexes, triggers, functions) and
//! by `pg_dump --schema-only` from the binaries `cargo xtask pg start` recorded.

// The lines compared are the acceptance evidence, shown with --nocapture.
#![allow(clippy::print_stderr)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;
use sqlx::{Connection, PgConnection, Row};
use storage_core::memory::{AuditAction, MemoryStatus, MemoryStore, MemoryTier, NewMemory, RememberOptions, Scope};
use storage_core::session::{AgentStatus, MessageRole, NewMessage, NewSession, SessionStatus, SessionStore};
use storage_core::task::{NewTask, TaskQueue, TaskStatus};
use storage_core::testing::fixtures::{one_hot, space};
use storage_core::{DocumentStore, MigrationInfo};
use storage_postgres::testing::TestServer;
use storage_postgres::{PostgresConfig, PostgresStore};

async fn connect(config: &PostgresConfig) -> PgConnection {
    PgConnection::connect(&config.connection_url()).await.expect("connect for the schema dump")
}

/// Every object of `schema` the catalog describes, one sorted line each.
async fn catalog_dump(connection: &mut PgConnection, schema: &str) -> Vec<String> {
    let queries = [
        "SELECT 'relation ' || c.relname || ' kind=' || c.relkind::text || ' persistence=' || c.relpersistence::text \
         || ' options=' || coalesce(array_to_string(c.reloptions, ','), '') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
        // The position among live columns, not `attnum`: a column dropped and added again by a down and up
        // migration comes back at the same place with a new number.
        "SELECT 'column ' || c.relname || '.' || a.attname \
         || ' #' || row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) || ' ' \
         || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull \
         || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' identity=' || a.attidentity::text \
         || ' generated=' || a.attgenerated::text || ' collation=' || coalesce(co.collname, '') \
         || ' storage=' || a.attstorage::text \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0 \
         WHERE n.nspname = $1 AND a.attnum > 0 AND NOT a.attisdropped",
        "SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid) \
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = k.connamespace \
         WHERE n.nspname = $1",
        "SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = $1",
        "SELECT 'trigger ' || c.relname || '.' || t.tgname || ' ' || pg_get_triggerdef(t.oid) \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND NOT t.tgisinternal",
        "SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(p.prosrc) \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1",
        "SELECT 'type ' || t.typname || ' ' || t.typtype::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = $1 AND t.typrelid = 0 AND t.typelem = 0",
    ];
    let mut lines = Vec::new();
    for query in queries {
        let rows = sqlx::query(query).bind(schema).fetch_all(&mut *connection).await.expect("catalog query");
        lines.extend(rows.into_iter().map(|row| row.get::<String, _>(0)));
    }
    lines.sort();
    lines
}

/// Where `cargo xtask pg start` put this server's binaries (its state file), if it started it.
fn pg_bin_dir(server: TestServer) -> Option<PathBuf> {
    let state =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.cache/pg").join(format!("{}.state", server.flavor()));
    let text = std::fs::read_to_string(state).ok()?;
    let dir = PathBuf::from(text.lines().find_map(|line| line.strip_prefix("bin_dir="))?);
    dir.join("pg_dump").is_file().then_some(dir)
}

/// `pg_dump --schema-only` of `schema`, without comments and the session-specific `\restrict` lines.
fn pg_dump(server: TestServer, config: &PostgresConfig, schema: &str) -> Option<Vec<String>> {
    let bin = pg_bin_dir(server)?;
    let output = Command::new(bin.join("pg_dump"))
        .args(["--schema-only", "--no-owner", "--no-privileges", "--schema", schema, "--dbname"])
        .arg(config.connection_url())
        .output()
        .expect("run pg_dump");
    assert!(output.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("pg_dump writes UTF-8");
    Some(
        text.lines()
            .filter(|line| {
                !line.starts_with("--") && !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict")
            })
            .filter(|line| !line.trim().is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// Both dumps of the schema (the pg_dump one when the binaries are known).
async fn dump(server: TestServer, config: &PostgresConfig) -> (Vec<String>, Option<Vec<String>>) {
    let catalog = catalog_dump(&mut connect(config).await, &config.schema).await;
    (catalog, pg_dump(server, config, &config.schema))
}

fn assert_same(before: &(Vec<String>, Option<Vec<String>>), after: &(Vec<String>, Option<Vec<String>>), what: &str) {
    let only = |a: &[String], b: &[String]| a.iter().filter(|line| !b.contains(line)).cloned().collect::<Vec<_>>();
    assert!(
        before.0 == after.0,
        "{what}: the catalog differs\nonly before: {:#?}\nonly after: {:#?}",
        only(&before.0, &after.0),
        only(&after.0, &before.0)
    );
    if let (Some(dump_before), Some(dump_after)) = (&before.1, &after.1) {
        assert!(
            dump_before == dump_after,
            "{what}: pg_dump differs\nonly before: {:#?}\nonly after: {:#?}",
            only(dump_before, dump_after),
            only(dump_after, dump_before)
        );
    }
}

/// Fills the store with a recorded memory space (typed column, HNSW index), memories, a session with a
/// message, and tasks, so reverting has runtime-created objects and rows to remove.
async fn fill(store: &PostgresStore) {
    store.set_memory_embedding_space(&space()).await.expect("memory space");
    for axis in 0..3 {
        let memory =
            NewMemory::new(Scope::tenant("acme"), format!("memory {axis}")).embedding(one_hot(axis), "one-hot-8");
        store.remember(memory, &RememberOptions::default()).await.expect("remember");
    }
    store.create_session(NewSession::new("acme").id("s")).await.expect("session");
    store.append_message("acme", "s", NewMessage::new(MessageRole::User, "hello")).await.expect("message");
    store.enqueue(NewTask { session_id: Some("s".into()), ..NewTask::new("acme", "work") }).await.expect("task");
}

async fn down_to_zero_then_up_leaves_the_schema_as_fresh(server: TestServer) {
    let config = common::config(server, &common::unique_schema(&format!("roundtrip_{}", server.flavor())));
    let store = common::open(config.clone()).await;
    let fresh = dump(server, &config).await;
    assert!(fresh.0.iter().any(|line| line.starts_with("relation bs_memories ")), "the memory table exists");
    fill(&store).await;
    let filled = dump(server, &config).await;
    assert!(filled.0.iter().any(|line| line.contains("bs_memories_embedding")), "the space built an HNSW index");

    let all = store.migrations().await.expect("migrations");
    let reverted = store.migrate_down(0).await.expect("down to 0");
    assert_eq!(reverted.len(), all.len(), "every migration reverted: {reverted:?}");
    let empty = catalog_dump(&mut connect(&config).await, &config.schema).await;
    assert!(empty.is_empty(), "down to 0 leaves nothing of brainstore in the schema: {empty:#?}");

    store.migrate_up(None).await.expect("up again");
    let again = dump(server, &config).await;
    assert_same(&fresh, &again, "down to 0 then up");
    eprintln!(
        "{}: down to 0 then up: {} catalog lines equal; pg_dump --schema-only: {}",
        server.flavor(),
        again.0.len(),
        again
            .1
            .as_ref()
            .map_or("binaries not found (state file of `cargo xtask pg start` missing)".to_owned(), |lines| {
                format!("{} lines equal", lines.len())
            })
    );
    assert!(store.memory_embedding_space().await.expect("space").is_none(), "the recorded space went with its table");
    store.set_memory_embedding_space(&space()).await.expect("a space again after the round trip");
    store.close().await.expect("close");
}

async fn each_down_migration_reverts_exactly_its_own_objects(server: TestServer) {
    let config = common::config(server, &common::unique_schema(&format!("each_down_{}", server.flavor())));
    let store = common::open(config.clone()).await;
    let all: Vec<MigrationInfo> = store.migrations().await.expect("migrations");
    let last = u32::try_from(all.len()).expect("a few migrations");
    assert!(last >= 4, "collections, memories, sessions and tasks: {all:?}");
    let mut at_version = dump(server, &config).await;
    for version in (1..=last).rev() {
        let reverted = store.migrate_down(version - 1).await.expect("down by one");
        assert_eq!(reverted.iter().map(|m| m.version).collect::<Vec<_>>(), [version], "down to {}", version - 1);
        let below = dump(server, &config).await;
        assert_ne!(
            below.0,
            at_version.0,
            "reverting version {version} ({}) removed something",
            all[version as usize - 1].name
        );
        let applied = store.migrate_up(Some(version)).await.expect("up by one");
        assert_eq!(applied.iter().map(|m| m.version).collect::<Vec<_>>(), [version]);
        assert_same(
            &at_version,
            &dump(server, &config).await,
            &format!("down to {} then up to {version}", version - 1),
        );
        store.migrate_down(version - 1).await.expect("down by one again");
        assert_same(&below, &dump(server, &config).await, &format!("down to {} twice", version - 1));
        at_version = below;
    }
    assert!(at_version.0.is_empty(), "nothing is left below version 1: {:#?}", at_version.0);
    store.migrate_up(None).await.expect("back up");
    store.close().await.expect("close");
}

/// The literals of a CHECK constraint `col = ANY (ARRAY['a'::text, …])`, in order.
fn check_values(definition: &str) -> Vec<String> {
    definition.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

async fn check_constraints_accept_exactly_the_values_core_writes(server: TestServer) {
    let config = common::config(server, &common::unique_schema(&format!("enums_{}", server.flavor())));
    let store = common::open(config.clone()).await;
    let mut connection = connect(&config).await;
    let names = |values: Vec<&'static str>| values.into_iter().map(str::to_owned).collect::<Vec<_>>();
    let expected = [
        ("bs_memories_status_check", names(MemoryStatus::ALL.iter().map(|s| s.as_str()).collect())),
        ("bs_memories_tier_check", names(MemoryTier::ALL.iter().map(|s| s.as_str()).collect())),
        ("bs_memory_log_action_check", names(AuditAction::ALL.iter().map(|s| s.as_str()).collect())),
        ("bs_sessions_status_check", names(SessionStatus::ALL.iter().map(|s| s.as_str()).collect())),
        ("bs_messages_role_check", names(MessageRole::ALL.iter().map(|s| s.as_str()).collect())),
        ("bs_agents_status_check", names(AgentStatus::ALL.iter().map(|s| s.as_str()).collect())),
        ("bs_tasks_status_check", names(TaskStatus::ALL.iter().map(|s| s.as_str()).collect())),
    ];
    for (constraint, values) in expected {
        let definition: String = sqlx::query_scalar(
            "SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace \
             WHERE n.nspname = $1 AND k.conname = $2",
        )
        .bind(&config.schema)
        .bind(constraint)
        .fetch_one(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("constraint {constraint}: {error}"));
        assert_eq!(check_values(&definition), values, "{constraint}: {definition}");
    }
    // Seed A wrote `in_progress`, which its schema refused; here a refused value never reaches a row.
    sqlx::query(sqlx::AssertSqlSafe(format!("SET search_path = \"{}\", public", config.schema)))
        .execute(&mut connection)
        .await
        .expect("search_path");
    let insert = |status: &str| {
        format!(
            "INSERT INTO bs_tasks (id, tenant, kind, payload, status, max_attempts, retry_backoff_ms, not_before, \
             created_at, updated_at) VALUES (gen_random_uuid(), 't', 'k', 'null', '{status}', 1, 0, now(), now(), now())"
        )
    };
    let refused = sqlx::query(sqlx::AssertSqlSafe(insert("in_progress")))
        .execute(&mut connection)
        .await
        .expect_err("`in_progress` is refused");
    assert_eq!(refused.as_database_error().and_then(|e| e.code()).as_deref(), Some("23514"), "{refused}");
    sqlx::query(sqlx::AssertSqlSafe(insert(TaskStatus::Pending.as_str())))
        .execute(&mut connection)
        .await
        .expect("pending");
    let tasks = store.list_tasks(&storage_core::task::ListTasks::new("t", 10)).await.expect("list");
    assert_eq!(tasks.len(), 1, "a row the schema accepts is one the code reads: {tasks:?}");
    assert_eq!(json!(tasks[0].status), json!("pending"));
    store.close().await.expect("close");
}

mod current {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn down_to_zero_then_up_leaves_the_schema_as_fresh() {
        super::down_to_zero_then_up_leaves_the_schema_as_fresh(TestServer::Current).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_down_migration_reverts_exactly_its_own_objects() {
        super::each_down_migration_reverts_exactly_its_own_objects(TestServer::Current).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn check_constraints_accept_exactly_the_values_core_writes() {
        super::check_constraints_accept_exactly_the_values_core_writes(TestServer::Current).await;
    }
}

mod compat {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn down_to_zero_then_up_leaves_the_schema_as_fresh() {
        super::down_to_zero_then_up_leaves_the_schema_as_fresh(TestServer::Compat).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_down_migration_reverts_exactly_its_own_objects() {
        super::each_down_migration_reverts_exactly_its_own_objects(TestServer::Compat).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn check_constraints_accept_exactly_the_values_core_writes() {
        super::check_constraints_accept_exactly_the_values_core_writes(TestServer::Compat).await;
    }
}
