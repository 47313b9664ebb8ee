//! The task-queue conformance suite: priorities, eligibility, leases and fencing, retries, dead letters.
// Each case is named for the behaviour it checks; the name is its documentation.
#![allow(missing_docs)]

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::{SessionStoreFactory, TestResult};
use crate::StorageError;
use crate::task::{ClaimRequest, EXPIRED_LEASE_ERROR, ListTasks, NewTask, TaskQueue, TaskStatus};

const LEASE: u64 = 60_000;

fn claim(agent: &str) -> ClaimRequest {
    ClaimRequest::new("acme", agent, LEASE)
}

fn task(kind: &str) -> NewTask {
    NewTask::new("acme", kind)
}

pub async fn claim_takes_highest_priority_then_oldest(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_priority").await.tasks;
    let mut expected = Vec::new();
    for (name, priority) in [("low-1", 0), ("high-1", 5), ("low-2", 0), ("high-2", 5), ("urgent", 9), ("negative", -3)]
    {
        let outcome = q.enqueue(task("work").priority(priority).payload(json!({ "name": name }))).await?;
        expected.push((priority, outcome.task.created_at, name));
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let mut order = Vec::new();
    while let Some(t) = q.claim(&claim("w")).await? {
        ensure!(t.status == TaskStatus::Running && t.attempts == 1 && t.claimed_by.as_deref() == Some("w"), "{t:?}");
        ensure!(t.lease_id.is_some() && t.lease_expires_at.is_some_and(|at| at > Utc::now()), "lease: {t:?}");
        order.push(t.payload["name"].as_str().unwrap_or_default().to_owned());
    }
    ensure!(order == ["urgent", "high-1", "high-2", "low-1", "low-2", "negative"], "{order:?}");
    Ok(())
}

pub async fn claim_honours_kinds_target_agent_and_not_before(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_eligibility").await.tasks;
    q.enqueue(task("research").payload(json!("research"))).await?;
    q.enqueue(NewTask { target_agent: Some("codex".into()), ..task("code").payload(json!("for codex")) }).await?;
    q.enqueue(NewTask {
        not_before: Some(Utc::now() + chrono::Duration::milliseconds(1_500)),
        ..task("code").payload(json!("later"))
    })
    .await?;
    let code_only = ClaimRequest { kinds: vec!["code".into()], ..claim("gemini") };
    ensure!(q.claim(&code_only).await?.is_none(), "codex's task and a future task are not eligible for gemini");
    let got =
        q.claim(&ClaimRequest { kinds: vec!["code".into()], ..claim("codex") }).await?.ok_or("codex gets its task")?;
    ensure!(got.payload == json!("for codex"), "{got:?}");
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let later = q.claim(&code_only).await?.ok_or("not_before passed")?;
    ensure!(later.payload == json!("later"), "{later:?}");
    let research = q.claim(&claim("anyone")).await?.ok_or("no kinds means any kind")?;
    ensure!(research.payload == json!("research"), "{research:?}");
    Ok(())
}

pub async fn claim_returns_none_when_nothing_is_eligible(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_empty").await.tasks;
    ensure!(q.claim(&claim("w")).await?.is_none(), "empty queue");
    q.enqueue(task("work")).await?;
    q.claim(&claim("w")).await?.ok_or("one task")?;
    ensure!(q.claim(&claim("w2")).await?.is_none(), "a leased task is not claimable");
    Ok(())
}

pub async fn enqueue_is_idempotent_per_dedup_key(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_dedup").await.tasks;
    let first = q.enqueue(NewTask { dedup_key: Some("pr-42".into()), ..task("review").payload(json!(1)) }).await?;
    let second = q.enqueue(NewTask { dedup_key: Some("pr-42".into()), ..task("review").payload(json!(2)) }).await?;
    ensure!(
        first.created && !second.created && second.task.id == first.task.id && second.task.payload == json!(1),
        "{second:?}"
    );
    let other = q.enqueue(NewTask { dedup_key: Some("pr-43".into()), ..task("review") }).await?;
    ensure!(other.created, "another key");
    let other_tenant =
        q.enqueue(NewTask { dedup_key: Some("pr-42".into()), ..NewTask::new("other", "review") }).await?;
    ensure!(other_tenant.created, "keys are per tenant");
    ensure!(q.list_tasks(&ListTasks::new("acme", 10)).await?.len() == 2, "two tasks in acme");
    Ok(())
}

pub async fn enqueue_with_a_known_dedup_key_returns_the_task_before_checking_the_session(
    factory: &dyn SessionStoreFactory,
) -> TestResult {
    let q = factory.fresh_session_store("task_dedup_missing_session").await.tasks;
    let first = q.enqueue(NewTask { dedup_key: Some("nightly".into()), ..task("build") }).await?;
    let again = NewTask { dedup_key: Some("nightly".into()), session_id: Some("gone".into()), ..task("build") };
    let again = q.enqueue(again).await?;
    ensure!(!again.created && again.task == first.task, "the existing task, unchanged: {again:?}");
    let fresh = NewTask { dedup_key: Some("hourly".into()), session_id: Some("gone".into()), ..task("build") };
    let err = q.enqueue(fresh).await.err().ok_or("a new task of a missing session")?;
    ensure!(err.to_string() == "session `gone` in tenant `acme` was not found", "{err}");
    ensure!(q.list_tasks(&ListTasks::new("acme", 10)).await?.len() == 1, "nothing written");
    Ok(())
}

pub async fn complete_records_the_result_once(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_complete").await.tasks;
    q.enqueue(task("work")).await?;
    let t = q.claim(&claim("w")).await?.ok_or("task")?;
    let lease = t.lease_id.ok_or("lease")?;
    let done = q.complete("acme", t.id, lease, json!({"answer": 42})).await?;
    ensure!(
        done.status == TaskStatus::Completed
            && done.result == Some(json!({"answer": 42}))
            && done.finished_at.is_some(),
        "{done:?}"
    );
    let err = q.complete("acme", t.id, lease, json!(0)).await.err().ok_or("completing twice")?;
    ensure!(matches!(err, StorageError::Conflict { .. }), "{err}");
    ensure!(q.get_task("acme", t.id).await?.and_then(|t| t.result) == Some(json!({"answer": 42})), "result kept");
    ensure!(q.claim(&claim("w")).await?.is_none(), "a completed task is never claimed again");
    Ok(())
}

pub async fn fail_retries_with_backoff_then_dead_letters(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_fail").await.tasks;
    q.enqueue(NewTask { max_attempts: 2, retry_backoff_ms: 300, ..task("flaky") }).await?;
    let first = q.claim(&claim("w")).await?.ok_or("task")?;
    let before_fail = Utc::now();
    let failed = q.fail("acme", first.id, first.lease_id.ok_or("lease")?, "boom 1").await?;
    let after_fail = Utc::now();
    ensure!(
        failed.status == TaskStatus::Pending
            && failed.last_error.as_deref() == Some("boom 1")
            && failed.lease_id.is_none(),
        "{failed:?}"
    );
    let earliest = before_fail + chrono::Duration::milliseconds(300);
    let latest = after_fail + chrono::Duration::milliseconds(300);
    ensure!(
        failed.not_before >= earliest && failed.not_before <= latest,
        "retry not before fail time + 300 ms: {}",
        failed.not_before
    );
    ensure!(q.claim(&claim("w")).await?.is_none(), "backing off");
    tokio::time::sleep(Duration::from_millis(350)).await;
    let second = q.claim(&claim("w")).await?.ok_or("retry after the backoff")?;
    ensure!(second.attempts == 2 && second.id == first.id, "{second:?}");
    let dead = q.fail("acme", second.id, second.lease_id.ok_or("lease")?, "boom 2").await?;
    ensure!(
        dead.status == TaskStatus::DeadLetter
            && dead.last_error.as_deref() == Some("boom 2")
            && dead.finished_at.is_some(),
        "{dead:?}"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    ensure!(q.claim(&claim("w")).await?.is_none(), "dead letters stay dead");
    Ok(())
}

pub async fn expired_leases_are_claimable_again_and_fenced(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_lease_expiry").await.tasks;
    q.enqueue(task("work")).await?;
    let crashed = q.claim(&ClaimRequest::new("acme", "crashed", 1_000)).await?.ok_or("task")?;
    ensure!(q.claim(&claim("rescuer")).await?.is_none(), "leased");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let rescued = q.claim(&claim("rescuer")).await?.ok_or("expired lease is claimable")?;
    ensure!(rescued.id == crashed.id && rescued.attempts == 2 && rescued.lease_id != crashed.lease_id, "{rescued:?}");
    let stale_lease = crashed.lease_id.ok_or("lease")?;
    for (change, result) in [
        ("complete", q.complete("acme", crashed.id, stale_lease, json!("late")).await.map(drop)),
        ("fail", q.fail("acme", crashed.id, stale_lease, "late").await.map(drop)),
        ("extend the lease of", q.heartbeat("acme", crashed.id, stale_lease, LEASE).await.map(drop)),
    ] {
        let expected = format!(
            "conflict: cannot {change} task {}: lease {stale_lease} is no longer held; \
             the task was claimed again by `rescuer`",
            crashed.id
        );
        let message = result.err().map(|err| err.to_string());
        ensure!(message.as_deref() == Some(expected.as_str()), "the old lease is fenced off: {message:?}");
    }
    let done = q.complete("acme", rescued.id, rescued.lease_id.ok_or("lease")?, json!("ok")).await?;
    ensure!(done.status == TaskStatus::Completed && done.claimed_by.as_deref() == Some("rescuer"), "{done:?}");
    q.enqueue(NewTask { max_attempts: 1, ..task("poison") }).await?;
    let poison = q.claim(&ClaimRequest::new("acme", "crasher", 100)).await?.ok_or("poison")?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    ensure!(q.claim(&claim("rescuer")).await?.is_none(), "a task that used its last attempt is not claimed again");
    let stats = q.task_stats("acme").await?;
    ensure!(stats.get(&TaskStatus::DeadLetter) == Some(&1), "it is dead-lettered: {stats:?}");
    let dead = q.get_task("acme", poison.id).await?.ok_or("the poison task")?;
    ensure!(dead.last_error.as_deref() == Some(EXPIRED_LEASE_ERROR), "why it died: {dead:?}");
    let err = q.complete("acme", poison.id, poison.lease_id.ok_or("lease")?, json!(1)).await.err().ok_or("too late")?;
    let expected =
        format!("conflict: cannot complete task {}: it already finished with status `dead_letter`", poison.id);
    ensure!(err.to_string() == expected, "{err}");
    Ok(())
}

pub async fn dead_lettering_an_expired_lease_keeps_an_earlier_error(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_expired_last_attempt").await.tasks;
    q.enqueue(NewTask { max_attempts: 2, retry_backoff_ms: 0, ..task("flaky") }).await?;
    let first = q.claim(&claim("w")).await?.ok_or("first attempt")?;
    let first_lease = first.lease_id.ok_or("lease")?;
    q.fail("acme", first.id, first_lease, "boom 1").await?;
    let err = q.heartbeat("acme", first.id, first_lease, LEASE).await.err().ok_or("a failed attempt's lease")?;
    let expected = format!(
        "conflict: cannot extend the lease of task {}: lease {first_lease} is no longer held; \
         the task is `pending` and no lease holds it",
        first.id
    );
    ensure!(err.to_string() == expected, "{err}");
    let last = q.claim(&ClaimRequest::new("acme", "crasher", 100)).await?.ok_or("last attempt")?;
    ensure!(last.id == first.id && last.attempts == 2, "{last:?}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    ensure!(q.claim(&claim("w")).await?.is_none(), "the expired last attempt is dead-lettered, not claimed");
    let dead = q.get_task("acme", first.id).await?.ok_or("the task")?;
    ensure!(
        dead.status == TaskStatus::DeadLetter
            && dead.last_error.as_deref() == Some("boom 1")
            && dead.finished_at.is_some()
            && dead.lease_id.is_none(),
        "the earlier error is kept: {dead:?}"
    );
    Ok(())
}

pub async fn heartbeat_extends_the_lease(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_heartbeat").await.tasks;
    q.enqueue(task("long")).await?;
    let t = q.claim(&ClaimRequest::new("acme", "w", 1_000)).await?.ok_or("task")?;
    let lease = t.lease_id.ok_or("lease")?;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let extended = q.heartbeat("acme", t.id, lease, 1_000).await?;
        ensure!(extended.lease_expires_at > t.lease_expires_at && extended.lease_id == Some(lease), "{extended:?}");
        ensure!(q.claim(&claim("thief")).await?.is_none(), "a heartbeating task is not claimable");
    }
    q.complete("acme", t.id, lease, json!(null)).await?;
    Ok(())
}

pub async fn cancel_stops_pending_and_running_tasks(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_cancel").await.tasks;
    let pending = q.enqueue(task("a")).await?.task;
    let cancelled = q.cancel("acme", pending.id).await?;
    ensure!(cancelled.status == TaskStatus::Cancelled && cancelled.finished_at.is_some(), "{cancelled:?}");
    q.enqueue(task("b")).await?;
    let running = q.claim(&claim("w")).await?.ok_or("task b")?;
    q.cancel("acme", running.id).await?;
    let err = q
        .complete("acme", running.id, running.lease_id.ok_or("lease")?, json!(1))
        .await
        .err()
        .ok_or("completing a cancelled task")?;
    let expected =
        format!("conflict: cannot complete task {}: it already finished with status `cancelled`", running.id);
    ensure!(err.to_string() == expected, "{err}");
    let err = q.cancel("acme", running.id).await.err().ok_or("cancelling twice")?;
    let expected = format!("conflict: cannot cancel task {}: it already finished with status `cancelled`", running.id);
    ensure!(err.to_string() == expected, "{err}");
    let missing = uuid::Uuid::new_v4();
    let err = q.cancel("acme", missing).await.err().ok_or("cancelling a missing task")?;
    ensure!(err.to_string() == format!("task {missing} in tenant `acme` was not found"), "{err}");
    ensure!(q.claim(&claim("w")).await?.is_none(), "nothing left");
    Ok(())
}

pub async fn stats_and_list_report_every_status(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_stats").await.tasks;
    let empty = q.task_stats("acme").await?;
    ensure!(empty.len() == TaskStatus::ALL.len() && empty.values().all(|n| *n == 0), "every status, zero: {empty:?}");
    for kind in ["a", "b", "c", "d"] {
        q.enqueue(task(kind)).await?;
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let t = q.claim(&claim("w")).await?.ok_or("a")?;
    q.complete("acme", t.id, t.lease_id.ok_or("lease")?, json!(1)).await?;
    q.claim(&claim("w")).await?.ok_or("b")?;
    let stats = q.task_stats("acme").await?;
    ensure!(
        stats[&TaskStatus::Pending] == 2 && stats[&TaskStatus::Running] == 1 && stats[&TaskStatus::Completed] == 1,
        "{stats:?}"
    );
    let listed: Vec<String> = q.list_tasks(&ListTasks::new("acme", 10)).await?.into_iter().map(|t| t.kind).collect();
    ensure!(listed == ["d", "c", "b", "a"], "newest first: {listed:?}");
    let pending: Vec<String> = q
        .list_tasks(&ListTasks { statuses: vec![TaskStatus::Pending], ..ListTasks::new("acme", 10) })
        .await?
        .into_iter()
        .map(|t| t.kind)
        .collect();
    ensure!(pending == ["d", "c"], "{pending:?}");
    let page: Vec<String> = q
        .list_tasks(&ListTasks { offset: 1, limit: 2, ..ListTasks::new("acme", 2) })
        .await?
        .into_iter()
        .map(|t| t.kind)
        .collect();
    ensure!(page == ["c", "b"], "{page:?}");
    Ok(())
}

pub async fn concurrent_claimers_never_share_a_task(factory: &dyn SessionStoreFactory) -> TestResult {
    let case = "task_concurrent_claims";
    let q = factory.fresh_session_store(case).await.tasks;
    const TASKS: usize = 200;
    for i in 0..TASKS {
        q.enqueue(task("work").payload(json!(i))).await?;
    }
    let mut workers = Vec::new();
    for w in 0..4 {
        let handle: Arc<dyn TaskQueue> = factory.another_handle(case).await.tasks;
        workers.push(tokio::spawn(async move {
            let mut done = Vec::new();
            while let Some(t) = handle.claim(&ClaimRequest::new("acme", format!("w{w}"), LEASE)).await? {
                let lease = t.lease_id.ok_or_else(|| StorageError::invalid("lease_id", "missing on a claimed task"))?;
                handle.complete("acme", t.id, lease, json!(w)).await?;
                done.push(t.id);
            }
            Ok::<_, StorageError>(done)
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for worker in workers {
        for id in worker.await.map_err(|e| format!("worker panicked: {e}"))?? {
            total += 1;
            ensure!(seen.insert(id), "task {id} was claimed twice");
        }
    }
    ensure!(total == TASKS, "every task completed exactly once: {total}");
    let stats = q.task_stats("acme").await?;
    ensure!(stats[&TaskStatus::Completed] == TASKS as u64, "{stats:?}");
    Ok(())
}

pub async fn tasks_are_confined_to_their_tenant(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_tenants").await.tasks;
    let theirs = q.enqueue(NewTask::new("other", "work")).await?.task;
    ensure!(q.claim(&claim("w")).await?.is_none(), "acme cannot claim other's task");
    ensure!(q.get_task("acme", theirs.id).await?.is_none(), "get across tenants");
    let err = q.cancel("acme", theirs.id).await.err().ok_or("cancel across tenants")?;
    ensure!(matches!(err, StorageError::NotFound { .. }), "{err}");
    let kinds: BTreeSet<String> =
        q.list_tasks(&ListTasks::new("acme", 10)).await?.into_iter().map(|t| t.kind).collect();
    ensure!(kinds.is_empty(), "list across tenants: {kinds:?}");
    ensure!(q.claim(&ClaimRequest::new("other", "w", LEASE)).await?.is_some(), "other can claim it");
    Ok(())
}

pub async fn bad_task_input_is_refused(factory: &dyn SessionStoreFactory) -> TestResult {
    let q = factory.fresh_session_store("task_bad_input").await.tasks;
    let err = q.enqueue(NewTask::new("", "k")).await.err().ok_or("empty tenant")?;
    ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "tenant"), "{err}");
    let err = q.enqueue(NewTask { max_attempts: 0, ..task("k") }).await.err().ok_or("zero attempts")?;
    ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "max_attempts"), "{err}");
    let err = q.claim(&ClaimRequest::new("acme", "w", 0)).await.err().ok_or("zero lease")?;
    ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "lease_ms"), "{err}");
    ensure!(q.list_tasks(&ListTasks::new("acme", 10)).await?.is_empty(), "nothing written");
    q.enqueue(task("k")).await?;
    let held = q.claim(&ClaimRequest::new("acme", "w", 60_000)).await?.ok_or("a claimable task")?;
    let lease = held.lease_id.ok_or("a lease")?;
    let err = q.heartbeat("", held.id, lease, 60_000).await.err().ok_or("heartbeat in an empty tenant")?;
    ensure!(err.to_string() == "tenant: must be 1 to 200 bytes without NUL", "heartbeat: {err}");
    let err = q.fail("acme", held.id, lease, "bad\0byte").await.err().ok_or("an error with NUL")?;
    ensure!(err.to_string() == "error: contains a NUL byte, which no backend can store", "fail: {err}");
    let result = json!({"notes": ["fine", "bad\u{0}byte"]});
    let err = q.complete("acme", held.id, lease, result).await.err().ok_or("a result with NUL")?;
    ensure!(err.to_string() == "result.notes[1]: contains a NUL byte, which no backend can store", "complete: {err}");
    let err = q.get_task("ac\0me", held.id).await.err().ok_or("a tenant with NUL")?;
    ensure!(err.to_string() == "tenant: must be 1 to 200 bytes without NUL", "get_task: {err}");
    let err = q.task_stats("").await.err().ok_or("an empty tenant")?;
    ensure!(err.to_string() == "tenant: must be 1 to 200 bytes without NUL", "task_stats: {err}");
    let still = q.get_task("acme", held.id).await?.ok_or("the task")?;
    ensure!(still.status == TaskStatus::Running && still.attempts == 1, "refusals changed the task: {still:?}");
    Ok(())
}
