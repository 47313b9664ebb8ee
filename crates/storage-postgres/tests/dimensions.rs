//! Dimensions: 3072-d spaces work on pgvector 0.8 through a halfvec index and fail clearly on 0.6; a stored
//! dimension that differs from the configured or declared one fails startup naming both and the remedy.

mod common;

use sqlx::Connection;
use storage_core::testing::fixtures::pseudo_random;
use storage_core::{Chunk, CollectionName, DocumentStore, EmbeddingSpace, SearchRequest, StorageError};
use storage_postgres::testing::TestServer;

const LARGE: u32 = 3072;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3072_dimension_space_is_indexed_through_halfvec_on_pgvector_0_8() {
    let schema = common::unique_schema("halfvec");
    let config = common::config(TestServer::Current, &schema);
    let store = common::open(config.clone()).await;
    let collection = CollectionName::new("large").unwrap();
    let space = EmbeddingSpace::new(LARGE).unwrap().with_model("openai", "text-embedding-3-large");
    store.create_collection(&collection, Some(&space)).await.unwrap();
    let chunks: Vec<Chunk> = (0..30u64)
        .map(|i| Chunk::new(format!("l{i:02}"), format!("large {i}")).with_embedding(pseudo_random(i, LARGE)))
        .collect();
    store.upsert(&collection, chunks.clone()).await.unwrap();
    let hits = store.search(&collection, &SearchRequest::vector(pseudo_random(3, LARGE)).top_k(5)).await.unwrap();
    assert_eq!(hits[0].id, "l03", "the query vector itself is nearest");
    assert!(hits[0].distance.unwrap().abs() < 1e-6, "full-precision distance: {:?}", hits[0].distance);
    let hybrid =
        store.search(&collection, &SearchRequest::hybrid("large", pseudo_random(3, LARGE)).top_k(5)).await.unwrap();
    assert_eq!(hybrid[0].id, "l03");
    let stored = store.get(&collection, "l07").await.unwrap().unwrap();
    assert_eq!(stored.embedding.unwrap().as_slice(), chunks[7].embedding.as_ref().unwrap().as_slice(), "stored as f32");

    let mut connection = sqlx::PgConnection::connect(&config.connection_url()).await.unwrap();
    let definition: String = sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'bs_chunks_large_embedding'",
    )
    .bind(&schema)
    .fetch_one(&mut connection)
    .await
    .unwrap();
    assert!(
        definition.contains("hnsw")
            && definition.contains("halfvec(3072)")
            && definition.contains("halfvec_cosine_ops"),
        "{definition}"
    );
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3072_dimension_space_fails_clearly_on_pgvector_0_6() {
    let store = common::open(common::config(TestServer::Compat, &common::unique_schema("halfvec06"))).await;
    let collection = CollectionName::new("large").unwrap();
    let error = store.create_collection(&collection, Some(&EmbeddingSpace::new(LARGE).unwrap())).await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, StorageError::Unsupported { .. }), "{error:?}");
    for needle in ["3072", "2000", "0.6.2", "0.7", "halfvec", "ALTER EXTENSION vector UPDATE"] {
        assert!(message.contains(needle), "`{needle}` missing from: {message}");
    }
    assert!(store.collection(&collection).await.unwrap().is_none(), "nothing was created");
    let fine = EmbeddingSpace::new(1536).unwrap();
    store.create_collection(&collection, Some(&fine)).await.expect("1536 dimensions work on 0.6");
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_dimension_mismatch_fails_startup_naming_both_numbers() {
    let schema = common::unique_schema("mismatch");
    let config = common::config(TestServer::Current, &schema);
    let store = common::open(config.clone()).await;
    let collection = CollectionName::new("docs").unwrap();
    store.create_collection(&collection, Some(&EmbeddingSpace::new(384).unwrap())).await.unwrap();
    store.close().await.unwrap();

    // The configured model changed: 384 stored, 1536 configured.
    let reopened = common::open(config.clone()).await;
    let configured = EmbeddingSpace::new(1536).unwrap();
    let error = reopened.validate_embedding_space(&collection, &configured).await.unwrap_err();
    // Core describes the condition; the command line and the server add how to change a space.
    assert!(
        matches!(error, StorageError::DimensionMismatch { stored: 384, given: 1536, remedy: None, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("384") && message.contains("1536"), "{message}");
    reopened.close().await.unwrap();

    // The table no longer matches the registry (changed behind brainstore's back): initialize refuses.
    let mut connection = sqlx::PgConnection::connect(&config.connection_url()).await.unwrap();
    let alter = format!("ALTER TABLE \"{schema}\".bs_chunks_docs ALTER COLUMN embedding TYPE vector(768)");
    sqlx::query(sqlx::AssertSqlSafe(alter)).execute(&mut connection).await.unwrap();
    let store = storage_postgres::PostgresStore::connect(config).await.unwrap();
    let error = store.initialize().await.unwrap_err();
    assert!(matches!(error, StorageError::DimensionMismatch { stored: 384, given: 768, .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("384") && message.contains("holds vector(768)"), "{message}");
}
