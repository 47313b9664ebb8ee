//! The memory embedding column follows the recorded space: typed `vector(N)` with an HNSW index in the
//! space's metric, `halfvec` above 2000 dimensions on pgvector 0.8 and a clear refusal on 0.6, and
//! replacing the space with other dimensions retypes the column and rebuilds the index.

mod common;

use sqlx::{Connection, PgConnection};
use storage_core::memory::{MemoryStore, NewMemory, RecallRequest, RememberOptions, Scope};
use storage_core::testing::fixtures::{one_hot, pseudo_random, space};
use storage_core::{DocumentStore, EmbeddingSpace, StagedVector, StorageError};
use storage_postgres::testing::TestServer;

async fn index_and_type(config: &storage_postgres::PostgresConfig) -> (String, String) {
    let mut connection = PgConnection::connect(&config.connection_url()).await.expect("connect");
    let index: String = sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'bs_memories_embedding'",
    )
    .bind(&config.schema)
    .fetch_one(&mut connection)
    .await
    .expect("the HNSW index exists");
    let column: String = sqlx::query_scalar(
        "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'bs_memories' \
         AND a.attname = 'embedding'",
    )
    .bind(&config.schema)
    .fetch_one(&mut connection)
    .await
    .expect("the embedding column");
    (index, column)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_column_is_typed_indexed_and_retyped_with_the_space() {
    let config = common::config(TestServer::Current, &common::unique_schema("memory_space"));
    let store = common::open(config.clone()).await;
    store.set_memory_embedding_space(&space()).await.expect("8-d space");
    let (index, column) = index_and_type(&config).await;
    assert_eq!(column, "vector(8)");
    assert!(index.contains("hnsw") && index.contains("vector_cosine_ops"), "{index}");
    let memory = NewMemory::new(Scope::tenant("acme"), "eight").embedding(one_hot(1), "one-hot-8");
    store.remember(memory, &RememberOptions::default()).await.expect("remember");

    let large = EmbeddingSpace::new(3072).expect("3072").with_model("openai", "text-embedding-3-large");
    assert_eq!(store.replace_memory_embedding_space(&large).await.expect("replace"), 1, "the one memory is stale");
    let (index, column) = index_and_type(&config).await;
    assert_eq!(column, "vector(3072)");
    assert!(index.contains("halfvec(3072)") && index.contains("halfvec_cosine_ops"), "{index}");
    let stale = store.stale_memories("acme", 10).await.expect("stale");
    assert!(stale.len() == 1 && stale[0].embedding.is_none(), "{stale:?}");
    store
        .update_embedding("acme", stale[0].id, pseudo_random(7, 3072), "text-embedding-3-large", &Default::default())
        .await
        .expect("re-embed");
    let hits = store
        .recall(&RecallRequest::new(Scope::tenant("acme")).embedding(pseudo_random(7, 3072)))
        .await
        .expect("recall through the halfvec index");
    assert!(hits.len() == 1 && (hits[0].semantic - 1.0).abs() < 1e-4, "full-precision similarity: {hits:?}");
    store.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3072_dimension_memory_space_fails_clearly_on_pgvector_0_6() {
    let store = common::open(common::config(TestServer::Compat, &common::unique_schema("memory_space_06"))).await;
    let large = EmbeddingSpace::new(3072).expect("3072");
    let error = store.set_memory_embedding_space(&large).await.expect_err("3072-d HNSW needs halfvec");
    assert!(matches!(error, StorageError::Unsupported { .. }), "{error:?}");
    assert!(error.to_string().contains("3072") && error.to_string().contains("halfvec"), "{error}");
    assert!(store.memory_embedding_space().await.expect("read").is_none(), "nothing recorded");
    store.set_memory_embedding_space(&space()).await.expect("an indexable space still works");
    store.close().await.expect("close");
}

/// Stages every pending memory's vector in `space` (the same vector for each: only counts matter here).
async fn stage_all(store: &storage_postgres::PostgresStore, space: &EmbeddingSpace) -> u64 {
    let pending = store.memory_reembed_pending(100).await.expect("pending");
    let vectors = pending
        .into_iter()
        .map(|row| StagedVector { id: row.id, revision: row.revision, embedding: one_hot_n(0, space) })
        .collect();
    store.stage_memory_vectors(vectors).await.expect("stage")
}

fn one_hot_n(axis: usize, space: &EmbeddingSpace) -> storage_core::Embedding {
    let mut values = vec![0.0; space.dimensions as usize];
    values[axis] = 1.0;
    storage_core::Embedding::new(values).expect("a one-hot vector")
}

/// A write of a memory in flight when the switch begins (here a content change, which makes the staged
/// vector stale; a memory remembered without an embedding is the same case) is waited for before the
/// switch counts, so the switch refuses instead of giving the memory no vector or its old content's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_switch_waits_for_writes_in_flight_and_counts_them() {
    let config = common::config(TestServer::Current, &common::unique_schema("memory_switch_writes"));
    let store = std::sync::Arc::new(common::open(config.clone()).await);
    store.set_memory_embedding_space(&space()).await.expect("8-d space");
    let memory = NewMemory::new(Scope::tenant("acme"), "row 0").embedding(one_hot(0), "one-hot-8");
    store.remember(memory, &RememberOptions::default()).await.expect("remember");
    let new = EmbeddingSpace::new(4).expect("4").with_model("test", "one-hot-4");
    store.begin_memory_reembed(&new).await.expect("begin");
    assert_eq!(stage_all(&store, &new).await, 1);

    let mut writer = PgConnection::connect(&config.connection_url()).await.expect("connect");
    sqlx::query("BEGIN").execute(&mut writer).await.expect("begin");
    sqlx::query("SELECT set_config('search_path', $1, true)")
        .bind(&config.schema)
        .execute(&mut writer)
        .await
        .expect("the test's schema");
    sqlx::query("UPDATE bs_memories SET content = 'row 0, changed', updated_at = clock_timestamp()")
        .execute(&mut writer)
        .await
        .expect("change the memory");
    let switching = tokio::spawn({
        let store = store.clone();
        async move { store.switch_memory_reembed().await }
    });
    let mut observer = PgConnection::connect(&config.connection_url()).await.expect("connect");
    let waiting = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                   JOIN pg_namespace n ON n.oid = c.relnamespace \
                   WHERE n.nspname = $1 AND c.relname = 'bs_memories' AND NOT l.granted";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while sqlx::query_scalar::<_, i64>(waiting).bind(&config.schema).fetch_one(&mut observer).await.expect("pg_locks")
        == 0
    {
        assert!(!switching.is_finished(), "the switch ran past a write in flight: {:?}", switching.await);
        assert!(std::time::Instant::now() < deadline, "the switch never waited for the write");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    sqlx::query("COMMIT").execute(&mut writer).await.expect("commit");

    let refused = switching.await.expect("join").expect_err("the changed memory has no current staged vector");
    assert!(matches!(refused, StorageError::Conflict { .. }) && refused.to_string().contains("1 of 1"), "{refused}");
    assert_eq!(store.memory_embedding_space().await.expect("read"), Some(space()), "the old space stays");
    assert_eq!(stage_all(&store, &new).await, 1, "the changed memory is pending again");
    store.switch_memory_reembed().await.expect("switch once every memory is staged");
    let hits = store
        .recall(&RecallRequest::new(Scope::tenant("acme")).embedding(one_hot_n(0, &new)))
        .await
        .expect("recall in the new space");
    assert!(hits.len() == 1 && hits[0].memory.content == "row 0, changed", "{hits:?}");
    store.close().await.expect("close");
}
