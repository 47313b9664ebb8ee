//! A process ingesting batches is SIGKILLed mid-run: the store reopens, passes `PRAGMA integrity_check`,
//! holds every batch the child reported committed, and no batch partially.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::json;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::{Chunk, CollectionName, DocumentStore, Embedding, EmbeddingSpace, Filter, Metadata, SearchRequest};

/// Set in the child process: the data dir to ingest into.
const CHILD_DIR_VAR: &str = "BRAINSTORE_CRASH_TEST_CHILD_DIR";
const BATCH: usize = 400;

fn collection() -> CollectionName {
    CollectionName::new("crash").expect("valid name")
}

fn batch(number: usize) -> Vec<Chunk> {
    (0..BATCH)
        .map(|idx| {
            let metadata = Metadata::from_value(json!({"batch": number, "idx": idx})).expect("object");
            let mut values = vec![0.1f32; 8];
            values[idx % 8] = 1.0 + number as f32;
            Chunk::new(format!("b{number:05}-{idx:03}"), format!("batch {number} chunk {idx} ").repeat(20))
                .with_metadata(metadata)
                .with_embedding(Embedding::new(values).expect("finite"))
        })
        .collect()
}

/// The child: ingest batches forever, reporting each committed one on stdout, until killed.
async fn run_child(dir: &str) {
    let store = EmbeddedStore::open(EmbeddedConfig::new(dir)).expect("config");
    for number in 0..100_000 {
        store.upsert(&collection(), batch(number)).await.expect("upsert in the child");
        #[allow(clippy::print_stdout)] // the parent reads this line to learn what was committed
        {
            println!("committed {number}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_ingest_keeps_every_reported_batch_and_no_partial_batch() {
    if let Ok(dir) = std::env::var(CHILD_DIR_VAR) {
        run_child(&dir).await;
        return;
    }
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let store = EmbeddedStore::open(EmbeddedConfig::new(&dir)).expect("config");
    store.initialize().await.expect("initialize");
    store.create_collection(&collection(), Some(&EmbeddingSpace::new(8).expect("dims"))).await.expect("create");
    store.close().await.expect("close");

    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["sigkill_mid_ingest_keeps_every_reported_batch_and_no_partial_batch", "--exact", "--nocapture"])
        .env(CHILD_DIR_VAR, &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the child");
    let stdout = child.stdout.take().expect("child stdout");
    let (sender, receiver) = std::sync::mpsc::channel::<usize>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(number) = line.strip_prefix("committed ").and_then(|n| n.parse().ok()) {
                let _ = sender.send(number);
            }
        }
    });
    // Kill once a few batches are in, at an offset that lands inside a transaction more often than not.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut reported = Vec::new();
    while reported.len() < 6 && Instant::now() < deadline {
        if let Ok(number) = receiver.recv_timeout(Duration::from_secs(1)) {
            reported.push(number);
        }
    }
    std::thread::sleep(Duration::from_millis(7));
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");
    reader.join().expect("reader thread");
    reported.extend(receiver.try_iter());
    assert!(reported.len() >= 6, "the child committed only {reported:?} in two minutes");
    eprintln!("the child reported batches {reported:?} before SIGKILL");

    let db_path = dir.join(storage_chroma_shim::DB_FILE_NAME);
    let raw = Database::connect(format!("sqlite://{}?mode=rw", db_path.display())).await.expect("raw connection");
    let check = raw
        .query_one_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "PRAGMA integrity_check", vec![]))
        .await
        .expect("integrity_check runs")
        .expect("one row");
    assert_eq!(check.try_get_by_index::<String>(0).expect("text"), "ok");
    raw.close().await.expect("close raw connection");

    let reopened = EmbeddedStore::open(EmbeddedConfig::new(&dir)).expect("config");
    let last = reported.iter().max().copied().unwrap_or(0);
    let mut total = 0;
    for number in 0..=last + 2 {
        let filter = Filter::from_json(&json!({"batch": number})).expect("filter");
        let count = reopened.count(&collection(), Some(&filter)).await.expect("count");
        if reported.contains(&number) {
            assert_eq!(count, BATCH as u64, "reported batch {number} is complete");
        } else {
            assert!(count == 0 || count == BATCH as u64, "batch {number} is partial: {count} of {BATCH}");
        }
        total += count;
    }
    assert_eq!(reopened.count(&collection(), None).await.expect("count"), total, "no rows outside the batches");
    eprintln!("after reopening: {total} rows, {} whole batches", total / BATCH as u64);
    let hits = reopened
        .search(&collection(), &SearchRequest::keyword("chunk").top_k(5))
        .await
        .expect("keyword search after the crash");
    assert_eq!(hits.len(), 5);
    let vector = Embedding::new(vec![1.0; 8]).expect("finite");
    let hits = reopened.search(&collection(), &SearchRequest::vector(vector).top_k(5)).await.expect("vector search");
    assert_eq!(hits.len(), 5);
}
