//! The session conformance suite: sessions, messages, artifacts, agents and activity tracking.
// Each case is named for the behaviour it checks; the name is its documentation.
#![allow(missing_docs)]

use std::time::Duration;

use serde_json::json;

use super::fixtures::meta;
use super::{SessionStoreFactory, TestResult};
use crate::StorageError;
use crate::session::{
    AgentStatus, ListMessages, ListSessions, MessageRole, NewAgent, NewArtifact, NewMessage, NewSession, SessionStatus,
    TextSearch,
};
use crate::task::NewTask;

fn list(tenant: &str) -> ListSessions {
    ListSessions::new(tenant, 100)
}

/// A search of at most 10 hits in session `session` of tenant `acme`.
fn in_session(session: &str, query: &str) -> TextSearch {
    TextSearch { session_id: Some(session.into()), ..TextSearch::new("acme", query, 10) }
}

async fn tick() {
    tokio::time::sleep(Duration::from_millis(15)).await;
}

pub async fn sessions_are_created_idempotently_and_listed_by_activity(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_create").await;
    let s = &stores.sessions;
    let mut new = NewSession::new("acme").id("s-1");
    new.title = Some("Planning".into());
    new.participants = vec!["alice".into(), "bob".into()];
    new.metadata = meta(json!({"channel": "voice"}));
    let first = s.create_session(new.clone()).await?;
    ensure!(first.id == "s-1" && first.title == "Planning" && first.participants == ["alice", "bob"], "{first:?}");
    ensure!(
        first.status == SessionStatus::Active && first.message_count == 0 && first.completed_at.is_none(),
        "{first:?}"
    );
    let again = s.create_session(NewSession { title: Some("Other title".into()), ..new }).await?;
    ensure!(again == first, "creating an existing id returns it unchanged: {again:?}");
    let generated = s.create_session(NewSession::new("acme")).await?;
    ensure!(
        !generated.id.is_empty() && generated.title == generated.id,
        "generated id and default title: {generated:?}"
    );
    tick().await;
    s.create_session(NewSession::new("acme").id("s-3")).await?;
    tick().await;
    s.append_message("acme", "s-1", NewMessage::new(MessageRole::User, "hello")).await?;
    let ids: Vec<String> = s.list_sessions(&list("acme")).await?.into_iter().map(|x| x.id).collect();
    ensure!(ids.len() == 3 && ids[0] == "s-1" && ids[1] == "s-3", "most recent activity first: {ids:?}");
    let page = s.list_sessions(&ListSessions { limit: 1, offset: 1, ..list("acme") }).await?;
    ensure!(page.len() == 1 && page[0].id == "s-3", "pagination: {page:?}");
    Ok(())
}

pub async fn session_status_changes_set_completed_at(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_status").await;
    let s = &stores.sessions;
    s.create_session(NewSession::new("acme").id("a")).await?;
    s.create_session(NewSession::new("acme").id("b")).await?;
    let paused = s.set_session_status("acme", "a", SessionStatus::Paused).await?;
    ensure!(paused.status == SessionStatus::Paused && paused.completed_at.is_none(), "{paused:?}");
    let done = s.set_session_status("acme", "b", SessionStatus::Completed).await?;
    ensure!(done.completed_at.is_some(), "completed_at set: {done:?}");
    let only_paused = s.list_sessions(&ListSessions { statuses: vec![SessionStatus::Paused], ..list("acme") }).await?;
    ensure!(only_paused.len() == 1 && only_paused[0].id == "a", "by status: {only_paused:?}");
    let reopened = s.set_session_status("acme", "b", SessionStatus::Active).await?;
    ensure!(reopened.completed_at.is_none(), "reactivating clears completed_at");
    let err =
        s.set_session_status("acme", "missing", SessionStatus::Paused).await.err().ok_or("missing session accepted")?;
    ensure!(matches!(err, StorageError::NotFound { .. }), "{err}");
    Ok(())
}

pub async fn messages_append_in_order_and_idempotently(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_messages").await;
    let s = &stores.sessions;
    s.create_session(NewSession::new("acme").id("s")).await?;
    let roles = [MessageRole::System, MessageRole::User, MessageRole::Assistant, MessageRole::Tool];
    for (idx, role) in roles.iter().enumerate() {
        let mut message = NewMessage::new(*role, format!("message {idx}")).id(format!("m{idx}"));
        message.metadata = meta(json!({"n": idx}));
        let outcome = s.append_message("acme", "s", message).await?;
        ensure!(outcome.created && outcome.message.id == format!("m{idx}"), "{outcome:?}");
    }
    let replay = s.append_message("acme", "s", NewMessage::new(MessageRole::User, "different text").id("m1")).await?;
    ensure!(!replay.created && replay.message.content == "message 1", "same id returns the stored message: {replay:?}");
    let unnamed = s.append_message("acme", "s", NewMessage::new(MessageRole::User, "no id")).await?;
    ensure!(unnamed.created && !unnamed.message.id.is_empty(), "generated id");
    let all = s.list_messages(&ListMessages::new("acme", "s", 100)).await?;
    ensure!(all.len() == 5, "five messages: {}", all.len());
    let seqs: Vec<i64> = all.iter().map(|m| m.seq).collect();
    ensure!(seqs == [1, 2, 3, 4, 5], "seq counts each session's messages from 1: {seqs:?}");
    ensure!(replay.message.seq == 2, "the replay returns the stored seq: {replay:?}");
    let contents: Vec<&str> = all.iter().map(|m| m.content.as_str()).collect();
    ensure!(contents == ["message 0", "message 1", "message 2", "message 3", "no id"], "append order: {contents:?}");
    ensure!(
        all[3].role == MessageRole::Tool && all[2].metadata == meta(json!({"n": 2})) && all[0].format == "text",
        "{:?}",
        all[3]
    );
    let after =
        s.list_messages(&ListMessages { after_seq: Some(all[1].seq), ..ListMessages::new("acme", "s", 2) }).await?;
    ensure!(after.iter().map(|m| m.id.as_str()).collect::<Vec<_>>() == ["m2", "m3"], "after seq, limited");
    ensure!(s.get_session("acme", "s").await?.map(|x| x.message_count) == Some(5), "the replay did not count");
    s.create_session(NewSession::new("acme").id("other")).await?;
    let other = s.append_message("acme", "other", NewMessage::new(MessageRole::User, "elsewhere")).await?;
    ensure!(other.message.seq == 1, "another session counts from 1: {other:?}");
    let next = s.append_message("acme", "s", NewMessage::new(MessageRole::User, "after the other")).await?;
    ensure!(next.message.seq == 6, "a session's count is its own: {next:?}");
    let err = s
        .append_message("acme", "missing", NewMessage::new(MessageRole::User, "x"))
        .await
        .err()
        .ok_or("message to a missing session")?;
    ensure!(matches!(err, StorageError::NotFound { .. }), "{err}");
    Ok(())
}

pub async fn every_write_under_a_session_updates_its_activity_and_counts(
    factory: &dyn SessionStoreFactory,
) -> TestResult {
    let stores = factory.fresh_session_store("session_activity").await;
    let s = &stores.sessions;
    let created = s.create_session(NewSession::new("acme").id("s")).await?;
    tick().await;
    s.append_message("acme", "s", NewMessage::new(MessageRole::User, "one")).await?;
    let after_message = s.get_session("acme", "s").await?.ok_or("session missing")?;
    ensure!(
        after_message.last_activity_at > created.last_activity_at && after_message.message_count == 1,
        "message: {after_message:?}"
    );
    tick().await;
    s.put_artifact("acme", "s", NewArtifact::new("code", "main.rs", "fn main() {}")).await?;
    let after_artifact = s.get_session("acme", "s").await?.ok_or("session missing")?;
    ensure!(
        after_artifact.last_activity_at > after_message.last_activity_at && after_artifact.artifact_count == 1,
        "artifact: {after_artifact:?}"
    );
    tick().await;
    stores.tasks.enqueue(NewTask { session_id: Some("s".into()), ..NewTask::new("acme", "code") }).await?;
    let after_task = s.get_session("acme", "s").await?.ok_or("session missing")?;
    ensure!(
        after_task.last_activity_at > after_artifact.last_activity_at && after_task.task_count == 1,
        "task: {after_task:?}"
    );
    ensure!(after_task.message_count == 1 && after_task.artifact_count == 1, "counts kept: {after_task:?}");
    Ok(())
}

pub async fn full_text_search_finds_messages_in_a_session_or_tenant(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_search").await;
    let s = &stores.sessions;
    for id in ["s1", "s2"] {
        s.create_session(NewSession::new("acme").id(id)).await?;
    }
    s.create_session(NewSession::new("other").id("s1")).await?;
    s.append_message("acme", "s1", NewMessage::new(MessageRole::User, "we should migrate the database tonight"))
        .await?;
    s.append_message("acme", "s1", NewMessage::new(MessageRole::Assistant, "the dashboard looks fine")).await?;
    s.append_message("acme", "s2", NewMessage::new(MessageRole::User, "database backups are failing")).await?;
    s.append_message("other", "s1", NewMessage::new(MessageRole::User, "database of another tenant")).await?;
    let in_s1 = s.search_messages(&in_session("s1", "database")).await?;
    ensure!(in_s1.len() == 1 && in_s1[0].item.session_id == "s1" && (in_s1[0].score - 1.0).abs() < 1e-6, "{in_s1:?}");
    let tenant_wide = s.search_messages(&TextSearch::new("acme", "database", 10)).await?;
    let mut sessions: Vec<&str> = tenant_wide.iter().map(|h| h.item.session_id.as_str()).collect();
    sessions.sort_unstable();
    ensure!(sessions == ["s1", "s2"], "tenant-wide and tenant-confined: {tenant_wide:?}");
    let stemmed = s.search_messages(&TextSearch::new("acme", "migrating", 10)).await?;
    ensure!(stemmed.len() == 1, "stemmed match: {stemmed:?}");
    ensure!(s.search_messages(&TextSearch::new("acme", "nonexistentword", 10)).await?.is_empty(), "no match");
    Ok(())
}

/// Equal texts score equally on both backends, so the tie order is the backends' own: written here in the
/// order a store-wide row number would put last.
pub async fn full_text_search_lists_equal_scores_by_session_then_position(
    factory: &dyn SessionStoreFactory,
) -> TestResult {
    let stores = factory.fresh_session_store("session_search_ties").await;
    let s = &stores.sessions;
    for id in ["zulu", "alpha"] {
        s.create_session(NewSession::new("acme").id(id)).await?;
        for _ in 0..2 {
            s.append_message("acme", id, NewMessage::new(MessageRole::User, "the release is blocked")).await?;
        }
        for artifact in ["z-note", "a-note"] {
            let note =
                NewArtifact { id: Some(artifact.into()), ..NewArtifact::new("note", "status", "release blocked") };
            s.put_artifact("acme", id, note).await?;
        }
    }
    let messages = s.search_messages(&TextSearch::new("acme", "release", 10)).await?;
    let order: Vec<(&str, i64)> = messages.iter().map(|h| (h.item.session_id.as_str(), h.item.seq)).collect();
    ensure!(order == [("alpha", 1), ("alpha", 2), ("zulu", 1), ("zulu", 2)], "messages: {order:?}");
    let artifacts = s.search_artifacts(&TextSearch::new("acme", "release", 10)).await?;
    let order: Vec<(&str, &str)> = artifacts.iter().map(|h| (h.item.session_id.as_str(), h.item.id.as_str())).collect();
    ensure!(
        order == [("alpha", "a-note"), ("alpha", "z-note"), ("zulu", "a-note"), ("zulu", "z-note")],
        "artifacts: {order:?}"
    );
    Ok(())
}

pub async fn full_text_search_finds_a_word_in_a_multi_megabyte_transcript(
    factory: &dyn SessionStoreFactory,
) -> TestResult {
    let stores = factory.fresh_session_store("session_big_transcript").await;
    let s = &stores.sessions;
    s.create_session(NewSession::new("acme").id("s")).await?;
    let mut transcript = String::with_capacity(3_200_000);
    let mut n = 0u64;
    while transcript.len() < 1_500_000 {
        transcript.push_str(&format!("speaker{} said word{} and more filler text here. ", n % 7, n));
        n += 1;
    }
    transcript.push_str("the quixotically unique marker appears in the middle. ");
    while transcript.len() < 3_000_000 {
        transcript.push_str(&format!("speaker{} said word{} and more filler text here. ", n % 7, n));
        n += 1;
    }
    transcript.push_str("and a zeppelinfinale at the very end");
    let mut message = NewMessage::new(MessageRole::User, transcript.clone()).id("transcript");
    message.format = "transcript".into();
    s.append_message("acme", "s", message).await?;
    s.append_message("acme", "s", NewMessage::new(MessageRole::User, "short unrelated message")).await?;
    for word in ["quixotically", "zeppelinfinale"] {
        let hits = s.search_messages(&in_session("s", word)).await?;
        ensure!(
            hits.len() == 1 && hits[0].item.id == "transcript",
            "`{word}` in a {} byte transcript: {} hits",
            transcript.len(),
            hits.len()
        );
        ensure!(hits[0].item.content.len() == transcript.len(), "the whole transcript comes back");
    }
    let stored = s.list_messages(&ListMessages::new("acme", "s", 1)).await?;
    ensure!(stored.first().map(|m| m.content == transcript) == Some(true), "stored faithfully");
    Ok(())
}

pub async fn artifacts_are_upserted_listed_and_searchable(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_artifacts").await;
    let s = &stores.sessions;
    for id in ["s1", "s2"] {
        s.create_session(NewSession::new("acme").id(id)).await?;
    }
    let mut report = NewArtifact::new("report", "weekly report", "revenue grew steadily");
    report.id = Some("report".into());
    report.format = "markdown".into();
    report.metadata = meta(json!({"week": 47}));
    let first = s.put_artifact("acme", "s1", report.clone()).await?;
    ensure!(
        first.id == "report" && first.format == "markdown" && first.metadata == meta(json!({"week": 47})),
        "{first:?}"
    );
    tick().await;
    let updated =
        s.put_artifact("acme", "s1", NewArtifact { content: "revenue grew sharply".into(), ..report.clone() }).await?;
    ensure!(
        updated.created_at == first.created_at
            && updated.updated_at > first.updated_at
            && updated.content == "revenue grew sharply",
        "{updated:?}"
    );
    let same_id_other_session = s.put_artifact("acme", "s2", report).await?;
    ensure!(same_id_other_session.session_id == "s2", "artifact ids are per session");
    let mut code = NewArtifact::new("code", "Dashboard.tsx", "export const Dashboard = () => null;");
    code.task_id = Some("task-1".into());
    s.put_artifact("acme", "s1", code).await?;
    let listed = s.list_artifacts("acme", "s1").await?;
    ensure!(
        listed.len() == 2 && listed[0].name == "Dashboard.tsx",
        "newest first: {:?}",
        listed.iter().map(|a| &a.name).collect::<Vec<_>>()
    );
    ensure!(
        s.get_artifact("acme", "s1", "report").await?.map(|a| a.content) == Some("revenue grew sharply".into()),
        "get"
    );
    ensure!(s.get_artifact("acme", "s1", "missing").await?.is_none(), "missing artifact");
    let hits = s.search_artifacts(&in_session("s1", "sharply")).await?;
    ensure!(hits.len() == 1 && hits[0].item.session_id == "s1", "{hits:?}");
    let hits = s.search_artifacts(&TextSearch::new("acme", "revenue", 10)).await?;
    ensure!(hits.len() == 2, "tenant-wide: {hits:?}");
    let by_name = s.search_artifacts(&TextSearch::new("acme", "weekly", 10)).await?;
    ensure!(by_name.len() == 2, "names are searchable: {by_name:?}");
    ensure!(s.get_session("acme", "s1").await?.map(|x| x.artifact_count) == Some(2), "count after upsert");
    Ok(())
}

pub async fn agents_register_and_heartbeat(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_agents").await;
    let s = &stores.sessions;
    let agent = s
        .register_agent(
            "acme",
            NewAgent {
                name: "claude_code".into(),
                kind: "code".into(),
                capabilities: vec!["python".into(), "refactoring".into()],
                metadata: meta(json!({"max": 2})),
            },
        )
        .await?;
    ensure!(
        agent.status == AgentStatus::Available
            && agent.last_heartbeat_at.is_some()
            && agent.capabilities == ["python", "refactoring"],
        "{agent:?}"
    );
    s.register_agent(
        "acme",
        NewAgent {
            name: "researcher".into(),
            kind: "research".into(),
            capabilities: vec![],
            metadata: meta(json!({})),
        },
    )
    .await?;
    tick().await;
    let busy = s.agent_heartbeat("acme", "claude_code", AgentStatus::Busy).await?;
    ensure!(busy.status == AgentStatus::Busy && busy.last_heartbeat_at > agent.last_heartbeat_at, "{busy:?}");
    let again = s
        .register_agent(
            "acme",
            NewAgent {
                name: "claude_code".into(),
                kind: "code".into(),
                capabilities: vec!["rust".into()],
                metadata: meta(json!({})),
            },
        )
        .await?;
    ensure!(again.created_at == agent.created_at && again.capabilities == ["rust"], "re-register updates: {again:?}");
    let names: Vec<String> = s.list_agents("acme", None).await?.into_iter().map(|a| a.name).collect();
    ensure!(names == ["claude_code", "researcher"], "{names:?}");
    let busy_only = s.list_agents("acme", Some(AgentStatus::Available)).await?;
    ensure!(busy_only.len() == 2, "re-registering makes it available again: {busy_only:?}");
    let err = s.agent_heartbeat("acme", "ghost", AgentStatus::Offline).await.err().ok_or("unknown agent heartbeat")?;
    ensure!(matches!(err, StorageError::NotFound { .. }), "{err}");
    ensure!(s.list_agents("other", None).await?.is_empty(), "agents are per tenant");
    Ok(())
}

pub async fn session_summary_reports_duration_and_task_counts(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_summary").await;
    let s = &stores.sessions;
    s.create_session(NewSession::new("acme").id("s")).await?;
    for _ in 0..3 {
        stores.tasks.enqueue(NewTask { session_id: Some("s".into()), ..NewTask::new("acme", "code") }).await?;
    }
    let claimed =
        stores.tasks.claim(&crate::task::ClaimRequest::new("acme", "worker", 60_000)).await?.ok_or("a task")?;
    stores.tasks.complete("acme", claimed.id, claimed.lease_id.ok_or("lease")?, json!({"ok": true})).await?;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    s.set_session_status("acme", "s", SessionStatus::Completed).await?;
    let summary = s.session_summary("acme", "s").await?;
    ensure!(summary.session.task_count == 3, "{summary:?}");
    ensure!(
        summary.tasks_by_status.get("pending") == Some(&2) && summary.tasks_by_status.get("completed") == Some(&1),
        "{:?}",
        summary.tasks_by_status
    );
    ensure!(summary.duration_seconds >= 1, "duration from creation to completion: {}", summary.duration_seconds);
    Ok(())
}

pub async fn sessions_are_confined_to_their_tenant(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_tenants").await;
    let s = &stores.sessions;
    s.create_session(NewSession::new("acme").id("shared-id")).await?;
    s.append_message("acme", "shared-id", NewMessage::new(MessageRole::User, "acme secret")).await?;
    ensure!(s.get_session("other", "shared-id").await?.is_none(), "get across tenants");
    ensure!(s.list_sessions(&list("other")).await?.is_empty(), "list across tenants");
    let err = s
        .append_message("other", "shared-id", NewMessage::new(MessageRole::User, "x"))
        .await
        .err()
        .ok_or("append across tenants")?;
    ensure!(matches!(err, StorageError::NotFound { .. }), "{err}");
    ensure!(s.search_messages(&TextSearch::new("other", "secret", 10)).await?.is_empty(), "search across tenants");
    let theirs = s.create_session(NewSession::new("other").id("shared-id")).await?;
    ensure!(theirs.tenant == "other" && theirs.message_count == 0, "same id in another tenant is another session");
    ensure!(
        s.list_messages(&ListMessages::new("other", "shared-id", 10)).await?.is_empty(),
        "messages stay with their tenant"
    );
    Ok(())
}

pub async fn bad_session_input_is_refused(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_bad_input").await;
    let s = &stores.sessions;
    let err = s.create_session(NewSession::new("")).await.err().ok_or("empty tenant")?;
    ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "tenant"), "{err}");
    s.create_session(NewSession::new("acme").id("s")).await?;
    let err =
        s.append_message("acme", "s", NewMessage::new(MessageRole::User, "a\0b")).await.err().ok_or("NUL accepted")?;
    ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "content"), "{err}");
    let err = s.put_artifact("acme", "s", NewArtifact::new("", "n", "c")).await.err().ok_or("empty kind")?;
    ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "kind"), "{err}");
    ensure!(s.list_messages(&ListMessages::new("acme", "s", 10)).await?.is_empty(), "nothing written");
    Ok(())
}

pub async fn bad_reads_are_refused_alike(factory: &dyn SessionStoreFactory) -> TestResult {
    let stores = factory.fresh_session_store("session_bad_reads").await;
    let s = &stores.sessions;
    s.create_session(NewSession::new("acme").id("s")).await?;
    s.append_message("acme", "s", NewMessage::new(MessageRole::User, "hello world")).await?;
    let page_of_zero = "limit: must be between 1 and 1000, got 0";
    let err = s.list_sessions(&ListSessions::new("acme", 0)).await.err().ok_or("a page of no sessions")?;
    ensure!(err.to_string() == page_of_zero, "list_sessions: {err}");
    let err = s.list_messages(&ListMessages::new("acme", "s", 1001)).await.err().ok_or("a page of 1001 messages")?;
    ensure!(err.to_string() == "limit: must be between 1 and 1000, got 1001", "list_messages: {err}");
    let err = s.list_messages(&ListMessages::new("acme", "", 10)).await.err().ok_or("an empty session id")?;
    ensure!(err.to_string() == "session_id: must be 1 to 200 bytes without NUL", "list_messages: {err}");
    let err = s.search_messages(&TextSearch::new("acme", "hello", 0)).await.err().ok_or("no hits asked")?;
    ensure!(err.to_string() == page_of_zero, "search_messages: {err}");
    let err = s.search_artifacts(&TextSearch::new("acme", "hello", 0)).await.err().ok_or("no hits asked")?;
    ensure!(err.to_string() == page_of_zero, "search_artifacts: {err}");
    let long = "hello ".repeat(2_000);
    let wordy: Vec<String> = (0..70).map(|i| format!("word{i}")).collect();
    let wordy = wordy.join(" ");
    let too_many_terms = "query: has 70 distinct words and phrases; at most 63 are searched";
    for (query, bad_query) in [
        ("hello\0world", "query: contains a NUL byte"),
        (long.as_str(), "query: is longer than 10000 bytes"),
        (wordy.as_str(), too_many_terms),
    ] {
        let err = s.search_messages(&TextSearch::new("acme", query, 10)).await.err().ok_or("a bad query")?;
        ensure!(err.to_string() == bad_query, "search_messages: {err}");
        let err = s.search_artifacts(&TextSearch::new("acme", query, 10)).await.err().ok_or("a bad query")?;
        ensure!(err.to_string() == bad_query, "search_artifacts: {err}");
    }
    let err = s.search_messages(&in_session("a\0b", "hello")).await.err();
    let err = err.ok_or("a session id with NUL")?;
    ensure!(err.to_string() == "session_id: must be 1 to 200 bytes without NUL", "search_messages: {err}");
    let err = s.search_artifacts(&TextSearch::new("", "hello", 10)).await.err().ok_or("an empty tenant")?;
    ensure!(err.to_string() == "tenant: must be 1 to 200 bytes without NUL", "search_artifacts: {err}");
    let bad_tenant = "tenant: must be 1 to 200 bytes without NUL";
    let err = s.get_session("ac\0me", "s").await.err().ok_or("a tenant with NUL")?;
    ensure!(err.to_string() == bad_tenant, "get_session: {err}");
    let err = s.list_artifacts("", "s").await.err().ok_or("an empty tenant")?;
    ensure!(err.to_string() == bad_tenant, "list_artifacts: {err}");
    let err = s.list_agents("ac\0me", None).await.err().ok_or("a tenant with NUL")?;
    ensure!(err.to_string() == bad_tenant, "list_agents: {err}");
    ensure!(s.search_messages(&TextSearch::new("acme", "hello", 10)).await?.len() == 1, "a good query still finds");
    Ok(())
}
