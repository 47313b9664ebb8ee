//! Four writers and four readers, each with its own store handle (own connection pool) on one data dir,
//! for ten seconds: no error other than documented busy retries, and an exact final count.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{
    Chunk, CollectionName, DocumentStore, Embedding, EmbeddingSpace, Filter, Metadata, SearchRequest, StorageError,
};

const WRITERS: u64 = 4;
const READERS: u64 = 4;
const RUN_FOR: Duration = Duration::from_secs(10);
const BATCH: u64 = 50;

fn collection() -> CollectionName {
    CollectionName::new("shared").expect("valid name")
}

fn vector(seed: u64) -> Embedding {
    let values = (0..8).map(|d| ((seed * 31 + d * 7) % 17) as f32 / 17.0 + 0.01).collect();
    Embedding::new(values).expect("finite")
}

fn open(dir: &std::path::Path) -> EmbeddedStore {
    EmbeddedStore::open(EmbeddedConfig::new(dir)).expect("config")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_writers_and_four_readers_agree_on_the_final_count() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let setup = open(&dir);
    setup.initialize().await.expect("initialize");
    setup.create_collection(&collection(), Some(&EmbeddingSpace::new(8).expect("dims"))).await.expect("create");

    let busy_retries = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + RUN_FOR;
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let store = open(&dir);
        let busy_retries = Arc::clone(&busy_retries);
        writers.push(tokio::spawn(async move {
            let mut written = 0u64;
            let mut batch_number = 0u64;
            while Instant::now() < deadline {
                let chunks: Vec<Chunk> = (0..BATCH)
                    .map(|idx| {
                        let seed = writer * 1_000_000 + batch_number * BATCH + idx;
                        Chunk::new(
                            format!("w{writer}-b{batch_number:05}-{idx:02}"),
                            format!("writer{writer} shared words"),
                        )
                        .with_metadata(Metadata::from_value(json!({"writer": writer})).expect("object"))
                        .with_embedding(vector(seed))
                    })
                    .collect();
                match store.upsert(&collection(), chunks).await {
                    Ok(summary) => {
                        assert_eq!(summary.inserted, BATCH, "every id is new");
                        written += BATCH;
                        batch_number += 1;
                    }
                    // The documented behaviour of a second writer: wait the busy timeout, then retry.
                    Err(StorageError::Busy { .. }) => {
                        busy_retries.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(other) => panic!("writer {writer}: {other}"),
                }
            }
            written
        }));
    }
    let mut readers = Vec::new();
    for reader in 0..READERS {
        let store = open(&dir);
        readers.push(tokio::spawn(async move {
            let mut last_count = 0u64;
            let mut reads = 0u64;
            while Instant::now() < deadline {
                let count = store.count(&collection(), None).await.unwrap_or_else(|e| panic!("reader {reader}: {e}"));
                assert!(count >= last_count, "reader {reader}: the count went back from {last_count} to {count}");
                last_count = count;
                let hits = store
                    .search(&collection(), &SearchRequest::vector(vector(reader)).top_k(5))
                    .await
                    .unwrap_or_else(|e| panic!("reader {reader} vector: {e}"));
                assert!(hits.len() <= 5);
                let filter = Filter::from_json(&json!({"writer": reader % WRITERS})).expect("filter");
                let hits = store
                    .search(&collection(), &SearchRequest::keyword("shared").top_k(10).filter(filter))
                    .await
                    .unwrap_or_else(|e| panic!("reader {reader} keyword: {e}"));
                assert!(hits.iter().all(|h| h.metadata.get("writer") == Some(&json!(reader % WRITERS))));
                reads += 1;
            }
            reads
        }));
    }
    let mut expected = 0;
    for writer in writers {
        expected += writer.await.expect("writer task");
    }
    let mut total_reads = 0;
    for reader in readers {
        total_reads += reader.await.expect("reader task");
    }
    assert!(expected > 0 && total_reads > 0, "the run did work: {expected} rows written, {total_reads} reads");
    let final_count = open(&dir).count(&collection(), None).await.expect("final count");
    assert_eq!(final_count, expected, "busy retries: {}", busy_retries.load(Ordering::Relaxed));
}
