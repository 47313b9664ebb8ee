//! Bulk loads set an empty collection's HNSW index aside and build it once at the end; a load that never
//! finishes leaves the index missing until the next `initialize` builds it; a collection that already has
//! rows keeps its live index.

mod common;

use sqlx::{Connection, PgConnection};
use storage_core::testing::fixtures::{DIM, name, pseudo_random, space};
use storage_core::{Chunk, CollectionName, DocumentStore, SearchRequest};
use storage_postgres::PostgresConfig;
use storage_postgres::testing::TestServer;

fn chunks(range: std::ops::Range<u64>) -> Vec<Chunk> {
    range.map(|i| Chunk::new(format!("c{i:04}"), format!("text {i}")).with_embedding(pseudo_random(i, DIM))).collect()
}

/// Whether the collection's HNSW index exists.
async fn has_vector_index(config: &PostgresConfig, collection: &CollectionName) -> bool {
    let mut connection = PgConnection::connect(&config.connection_url()).await.expect("connect");
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2)")
        .bind(&config.schema)
        .bind(format!("bs_chunks_{collection}_embedding"))
        .fetch_one(&mut connection)
        .await
        .expect("pg_indexes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_collection_is_indexed_once_at_the_end() {
    let config = common::config(TestServer::Current, &common::unique_schema("bulk_end"));
    let store = common::open(config.clone()).await;
    let docs = name("docs");
    store.create_collection(&docs, Some(&space())).await.expect("create");
    assert!(has_vector_index(&config, &docs).await, "a new collection has its index");

    assert!(store.begin_bulk_load(&docs).await.expect("begin"), "the empty collection's index is set aside");
    assert!(!has_vector_index(&config, &docs).await, "no index while loading");
    for batch in chunks(0..1_200).chunks(400) {
        store.upsert(&docs, batch.to_vec()).await.expect("upsert");
        // The first batch alone would make a plain upsert rebuild the index; a bulk load leaves it aside.
        assert!(!has_vector_index(&config, &docs).await, "still no index after a batch");
    }
    store.finish_bulk_load(&docs).await.expect("finish");
    assert!(has_vector_index(&config, &docs).await, "the index is built at the end");
    let own = pseudo_random(700, DIM);
    let hits = store.search(&docs, &SearchRequest::vector(own).top_k(1)).await.expect("search");
    assert_eq!(hits.first().map(|hit| hit.id.as_str()), Some("c0700"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filled_collection_keeps_its_live_index() {
    let config = common::config(TestServer::Current, &common::unique_schema("bulk_filled"));
    let store = common::open(config.clone()).await;
    let docs = name("docs");
    store.create_collection(&docs, Some(&space())).await.expect("create");
    store.upsert(&docs, chunks(0..10)).await.expect("first rows");
    assert!(!store.begin_bulk_load(&docs).await.expect("begin"), "nothing set aside");
    store.upsert(&docs, chunks(10..20)).await.expect("more rows");
    assert!(has_vector_index(&config, &docs).await, "the index stays live");
    store.finish_bulk_load(&docs).await.expect("finish");

    let plain = name("plain");
    store.create_collection(&plain, None).await.expect("create without a space");
    assert!(!store.begin_bulk_load(&plain).await.expect("begin"), "no vectors, no index to set aside");
    store.finish_bulk_load(&plain).await.expect("finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_load_is_indexed_by_the_next_initialize() {
    let config = common::config(TestServer::Current, &common::unique_schema("bulk_crash"));
    let docs = name("docs");
    {
        let loader = common::open(config.clone()).await;
        loader.create_collection(&docs, Some(&space())).await.expect("create");
        assert!(loader.begin_bulk_load(&docs).await.expect("begin"));
        loader.upsert(&docs, chunks(0..300)).await.expect("upsert");
        // The loader goes away without finishing, as a killed process would.
        loader.close().await.expect("close");
    }
    assert!(!has_vector_index(&config, &docs).await, "the unfinished load left no index");
    let next = common::open(config.clone()).await;
    assert!(has_vector_index(&config, &docs).await, "initialize built the missing index");
    assert_eq!(next.count(&docs, None).await.expect("count"), 300, "every committed batch is there");
}
