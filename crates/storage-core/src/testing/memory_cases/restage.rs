//! Re-embedding the memory space into a staged space: every tenant's memories, counted exactly, recalled
//! in the old space until the switch and in the new one after it; a changed memory is pending again.

use std::sync::Arc;

use super::{BoxResult, MODEL, ctx, fresh, memory};
use crate::StorageError;
use crate::memory::{MemoryStore, RecallRequest, RememberOptions, Scope};
use crate::reembed::{Restaged, StagedVector, reembed_memories};
use crate::testing::cases::reembed::{RowNumbers, new_space, row_vector};
use crate::testing::fixtures::{DIM, one_hot, space, vector};
use crate::testing::{MemoryStoreFactory, TestResult};

/// Memories of every case: `row 0` … `row 5`, three per tenant, each along its own axis of the old space.
const MEMORIES: usize = 6;

async fn loaded(factory: &dyn MemoryStoreFactory, case: &str) -> BoxResult<Arc<dyn MemoryStore>> {
    let store = fresh(factory, case).await?;
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    for k in 0..MEMORIES {
        let tenant = if k < 3 { "acme" } else { "other" };
        let new = memory(tenant, &format!("row {k}")).key(format!("k{k}")).embedding(one_hot(k), MODEL);
        store.remember(new, &no_dedup).await?;
    }
    Ok(store)
}

/// Stages the new vectors of up to `limit` pending memories; returns their contents.
async fn stage(store: &Arc<dyn MemoryStore>, limit: usize) -> crate::Result<Vec<String>> {
    let pending = store.memory_reembed_pending(limit).await?;
    let done = pending.iter().map(|row| row.text.clone()).collect();
    let vectors = pending
        .into_iter()
        .map(|row| StagedVector { embedding: row_vector(&row.text), id: row.id, revision: row.revision })
        .collect();
    store.stage_memory_vectors(vectors).await?;
    Ok(done)
}

pub async fn memory_reembedding_recalls_the_old_space_until_the_switch(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = loaded(factory, "memory_reembed_switch").await?;
    let begun = store.begin_memory_reembed(&new_space()).await?;
    ensure!((begun.staged, begun.total) == (0, MEMORIES as u64), "every tenant's memories count: {begun:?}");
    let again = store.begin_memory_reembed(&new_space()).await?;
    ensure!(again == begun, "the same space again resumes: {again:?}");
    stage(&store, 4).await?;
    let progress = store.memory_reembed_progress().await?.ok_or("the staging was lost")?;
    ensure!((progress.staged, progress.total) == (4, MEMORIES as u64), "{progress:?}");
    let rest = stage(&store, 10).await?;
    ensure!(rest.len() == 2, "only the memories not done are pending: {rest:?}");

    let old_query = RecallRequest::new(Scope::tenant("acme")).embedding(one_hot(1));
    let hits = store.recall(&old_query).await?;
    ensure!(hits.first().map(|h| h.memory.content.as_str()) == Some("row 1"), "the old space answers recall");
    let new_query = RecallRequest::new(Scope::tenant("acme")).embedding(vector(&[1.0, 0.0, 0.0, 0.0]));
    let err = store.recall(&new_query).await.err().ok_or("a new-space query was taken before the switch")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 4, .. }), "{err}");

    // A memory written after its vector was staged needs a new one; so does a new memory.
    let no_dedup = RememberOptions { dedup_threshold: None, context: ctx() };
    let changed = memory("acme", "row 0 changed").key("k0").embedding(one_hot(0), MODEL);
    store.remember(changed, &no_dedup).await?;
    store.remember(memory("acme", "row 6").embedding(one_hot(6), MODEL), &no_dedup).await?;
    let progress = store.memory_reembed_progress().await?.ok_or("the staging was lost")?;
    ensure!((progress.staged, progress.total) == (5, 7), "the changed and the new memory are pending: {progress:?}");
    let err = store.switch_memory_reembed().await.err().ok_or("a switch with memories pending was accepted")?;
    ensure!(matches!(err, StorageError::Conflict { .. }), "{err}");
    ensure!(err.to_string().contains("memory space") && err.to_string().contains("2 of 7"), "names the counts: {err}");
    ensure!(store.memory_embedding_space().await? == Some(space()), "the current space is untouched");

    let embedder = RowNumbers(new_space());
    let mut seen = Vec::new();
    let summary = reembed_memories(store.as_ref(), &embedder, 2, |p| seen.push((p.staged, p.total))).await?;
    ensure!(
        (summary.resumed, summary.embedded, summary.total, summary.collection.as_deref()) == (5, 2, 7, None),
        "the run embeds exactly the memories left: {summary:?}"
    );
    ensure!(seen.first() == Some(&(5, 7)) && seen.last() == Some(&(7, 7)), "progress from 5/7 to 7/7: {seen:?}");
    ensure!(store.memory_embedding_space().await? == Some(new_space()), "the memory space is the new one");
    ensure!(store.memory_reembed_progress().await?.is_none(), "nothing is staged after the switch");
    for tenant in ["acme", "other"] {
        let all = store.list_memories(&crate::memory::ListMemories::new(Scope::tenant(tenant), 10)).await?;
        ensure!(all.len() == if tenant == "acme" { 4 } else { 3 }, "no memory lost in {tenant}: {}", all.len());
        for m in all {
            let expected = row_vector(&m.content);
            ensure!(m.embedding.as_ref() == Some(&expected), "{} carries its new vector: {m:?}", m.content);
            ensure!(m.embedding_model.as_deref() == Some("row-number-4") && !m.stale, "new model, not stale: {m:?}");
        }
    }
    let hits = store.recall(&new_query).await?;
    ensure!(hits.len() == 4, "the new space answers recall: {}", hits.len());
    let err = store.recall(&old_query).await.err().ok_or("an old-space query was taken after the switch")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: 4, given: DIM, .. }), "{err}");
    Ok(())
}

pub async fn memory_reembedding_refuses_bad_vectors_and_a_second_space(factory: &dyn MemoryStoreFactory) -> TestResult {
    let store = loaded(factory, "memory_reembed_refused").await?;
    let err = store.memory_reembed_pending(10).await.err().ok_or("pending rows with nothing staged")?;
    ensure!(err.to_string() == crate::not_staged(Restaged::Memories).to_string(), "{err}");
    store.begin_memory_reembed(&new_space()).await?;
    let pending = store.memory_reembed_pending(2).await?;
    let mut vectors: Vec<StagedVector> = pending
        .iter()
        .map(|row| StagedVector { id: row.id.clone(), revision: row.revision, embedding: row_vector(&row.text) })
        .collect();
    vectors[1].embedding = one_hot(1);
    let err = store.stage_memory_vectors(vectors.clone()).await.err().ok_or("an 8-d vector was staged in 4-d")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: 4, given: DIM, .. }), "{err}");
    vectors[1].embedding = row_vector("row 1");
    vectors[0].id = "not-a-uuid".to_owned();
    let err = store.stage_memory_vectors(vectors).await.err().ok_or("a bad memory id was staged")?;
    ensure!(matches!(err, StorageError::InvalidInput { .. }) && err.to_string().contains("vectors[0].id"), "{err}");
    let progress = store.memory_reembed_progress().await?.ok_or("the staging was lost")?;
    ensure!(progress.staged == 0, "a refused batch writes nothing: {progress:?}");

    let other = crate::EmbeddingSpace::new(6)?.with_model("test", "other-6");
    let err = store.begin_memory_reembed(&other).await.err().ok_or("a second staged space was accepted")?;
    ensure!(matches!(err, StorageError::Conflict { .. }), "{err}");
    ensure!(err.to_string().contains("row-number-4") && err.to_string().contains("other-6"), "names both: {err}");
    let err = store.memory_reembed_pending(0).await.err().ok_or("a zero page was accepted")?;
    ensure!(matches!(err, StorageError::InvalidInput { .. }), "{err}");

    stage(&store, 3).await?;
    ensure!(store.abandon_memory_reembed().await?, "abandon reports the staging it dropped");
    ensure!(store.memory_reembed_progress().await?.is_none(), "nothing is staged after abandoning");
    ensure!(!store.abandon_memory_reembed().await?, "a second abandon finds nothing");
    ensure!(store.memory_embedding_space().await? == Some(space()), "the current space is untouched");
    let hits = store.recall(&RecallRequest::new(Scope::tenant("other")).embedding(one_hot(4))).await?;
    ensure!(hits.first().map(|h| h.memory.content.as_str()) == Some("row 4"), "the old vectors still answer");
    let begun = store.begin_memory_reembed(&new_space()).await?;
    ensure!(begun.staged == 0, "a new staging starts from nothing: {begun:?}");
    Ok(())
}
