//! Pool under load: 50 concurrent searches of every mode plus concurrent upserts; no errors, the pool never
//! holds more than its maximum, and its metrics are consistent afterwards.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use storage_core::testing::fixtures::pseudo_random;
use storage_core::{Chunk, CollectionName, DocumentStore, EmbeddingSpace, SearchRequest};
use storage_postgres::testing::TestServer;

const DIMENSIONS: u32 = 32;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_searches_and_upserts_stay_within_the_pool() {
    let mut config = common::config(TestServer::Current, &common::unique_schema("load"));
    (config.pool_size, config.pool_max_overflow, config.pool_timeout) = (4, 4, 30);
    let store = Arc::new(common::open(config).await);
    let collection = CollectionName::new("load").unwrap();
    store.create_collection(&collection, Some(&EmbeddingSpace::new(DIMENSIONS).unwrap())).await.unwrap();
    let seed: Vec<Chunk> = (0..100u64)
        .map(|i| {
            Chunk::new(format!("seed-{i:03}"), format!("load test chunk {i} alpha"))
                .with_embedding(pseudo_random(i, DIMENSIONS))
        })
        .collect();
    store.upsert(&collection, seed).await.unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let most_open = Arc::new(AtomicU32::new(0));
    let sampler = {
        let (store, done, most_open) = (store.clone(), done.clone(), most_open.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let status = store.pool_status();
                assert_eq!(status.status, "active");
                assert!(status.checked_in + status.checked_out <= status.max_connections, "{status:?}");
                most_open.fetch_max(status.checked_in + status.checked_out, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    let upserter = {
        let (store, collection) = (store.clone(), collection.clone());
        tokio::spawn(async move {
            for i in 0..10u64 {
                let chunk = Chunk::new(format!("live-{i}"), "upserted during load alpha")
                    .with_embedding(pseudo_random(1_000 + i, DIMENSIONS));
                store.upsert(&collection, vec![chunk]).await.expect("single upsert under load");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let batch: Vec<Chunk> = (0..300u64)
                .map(|i| {
                    Chunk::new(format!("bulk-{i}"), "bulk alpha").with_embedding(pseudo_random(5_000 + i, DIMENSIONS))
                })
                .collect();
            store.upsert(&collection, batch).await.expect("batch upsert under load");
        })
    };
    let searches: Vec<_> = (0..50u64)
        .map(|i| {
            let (store, collection) = (store.clone(), collection.clone());
            tokio::spawn(async move {
                let query = pseudo_random(10_000 + i, DIMENSIONS);
                let request = match i % 3 {
                    0 => SearchRequest::vector(query).top_k(5),
                    1 => SearchRequest::keyword("alpha").top_k(5),
                    _ => SearchRequest::hybrid("alpha chunk", query).top_k(5),
                };
                let hits = store.search(&collection, &request).await.expect("search under load");
                assert!(!hits.is_empty(), "search {i} returned nothing");
            })
        })
        .collect();
    for search in searches {
        search.await.expect("a search task panicked");
    }
    upserter.await.expect("the upsert task panicked");
    done.store(true, Ordering::Relaxed);
    sampler.await.expect("the pool exceeded its maximum");

    // sqlx hands a dropped connection back to the pool on a spawned task, and counts a connection it is
    // still opening as in use, so "every connection went back" is eventual: wait for it, bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut status = store.pool_status();
    while status.checked_out > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        status = store.pool_status();
    }
    assert_eq!(status.status, "active");
    assert_eq!(status.total, status.pool_size + status.overflow, "{status:?}");
    assert_eq!(status.checked_out, 0, "every connection went back: {status:?}");
    assert!(most_open.load(Ordering::Relaxed) <= 8 && status.max_connections == 8, "{status:?}");
    assert!(status.checked_in <= 8);
    assert_eq!(store.count(&collection, None).await.unwrap(), 100 + 10 + 300);
    let health = store.health().await.unwrap();
    assert!(health.healthy && health.pool.as_ref().is_some_and(|pool| pool.status == "active"), "{health:?}");
    store.close().await.unwrap();
    assert_eq!(store.pool_status().status, "not_initialized");
    store.close().await.expect("close is idempotent");
}
