//! Recall: ranking by core's scoring, filters, keyword legs, access bumps and expiry.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use serde_json::json;

use super::{MODEL, at_similarity, ctx, fresh, memory, opts};
use crate::filter::Filter;
use crate::memory::scoring::{Present, RecallWeights, Signals, importance_signal, recency, score_present};
use crate::memory::{MemoryStatus, MemoryTier, RecallRequest, RememberOptions, Scope};
use crate::testing::fixtures::{meta, one_hot};
use crate::testing::{MemoryStoreFactory, TestResult};

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
        // A recall without query text: the keyword weight leaves the denominator.
        let no_text = Present { semantic: true, keyword: false };
        let expected = |m: &crate::memory::Memory, semantic: f32| {
            score_present(
                &Signals {
                    semantic,
                    keyword: 0.0,
                    recency: recency(m.last_accessed_at, now, weights.half_life_hours),
                    importance: importance_signal(m.importance, m.status),
                    pinned: m.pinned,
                },
                &weights,
                no_text,
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

pub async fn blank_text_recalls_the_recent_and_the_important(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_recall_blank").await?;
    let now = Utc::now();
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    for (content, days, importance) in [("ancient", 60, 5), ("recent", 0, 5), ("important", 20, 10), ("low", 10, 3)] {
        let mut new = memory("acme", content).importance(importance);
        new.occurred_at = Some(now - Duration::days(days));
        store.remember(new, &no_dedup).await?;
    }
    // One candidate a leg: the most recently accessed memory and the most important one.
    let blank = RecallRequest {
        text: Some(" \t ".to_owned()),
        candidates: 1,
        now: Some(now),
        ..RecallRequest::new(Scope::tenant("acme"))
    };
    let hits = store.recall(&blank).await?;
    let found: BTreeSet<&str> = hits.iter().map(|hit| hit.memory.content.as_str()).collect();
    ensure!(found == BTreeSet::from(["important", "recent"]), "blank text recalled {found:?}");
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
