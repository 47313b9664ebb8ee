//! A memory's life: supersede chains, audit history and as_of, expiry, stale models, listing.

use chrono::{Duration, Utc};
use uuid::Uuid;

use super::{MODEL, ctx, fresh, memory, opts};
use crate::StorageError;
use crate::embedding::EmbeddingSpace;
use crate::memory::{
    AuditAction, ExpireMode, ListMemories, MemoryStatus, MemoryTier, NewMemory, RecallRequest, RememberOptions,
    SYSTEM_ACTOR, Scope, reembed_stale,
};
use crate::testing::fixtures::{DIM, one_hot, vector};
use crate::testing::{MemoryStoreFactory, TestResult};

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

pub async fn supersede_hands_the_key_over_and_refuses_alike(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_supersede_key").await?;
    let scope = Scope::tenant("acme");
    let v1 = store.remember(NewMemory::new(scope.clone(), "the deploy target is k8s").key("deploy"), &opts()).await?;
    let (old, v2) = store.supersede("acme", v1.memory.id, memory("acme", "the deploy target is nomad"), &ctx()).await?;
    ensure!(old.key.is_none() && v2.key.as_deref() == Some("deploy"), "the key passes on: {old:?} {v2:?}");
    let by_key = store.get_memory_by_key(&scope, "deploy").await?.ok_or("the key finds nothing")?;
    ensure!(by_key.id == v2.id, "the key finds the replacement: {by_key:?}");
    ensure!(store.get_memory("acme", old.id).await?.ok_or("old")?.key.is_none(), "the old memory dropped it");

    let (kept, v3) = store.supersede("acme", v2.id, memory("acme", "deploys go to fly").key("fly"), &ctx()).await?;
    ensure!(kept.key.as_deref() == Some("deploy") && v3.key.as_deref() == Some("fly"), "{kept:?} {v3:?}");

    let holder = store.remember(NewMemory::new(scope.clone(), "a held key").key("held"), &opts()).await?.memory;
    let err = store
        .supersede("acme", v3.id, memory("acme", "x").key("held"), &ctx())
        .await
        .err()
        .ok_or("a key held by another memory was taken")?;
    let expected = format!("conflict: key `held` belongs to memory {} in this scope", holder.id);
    ensure!(matches!(err, StorageError::Conflict { .. }) && err.to_string() == expected, "{err}");
    let err = store
        .supersede("acme", v3.id, memory("other", "x"), &ctx())
        .await
        .err()
        .ok_or("another tenant's replacement was accepted")?;
    ensure!(err.to_string() == "scope.tenant: must be `acme`, the tenant of the memory it supersedes", "{err}");
    let after = store.get_memory("acme", v3.id).await?.ok_or("v3")?;
    ensure!(after.status == MemoryStatus::Active && after.version == v3.version, "nothing written: {after:?}");
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

pub async fn marking_stale_is_audited_and_counts_only_what_it_changes(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = fresh(factory, "memory_stale_audit").await?;
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    let old = store.remember(memory("acme", "old a").embedding(one_hot(0), "old-model"), &no_dedup).await?.memory;
    store.remember(memory("acme", "old b").embedding(one_hot(1), "old-model"), &no_dedup).await?;
    let current = store.remember(memory("acme", "current").embedding(one_hot(2), MODEL), &no_dedup).await?.memory;
    store.remember(memory("acme", "no embedding"), &no_dedup).await?;
    ensure!(store.mark_stale("acme", MODEL).await? == 2, "two newly stale");
    let marked = store.get_memory("acme", old.id).await?.ok_or("old")?;
    ensure!(marked.stale && marked.version == 2 && marked.updated_at >= old.updated_at, "{marked:?}");
    let history = store.history("acme", old.id).await?;
    let last = history.last().ok_or("no history")?;
    ensure!(
        history.len() == 2
            && last.action == AuditAction::Updated
            && last.actor == SYSTEM_ACTOR
            && last.reason.as_deref() == Some("the current embedding model is `one-hot-8`")
            && last.new.as_ref() == Some(&marked),
        "{history:?}"
    );

    let same_dims_no_model = EmbeddingSpace::new(DIM)?;
    ensure!(store.replace_memory_embedding_space(&same_dims_no_model).await? == 0, "a space naming no model");
    ensure!(store.history("acme", current.id).await?.len() == 1, "nothing audited when nothing changed");
    let other_model = EmbeddingSpace::new(DIM)?.with_model("test", "other");
    ensure!(store.replace_memory_embedding_space(&other_model).await? == 1, "only the memory not yet stale");
    let entries = store.history("acme", current.id).await?;
    let last = entries.last().ok_or("no history")?;
    ensure!(entries.len() == 2 && last.actor == SYSTEM_ACTOR, "{entries:?}");
    ensure!(last.reason.as_deref() == Some("the memory embedding space changed to model `other`"), "{:?}", last.reason);
    let four = EmbeddingSpace::new(4)?.with_model("test", "four");
    ensure!(store.replace_memory_embedding_space(&four).await? == 3, "every embedding is cleared");
    let cleared = store.get_memory("acme", old.id).await?.ok_or("old")?;
    ensure!(cleared.embedding.is_none() && cleared.stale && cleared.version == 3, "{cleared:?}");
    // Back to the first dimensions: statements a pooled connection prepared while the column had other
    // dimensions must still run (PostgreSQL refuses a cached plan whose result type changed).
    ensure!(store.replace_memory_embedding_space(&other_model).await? == 0, "no vector left to clear");
    let back = store.remember(memory("acme", "back").embedding(one_hot(3), "other"), &no_dedup).await?.memory;
    ensure!(store.get_memory("acme", back.id).await?.and_then(|m| m.embedding) == Some(one_hot(3)), "read back");
    let hits = store.recall(&RecallRequest::new(Scope::tenant("acme")).embedding(one_hot(3))).await?;
    ensure!(hits.first().map(|hit| hit.memory.id) == Some(back.id), "recalled in the space it returned to");
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

pub async fn the_memory_model_is_recorded_the_first_time_it_is_given(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = factory.fresh_memory_store("memory_space_completed").await;
    let bare = EmbeddingSpace::new(DIM)?;
    let named = bare.clone().with_model("p", "m");
    store.set_memory_embedding_space(&bare).await?;
    store.set_memory_embedding_space(&named).await?;
    ensure!(store.memory_embedding_space().await? == Some(named.clone()), "the model given first is recorded");
    store.set_memory_embedding_space(&bare).await?;
    ensure!(store.memory_embedding_space().await? == Some(named.clone()), "a space naming nothing keeps it");
    let err = store
        .set_memory_embedding_space(&bare.clone().with_model("p", "other-model"))
        .await
        .err()
        .ok_or("a different model was accepted")?;
    let message = err.to_string();
    ensure!(
        matches!(err, StorageError::ModelMismatch { .. })
            && message.contains("p/m")
            && message.contains("p/other-model"),
        "the error names both models: {message}"
    );
    ensure!(store.memory_embedding_space().await? == Some(named), "the recorded model is unchanged");
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
