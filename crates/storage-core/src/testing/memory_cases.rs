//! The memory conformance suite: every backend's `MemoryStore` against core's scoring and semantics.
// Each case is named for the behaviour it checks; the name is its documentation.
#![allow(missing_docs)]

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::fixtures::{DIM, meta, one_hot, space, vector};
use super::{MemoryStoreFactory, TestResult};
use crate::StorageError;
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::filter::Filter;
use crate::memory::scoring::{RecallWeights, Signals, importance_signal, recency, score};
use crate::memory::{
    AuditAction, ChangeContext, ExpireMode, ListMemories, MemoryStatus, MemoryStore, MemoryTier, NewMemory,
    RecallRequest, RememberAction, RememberOptions, Scope, reembed_stale,
};

macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        let holds: bool = $cond;
        if !holds {
            return Err(format!($($message)+).into());
        }
    };
}

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const MODEL: &str = "one-hot-8";

fn ctx() -> ChangeContext {
    ChangeContext::by("conformance").because("testing")
}

fn opts() -> RememberOptions {
    RememberOptions { context: ctx(), ..RememberOptions::default() }
}

/// A unit vector whose cosine similarity with axis 0 is exactly `similarity`.
fn at_similarity(similarity: f32) -> Embedding {
    let mut values = vec![0.0; DIM as usize];
    values[0] = similarity;
    values[1] = (1.0 - similarity * similarity).sqrt();
    vector(&values)
}

async fn fresh(factory: &dyn MemoryStoreFactory, case: &str) -> BoxResult<Arc<dyn MemoryStore>> {
    let store = factory.fresh_memory_store(case).await;
    store.set_memory_embedding_space(&space()).await?;
    Ok(store)
}

fn memory(tenant: &str, content: &str) -> NewMemory {
    NewMemory::new(Scope::tenant(tenant), content)
}

pub async fn remembered_memory_round_trips(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_round_trip").await?;
    let expires = Utc::now() + Duration::days(30);
    let mut new = memory("acme", "The deploy window is Tuesday 14:00 UTC")
        .kind("decision")
        .key("deploy-window")
        .tags(&["ops", "deploy"])
        .importance(8)
        .embedding(one_hot(2), MODEL);
    new.scope = Scope::tenant("acme").agent("planner").user("u-1").conversation("c-9");
    new.subject = Some("deploy window".into());
    new.confidence = 0.75;
    new.pinned = true;
    new.source = Some("explicit".into());
    new.tier = MemoryTier::Hot;
    new.metadata = meta(json!({"ticket": "OPS-12", "n": 3}));
    new.expires_at = Some(expires);
    let outcome = store.remember(new.clone(), &opts()).await?;
    ensure!(outcome.action == RememberAction::Created, "{:?}", outcome.action);
    let got = store.get_memory("acme", outcome.memory.id).await?.ok_or("remembered memory is missing")?;
    ensure!(got == outcome.memory, "get returns what remember returned:\n{got:?}\n{:?}", outcome.memory);
    ensure!(got.scope == new.scope && got.kind == "decision" && got.key.as_deref() == Some("deploy-window"), "{got:?}");
    ensure!(got.content == new.content && got.subject == new.subject && got.tags == ["ops", "deploy"], "{got:?}");
    ensure!(got.importance == 8 && (got.confidence - 0.75).abs() < 1e-6 && got.pinned, "{got:?}");
    ensure!(
        got.status == MemoryStatus::Active && got.tier == MemoryTier::Hot && got.version == 1 && !got.stale,
        "{got:?}"
    );
    ensure!(got.metadata == new.metadata && got.embedding_model.as_deref() == Some(MODEL), "{got:?}");
    ensure!(got.embedding.as_ref().map(|e| e.as_slice().to_vec()) == Some(one_hot(2).into_vec()), "embedding");
    ensure!(got.expires_at.map(|t| (t - expires).num_milliseconds().abs() < 2) == Some(true), "expires_at");
    ensure!(got.access_count == 0 && got.superseded_by.is_none() && got.supersedes.is_none(), "{got:?}");
    let by_key = store.get_memory_by_key(&new.scope, "deploy-window").await?.ok_or("by key")?;
    ensure!(by_key.id == got.id, "get by key");
    Ok(())
}

pub async fn tenants_never_see_each_others_memories(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_tenants").await?;
    let a = store
        .remember(
            memory("tenant-a", "secret plan alpha").key("plan").tags(&["secret"]).embedding(one_hot(0), MODEL),
            &opts(),
        )
        .await?
        .memory;
    store.remember(memory("tenant-b", "public notes").embedding(one_hot(5), MODEL), &opts()).await?;
    ensure!(store.get_memory("tenant-b", a.id).await?.is_none(), "get across tenants");
    ensure!(store.get_memory_by_key(&Scope::tenant("tenant-b"), "plan").await?.is_none(), "by key across tenants");
    let everything = RecallRequest {
        limit: 100,
        statuses: MemoryStatus::ALL.to_vec(),
        ..RecallRequest::new(Scope::tenant("tenant-b"))
    };
    for request in [
        everything.clone().text("secret plan alpha"),
        everything.clone().embedding(one_hot(0)),
        everything.clone().text("alpha").embedding(one_hot(0)),
        RecallRequest { tags: vec!["secret".into()], ..everything.clone() },
        RecallRequest { filter: Some(Filter::all()), ..everything.clone() },
        everything.clone(),
    ] {
        let hits = store.recall(&request).await?;
        ensure!(
            hits.iter().all(|h| h.memory.scope.tenant == "tenant-b"),
            "recall crossed tenants: {:?}",
            hits.iter().map(|h| &h.memory.content).collect::<Vec<_>>()
        );
    }
    let listed = store.list_memories(&ListMemories::new(Scope::tenant("tenant-b"), 100)).await?;
    ensure!(listed.len() == 1 && listed[0].scope.tenant == "tenant-b", "list across tenants");
    ensure!(store.history("tenant-b", a.id).await?.is_empty(), "history across tenants");
    ensure!(!store.forget("tenant-b", a.id, &ctx()).await?, "forget across tenants");
    ensure!(
        matches!(store.dispute("tenant-b", a.id, &ctx()).await, Err(StorageError::NotFound { .. })),
        "dispute across tenants must fail as not found"
    );
    ensure!(
        store.get_memory("tenant-a", a.id).await?.map(|m| m.status) == Some(MemoryStatus::Active),
        "a's memory untouched"
    );
    Ok(())
}

pub async fn remembering_an_existing_key_updates_in_place(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_key_upsert").await?;
    let scope = Scope::tenant("acme").user("u1");
    let first =
        store.remember(NewMemory::new(scope.clone(), "likes tea").key("drink").kind("preference"), &opts()).await?;
    let second =
        store.remember(NewMemory::new(scope.clone(), "likes coffee").key("drink").kind("preference"), &opts()).await?;
    ensure!(second.action == RememberAction::UpdatedByKey, "{:?}", second.action);
    ensure!(second.memory.id == first.memory.id && second.memory.version == 2, "{:?}", second.memory);
    ensure!(
        second.memory.content == "likes coffee" && second.memory.created_at == first.memory.created_at,
        "{:?}",
        second.memory
    );
    let other_scope =
        store.remember(NewMemory::new(Scope::tenant("acme").user("u2"), "likes water").key("drink"), &opts()).await?;
    ensure!(
        other_scope.action == RememberAction::Created && other_scope.memory.id != first.memory.id,
        "keys are per scope"
    );
    let listed = store.list_memories(&ListMemories::new(Scope::tenant("acme"), 100)).await?;
    ensure!(listed.len() == 2, "two memories in the tenant: {}", listed.len());
    let history = store.history("acme", first.memory.id).await?;
    let actions: Vec<AuditAction> = history.iter().map(|e| e.action).collect();
    ensure!(actions == [AuditAction::Created, AuditAction::Updated], "{actions:?}");
    ensure!(history[1].old.as_ref().map(|m| m.content.as_str()) == Some("likes tea"), "old value logged");
    ensure!(history[1].new.as_ref().map(|m| m.content.as_str()) == Some("likes coffee"), "new value logged");
    ensure!(
        history.iter().all(|e| e.actor == "conformance" && e.reason.as_deref() == Some("testing")),
        "actor and reason"
    );
    Ok(())
}

pub async fn dedup_merges_above_the_threshold_only(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_dedup").await?;
    let tenant = "acme";
    let base = store
        .remember(memory(tenant, "the build uses cargo").kind("fact").embedding(one_hot(0), MODEL), &opts())
        .await?
        .memory;
    let near = store
        .remember(memory(tenant, "the build runs on cargo").kind("fact").embedding(at_similarity(0.93), MODEL), &opts())
        .await?;
    match near.action {
        RememberAction::Deduplicated { similarity } => {
            ensure!((similarity - 0.93).abs() < 1e-3, "reported similarity {similarity}");
        }
        other => return Err(format!("0.93 ≥ 0.92 must merge, got {other:?}").into()),
    }
    ensure!(
        near.memory.id == base.id && near.memory.version == 2 && near.memory.content == "the build runs on cargo",
        "{:?}",
        near.memory
    );
    let far = store
        .remember(memory(tenant, "the build uses make").kind("fact").embedding(at_similarity(0.90), MODEL), &opts())
        .await?;
    ensure!(
        far.action == RememberAction::Created && far.memory.id != base.id,
        "0.90 < 0.92 must not merge: {:?}",
        far.action
    );
    let other_kind = store.remember(memory(tenant, "cargo").kind("idea").embedding(one_hot(0), MODEL), &opts()).await?;
    ensure!(other_kind.action == RememberAction::Created, "another kind never merges");
    let other_scope = store
        .remember(
            NewMemory::new(Scope::tenant(tenant).agent("x"), "cargo").kind("fact").embedding(one_hot(0), MODEL),
            &opts(),
        )
        .await?;
    ensure!(other_scope.action == RememberAction::Created, "another scope never merges");
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    let forced =
        store.remember(memory(tenant, "cargo again").kind("fact").embedding(one_hot(0), MODEL), &no_dedup).await?;
    ensure!(forced.action == RememberAction::Created, "dedup off");
    store.archive(tenant, forced.memory.id, &ctx()).await?;
    store.archive(tenant, base.id, &ctx()).await?;
    let after_archive =
        store.remember(memory(tenant, "cargo once more").kind("fact").embedding(one_hot(0), MODEL), &opts()).await?;
    ensure!(
        after_archive.action == RememberAction::Created,
        "archived memories are not merge targets: {:?}",
        after_archive.action
    );
    Ok(())
}

pub async fn recall_order_follows_the_scoring_function(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_scoring").await?;
    let now = Utc::now();
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    let query = one_hot(0);
    let mut first_by_weights = Vec::new();
    // Each weighting recalls its own pair, in its own tenant: a recall bumps `last_accessed_at`, which would
    // make the old memory recent for every later recall.
    let weightings =
        [RecallWeights::default(), RecallWeights { semantic: 0.1, recency: 0.8, ..RecallWeights::default() }];
    for (round, weights) in weightings.into_iter().enumerate() {
        let tenant = format!("acme-{round}");
        let mut old_similar = memory(&tenant, "old but very similar").embedding(at_similarity(0.95), MODEL);
        old_similar.occurred_at = Some(now - Duration::days(30));
        let mut recent_weak = memory(&tenant, "recent but weakly similar").embedding(at_similarity(0.30), MODEL);
        recent_weak.occurred_at = Some(now - Duration::minutes(5));
        let old_similar = store.remember(old_similar, &no_dedup).await?.memory;
        let recent_weak = store.remember(recent_weak, &no_dedup).await?.memory;
        let request = RecallRequest {
            weights,
            now: Some(now),
            ..RecallRequest::new(Scope::tenant(tenant.clone())).embedding(query.clone())
        };
        let hits = store.recall(&request).await?;
        ensure!(hits.len() == 2, "both memories recalled: {}", hits.len());
        let expected = |m: &crate::memory::Memory, semantic: f32| {
            score(
                &Signals {
                    semantic,
                    keyword: 0.0,
                    recency: recency(m.last_accessed_at, now, weights.half_life_hours),
                    importance: importance_signal(m.importance, m.status),
                    pinned: m.pinned,
                },
                &weights,
            )
        };
        let (old_score, recent_score) = (expected(&old_similar, 0.95), expected(&recent_weak, 0.30));
        let expected_first = if old_score > recent_score { old_similar.id } else { recent_weak.id };
        ensure!(
            hits[0].memory.id == expected_first,
            "{weights:?}: expected {} first (scores {old_score} vs {recent_score}), got {}",
            expected_first,
            hits[0].memory.content
        );
        for hit in &hits {
            let semantic = if hit.memory.id == old_similar.id { 0.95 } else { 0.30 };
            ensure!(
                (hit.semantic - semantic).abs() < 1e-3,
                "semantic signal of {}: {}",
                hit.memory.content,
                hit.semantic
            );
            let reference = if hit.memory.id == old_similar.id { old_score } else { recent_score };
            ensure!(
                (hit.score - reference).abs() < 2e-3,
                "score of {}: {} vs reference {reference}",
                hit.memory.content,
                hit.score
            );
        }
        first_by_weights.push(hits[0].memory.content.clone());
    }
    ensure!(first_by_weights[0] != first_by_weights[1], "changing the weights flips the order: {first_by_weights:?}");
    Ok(())
}

pub async fn recall_filters_by_kind_tag_status_tier_and_metadata(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_recall_filters").await?;
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    let mut ids = std::collections::HashMap::new();
    for (name, kind, tags, tier, team) in [
        ("m1", "fact", vec!["rust"], MemoryTier::Hot, "core"),
        ("m2", "decision", vec!["rust", "db"], MemoryTier::Warm, "core"),
        ("m3", "fact", vec!["db"], MemoryTier::Cold, "web"),
        ("m4", "risk", vec![], MemoryTier::Warm, "web"),
    ] {
        let mut new =
            memory("acme", &format!("{name} shared topic words")).kind(kind).tags(&tags).embedding(one_hot(0), MODEL);
        new.tier = tier;
        new.metadata = meta(json!({"team": team}));
        ids.insert(name, store.remember(new, &no_dedup).await?.memory.id);
    }
    store.dispute("acme", ids["m4"], &ctx()).await?;
    let names = |hits: &[crate::memory::RecallHit]| -> BTreeSet<String> {
        hits.iter().map(|h| h.memory.content.split(' ').next().unwrap_or_default().to_owned()).collect()
    };
    let base = RecallRequest::new(Scope::tenant("acme")).text("shared topic").embedding(one_hot(0));
    let cases: Vec<(RecallRequest, &[&str])> = vec![
        (base.clone(), &["m1", "m2", "m3"]),
        (RecallRequest { kinds: vec!["fact".into()], ..base.clone() }, &["m1", "m3"]),
        (RecallRequest { tags: vec!["db".into()], ..base.clone() }, &["m2", "m3"]),
        (RecallRequest { statuses: vec![MemoryStatus::Disputed], ..base.clone() }, &["m4"]),
        (
            RecallRequest { statuses: vec![MemoryStatus::Active, MemoryStatus::Disputed], ..base.clone() },
            &["m1", "m2", "m3", "m4"],
        ),
        (RecallRequest { tiers: vec![MemoryTier::Hot, MemoryTier::Cold], ..base.clone() }, &["m1", "m3"]),
        (
            RecallRequest {
                filter: Some(Filter::from_json(&json!({"team": "web"}))?),
                statuses: MemoryStatus::ALL.to_vec(),
                ..base.clone()
            },
            &["m3", "m4"],
        ),
    ];
    for (request, expected) in cases {
        let got = names(&store.recall(&request).await?);
        let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        ensure!(
            got == expected,
            "kinds {:?} tags {:?} statuses {:?} tiers {:?}: {got:?} vs {expected:?}",
            request.kinds,
            request.tags,
            request.statuses,
            request.tiers
        );
    }
    Ok(())
}

pub async fn recall_matches_content_and_tags_by_keyword(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_recall_keyword").await?;
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    store.remember(memory("acme", "the database migrations run nightly"), &no_dedup).await?;
    store.remember(memory("acme", "ship it on fridays").tags(&["deployment"]), &no_dedup).await?;
    store.remember(memory("acme", "unrelated musings"), &no_dedup).await?;
    let hits = store.recall(&RecallRequest::new(Scope::tenant("acme")).text("migrations")).await?;
    ensure!(
        hits.first().map(|h| h.memory.content.as_str()) == Some("the database migrations run nightly"),
        "content match first"
    );
    ensure!(hits.first().map(|h| (h.keyword - 1.0).abs() < 1e-6) == Some(true), "best keyword signal is 1");
    let hits = store.recall(&RecallRequest::new(Scope::tenant("acme")).text("deployment")).await?;
    ensure!(
        hits.first().map(|h| h.memory.content.as_str()) == Some("ship it on fridays"),
        "tag match: {:?}",
        hits.iter().map(|h| &h.memory.content).collect::<Vec<_>>()
    );
    ensure!(
        hits.iter().all(|h| h.memory.content != "unrelated musings" || h.keyword == 0.0),
        "no keyword signal without a match"
    );
    Ok(())
}

pub async fn recall_bumps_access_count_and_time(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_recall_bumps").await?;
    let m = store.remember(memory("acme", "remember me").embedding(one_hot(3), MODEL), &opts()).await?.memory;
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let hits = store.recall(&RecallRequest::new(Scope::tenant("acme")).embedding(one_hot(3))).await?;
    ensure!(hits.len() == 1 && hits[0].memory.access_count == 0, "the hit shows the count from before");
    let after = store.get_memory("acme", m.id).await?.ok_or("missing")?;
    ensure!(after.access_count == 1 && after.last_accessed_at > m.last_accessed_at, "bumped: {after:?}");
    ensure!(after.updated_at == m.updated_at && after.version == 1, "a recall is not an update");
    let read_again = store.get_memory("acme", m.id).await?.ok_or("missing")?;
    ensure!(
        read_again.last_accessed_at == after.last_accessed_at && read_again.access_count == 1,
        "get is a plain read: {read_again:?}"
    );
    store.recall(&RecallRequest::new(Scope::tenant("acme")).embedding(one_hot(3))).await?;
    ensure!(store.get_memory("acme", m.id).await?.map(|m| m.access_count) == Some(2), "bumped again");
    Ok(())
}

pub async fn recall_without_a_query_ranks_recent_and_important_first(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_recall_no_query").await?;
    let now = Utc::now();
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    for (content, days, importance) in
        [("ancient", 60, 5), ("recent", 0, 5), ("important", 20, 10), ("middling", 10, 3)]
    {
        let mut new = memory("acme", content).importance(importance);
        new.occurred_at = Some(now - Duration::days(days));
        store.remember(new, &no_dedup).await?;
    }
    let hits = store.recall(&RecallRequest { now: Some(now), ..RecallRequest::new(Scope::tenant("acme")) }).await?;
    ensure!(hits.len() == 4, "all four: {}", hits.len());
    for pair in hits.windows(2) {
        ensure!(pair[0].score >= pair[1].score, "scores descend");
    }
    // By the formula: recent 0.2·1 + 0.2·0.5 = 0.30; important 0.2·0.01 + 0.2·1 ≈ 0.20; ancient ≈ 0.10;
    // middling 0.2·0.10 + 0.2·0.3 ≈ 0.08.
    let order: Vec<&str> = hits.iter().map(|h| h.memory.content.as_str()).collect();
    ensure!(
        order == ["recent", "important", "ancient", "middling"],
        "{:?}",
        hits.iter().map(|h| (&h.memory.content, h.score)).collect::<Vec<_>>()
    );
    Ok(())
}

pub async fn supersede_links_both_ways_and_hides_the_old_memory(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_supersede").await?;
    let v1 =
        store.remember(memory("acme", "api v1 endpoint is /v1").embedding(one_hot(1), MODEL), &opts()).await?.memory;
    let (old, v2) = store
        .supersede("acme", v1.id, memory("acme", "api endpoint is /v2").embedding(one_hot(2), MODEL), &ctx())
        .await?;
    ensure!(
        old.id == v1.id
            && old.status == MemoryStatus::Superseded
            && old.superseded_by == Some(v2.id)
            && old.tier == MemoryTier::Cold,
        "{old:?}"
    );
    ensure!(v2.supersedes == Some(v1.id) && v2.status == MemoryStatus::Active, "{v2:?}");
    let (old2, v3) = store
        .supersede("acme", v2.id, memory("acme", "api endpoint is /v3").embedding(one_hot(3), MODEL), &ctx())
        .await?;
    ensure!(old2.superseded_by == Some(v3.id) && v3.supersedes == Some(v2.id), "chain continues");
    let mut cursor = Some(v3.id);
    let mut chain = Vec::new();
    while let Some(id) = cursor {
        let m = store.get_memory("acme", id).await?.ok_or("chain broken")?;
        chain.push(m.content.clone());
        cursor = m.supersedes;
    }
    ensure!(
        chain == ["api endpoint is /v3", "api endpoint is /v2", "api v1 endpoint is /v1"],
        "walk the chain back: {chain:?}"
    );
    let hits = store.recall(&RecallRequest::new(Scope::tenant("acme")).text("api endpoint")).await?;
    ensure!(
        hits.len() == 1 && hits[0].memory.id == v3.id,
        "only the newest is active: {:?}",
        hits.iter().map(|h| &h.memory.content).collect::<Vec<_>>()
    );
    let err = store
        .supersede("acme", Uuid::new_v4(), memory("acme", "x"), &ctx())
        .await
        .err()
        .ok_or("superseding a missing memory")?;
    ensure!(matches!(err, StorageError::NotFound { .. }), "{err}");
    Ok(())
}

pub async fn history_survives_forget_and_as_of_replays_it(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_history").await?;
    let scope = Scope::tenant("acme");
    let m = store.remember(NewMemory::new(scope.clone(), "version one").key("k"), &opts()).await?.memory;
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    let between_1_2 = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    store.remember(NewMemory::new(scope.clone(), "version two").key("k"), &opts()).await?;
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    let between_2_3 = Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    store.dispute("acme", m.id, &ctx()).await?;
    ensure!(store.forget("acme", m.id, &ctx()).await?, "forget returns true");
    ensure!(!store.forget("acme", m.id, &ctx()).await?, "forget twice returns false");
    ensure!(store.get_memory("acme", m.id).await?.is_none(), "gone");
    let history = store.history("acme", m.id).await?;
    let actions: Vec<AuditAction> = history.iter().map(|e| e.action).collect();
    ensure!(
        actions == [AuditAction::Created, AuditAction::Updated, AuditAction::StatusChanged, AuditAction::Deleted],
        "{actions:?}"
    );
    ensure!(history.windows(2).all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at), "ordered");
    ensure!(
        history[3].old.as_ref().map(|m| m.status) == Some(MemoryStatus::Disputed) && history[3].new.is_none(),
        "delete logs the old value"
    );
    let before = store.as_of("acme", m.id, m.created_at - Duration::seconds(1)).await?;
    ensure!(before.is_none(), "nothing before creation");
    let v1 = store.as_of("acme", m.id, between_1_2).await?.ok_or("state between 1 and 2")?;
    ensure!(v1.content == "version one" && v1.version == 1, "{v1:?}");
    let v2 = store.as_of("acme", m.id, between_2_3).await?.ok_or("state between 2 and 3")?;
    ensure!(v2.content == "version two" && v2.version == 2 && v2.status == MemoryStatus::Active, "{v2:?}");
    ensure!(store.as_of("acme", m.id, Utc::now()).await?.is_none(), "nothing after the delete");
    ensure!(store.as_of("other", m.id, between_2_3).await?.is_none(), "as_of is tenant-confined");
    Ok(())
}

pub async fn expired_memories_are_deleted_or_archived(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_expiry").await?;
    let now = Utc::now();
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    let mut ids = Vec::new();
    for (content, offset) in [("expired-1", -2), ("expired-2", -1), ("future", 5)] {
        let mut new = memory("acme", content);
        new.expires_at = Some(now + Duration::hours(offset));
        ids.push(store.remember(new, &no_dedup).await?.memory.id);
    }
    let forever = store.remember(memory("acme", "forever"), &no_dedup).await?.memory.id;
    store
        .remember(
            {
                let mut m = memory("other", "other tenant expired");
                m.expires_at = Some(now - Duration::hours(1));
                m
            },
            &no_dedup,
        )
        .await?;
    ensure!(store.expire("acme", now, ExpireMode::Archive, &ctx()).await? == 2, "two archived");
    ensure!(store.get_memory("acme", ids[0]).await?.map(|m| m.status) == Some(MemoryStatus::Archived), "archived");
    ensure!(
        store.expire("acme", now, ExpireMode::Delete, &ctx()).await? == 2,
        "the archived expired ones are deleted next"
    );
    ensure!(
        store.get_memory("acme", ids[0]).await?.is_none() && store.get_memory("acme", ids[1]).await?.is_none(),
        "deleted"
    );
    ensure!(
        store.get_memory("acme", ids[2]).await?.is_some() && store.get_memory("acme", forever).await?.is_some(),
        "unexpired kept"
    );
    ensure!(
        store.list_memories(&ListMemories::new(Scope::tenant("other"), 10)).await?.len() == 1,
        "other tenant untouched"
    );
    Ok(())
}

pub async fn stale_models_are_marked_reembedded_or_purged(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_stale").await?;
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    let old_a =
        store.remember(memory("acme", "embedded by old a").embedding(one_hot(0), "old-model"), &no_dedup).await?.memory;
    store.remember(memory("acme", "embedded by old b").embedding(one_hot(1), "old-model"), &no_dedup).await?;
    let current =
        store.remember(memory("acme", "embedded by current").embedding(one_hot(2), MODEL), &no_dedup).await?.memory;
    store.remember(memory("other", "other tenant").embedding(one_hot(3), "old-model"), &no_dedup).await?;
    ensure!(store.mark_stale("acme", MODEL).await? == 2, "two stale in acme");
    ensure!(store.mark_stale("acme", MODEL).await? == 0, "marking again marks nothing new");
    let stale = store.stale_memories("acme", 10).await?;
    ensure!(stale.len() == 2 && stale.iter().all(|m| m.stale), "{stale:?}");
    ensure!(!store.get_memory("acme", current.id).await?.ok_or("current")?.stale, "current model not stale");
    let updated = store.update_embedding("acme", old_a.id, one_hot(4), MODEL, &ctx()).await?;
    ensure!(!updated.stale && updated.embedding_model.as_deref() == Some(MODEL), "{updated:?}");
    ensure!(store.purge_stale("acme", &ctx()).await? == 1, "one stale left to purge");
    ensure!(store.list_memories(&ListMemories::new(Scope::tenant("acme"), 10)).await?.len() == 2, "two left");
    ensure!(
        store.list_memories(&ListMemories::new(Scope::tenant("other"), 10)).await?.len() == 1,
        "other tenant untouched"
    );
    Ok(())
}

pub async fn replacing_the_embedding_space_marks_stale_and_reembed_fixes_it(
    factory: &dyn MemoryStoreFactory,
) -> TestResult {
    let store = fresh(factory, "memory_replace_space").await?;
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    for axis in 0..3 {
        store.remember(memory("acme", &format!("memory {axis}")).embedding(one_hot(axis), MODEL), &no_dedup).await?;
    }
    let err = store
        .set_memory_embedding_space(&EmbeddingSpace::new(4)?.with_model("test", "four"))
        .await
        .err()
        .ok_or("a different space was accepted")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 4, .. }), "{err}");
    let four = EmbeddingSpace::new(4)?.with_model("test", "four");
    ensure!(store.replace_memory_embedding_space(&four).await? == 3, "all three are stale");
    ensure!(store.memory_embedding_space().await? == Some(four.clone()), "new space recorded");
    let stale = store.stale_memories("acme", 10).await?;
    ensure!(stale.iter().all(|m| m.embedding.is_none()), "embeddings of another length are cleared");
    let done = reembed_stale(store.as_ref(), "acme", "four", 2, &ctx(), |contents| async move {
        Ok(contents.iter().map(|_| vector(&[0.0, 0.0, 1.0, 0.0])).collect())
    })
    .await?;
    ensure!(done == 3 && store.stale_memories("acme", 10).await?.is_empty(), "re-embedded {done}");
    let hits =
        store.recall(&RecallRequest::new(Scope::tenant("acme")).embedding(vector(&[0.0, 0.0, 1.0, 0.0]))).await?;
    ensure!(hits.len() == 3 && hits.iter().all(|h| (h.semantic - 1.0).abs() < 1e-4), "recall in the new space");
    Ok(())
}

pub async fn list_is_newest_first_and_paginated(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_list").await?;
    let now = Utc::now();
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    for i in 0..7 {
        let mut new = memory("acme", &format!("m{i}")).kind(if i % 2 == 0 { "fact" } else { "idea" });
        new.occurred_at = Some(now - Duration::minutes(60 - i));
        store.remember(new, &no_dedup).await?;
    }
    let page = |offset: usize| ListMemories { offset, ..ListMemories::new(Scope::tenant("acme"), 3) };
    let mut seen = Vec::new();
    for offset in [0, 3, 6] {
        seen.extend(store.list_memories(&page(offset)).await?.into_iter().map(|m| m.content));
    }
    ensure!(seen == ["m6", "m5", "m4", "m3", "m2", "m1", "m0"], "{seen:?}");
    let ideas = store
        .list_memories(&ListMemories { kinds: vec!["idea".into()], ..ListMemories::new(Scope::tenant("acme"), 10) })
        .await?;
    ensure!(ideas.iter().map(|m| m.content.as_str()).collect::<Vec<_>>() == ["m5", "m3", "m1"], "by kind");
    Ok(())
}

pub async fn bad_memories_are_refused_and_nothing_is_written(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_bad_input").await?;
    let cases: Vec<(NewMemory, &str)> = vec![
        (memory("acme", "   "), "content"),
        (memory("", "x"), "scope.tenant"),
        (memory("acme", "x").importance(11), "importance"),
        (NewMemory { confidence: 1.5, ..memory("acme", "x") }, "confidence"),
        (NewMemory { embedding: Some(one_hot(0)), ..memory("acme", "x") }, "embedding_model"),
        (memory("acme", "nul\0byte"), "content"),
        (memory("acme", "x").tags(&[""]), "tags[0]"),
    ];
    for (new, field) in cases {
        let err = store.remember(new, &opts()).await.err().ok_or_else(|| format!("bad {field} accepted"))?;
        ensure!(
            matches!(&err, StorageError::InvalidInput { field: f, .. } if f == field),
            "expected an error naming {field}: {err}"
        );
    }
    let err = store
        .remember(memory("acme", "x").embedding(vector(&[1.0, 0.0]), MODEL), &opts())
        .await
        .err()
        .ok_or("2-d accepted")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 2, .. }), "{err}");
    let err = store
        .recall(&RecallRequest::new(Scope::tenant("acme")).embedding(vector(&[1.0, 0.0])))
        .await
        .err()
        .ok_or("2-d query accepted")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { .. }), "{err}");
    ensure!(store.list_memories(&ListMemories::new(Scope::tenant("acme"), 10)).await?.is_empty(), "nothing written");
    Ok(())
}

pub async fn recall_never_returns_expired_memories(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_recall_expired").await?;
    let now = Utc::now();
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    for (content, offset_minutes) in [("expired fact", -1), ("live fact", 60)] {
        let mut new = memory("acme", content).embedding(one_hot(0), MODEL);
        new.expires_at = Some(now + Duration::minutes(offset_minutes));
        store.remember(new, &no_dedup).await?;
    }
    store.remember(memory("acme", "timeless fact").embedding(one_hot(0), MODEL), &no_dedup).await?;
    for request in [
        RecallRequest::new(Scope::tenant("acme")).text("fact"),
        RecallRequest::new(Scope::tenant("acme")).embedding(one_hot(0)),
        RecallRequest::new(Scope::tenant("acme")),
    ] {
        let got: BTreeSet<String> = store.recall(&request).await?.into_iter().map(|h| h.memory.content).collect();
        let expected: BTreeSet<String> = ["live fact", "timeless fact"].map(String::from).into();
        ensure!(got == expected, "expired memories are not recalled before `expire` runs: {got:?}");
    }
    let later =
        RecallRequest { now: Some(now + Duration::hours(2)), ..RecallRequest::new(Scope::tenant("acme")).text("fact") };
    let got: Vec<String> = store.recall(&later).await?.into_iter().map(|h| h.memory.content).collect();
    ensure!(got == ["timeless fact"], "expiry is judged at the request's time: {got:?}");
    Ok(())
}
