//! Remembering: round trips, tenant isolation, keys, dedup and bad input.

use chrono::{Duration, Utc};
use serde_json::json;

use super::{MODEL, at_similarity, ctx, fresh, memory, opts};
use crate::StorageError;
use crate::filter::Filter;
use crate::memory::{
    AuditAction, ListMemories, MemoryStatus, MemoryTier, NewMemory, RecallRequest, RememberAction, RememberOptions,
    Scope,
};
use crate::testing::fixtures::{DIM, meta, one_hot, vector};
use crate::testing::{MemoryStoreFactory, TestResult};

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
    let first = NewMemory { metadata: meta(json!({"cup": "small"})), ..NewMemory::new(scope.clone(), "likes tea") };
    let first = store.remember(first.key("drink").kind("preference"), &opts()).await?;
    let second = NewMemory { metadata: meta(json!({"cup": "large"})), ..NewMemory::new(scope.clone(), "likes coffee") };
    let second = store.remember(second.key("drink").kind("preference"), &opts()).await?;
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
    // The keyword index and the metadata filter follow the new content, also after a change that keeps it.
    store.archive("acme", first.memory.id, &ctx()).await?;
    let recall = |text: &str, cup: &str| -> crate::Result<RecallRequest> {
        Ok(RecallRequest {
            statuses: vec![MemoryStatus::Archived],
            filter: Some(Filter::from_json(&json!({"cup": cup}))?),
            ..RecallRequest::new(scope.clone()).text(text)
        })
    };
    let found = |hits: &[crate::memory::RecallHit]| hits.iter().map(|h| h.memory.id).collect::<Vec<_>>();
    ensure!(found(&store.recall(&recall("coffee", "large")?).await?) == [first.memory.id], "the new content");
    ensure!(store.recall(&recall("tea", "large")?).await?.is_empty(), "the old content is not indexed");
    ensure!(store.recall(&recall("coffee", "small")?).await?.is_empty(), "the old metadata is not indexed");
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
    // The fixture space is cosine: a vector too short to have a direction, or too long for f32 distances.
    for values in [[1e-45; DIM as usize], [3e38; DIM as usize]] {
        let degenerate = vector(&values);
        let err = store
            .remember(memory("acme", "x").embedding(degenerate.clone(), MODEL), &opts())
            .await
            .err()
            .ok_or_else(|| format!("{} accepted", values[0]))?;
        ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "embedding"), "{err}");
        let err = store
            .recall(&RecallRequest::new(Scope::tenant("acme")).embedding(degenerate))
            .await
            .err()
            .ok_or_else(|| format!("{} query accepted", values[0]))?;
        ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "embedding"), "{err}");
    }
    ensure!(store.list_memories(&ListMemories::new(Scope::tenant("acme"), 10)).await?.is_empty(), "nothing written");
    Ok(())
}

pub async fn every_backend_refuses_with_cores_own_messages(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = factory.fresh_memory_store("memory_core_messages").await;
    let expected = StorageError::missing_memory_space().to_string();
    let err = store.remember(memory("acme", "x").embedding(one_hot(0), MODEL), &opts()).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == Some(expected.clone()), "remember before a space: {err:?}");
    let err = store.recall(&RecallRequest::new(Scope::tenant("acme")).embedding(one_hot(0))).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == Some(expected), "recall before a space: {err:?}");
    store.set_memory_embedding_space(&crate::testing::fixtures::space()).await?;
    let other = crate::EmbeddingSpace::new(DIM + 1)?;
    let refused = crate::memory::memory_space_change(&crate::testing::fixtures::space(), &other).err();
    let err = store.set_memory_embedding_space(&other).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == refused.map(|e| e.to_string()), "another space: {err:?}");
    let bad_threshold = RememberOptions { dedup_threshold: Some(1.5), context: ctx() };
    let expected = crate::memory::check_dedup_threshold(1.5).err().map(|e| e.to_string());
    let err = store.remember(memory("acme", "x"), &bad_threshold).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == expected, "threshold 1.5: {err:?}");
    let expected = crate::memory::check_model_name("model", "").err().map(|e| e.to_string());
    let err = store.mark_stale("acme", "").await.err();
    ensure!(err.as_ref().map(ToString::to_string) == expected, "mark_stale without a model: {err:?}");
    let kept = store.remember(memory("acme", "kept"), &opts()).await?.memory;
    let err = store.update_embedding("acme", kept.id, one_hot(1), "", &ctx()).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == expected, "update_embedding without a model: {err:?}");
    let expected = crate::check_page_limit("limit", 0).err().map(|e| e.to_string());
    let err = store.list_memories(&ListMemories::new(Scope::tenant("acme"), 0)).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == expected, "a page of 0: {err:?}");
    let err = store.stale_memories("acme", 0).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == expected, "a page of 0 stale memories: {err:?}");
    let expected = crate::check_page_limit("limit", 1001).err().map(|e| e.to_string());
    let err = store.stale_memories("acme", 1001).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == expected, "a page of 1001 stale memories: {err:?}");
    let bad_tenant = Some("tenant: must be 1 to 200 bytes without NUL".to_owned());
    let err = store.get_memory("ac\0me", kept.id).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == bad_tenant, "get_memory in a tenant with NUL: {err:?}");
    let err = store.history("", kept.id).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == bad_tenant, "history in an empty tenant: {err:?}");
    let err = store.forget("ac\0me", kept.id, &ctx()).await.err();
    ensure!(err.as_ref().map(ToString::to_string) == bad_tenant, "forget in a tenant with NUL: {err:?}");
    ensure!(store.get_memory("acme", kept.id).await?.is_some(), "the refusals forgot nothing");
    Ok(())
}
