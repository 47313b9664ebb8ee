//! Load client for `cargo xtask bench serve`: N concurrent clients mix queries and upserts against a running `brainstore serve` for a fixed time, then print latency percentiles, statuses and the pool before and after.
//!
//! `cargo run --release -p server --example serve_load -- --url http://127.0.0.1:PORT --token T [--clients 200]
//! [--seconds 30] [--rows 2000] [--dims 64]`. Exits 1 on any 5xx, transport error or inconsistent pool.
#![forbid(unsafe_code)]
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The command line, parsed by hand: this example has no clap.
struct Options {
    url: String,
    token: Option<String>,
    clients: usize,
    seconds: u64,
    rows: usize,
    dims: usize,
}

fn options() -> Result<Options, String> {
    let mut options = Options { url: String::new(), token: None, clients: 200, seconds: 30, rows: 2000, dims: 64 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--url" => options.url = value.trim_end_matches('/').to_owned(),
            "--token" => options.token = Some(value.clone()),
            "--clients" => options.clients = number()?.clamp(1, 1000),
            "--seconds" => options.seconds = u64::try_from(number()?.clamp(1, 600)).unwrap_or(30),
            "--rows" => options.rows = number()?.max(10),
            "--dims" => options.dims = number()?.clamp(2, 4096),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.url.is_empty() {
        return Err("--url is required".to_owned());
    }
    Ok(options)
}

/// A deterministic pseudo-random vector for row `seed` (core's fixture generator), so runs are comparable.
fn vector(seed: u64, dims: usize) -> Vec<f32> {
    let dims = u32::try_from(dims).unwrap_or(64);
    storage_core::testing::fixtures::pseudo_random(seed, dims).into_vec()
}

const WORDS: &[&str] = &["rust", "tokio", "vector", "index", "memory", "agent", "query", "store", "fox", "lease"];

fn chunk(idx: usize, dims: usize) -> Value {
    let text = format!("{} {} {} chunk {idx}", WORDS[idx % 10], WORDS[(idx / 10) % 10], WORDS[(idx * 7) % 10]);
    json!({"id": format!("c{idx}"), "text": text, "metadata": {"group": idx % 8, "kind": WORDS[idx % 3]},
           "embedding": vector(idx as u64, dims)})
}

struct Client {
    http: reqwest::Client,
    options: Options,
}

impl Client {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
        let mut request = self.http.request(method, format!("{}{path}", self.options.url));
        if let Some(token) = &self.options.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    queries: u64,
    upserts: u64,
    statuses: std::collections::BTreeMap<u16, u64>,
    transport_errors: u64,
    empty_queries: u64,
}

async fn run_client(client: Arc<Client>, id: usize, stop: Arc<AtomicBool>) -> Tally {
    let mut tally = Tally::default();
    let dims = client.options.dims;
    let mut step = id * 7919;
    while !stop.load(Ordering::Relaxed) {
        step += 1;
        // One request in five writes; the queries rotate through the three modes, half of them filtered.
        let (path, body, is_query) = if step.is_multiple_of(5) {
            let base = client.options.rows + (step % 500) * 4;
            let chunks: Vec<Value> = (base..base + 4).map(|idx| chunk(idx, dims)).collect();
            ("/collections/bench/documents", Value::Array(chunks), false)
        } else {
            let mut query = match step % 3 {
                0 => json!({"mode": "vector", "embedding": vector(step as u64 + 1_000_000, dims), "top_k": 10}),
                1 => json!({"mode": "keyword", "text": WORDS[step % 10], "top_k": 10}),
                _ => {
                    json!({"mode": "hybrid", "text": WORDS[step % 10], "embedding": vector(step as u64, dims), "top_k": 10})
                }
            };
            if step.is_multiple_of(2) {
                query["where"] = json!({"group": {"$lt": 6}});
            }
            ("/collections/bench/query", query, true)
        };
        let started = Instant::now();
        let outcome = client.send(reqwest::Method::POST, path, Some(&body)).await;
        tally.latencies_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        match outcome {
            Ok((status, reply)) => {
                *tally.statuses.entry(status).or_default() += 1;
                if is_query {
                    tally.queries += 1;
                    if status == 200 && reply["results"].as_array().is_none_or(Vec::is_empty) {
                        tally.empty_queries += 1;
                    }
                } else {
                    tally.upserts += 1;
                }
            }
            Err(_) => tally.transport_errors += 1,
        }
    }
    tally
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

/// Checks the seed's pool invariants; returns the problems.
fn pool_problems(pool: &Value, idle: bool) -> Vec<String> {
    let get = |key: &str| pool[key].as_u64().unwrap_or(u64::MAX);
    let mut problems = Vec::new();
    if get("total") != get("pool_size").saturating_add(get("overflow")) {
        problems.push(format!("total != pool_size + overflow: {pool}"));
    }
    if get("checked_in").saturating_add(get("checked_out")) > get("total").max(get("pool_size")) {
        problems.push(format!("checked_in + checked_out exceeds the pool: {pool}"));
    }
    if get("total") > get("max_connections") {
        problems.push(format!("total exceeds max_connections: {pool}"));
    }
    if idle && get("checked_out") != 0 {
        problems.push(format!("connections still checked out after the load: {pool}"));
    }
    problems
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(error) => {
            eprintln!("serve_load: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, String> {
    let options = options()?;
    // A build that includes `crates/embed` gives reqwest `rustls-no-provider`: install ring's provider first.
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder().pool_max_idle_per_host(options.clients).build().map_err(|e| e.to_string())?;
    let client = Arc::new(Client { http, options });
    let (dims, rows, clients, seconds) =
        (client.options.dims, client.options.rows, client.options.clients, client.options.seconds);

    // A fresh collection, so runs compare.
    client.send(reqwest::Method::DELETE, "/collections/bench", None).await?;
    let create = json!({"name": "bench", "embedding": {"dimensions": dims}});
    let (status, body) = client.send(reqwest::Method::POST, "/collections", Some(&create)).await?;
    if status >= 300 {
        return Err(format!("creating the collection: {status} {body}"));
    }
    for start in (0..rows).step_by(500) {
        let batch: Vec<Value> = (start..(start + 500).min(rows)).map(|idx| chunk(idx, dims)).collect();
        let (status, body) =
            client.send(reqwest::Method::POST, "/collections/bench/documents", Some(&Value::Array(batch))).await?;
        if status != 200 {
            return Err(format!("seeding: {status} {body}"));
        }
    }
    let (_, before) = client.send(reqwest::Method::GET, "/health/postgres", None).await?;
    println!("seeded {rows} chunks of {dims} dimensions; pool before: {}", before["pool"]);

    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> =
        (0..clients).map(|id| tokio::spawn(run_client(Arc::clone(&client), id, Arc::clone(&stop)))).collect();
    let (_, during) = {
        tokio::time::sleep(Duration::from_secs(seconds / 2)).await;
        client.send(reqwest::Method::GET, "/health/postgres", None).await?
    };
    tokio::time::sleep(Duration::from_secs(seconds - seconds / 2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Tally::default();
    for handle in handles {
        let tally = handle.await.map_err(|e| e.to_string())?;
        total.latencies_ms.extend(tally.latencies_ms);
        total.queries += tally.queries;
        total.upserts += tally.upserts;
        total.transport_errors += tally.transport_errors;
        total.empty_queries += tally.empty_queries;
        for (status, n) in tally.statuses {
            *total.statuses.entry(status).or_default() += n;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, after) = client.send(reqwest::Method::GET, "/health/postgres", None).await?;
    let (_, count) = client.send(reqwest::Method::GET, "/collections/bench/count", None).await?;

    total.latencies_ms.sort_by(f64::total_cmp);
    let requests = total.latencies_ms.len();
    #[allow(clippy::cast_precision_loss)]
    let throughput = requests as f64 / elapsed;
    println!(
        "{clients} clients for {elapsed:.1} s: {requests} requests ({} queries, {} upserts), {throughput:.0} requests/s",
        total.queries, total.upserts
    );
    println!(
        "latency ms: p50 {:.2}, p95 {:.2}, p99 {:.2}, max {:.2}",
        percentile(&total.latencies_ms, 50.0),
        percentile(&total.latencies_ms, 95.0),
        percentile(&total.latencies_ms, 99.0),
        total.latencies_ms.last().copied().unwrap_or(0.0)
    );
    println!(
        "statuses: {:?}; transport errors: {}; empty query results: {}",
        total.statuses, total.transport_errors, total.empty_queries
    );
    println!("pool during: {}", during["pool"]);
    println!("pool after:  {}", after["pool"]);
    println!("chunks after: {}", count["count"]);

    let server_errors: u64 = total.statuses.iter().filter(|(status, _)| **status >= 500).map(|(_, n)| n).sum();
    let other_errors: u64 =
        total.statuses.iter().filter(|(status, _)| **status >= 300 && **status < 500).map(|(_, n)| n).sum();
    let mut problems = pool_problems(&during["pool"], false);
    problems.extend(pool_problems(&after["pool"], true));
    if server_errors > 0 {
        problems.push(format!("{server_errors} responses were 5xx"));
    }
    if other_errors > 0 || total.transport_errors > 0 {
        problems.push(format!("{other_errors} non-2xx responses, {} transport errors", total.transport_errors));
    }
    for problem in &problems {
        println!("PROBLEM: {problem}");
    }
    println!("{}", if problems.is_empty() { "ok: no 5xx, pool consistent" } else { "FAILED" });
    Ok(problems.is_empty())
}
