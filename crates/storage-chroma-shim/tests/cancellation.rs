//! A cancelled upsert future writes its whole batch or nothing: the batch is one transaction, and
//! dropping it mid-way rolls back. A dropped search or memory recall stops its SQLite statement, so its
//! read connection serves the next read at once (issue 13).

use std::time::{Duration, Instant};

use serde_json::json;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::memory::{MemoryStore, NewMemory, RecallRequest, RememberOptions, Scope};
use storage_core::{Chunk, CollectionName, DocumentStore, Embedding, EmbeddingSpace, Filter, Metadata, SearchRequest};

const BATCH: usize = 5_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_upsert_writes_its_whole_batch_or_nothing() {
    let temp = tempfile::tempdir().expect("temp dir");
    let store = EmbeddedStore::open(EmbeddedConfig::new(temp.path().join("data"))).expect("config");
    store.initialize().await.expect("initialize");
    let collection = CollectionName::new("cancel").expect("name");
    store.create_collection(&collection, Some(&EmbeddingSpace::new(8).expect("dims"))).await.expect("create");
    let mut cancelled = 0;
    let mut completed = 0;
    for delay_ms in [0u64, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 5_000] {
        let batch: Vec<Chunk> = (0..BATCH)
            .map(|idx| {
                let mut values = vec![0.5f32; 8];
                values[idx % 8] = 1.0;
                Chunk::new(
                    format!("d{delay_ms}-{idx:05}"),
                    format!("chunk {idx} of the batch cancelled after {delay_ms} ms"),
                )
                .with_metadata(Metadata::from_value(json!({"delay": delay_ms})).expect("object"))
                .with_embedding(Embedding::new(values).expect("finite"))
            })
            .collect();
        let outcome = tokio::time::timeout(Duration::from_millis(delay_ms), store.upsert(&collection, batch)).await;
        let filter = Filter::from_json(&json!({"delay": delay_ms})).expect("filter");
        let count = store.count(&collection, Some(&filter)).await.expect("count after the attempt");
        match outcome {
            Ok(result) => {
                result.expect("an upsert that ran to the end succeeds");
                assert_eq!(count, BATCH as u64, "a finished upsert wrote its batch");
                completed += 1;
            }
            Err(_) => {
                assert!(count == 0 || count == BATCH as u64, "cancelled after {delay_ms} ms: {count} of {BATCH} rows");
                cancelled += 1;
            }
        }
    }
    assert!(
        cancelled > 0 && completed > 0,
        "the delays cover both outcomes: {cancelled} cancelled, {completed} completed"
    );
    let total = store.count(&collection, None).await.expect("count");
    assert_eq!(total % BATCH as u64, 0, "only whole batches: {total}");
}

/// Words every chunk holds; a query of all of them makes FTS5 rank every chunk by every word.
const WORDS: usize = 48;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_search_stops_its_statement_and_frees_the_read_connection() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut config = EmbeddedConfig::new(temp.path().join("data"));
    // One read connection: the next read needs exactly the one the dropped search held.
    config.max_connections = 1;
    let store = EmbeddedStore::open(config).expect("config");
    store.initialize().await.expect("initialize");
    let collection = CollectionName::new("slow").expect("name");
    store.create_collection(&collection, None).await.expect("create");
    let words: Vec<String> = (0..WORDS).map(|idx| format!("word{idx}")).collect();
    let text = words.join(" ");
    for batch in 0..30 {
        let chunks: Vec<Chunk> =
            (0..1_000).map(|idx| Chunk::new(format!("c{batch:02}-{idx:04}"), format!("{text} {idx}"))).collect();
        store.upsert(&collection, chunks).await.expect("upsert");
    }
    let slow = SearchRequest::keyword(text.clone());
    let started = Instant::now();
    let hits = store.search(&collection, &slow).await.expect("a search left to finish");
    let full = started.elapsed();
    assert!(!hits.is_empty(), "every chunk matches");

    // Dropped a tenth of the way through, as a request timeout drops it.
    let dropped_after = full / 10;
    let outcome = tokio::time::timeout(dropped_after, store.search(&collection, &slow)).await;
    assert!(outcome.is_err(), "the search runs {full:?}, longer than the {dropped_after:?} it was given");
    let next = Instant::now();
    let count = store.count(&collection, None).await.expect("the next read");
    let waited = next.elapsed();
    assert_eq!(count, 30_000);
    // Without the interrupt, the next read waits for the dropped statement's remaining nine tenths.
    assert!(waited < full / 2, "the next read waited {waited:?}; the dropped search alone runs {full:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_recall_stops_its_statement_and_frees_the_read_connection() {
    let temp = tempfile::tempdir().expect("temp dir");
    let mut config = EmbeddedConfig::new(temp.path().join("data"));
    // One read connection: the next read needs exactly the one the dropped recall held.
    config.max_connections = 1;
    let store = EmbeddedStore::open(config).expect("config");
    store.initialize().await.expect("initialize");
    let words: Vec<String> = (0..WORDS).map(|idx| format!("word{idx}")).collect();
    let text = words.join(" ");
    // Few memories with long texts: ranking counts every occurrence of every query word, so the recall's
    // keyword statement is slow while remembering stays quick.
    let content = vec![text.as_str(); 60].join(" ");
    let scope = Scope::tenant("slow");
    let options = RememberOptions { dedup_threshold: None, ..RememberOptions::default() };
    for idx in 0..1_500 {
        let memory = NewMemory::new(scope.clone(), format!("{content} {idx}"));
        store.remember(memory, &options).await.expect("remember");
    }
    let mut slow = RecallRequest::new(scope.clone());
    slow.text = Some(text.clone());
    let started = Instant::now();
    let hits = store.recall(&slow).await.expect("a recall left to finish");
    let full = started.elapsed();
    assert!(!hits.is_empty(), "every memory matches");

    // Dropped a tenth of the way through, as a request timeout drops it.
    let dropped_after = full / 10;
    let outcome = tokio::time::timeout(dropped_after, store.recall(&slow)).await;
    assert!(outcome.is_err(), "the recall runs {full:?}, longer than the {dropped_after:?} it was given");
    let next = Instant::now();
    let space = store.memory_embedding_space().await.expect("the next read");
    let waited = next.elapsed();
    assert_eq!(space, None);
    // Without the interrupt, the next read waits for the dropped statement's remaining nine tenths.
    assert!(waited < full / 2, "the next read waited {waited:?}; the dropped recall alone runs {full:?}");
}
