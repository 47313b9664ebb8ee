//! Exactly-once claiming under contention: 8 workers with their own connections drain 5,000 tasks, each
//! completed once and claimed once; then workers in child processes are SIGKILLed mid-task and exactly the
//! tasks they held are redone, once, after their 2 s leases expire. On PostgreSQL 18 and 16.
//!
//! A child worker is this test binary run again on the same test with `BRAINSTORE_CLAIM_CHILD` set: the
//! test then claims and works until it is killed.

// The figures (tasks, workers, time, tasks redone) are the acceptance evidence, shown with --nocapture.
#![allow(clippy::print_stderr)]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::{Connection, PgConnection, Row};
use storage_core::task::{ClaimRequest, NewTask, TaskQueue, TaskStatus};
use storage_postgres::PostgresStore;
use storage_postgres::testing::TestServer;
use uuid::Uuid;

const TASKS: usize = 5_000;
const WORKERS: usize = 8;
const TENANT: &str = "queue";
const CHILD_VARIABLE: &str = "BRAINSTORE_CLAIM_CHILD";

fn flavor(server: TestServer) -> &'static str {
    server.flavor()
}

fn server_of(flavor: &str) -> TestServer {
    TestServer::ALL.into_iter().find(|s| s.flavor() == flavor).expect("a known flavor")
}

/// A store of its own (its own pool, so its own connections) on `schema`.
async fn worker_store(server: TestServer, schema: &str) -> Arc<PostgresStore> {
    let mut config = common::config(server, schema);
    config.pool_size = 1;
    config.pool_max_overflow = 1;
    Arc::new(common::open(config).await)
}

/// Enqueues `TASKS` tasks from `WORKERS` concurrent producers.
async fn enqueue_all(server: TestServer, schema: &str) {
    let mut producers = Vec::new();
    for p in 0..WORKERS {
        let store = worker_store(server, schema).await;
        producers.push(tokio::spawn(async move {
            for i in (p..TASKS).step_by(WORKERS) {
                store.enqueue(NewTask::new(TENANT, "work").payload(json!(i))).await.expect("enqueue");
            }
        }));
    }
    for producer in producers {
        producer.await.expect("a producer panicked");
    }
}

/// A raw connection to the test schema, for checking rows the protocol does not expose in bulk.
async fn inspect(server: TestServer, schema: &str) -> PgConnection {
    let config = common::config(server, schema);
    let mut connection = PgConnection::connect(&config.connection_url()).await.expect("connect for inspection");
    sqlx::query(sqlx::AssertSqlSafe(format!("SET search_path = \"{schema}\", public")))
        .execute(&mut connection)
        .await
        .expect("set search_path");
    connection
}

/// (id, status, attempts, result worker) of every task.
async fn all_tasks(connection: &mut PgConnection) -> Vec<(Uuid, String, i32, Option<String>)> {
    sqlx::query("SELECT id, status, attempts, result ->> 'worker' AS worker FROM bs_tasks ORDER BY id")
        .fetch_all(connection)
        .await
        .expect("read the tasks")
        .into_iter()
        .map(|row| (row.get("id"), row.get("status"), row.get("attempts"), row.get("worker")))
        .collect()
}

async fn completed(queue: &PostgresStore) -> u64 {
    queue.task_stats(TENANT).await.expect("stats")[&TaskStatus::Completed]
}

async fn eight_workers_complete_every_task_exactly_once(server: TestServer) {
    let schema = common::unique_schema(&format!("claims_{}", flavor(server)));
    let queue = worker_store(server, &schema).await;
    enqueue_all(server, &schema).await;
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let store = worker_store(server, &schema).await;
        workers.push(tokio::spawn(async move {
            let agent = format!("worker-{w}");
            let mut done = Vec::new();
            while let Some(task) = store.claim(&ClaimRequest::new(TENANT, agent.as_str(), 30_000)).await.expect("claim")
            {
                let lease = task.lease_id.expect("a claimed task has a lease");
                store.complete(TENANT, task.id, lease, json!({ "worker": agent })).await.expect("complete");
                done.push(task.id);
            }
            done
        }));
    }
    let mut seen = HashSet::new();
    let mut per_worker = Vec::new();
    for worker in workers {
        let done = worker.await.expect("a worker panicked");
        per_worker.push(done.len());
        for id in done {
            assert!(seen.insert(id), "task {id} was claimed and completed twice");
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(seen.len(), TASKS, "every task completed by exactly one worker");
    let tasks = all_tasks(&mut inspect(server, &schema).await).await;
    assert_eq!(tasks.len(), TASKS, "none lost, none added");
    for (id, status, attempts, worker) in &tasks {
        assert_eq!(status, "completed", "task {id}");
        assert_eq!(*attempts, 1, "task {id} was claimed {attempts} times");
        assert!(worker.is_some() && seen.contains(id), "task {id} completed by a worker that reported it");
    }
    assert_eq!(completed(&queue).await, TASKS as u64);
    eprintln!(
        "{}: {TASKS} tasks, {WORKERS} workers, {:.2} s, {:.0} tasks/s, per worker {per_worker:?}",
        flavor(server),
        elapsed.as_secs_f64(),
        TASKS as f64 / elapsed.as_secs_f64()
    );
}

/// The lease of child workers: short, yet long enough to read what they held after killing them.
const CHILD_LEASE_MS: u64 = 2_000;

/// How long a statement a child sent before it died may still run on the server: PostgreSQL finishes (and
/// commits) it before it notices the client is gone.
const SETTLE: Duration = Duration::from_millis(300);

/// A child worker: claims batches of 4 tasks and works 5 ms on each, until killed.
async fn run_child(spec: &str) {
    let mut parts = spec.split('|');
    let (Some(flavor), Some(schema), Some(agent)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("{CHILD_VARIABLE} must be flavor|schema|agent, got {spec}");
    };
    let store = worker_store(server_of(flavor), schema).await;
    loop {
        let mut held = Vec::new();
        for _ in 0..4 {
            if let Some(task) =
                store.claim(&ClaimRequest::new(TENANT, agent, CHILD_LEASE_MS)).await.expect("child claim")
            {
                held.push(task);
            }
        }
        if held.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for task in held {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let lease = task.lease_id.expect("a claimed task has a lease");
            store.complete(TENANT, task.id, lease, json!({ "worker": agent })).await.expect("child complete");
        }
    }
}

fn spawn_child(test_name: &str, server: TestServer, schema: &str, agent: &str) -> Child {
    let binary = std::env::current_exe().expect("the test binary's path");
    Command::new(binary)
        .args(["--exact", test_name, "--nocapture", "--test-threads", "1"])
        .env(CHILD_VARIABLE, format!("{}|{schema}|{agent}", flavor(server)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a child worker")
}

async fn killed_workers_tasks_are_redone_exactly_once(server: TestServer, test_name: &str) {
    if let Ok(spec) = std::env::var(CHILD_VARIABLE) {
        run_child(&spec).await;
        return;
    }
    const CHILDREN: usize = 4;
    let schema = common::unique_schema(&format!("killed_{}", flavor(server)));
    let queue = worker_store(server, &schema).await;
    enqueue_all(server, &schema).await;
    let started = Instant::now();
    let mut children: Vec<Child> =
        (0..CHILDREN).map(|c| spawn_child(test_name, server, &schema, &format!("child-{c}"))).collect();
    let mut survivors = Vec::new();
    for w in 0..WORKERS - CHILDREN {
        let store = worker_store(server, &schema).await;
        survivors.push(tokio::spawn(async move {
            let agent = format!("survivor-{w}");
            let mut done = Vec::new();
            loop {
                match store.claim(&ClaimRequest::new(TENANT, agent.as_str(), 1_000)).await.expect("claim") {
                    Some(task) => {
                        let lease = task.lease_id.expect("a claimed task has a lease");
                        store.complete(TENANT, task.id, lease, json!({ "worker": agent })).await.expect("complete");
                        done.push((task.id, task.attempts));
                    }
                    None if completed(&store).await == TASKS as u64 => return done,
                    None => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }

    // Let the children work, then kill them mid-batch.
    let mut inspector = inspect(server, &schema).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let child_done: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM bs_tasks WHERE status = 'completed' AND result ->> 'worker' LIKE 'child-%'",
        )
        .fetch_one(&mut inspector)
        .await
        .expect("count the children's work");
        if child_done >= 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the child workers completed only {child_done} tasks in 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for child in &mut children {
        child.kill().expect("SIGKILL a child worker");
    }
    let killed_at = Instant::now();
    for child in &mut children {
        child.wait().expect("reap a killed child");
    }
    tokio::time::sleep(SETTLE).await;
    let held: BTreeSet<Uuid> =
        sqlx::query_scalar("SELECT id FROM bs_tasks WHERE status = 'running' AND claimed_by LIKE 'child-%'")
            .fetch_all(&mut inspector)
            .await
            .expect("the tasks the killed children held")
            .into_iter()
            .collect();
    assert!(
        killed_at.elapsed() < Duration::from_millis(CHILD_LEASE_MS / 2),
        "the held tasks were read {:?} after the kill, when their leases may already have been reclaimed",
        killed_at.elapsed()
    );
    assert!(!held.is_empty(), "the children were killed holding no task: nothing would test the redo");

    let mut survivors_done = Vec::new();
    for survivor in survivors {
        survivors_done.extend(survivor.await.expect("a survivor panicked"));
    }
    let elapsed = started.elapsed();
    let mut seen = HashSet::new();
    for (id, _) in &survivors_done {
        assert!(seen.insert(*id), "task {id} was completed twice by survivors");
    }
    let tasks = all_tasks(&mut inspector).await;
    assert_eq!(tasks.len(), TASKS, "none lost, none added");
    let mut redone = BTreeSet::new();
    for (id, status, attempts, worker) in &tasks {
        assert_eq!(status, "completed", "task {id} is {status}");
        match attempts {
            1 => {}
            2 => {
                redone.insert(*id);
                assert!(
                    worker.as_deref().is_some_and(|w| w.starts_with("survivor-")),
                    "redone task {id} was completed by {worker:?}"
                );
            }
            n => panic!("task {id} was claimed {n} times"),
        }
    }
    assert_eq!(
        redone,
        held,
        "exactly the tasks the killed workers held were redone, each once more; only redone: {:?}, only held: {:?}",
        redone.difference(&held).collect::<Vec<_>>(),
        held.difference(&redone).collect::<Vec<_>>()
    );
    assert_eq!(completed(&queue).await, TASKS as u64);
    eprintln!(
        "{}: {TASKS} tasks, {CHILDREN} child workers SIGKILLed holding {} tasks, {} survivors; {} tasks redone \
         exactly once; {:.2} s",
        flavor(server),
        held.len(),
        WORKERS - CHILDREN,
        redone.len(),
        elapsed.as_secs_f64()
    );
}

mod current {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn eight_workers_complete_5000_tasks_exactly_once() {
        eight_workers_complete_every_task_exactly_once(TestServer::Current).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn killed_workers_tasks_are_redone_exactly_once() {
        super::killed_workers_tasks_are_redone_exactly_once(
            TestServer::Current,
            "current::killed_workers_tasks_are_redone_exactly_once",
        )
        .await;
    }
}

mod compat {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn eight_workers_complete_5000_tasks_exactly_once() {
        eight_workers_complete_every_task_exactly_once(TestServer::Compat).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn killed_workers_tasks_are_redone_exactly_once() {
        super::killed_workers_tasks_are_redone_exactly_once(
            TestServer::Compat,
            "compat::killed_workers_tasks_are_redone_exactly_once",
        )
        .await;
    }
}
