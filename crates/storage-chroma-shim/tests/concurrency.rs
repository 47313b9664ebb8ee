//! Four writers and four readers, each with its own store handle (own connection pool) on one data dir,
//! for ten seconds: no error other than documented busy retries, and an exact final count.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{Database, SqliteTransactionMode, TransactionOptions, TransactionTrait};
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
    eprintln!(
        "{expected} rows written, {total_reads} read rounds, {} busy retries, {:.1} s",
        busy_retries.load(Ordering::Relaxed),
        (Instant::now() - deadline + RUN_FOR).as_secs_f64()
    );
    assert_eq!(final_count, expected, "busy retries: {}", busy_retries.load(Ordering::Relaxed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_locked_out_past_the_busy_timeout_fails_with_store_is_busy() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let setup = open(&dir);
    setup.initialize().await.expect("initialize");
    setup.create_collection(&collection(), Some(&EmbeddingSpace::new(8).expect("dims"))).await.expect("create");

    // Another process holds SQLite's write lock in an open transaction.
    let db_path = dir.join(storage_chroma_shim::DB_FILE_NAME);
    let other = Database::connect(format!("sqlite://{}", db_path.display())).await.expect("other connection");
    let immediate =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    let lock = other.begin_with_options(immediate).await.expect("take the write lock");

    let mut config = EmbeddedConfig::new(&dir);
    config.busy_timeout_ms = 200;
    let writer = EmbeddedStore::open(config).expect("config");
    let started = Instant::now();
    let err = writer
        .upsert(&collection(), vec![Chunk::new("blocked", "text")])
        .await
        .expect_err("the write lock is held elsewhere");
    assert!(matches!(err, StorageError::Busy { waited_ms: 200, .. }), "{err}");
    assert!(err.to_string().starts_with("store is busy"), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(150), "it waited for the busy timeout first");
    let count = writer.count(&collection(), None).await.expect("readers are not blocked by the writer");
    assert_eq!(count, 0);

    lock.rollback().await.expect("release the lock");
    writer.upsert(&collection(), vec![Chunk::new("after", "text")]).await.expect("the lock is free again");
    assert_eq!(writer.count(&collection(), None).await.expect("count"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handles_initializing_one_fresh_data_dir_at_once_all_succeed() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let handle = open(&dir);
            tokio::spawn(async move { handle.initialize().await })
        })
        .collect();
    for task in tasks {
        task.await.expect("initialize task").expect("every concurrent initialize succeeds");
    }
    let migrations = open(&dir).migrations().await.expect("migrations");
    assert!(migrations.iter().all(|m| m.applied), "{migrations:?}");
}
