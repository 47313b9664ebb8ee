//! The keyword benchmark: brainstore's keyword leg beside FTS5's plain `bm25()` query on the same FTS table
//! (in alternating rounds), filtered keyword and hybrid searches beside unfiltered ones, and MRR@10.

use std::path::Path;
use std::time::{Duration, Instant};

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sea_orm::sqlx::{ConnectOptions, Row};
use serde_json::{Value, json};
use storage_chroma_shim::EmbeddedStore;
use storage_core::testing::bench_data::{BenchQuery, mrr_at_10};
use storage_core::{CollectionName, DocumentStore, Filter, KeywordMatch, KeywordQuery, SearchRequest, TextLanguage};

use super::{BoxResult, percentile};

/// Passes over the queries are split into this many rounds, alternating between the two sides.
const ROUNDS: usize = 4;

/// A filter matching 92 % of the corpus (`year` runs from 2000 to 2024): the broad filter of issue 13's
/// slow case (`{"n": {"$gt": 100}}`).
fn broad_filter() -> Filter {
    Filter::from_json(&json!({"year": {"$gt": 2001}})).expect("a valid filter")
}

/// A filter matching 1 % of the corpus: the query's category.
fn narrow_filter(query: &BenchQuery) -> Filter {
    Filter::from_json(&json!({"category": query.category})).expect("a valid filter")
}

/// FTS5's own ranking, queried as a person would against the collection's FTS5 table.
struct Fts5Baseline {
    conn: SqliteConnection,
    sql: String,
}

impl Fts5Baseline {
    async fn open(db_path: &Path, collection: &CollectionName) -> BoxResult<Self> {
        let mut conn = SqliteConnectOptions::new().filename(db_path).read_only(true).connect().await?;
        // The page cache of the store's read connections.
        sea_orm::sqlx::query("PRAGMA cache_size = -8192").execute(&mut conn).await?;
        let id: i64 = sea_orm::sqlx::query_scalar("SELECT id FROM collections WHERE name = ?")
            .bind(collection.as_str())
            .fetch_one(&mut conn)
            .await?;
        let fts = format!("fts_{id}");
        let sql = format!(
            "SELECT c.id, c.text, c.metadata, bm25({fts}) AS rank FROM {fts} JOIN chunks c ON c.pk = {fts}.rowid \
             WHERE {fts} MATCH ? ORDER BY rank LIMIT 10"
        );
        Ok(Fts5Baseline { conn, sql })
    }

    /// The query's analyzed words, any of them (`"a" OR "b"`): the terms the FTS table holds.
    fn expression(text: &str) -> String {
        let query =
            KeywordQuery::parse_with(text, TextLanguage::English, KeywordMatch::Any).analyzed(TextLanguage::English);
        let groups: Vec<String> = query
            .matchable_groups()
            .map(|group| {
                let terms: Vec<String> = group.include.iter().map(|t| format!("\"{}\"", t.words().join(" "))).collect();
                format!("({})", terms.join(" AND "))
            })
            .collect();
        groups.join(" OR ")
    }

    /// The metadata of the top 10, best first.
    async fn search(&mut self, text: &str) -> BoxResult<Vec<Value>> {
        let rows = sea_orm::sqlx::query(sea_orm::sqlx::AssertSqlSafe(self.sql.clone()))
            .bind(Self::expression(text))
            .fetch_all(&mut self.conn)
            .await?;
        rows.iter()
            .map(|row| {
                let _id: String = row.try_get(0)?;
                let _text: String = row.try_get(1)?;
                let metadata: String = row.try_get(2)?;
                Ok(serde_json::from_str(&metadata)?)
            })
            .collect()
    }
}

fn latency(samples: &mut [Duration]) -> Value {
    json!({"p50_ms": percentile(samples, 0.5), "p95_ms": percentile(samples, 0.95)})
}

/// Runs `requests` through the store: latency, and MRR@10 with the query's cluster as relevant.
async fn measure(
    store: &EmbeddedStore,
    collection: &CollectionName,
    queries: &[BenchQuery],
    request: impl Fn(&BenchQuery) -> SearchRequest,
) -> BoxResult<Value> {
    let mut samples = Vec::with_capacity(queries.len());
    let mut first_relevant = Vec::with_capacity(queries.len());
    for query in queries {
        let request = request(query);
        let started = Instant::now();
        let hits = store.search(collection, &request).await?;
        samples.push(started.elapsed());
        first_relevant.push(hits.iter().position(|hit| query.is_relevant(&hit.metadata)).map(|p| p + 1));
    }
    let mut figures = latency(&mut samples);
    figures["mrr_at_10"] = json!(mrr_at_10(first_relevant));
    Ok(figures)
}

/// Every keyword figure, as one JSON object.
pub(crate) async fn run(
    store: &EmbeddedStore,
    collection: &CollectionName,
    db_path: &Path,
    queries: &[BenchQuery],
) -> BoxResult<Value> {
    let mut baseline = Fts5Baseline::open(db_path, collection).await?;
    for query in queries.iter().take(20) {
        baseline.search(&query.text).await?;
        store.search(collection, &SearchRequest::keyword(query.text.clone())).await?;
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_ranks, mut their_ranks) = (Vec::new(), Vec::new());
    let per_round = queries.len().div_ceil(ROUNDS);
    for round in queries.chunks(per_round) {
        for query in round {
            let started = Instant::now();
            let hits = baseline.search(&query.text).await?;
            theirs.push(started.elapsed());
            their_ranks.push(hits.iter().position(|m| is_relevant_json(query, m)).map(|p| p + 1));
        }
        for query in round {
            let started = Instant::now();
            let hits = store.search(collection, &SearchRequest::keyword(query.text.clone())).await?;
            ours.push(started.elapsed());
            our_ranks.push(hits.iter().position(|hit| query.is_relevant(&hit.metadata)).map(|p| p + 1));
        }
    }
    let mut keyword = latency(&mut ours);
    keyword["mrr_at_10"] = json!(mrr_at_10(our_ranks));
    let mut fts5 = latency(&mut theirs);
    fts5["mrr_at_10"] = json!(mrr_at_10(their_ranks));

    let keyword_broad =
        measure(store, collection, queries, |q| SearchRequest::keyword(q.text.clone()).filter(broad_filter())).await?;
    let keyword_narrow =
        measure(store, collection, queries, |q| SearchRequest::keyword(q.text.clone()).filter(narrow_filter(q)))
            .await?;
    let hybrid = |q: &BenchQuery| SearchRequest::hybrid(q.text.clone(), q.embedding.clone());
    let hybrid_plain = measure(store, collection, queries, hybrid).await?;
    let hybrid_broad = measure(store, collection, queries, |q| hybrid(q).filter(broad_filter())).await?;
    let hybrid_narrow = measure(store, collection, queries, |q| hybrid(q).filter(narrow_filter(q))).await?;
    Ok(json!({
        "keyword": keyword,
        "fts5_bm25": fts5,
        "keyword_broad_filter": keyword_broad,
        "keyword_narrow_filter": keyword_narrow,
        "hybrid": hybrid_plain,
        "hybrid_broad_filter": hybrid_broad,
        "hybrid_narrow_filter": hybrid_narrow,
    }))
}

fn is_relevant_json(query: &BenchQuery, metadata: &Value) -> bool {
    metadata.get("cluster").and_then(Value::as_u64) == Some(query.cluster as u64)
}

/// The keyword table: brainstore beside FTS5's `bm25()`, and filtered beside unfiltered.
pub(crate) fn print_table(figures: &Value) {
    let get =
        |path: &str| -> Option<f64> { path.split('.').try_fold(figures, |v, key| v.get(key)).and_then(Value::as_f64) };
    let show = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.3}"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "-".to_owned(),
    };
    println!(
        "\n{:<40} {:>12} {:>14} {:>8} {:>9}",
        "keyword (same FTS5 table)", "brainstore", "FTS5 bm25()", "ratio", "target"
    );
    for (label, stat) in [("keyword p50 ms", "p50_ms"), ("keyword p95 ms", "p95_ms")] {
        let (a, b) = (get(&format!("keyword.{stat}")), get(&format!("fts5_bm25.{stat}")));
        println!("{label:<40} {:>12} {:>14} {:>8} {:>9}", show(a), show(b), ratio(a, b), "<= 1.3x");
    }
    let (a, b) = (get("keyword.mrr_at_10"), get("fts5_bm25.mrr_at_10"));
    println!("{:<40} {:>12} {:>14}", "keyword MRR@10 (own cluster)", show(a), show(b));
    println!(
        "\n{:<40} {:>12} {:>14} {:>8} {:>9}",
        "filtered beside unfiltered", "filtered", "unfiltered", "ratio", "target"
    );
    for (label, filtered, plain) in [
        ("keyword p50 ms, 92% filter", "keyword_broad_filter", "keyword"),
        ("keyword p50 ms, 1% filter", "keyword_narrow_filter", "keyword"),
        ("hybrid p50 ms, 92% filter", "hybrid_broad_filter", "hybrid"),
        ("hybrid p50 ms, 1% filter", "hybrid_narrow_filter", "hybrid"),
    ] {
        let (a, b) = (get(&format!("{filtered}.p50_ms")), get(&format!("{plain}.p50_ms")));
        println!("{label:<40} {:>12} {:>14} {:>8} {:>9}", show(a), show(b), ratio(a, b), "<= 3x");
    }
    println!("{:<40} {:>12}", "hybrid MRR@10 (own cluster)", show(get("hybrid.mrr_at_10")));
    println!(
        "(keyword rounds alternate between the two sides on the same queries; FTS5's query is the plain \
         `bm25()` ORDER BY over the collection's FTS5 table joined to its chunks)"
    );
}
