//! The memory embedding column follows the recorded space: typed `vector(N)` with an HNSW index in the
//! space's metric, `halfvec` above 2000 dimensions on pgvector 0.8 and a clear refusal on 0.6, and
//! replacing the space with other dimensions retypes the column and rebuilds the index.

mod common;

use sqlx::{Connection, PgConnection};
use storage_core::memory::{MemoryStore, NewMemory, RecallRequest, RememberOptions, Scope};
use storage_core::testing::fixtures::{one_hot, pseudo_random, space};
use storage_core::{DocumentStore, EmbeddingSpace, StorageError};
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
