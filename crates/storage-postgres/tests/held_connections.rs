//! Reads hold one connection each and keep it between reads (`held.rs`): sequential reads open no further
//! connection, and reads cancelled at any point leave nothing behind that a later read could trip over.

mod common;

use std::time::Duration;

use storage_core::testing::fixtures::pseudo_random;
use storage_core::{Chunk, CollectionName, DocumentStore, EmbeddingSpace, SearchRequest};
use storage_postgres::PostgresStore;
use storage_postgres::testing::TestServer;

const DIMENSIONS: u32 = 16;

async fn seeded(label: &str) -> (PostgresStore, CollectionName) {
    let mut config = common::config(TestServer::Current, &common::unique_schema(label));
    (config.pool_size, config.pool_max_overflow) = (4, 4);
    let store = common::open(config).await;
    let collection = CollectionName::new("held").expect("a valid name");
    let space = EmbeddingSpace::new(DIMENSIONS).expect("valid dimensions");
    store.create_collection(&collection, Some(&space)).await.expect("a new collection");
    let chunks: Vec<Chunk> = (0..300u64)
        .map(|i| {
            let words = ["alpha", "beta", "gamma", "delta"];
            let text = format!("chunk {i} {} {}", words[i as usize % 4], words[(i as usize / 4) % 4]);
            Chunk::new(format!("c{i:03}"), text).with_embedding(pseudo_random(i, DIMENSIONS))
        })
        .collect();
    store.upsert(&collection, chunks).await.expect("the seed chunks");
    (store, collection)
}

fn requests() -> Vec<SearchRequest> {
    vec![
        SearchRequest::keyword("alpha beta"),
        SearchRequest::vector(pseudo_random(7, DIMENSIONS)).top_k(5),
        SearchRequest::hybrid("gamma", pseudo_random(11, DIMENSIONS)),
        SearchRequest::keyword("\"alpha beta\" -gamma").top_k(3),
    ]
}

fn open_connections(store: &PostgresStore) -> u32 {
    let status = store.pool_status();
    status.checked_in + status.checked_out
}

#[tokio::test]
async fn sequential_reads_open_no_further_connection() {
    let (store, collection) = seeded("held_sequential").await;
    // One read first, so its connection exists; then let the pool finish returning the setup's connections.
    store.search(&collection, &requests()[0]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = open_connections(&store);
    for round in 0..50 {
        for request in requests() {
            store.search(&collection, &request).await.unwrap();
        }
        store.get(&collection, &format!("c{round:03}")).await.unwrap().expect("a seeded chunk");
        store.count(&collection, None).await.unwrap();
    }
    assert_eq!(open_connections(&store), before, "sequential reads opened connections: {:?}", store.pool_status());
    assert_eq!(store.pool_status().checked_out, 0, "{:?}", store.pool_status());
    store.close().await.unwrap();
}

#[tokio::test]
async fn reads_cancelled_at_any_point_leave_later_reads_correct() {
    let (store, collection) = seeded("held_cancelled").await;
    let mut expected = Vec::new();
    for request in requests() {
        expected.push(store.search(&collection, &request).await.unwrap());
    }
    // Deadlines from 0 to ~3 ms cut reads at every stage: waiting for a connection, mid-statement, between
    // the statements of a transaction, while rows arrive.
    let mut cancelled = 0;
    for step in 0..400u64 {
        let request = &requests()[step as usize % 4];
        let deadline = Duration::from_micros((step * 37) % 3_000);
        if tokio::time::timeout(deadline, store.search(&collection, request)).await.is_err() {
            cancelled += 1;
        }
    }
    assert!(cancelled > 0, "no read was cancelled; the test cut nothing");
    for (request, expected) in requests().iter().zip(&expected) {
        let hits = store.search(&collection, request).await.unwrap();
        let ids = |hits: &[storage_core::SearchHit]| hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&hits), ids(expected), "{request:?}");
    }
    let status = store.pool_status();
    assert!(status.checked_in + status.checked_out <= status.max_connections, "{status:?}");
    tokio::time::timeout(Duration::from_secs(20), store.close())
        .await
        .expect("close waits for no connection a cancelled read kept")
        .unwrap();
}
