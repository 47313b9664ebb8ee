//! Exactly-once claiming across processes, also when workers are SIGKILLed mid-task.

// Four workers (this test binary, re-invoked as child processes) drain one queue in one data dir and log what
// they claim and complete; the parent checks the logs and the store. In the second test, workers holding a
// task are SIGKILLed: their leases expire and the surviving workers redo those tasks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use serde_json::json;
use storage_chroma_shim::{EmbeddedConfig, EmbeddedStore};
use storage_core::task::{ClaimRequest, ListTasks, NewTask, TaskQueue, TaskStatus};
use storage_core::{DocumentStore, StorageError};

/// Set in a child: the data dir, the worker's name, its lease and which test it serves.
const CHILD_DIR_VAR: &str = "BRAINSTORE_CLAIM_TEST_DIR";
const CHILD_NAME_VAR: &str = "BRAINSTORE_CLAIM_TEST_WORKER";
const CHILD_LEASE_VAR: &str = "BRAINSTORE_CLAIM_TEST_LEASE_MS";
const WORKERS: usize = 4;
const TENANT: &str = "acme";
const DEADLINE: Duration = Duration::from_secs(120);

/// The child: claim and complete until the queue holds nothing pending or running. A task whose payload
/// says `hang`, on its first attempt, is held without completing: the parent kills the worker there.
async fn run_worker(dir: &str, name: &str, lease_ms: u64) {
    let store = EmbeddedStore::open(EmbeddedConfig::new(dir)).expect("config");
    let request = ClaimRequest::new(TENANT, name, lease_ms);
    loop {
        let task = match store.claim(&request).await {
            Ok(Some(task)) => task,
            Ok(None) => {
                let stats = store.task_stats(TENANT).await.expect("stats");
                if stats[&TaskStatus::Pending] == 0 && stats[&TaskStatus::Running] == 0 {
                    return;
                }
                // A killed worker's task: wait for its lease to expire.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(StorageError::Busy { .. }) => continue,
            Err(err) => panic!("claim failed: {err}"),
        };
        report(&format!("claimed {} {}", task.id, task.attempts));
        if task.payload["hang"] == json!(true) && task.attempts == 1 {
            tokio::time::sleep(Duration::from_secs(3_600)).await;
        }
        let lease = task.lease_id.expect("a claimed task has a lease");
        loop {
            match store.complete(TENANT, task.id, lease, json!({ "by": name })).await {
                Ok(_) => report(&format!("completed {}", task.id)),
                Err(StorageError::Busy { .. }) => continue,
                Err(StorageError::Conflict { .. }) => report(&format!("lost {}", task.id)),
                Err(err) => panic!("complete failed: {err}"),
            }
            break;
        }
    }
}

fn report(line: &str) {
    #[allow(clippy::print_stdout)] // the parent reads these lines from the child's stdout
    {
        println!("{line}");
    }
}

/// One line a worker printed.
struct Line {
    worker: String,
    text: String,
}

fn spawn_worker(test: &str, dir: &Path, name: &str, lease_ms: u64, lines: Sender<Line>) -> Child {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([test, "--exact", "--nocapture"])
        .env(CHILD_DIR_VAR, dir)
        .env(CHILD_NAME_VAR, name)
        .env(CHILD_LEASE_VAR, lease_ms.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn a worker");
    let stdout = child.stdout.take().expect("worker stdout");
    let worker = name.to_owned();
    std::thread::spawn(move || {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(Line { worker: worker.clone(), text }).is_err() {
                return;
            }
        }
    });
    child
}

/// Runs the child side when this process is a worker; returns whether it was.
async fn as_worker() -> bool {
    let (Ok(dir), Ok(name)) = (std::env::var(CHILD_DIR_VAR), std::env::var(CHILD_NAME_VAR)) else { return false };
    let lease_ms = std::env::var(CHILD_LEASE_VAR).ok().and_then(|v| v.parse().ok()).expect("lease in the env");
    run_worker(&dir, &name, lease_ms).await;
    true
}

/// A fresh store holding `tasks` tasks; those whose index is in `hanging` hang their worker once.
async fn queue(dir: &Path, tasks: usize, hanging: &HashSet<usize>) -> EmbeddedStore {
    let store = EmbeddedStore::open(EmbeddedConfig::new(dir)).expect("config");
    store.initialize().await.expect("initialize");
    for idx in 0..tasks {
        let payload = json!({ "n": idx, "hang": hanging.contains(&idx) });
        store.enqueue(NewTask::new(TENANT, "work").payload(payload)).await.expect("enqueue");
    }
    store
}

/// What the workers logged: per task id, the workers that claimed it and those that completed it.
#[derive(Default)]
struct Log {
    claimed: HashMap<String, Vec<String>>,
    completed: HashMap<String, Vec<String>>,
    lost: Vec<String>,
}

impl Log {
    fn record(&mut self, line: Line) {
        let mut words = line.text.split(' ');
        match (words.next(), words.next()) {
            (Some("claimed"), Some(id)) => self.claimed.entry(id.to_owned()).or_default().push(line.worker),
            (Some("completed"), Some(id)) => self.completed.entry(id.to_owned()).or_default().push(line.worker),
            (Some("lost"), Some(id)) => self.lost.push(id.to_owned()),
            _ => {}
        }
    }
}

/// Waits for every worker to exit, handing each line to `on_line` (which may kill and replace workers).
fn drain(
    workers: &mut BTreeMap<String, Child>,
    lines: &Receiver<Line>,
    mut on_line: impl FnMut(&Line, &mut BTreeMap<String, Child>),
) -> Log {
    let deadline = Instant::now() + DEADLINE;
    let mut log = Log::default();
    loop {
        while let Ok(line) = lines.recv_timeout(Duration::from_millis(20)) {
            on_line(&line, workers);
            log.record(line);
        }
        workers.retain(|name, child| match child.try_wait().expect("poll a worker") {
            Some(status) => {
                assert!(status.success(), "worker {name} failed: {status}");
                false
            }
            None => true,
        });
        if workers.is_empty() {
            // Lines printed just before exiting.
            while let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
                log.record(line);
            }
            return log;
        }
        assert!(Instant::now() < deadline, "workers still running after {DEADLINE:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_complete_every_task_exactly_once() {
    if as_worker().await {
        return;
    }
    const TASKS: usize = 5_000;
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let store = queue(&dir, TASKS, &HashSet::new()).await;
    let started = Instant::now();
    let (sender, lines) = channel();
    let mut workers = BTreeMap::new();
    for idx in 0..WORKERS {
        let name = format!("w{idx}");
        // Nobody is killed here, so the lease only needs to outlast any wait for the write lock.
        let child =
            spawn_worker("four_processes_complete_every_task_exactly_once", &dir, &name, 60_000, sender.clone());
        workers.insert(name, child);
    }
    let log = drain(&mut workers, &lines, |_, _| {});
    let elapsed = started.elapsed();

    assert!(log.lost.is_empty(), "no lease was lost: {:?}", log.lost);
    assert_eq!(log.completed.len(), TASKS, "every task completed");
    assert!(log.completed.values().all(|by| by.len() == 1), "a task was completed twice");
    assert!(log.claimed.values().all(|by| by.len() == 1), "a task was claimed twice");
    let per_worker = log.completed.values().fold(BTreeMap::<&str, usize>::new(), |mut counts, by| {
        *counts.entry(by[0].as_str()).or_default() += 1;
        counts
    });
    assert_eq!(per_worker.len(), WORKERS, "every process took part: {per_worker:?}");
    let stats = store.task_stats(TENANT).await.expect("stats");
    assert_eq!(stats[&TaskStatus::Completed], TASKS as u64, "{stats:?}");
    for page in 0..TASKS / 1_000 {
        let request = ListTasks { offset: page * 1_000, ..ListTasks::new(TENANT, 1_000) };
        for task in store.list_tasks(&request).await.expect("list") {
            assert_eq!(task.attempts, 1, "{task:?}");
            assert_eq!(log.completed.get(&task.id.to_string()).map(Vec::len), Some(1), "{task:?}");
        }
    }
    report(&format!("{TASKS} tasks by {WORKERS} processes in {elapsed:?}, per process {per_worker:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_of_killed_processes_are_redone_exactly_once() {
    if as_worker().await {
        return;
    }
    const TASKS: usize = 1_000;
    const LEASE_MS: u64 = 1_000;
    let hanging: HashSet<usize> = [37, 150, 151, 480, 777, 999].into_iter().collect();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("data");
    let store = queue(&dir, TASKS, &hanging).await;
    let hanging_ids: HashSet<String> = store
        .list_tasks(&ListTasks::new(TENANT, 1_000))
        .await
        .expect("list")
        .into_iter()
        .filter(|task| task.payload["hang"] == json!(true))
        .map(|task| task.id.to_string())
        .collect();
    let test = "tasks_of_killed_processes_are_redone_exactly_once";
    let started = Instant::now();
    let (sender, lines) = channel();
    let mut workers = BTreeMap::new();
    let mut spawned = 0;
    for _ in 0..WORKERS {
        let name = format!("w{spawned}");
        spawned += 1;
        workers.insert(name.clone(), spawn_worker(test, &dir, &name, LEASE_MS, sender.clone()));
    }
    let mut killed: Vec<(String, String)> = Vec::new();
    let log = drain(&mut workers, &lines, |line, workers| {
        let mut words = line.text.split(' ');
        let (Some("claimed"), Some(id), Some("1")) = (words.next(), words.next(), words.next()) else { return };
        if !hanging_ids.contains(id) {
            return;
        }
        // The worker holds this task and will never complete it: SIGKILL it there, and start a
        // replacement so four processes keep working.
        let mut child = workers.remove(&line.worker).expect("a live worker");
        child.kill().expect("SIGKILL a worker");
        child.wait().expect("reap a worker");
        killed.push((line.worker.clone(), id.to_owned()));
        let name = format!("w{spawned}");
        spawned += 1;
        workers.insert(name.clone(), spawn_worker(test, &dir, &name, LEASE_MS, sender.clone()));
    });
    let elapsed = started.elapsed();

    assert_eq!(killed.len(), hanging_ids.len(), "one worker killed per hanging task: {killed:?}");
    assert!(log.lost.is_empty(), "no surviving worker lost a lease: {:?}", log.lost);
    assert_eq!(log.completed.len(), TASKS, "every task completed");
    assert!(log.completed.values().all(|by| by.len() == 1), "a task was completed twice");
    let stats = store.task_stats(TENANT).await.expect("stats");
    assert_eq!(stats[&TaskStatus::Completed], TASKS as u64, "{stats:?}");
    for task in store.list_tasks(&ListTasks::new(TENANT, 1_000)).await.expect("list") {
        let id = task.id.to_string();
        let claims = &log.claimed[&id];
        let completed_by = &log.completed[&id];
        if hanging_ids.contains(&id) {
            assert_eq!(task.attempts, 2, "a killed worker's task is redone once more: {task:?}");
            assert_eq!(claims.len(), 2, "claimed by the killed worker, then once more: {claims:?}");
            assert!(killed.contains(&(claims[0].clone(), id.clone())), "killed holding it: {claims:?} {killed:?}");
            // The second claimant completed it (it may itself be killed later, holding another task).
            assert_eq!(completed_by, &claims[1..], "completed by the worker that redid it");
        } else {
            assert_eq!(task.attempts, 1, "{task:?}");
            assert_eq!(claims.len(), 1, "claimed once: {claims:?}");
        }
    }
    report(&format!(
        "{TASKS} tasks, {} workers killed mid-task, their tasks redone once each, in {elapsed:?}",
        killed.len()
    ));
}
