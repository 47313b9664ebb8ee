//! Filtered vector search on 20,000 random 64-d chunks with a filter matching 1 %: every query returns
//! top_k rows and recall@10 against an exact search is at least 0.9, on both servers.

mod common;

use std::collections::HashSet;

use serde_json::json;
use storage_core::testing::fixtures::pseudo_random;
use storage_core::{Chunk, CollectionName, DocumentStore, EmbeddingSpace, Filter, Metadata, Metric, SearchRequest};
use storage_postgres::testing::TestServer;

const ROWS: u64 = 20_000;
const DIMENSIONS: u32 = 64;
const QUERIES: u64 = 20;
const TOP_K: usize = 10;

async fn check_filtered_recall(server: TestServer) -> Vec<(String, f64)> {
    let store = common::open(common::config(server, &common::unique_schema("recall"))).await;
    let collection = CollectionName::new("recall").expect("filtered recall setup");
    store
        .create_collection(&collection, Some(&EmbeddingSpace::new(DIMENSIONS).expect("filtered recall setup")))
        .await
        .expect("filtered recall setup");
    let chunks: Vec<Chunk> = (0..ROWS)
        .map(|i| {
            let metadata =
                Metadata::from_value(json!({"group": format!("g{:02}", i % 100)})).expect("filtered recall setup");
            Chunk::new(format!("r{i:05}"), "t").with_metadata(metadata).with_embedding(pseudo_random(i, DIMENSIONS))
        })
        .collect();
    for batch in chunks.chunks(10_000) {
        store.upsert(&collection, batch.to_vec()).await.expect("filtered recall setup");
    }
    let rare: Vec<&Chunk> = chunks.iter().filter(|c| c.metadata.get("group") == Some(&json!("g07"))).collect();
    assert_eq!(rare.len(), 200, "the filter matches 1 %");
    // Equality can use the GIN index; `$prefix` cannot. Both match 1 %: few enough to be sorted exactly.
    // The `$in` of 30 groups matches 30 % (6,000 chunks): on pgvector 0.8 that goes through the iterative
    // HNSW scan, on 0.6 through an exact scan.
    let broad: Vec<String> = (0..30).map(|g| format!("g{g:02}")).collect();
    let mut recalls = Vec::new();
    for filter_json in [json!({"group": "g07"}), json!({"group": {"$prefix": "g07"}}), json!({"group": {"$in": broad}})]
    {
        let filter = Filter::from_json(&filter_json).expect("filtered recall setup");
        let matching: Vec<&Chunk> = chunks.iter().filter(|c| filter.matches(c.metadata.as_map())).collect();
        let recall = recall_at_10(&store, &collection, &matching, &filter, server).await;
        assert!(recall >= 0.9, "{server:?} {filter_json}: filtered recall@10 is {recall}");
        recalls.push((filter_json.to_string(), recall));
    }
    store.close().await.expect("filtered recall setup");
    recalls
}

async fn recall_at_10(
    store: &storage_postgres::PostgresStore,
    collection: &CollectionName,
    matching: &[&Chunk],
    filter: &Filter,
    server: TestServer,
) -> f64 {
    let mut total_recall = 0.0;
    for q in 0..QUERIES {
        let query = pseudo_random(1_000_000 + q, DIMENSIONS);
        let hits = store
            .search(collection, &SearchRequest::vector(query.clone()).top_k(TOP_K).filter(filter.clone()))
            .await
            .expect("filtered recall setup");
        assert_eq!(hits.len(), TOP_K, "{server:?} query {q}: a filtered query returns top_k rows");
        let mut exact: Vec<(f64, &str)> = matching
            .iter()
            .map(|c| {
                (
                    Metric::Cosine
                        .distance(query.as_slice(), c.embedding.as_ref().expect("filtered recall setup").as_slice()),
                    c.id.as_str(),
                )
            })
            .collect();
        exact.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        let truth: HashSet<&str> = exact.iter().take(TOP_K).map(|(_, id)| *id).collect();
        let found = hits.iter().filter(|h| truth.contains(h.id.as_str())).count();
        total_recall += found as f64 / TOP_K as f64;
        assert!(hits.iter().all(|h| filter.matches(h.metadata.as_map())), "only matching rows");
    }
    total_recall / QUERIES as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_recall_on_pgvector_0_8() {
    for (filter, recall) in check_filtered_recall(TestServer::Current).await {
        println!("pgvector 0.8, filter {filter}: recall@10 {recall:.3}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_recall_on_pgvector_0_6() {
    for (filter, recall) in check_filtered_recall(TestServer::Compat).await {
        println!("pgvector 0.6, filter {filter}: recall@10 {recall:.3}");
    }
}
