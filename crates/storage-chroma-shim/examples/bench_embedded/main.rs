//! The embedded backend's benchmark: ingest, vector / keyword / hybrid / filtered latency and recall@10
//! on storage-core's shared corpus, and the keyword benchmark (`keyword.rs`: the keyword leg beside FTS5's
//! own `bm25()`, filtered keyword and hybrid beside unfiltered, MRR@10). Also writes the corpus, queries
//! and exact answers for the chromadb baseline that `cargo xtask bench embedded` runs on the same rows.
//!
//! `cargo run --release -p storage-chroma-shim --example bench_embedded -- --out .cache/bench [--rows N]
//! [--dims D] [--queries Q] [--batch B]`; prints one JSON object on stdout, progress on stderr.
// A benchmark binary reports on its terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod keyword;

use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::testing::bench_data::{BenchCorpus, BenchQuery};
use storage_core::{Chunk, CollectionName, DocumentStore, EmbeddingSpace, Filter, Metric, SearchHit, SearchRequest};

pub(crate) type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    out: PathBuf,
    rows: usize,
    dims: u32,
    queries: usize,
    batch: usize,
    prepare_only: bool,
    baseline: Option<PathBuf>,
    min_candidates: Option<usize>,
    threads: Option<usize>,
    reuse: bool,
}

fn parse_args() -> BoxResult<Args> {
    let mut args = Args {
        out: PathBuf::from(".cache/bench"),
        rows: 100_000,
        dims: 384,
        queries: 200,
        batch: 5_000,
        prepare_only: false,
        baseline: None,
        min_candidates: None,
        threads: None,
        reuse: false,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        if flag == "--prepare" {
            args.prepare_only = true;
            continue;
        }
        if flag == "--reuse" {
            args.reuse = true;
            continue;
        }
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(value),
            "--rows" => args.rows = value.parse()?,
            "--dims" => args.dims = value.parse()?,
            "--queries" => args.queries = value.parse()?,
            "--batch" => args.batch = value.parse()?,
            "--baseline" => args.baseline = Some(PathBuf::from(value)),
            "--min-candidates" => args.min_candidates = Some(value.parse()?),
            "--threads" => args.threads = Some(value.parse()?),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(args)
}

fn write_f32(path: &Path, vectors: impl Iterator<Item = Vec<f32>>) -> BoxResult<()> {
    let mut file = BufWriter::new(std::fs::File::create(path)?);
    for vector in vectors {
        for value in vector {
            file.write_all(&value.to_le_bytes())?;
        }
    }
    file.flush()?;
    Ok(())
}

/// Exact top-10 ids of every query (cosine, ties by id), optionally restricted to the query's category.
fn exact_answers(corpus: &[Chunk], queries: &[BenchQuery], filtered: bool) -> Vec<Vec<String>> {
    let answer = |query: &BenchQuery| -> Vec<String> {
        let mut scored: Vec<(f64, &str)> = corpus
            .iter()
            .filter(|c| {
                !filtered || c.metadata.get("category").and_then(|v| v.as_str()) == Some(query.category.as_str())
            })
            .map(|c| {
                let vector = c.embedding.as_ref().map(|e| e.as_slice()).unwrap_or_default();
                (Metric::Cosine.distance(query.embedding.as_slice(), vector), c.id.as_str())
            })
            .collect();
        scored.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        // Not `into_iter()`: collecting from it reuses the scratch buffer in place (the element sizes
        // match), so each 10-id answer would keep a whole corpus-sized allocation alive (480 MB at 100k).
        scored.iter().take(10).map(|(_, id)| (*id).to_owned()).collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let part = queries.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            queries.chunks(part).map(|qs| scope.spawn(move || qs.iter().map(answer).collect::<Vec<_>>())).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

fn write_inputs(
    args: &Args,
    corpus: &[Chunk],
    queries: &[BenchQuery],
    truth: &[Vec<String>],
    filtered_truth: &[Vec<String>],
) -> BoxResult<()> {
    std::fs::create_dir_all(&args.out)?;
    let mut lines = BufWriter::new(std::fs::File::create(args.out.join("corpus.jsonl"))?);
    for chunk in corpus {
        serde_json::to_writer(&mut lines, &json!({"id": chunk.id, "text": chunk.text, "metadata": chunk.metadata}))?;
        lines.write_all(b"\n")?;
    }
    lines.flush()?;
    write_f32(
        &args.out.join("corpus.f32"),
        corpus.iter().map(|c| c.embedding.clone().map(|e| e.into_vec()).unwrap_or_default()),
    )?;
    let mut lines = BufWriter::new(std::fs::File::create(args.out.join("queries.jsonl"))?);
    for ((query, answer), filtered_answer) in queries.iter().zip(truth).zip(filtered_truth) {
        let word = query.text.split(' ').next().unwrap_or_default();
        serde_json::to_writer(
            &mut lines,
            &json!({"text": query.text, "word": word, "category": query.category, "exact": answer, "exact_filtered": filtered_answer}),
        )?;
        lines.write_all(b"\n")?;
    }
    lines.flush()?;
    write_f32(&args.out.join("queries.f32"), queries.iter().map(|q| q.embedding.clone().into_vec()))?;
    std::fs::write(
        args.out.join("params.json"),
        json!({"rows": args.rows, "dims": args.dims, "queries": args.queries}).to_string(),
    )?;
    Ok(())
}

pub(crate) fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let idx = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(idx).map_or(0.0, |d| d.as_secs_f64() * 1_000.0)
}

fn recall(hits: &[SearchHit], exact: &[String]) -> f64 {
    let got: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    #[allow(clippy::cast_precision_loss)]
    let found = exact.iter().filter(|id| got.contains(id.as_str())).count() as f64;
    #[allow(clippy::cast_precision_loss)]
    let total = exact.len().max(1) as f64;
    found / total
}

async fn timed(
    store: &EmbeddedStore,
    collection: &CollectionName,
    requests: Vec<SearchRequest>,
    truth: Option<&[Vec<String>]>,
) -> BoxResult<serde_json::Value> {
    let mut samples = Vec::with_capacity(requests.len());
    let mut recall_sum = 0.0;
    let n = requests.len();
    for (idx, request) in requests.into_iter().enumerate() {
        let start = Instant::now();
        let hits = store.search(collection, &request).await?;
        samples.push(start.elapsed());
        if let Some(truth) = truth {
            recall_sum += recall(&hits, &truth[idx]);
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let mean_recall = truth.map(|_| recall_sum / n.max(1) as f64);
    Ok(
        json!({"p50_ms": percentile(&mut samples, 0.5), "p95_ms": percentile(&mut samples, 0.95), "recall_at_10": mean_recall}),
    )
}

fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn peak_rss_mb() -> Option<f64> {
    status_mb("VmHWM:")
}

/// Progress on stderr: where the memory goes, stage by stage (current and peak resident set).
fn report_memory(stage: &str) {
    let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"));
    eprintln!("memory after {stage}: rss {} MB, peak {} MB", show(status_mb("VmRSS:")), show(status_mb("VmHWM:")));
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BoxResult<()> {
    let args = parse_args()?;
    let bench = BenchCorpus::new(args.rows, args.dims, 42);
    eprintln!("corpus: {} rows × {} dims", args.rows, args.dims);
    let corpus: Vec<Chunk> = bench.chunks().collect();
    let queries: Vec<BenchQuery> = (0..args.queries).map(|i| bench.query(i)).collect();
    report_memory("corpus");
    let started = Instant::now();
    let truth = exact_answers(&corpus, &queries, false);
    let filtered_truth = exact_answers(&corpus, &queries, true);
    eprintln!("exact answers: {:.1} s", started.elapsed().as_secs_f64());
    report_memory("corpus and exact answers");
    if args.prepare_only {
        write_inputs(&args, &corpus, &queries, &truth, &filtered_truth)?;
        eprintln!("wrote the corpus, queries and exact answers to {}", args.out.display());
        return Ok(());
    }

    let data_dir = args.out.join("brainstore-data");
    // --reuse measures searches on the store a previous run ingested (for tuning); ingest is then not timed.
    let reuse = args.reuse && data_dir.exists();
    if data_dir.exists() && !reuse {
        std::fs::remove_dir_all(&data_dir)?;
    }
    let mut config = EmbeddedConfig::new(&data_dir);
    if let Some(min_candidates) = args.min_candidates {
        config.min_candidates = min_candidates;
    }
    if let Some(threads) = args.threads {
        config.search_threads = threads;
    }
    let store = EmbeddedStore::open(config)?;
    store.initialize().await?;
    let collection = CollectionName::new("bench")?;
    store.create_collection(&collection, Some(&EmbeddingSpace::new(args.dims)?)).await?;
    let started = Instant::now();
    if !reuse {
        for batch in corpus.chunks(args.batch) {
            store.upsert(&collection, batch.to_vec()).await?;
        }
    }
    let ingest_seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rows_per_sec = (!reuse).then(|| args.rows as f64 / ingest_seconds);
    if let Some(rows_per_sec) = rows_per_sec {
        eprintln!("ingest: {rows_per_sec:.0} rows/s (batch {})", args.batch);
    }
    report_memory("ingest");

    // The first vector search loads the in-memory index from SQLite; a new process pays this once.
    let started = Instant::now();
    store.search(&collection, &SearchRequest::vector(queries[0].embedding.clone())).await?;
    let index_load_ms = started.elapsed().as_secs_f64() * 1_000.0;
    report_memory("index load");

    let vector = timed(
        &store,
        &collection,
        queries.iter().map(|q| SearchRequest::vector(q.embedding.clone())).collect(),
        Some(&truth),
    )
    .await?;
    report_memory("vector searches");
    let keyword =
        timed(&store, &collection, queries.iter().map(|q| SearchRequest::keyword(q.text.clone())).collect(), None)
            .await?;
    report_memory("keyword searches");
    let hybrid = timed(
        &store,
        &collection,
        queries.iter().map(|q| SearchRequest::hybrid(q.text.clone(), q.embedding.clone())).collect(),
        None,
    )
    .await?;
    report_memory("hybrid searches");
    let mut filtered_requests = Vec::with_capacity(queries.len());
    for query in &queries {
        let filter = Filter::from_json(&json!({"category": query.category}))?;
        filtered_requests.push(SearchRequest::vector(query.embedding.clone()).filter(filter));
    }
    let filtered = timed(&store, &collection, filtered_requests, Some(&filtered_truth)).await?;
    report_memory("filtered searches");
    let keyword_figures = keyword::run(&store, &collection, &store.config().db_path(), &queries).await?;
    report_memory("keyword benchmark");
    let health = store.health().await?;
    store.close().await?;
    let result = json!({
        "backend": "brainstore-embedded",
        "rows": args.rows,
        "dims": args.dims,
        "queries": args.queries,
        "batch": args.batch,
        "ingest_rows_per_sec": rows_per_sec,
        "index_load_ms": index_load_ms,
        "vector": vector,
        "keyword": keyword,
        "hybrid": hybrid,
        "filtered_vector": filtered,
        "keyword_bench": keyword_figures,
        "peak_rss_mb": peak_rss_mb(),
        "db_bytes": health.details.get("db_bytes"),
    });
    std::fs::create_dir_all(&args.out)?;
    std::fs::write(args.out.join("brainstore.json"), result.to_string())?;
    let baseline = match &args.baseline {
        Some(path) => Some(serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(path)?)?),
        None => None,
    };
    print_table(&result, baseline.as_ref());
    keyword::print_table(&result["keyword_bench"]);
    Ok(())
}

/// The side-by-side table: brainstore, chromadb and their ratio (how many times better brainstore is).
fn print_table(ours: &serde_json::Value, theirs: Option<&serde_json::Value>) {
    let get = |value: Option<&serde_json::Value>, path: &str| -> Option<f64> {
        path.split('.').try_fold(value?, |v, key| v.get(key)).and_then(serde_json::Value::as_f64)
    };
    let chroma_name = theirs.and_then(|t| t.get("backend")).and_then(|b| b.as_str()).unwrap_or("chromadb");
    println!("{:<34} {:>14} {:>18} {:>10}", "metric", "brainstore", chroma_name, "ratio");
    let rows: [(&str, &str, bool); 14] = [
        ("ingest rows/s", "ingest_rows_per_sec", true),
        ("vector p50 ms", "vector.p50_ms", false),
        ("vector p95 ms", "vector.p95_ms", false),
        ("vector recall@10", "vector.recall_at_10", true),
        ("keyword p50 ms (chroma $contains)", "keyword.p50_ms", false),
        ("keyword p95 ms (chroma $contains)", "keyword.p95_ms", false),
        ("filtered vector p50 ms", "filtered_vector.p50_ms", false),
        ("filtered vector p95 ms", "filtered_vector.p95_ms", false),
        ("filtered vector recall@10", "filtered_vector.recall_at_10", true),
        ("hybrid p50 ms", "hybrid.p50_ms", false),
        ("hybrid p95 ms", "hybrid.p95_ms", false),
        ("first-search index load ms", "index_load_ms", false),
        ("peak RSS MB", "peak_rss_mb", false),
        ("batch size", "batch", true),
    ];
    let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
    for (label, path, higher_is_better) in rows {
        let (a, b) = (get(Some(ours), path), get(theirs, path));
        let ratio = match (a, b) {
            (Some(a), Some(b)) if a > 0.0 && b > 0.0 && label != "batch size" => {
                format!("{:.2}x", if higher_is_better { a / b } else { b / a })
            }
            _ => "-".to_owned(),
        };
        println!("{label:<34} {:>14} {:>18} {ratio:>10}", show(a), show(b));
    }
    println!("ratio: how many times better brainstore is (higher rows/s or recall, lower latency or memory)");
}
