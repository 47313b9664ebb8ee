//! Re-embedding into a staged space: resumable, counted exactly, searched in the old space until the
//! switch, and in the new one after it.

use std::sync::Arc;

use async_trait::async_trait;

use crate::StorageError;
use crate::document::Chunk;
use crate::embedder::{Embedder, check_embeddings};
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::reembed::{StagedVector, reembed_collection};
use crate::search::SearchRequest;
use crate::store::DocumentStore;
use crate::testing::fixtures::{DIM, collection, ids, one_hot, space, vector};
use crate::testing::{StoreFactory, TestResult};

/// Rows of every case: `row 0` … `row 9`, each along its own axis of the fixture space.
const ROWS: usize = 10;

/// The staged space: 4 dimensions of another model.
pub(crate) fn new_space() -> EmbeddingSpace {
    EmbeddingSpace::new(4).expect("4 is a valid dimension").with_model("test", "row-number-4")
}

/// A real embedder of the fixture texts: `row K` becomes `[K + 1, 1, 0, 0]`, so under cosine the query
/// `[1, 0, 0, 0]` ranks rows by K, highest first.
#[derive(Debug)]
pub(crate) struct RowNumbers(pub(crate) EmbeddingSpace);

#[async_trait]
impl Embedder for RowNumbers {
    fn space(&self) -> &EmbeddingSpace {
        &self.0
    }

    async fn embed(&self, texts: &[&str]) -> crate::Result<Vec<Embedding>> {
        let vectors = texts.iter().map(|text| row_vector(text).into_vec()).collect();
        check_embeddings("row numbers", &self.0, texts.len(), vectors)
    }
}

pub(crate) fn row_vector(text: &str) -> Embedding {
    let number: f32 = text.trim_start_matches("row ").parse().unwrap_or(0.0);
    vector(&[number + 1.0, 1.0, 0.0, 0.0])
}

async fn loaded(store: &Arc<dyn DocumentStore>) -> crate::Result<crate::CollectionName> {
    let c = collection(store, "docs").await?;
    let chunks =
        (0..ROWS).map(|k| Chunk::new(format!("c{k}"), format!("row {k}")).with_embedding(one_hot(k))).collect();
    store.upsert(&c, chunks).await?;
    Ok(c)
}

async fn stage(store: &Arc<dyn DocumentStore>, c: &crate::CollectionName, limit: usize) -> crate::Result<Vec<String>> {
    let pending = store.reembed_pending(c, limit).await?;
    let done = pending.iter().map(|row| row.id.clone()).collect();
    let vectors = pending
        .into_iter()
        .map(|row| StagedVector { embedding: row_vector(&row.text), id: row.id, revision: row.revision })
        .collect();
    store.stage_vectors(c, vectors).await?;
    Ok(done)
}

/// The new-space query's expected order: every row, highest number first.
fn new_order() -> Vec<String> {
    (0..ROWS).rev().map(|k| format!("c{k}")).collect()
}

pub async fn reembedding_resumes_after_a_reopen_and_never_redoes_done_rows(factory: &dyn StoreFactory) -> TestResult {
    let case = "reembed_resume";
    let store = factory.fresh(case).await;
    let c = loaded(&store).await?;
    let begun = store.begin_reembed(&c, &new_space()).await?;
    ensure!((begun.staged, begun.total) == (0, ROWS as u64), "nothing staged yet: {begun:?}");
    let first = stage(&store, &c, 4).await?;
    ensure!(first == ["c0", "c1", "c2", "c3"], "pending rows come in id order: {first:?}");
    store.close().await?;

    // As a re-run after a kill would: a new handle, the same space again.
    let store = factory.reopen(case).await;
    let resumed = store.begin_reembed(&c, &new_space()).await?;
    ensure!((resumed.staged, resumed.total) == (4, ROWS as u64), "the staged rows survive: {resumed:?}");
    let pending: Vec<String> = store.reembed_pending(&c, 100).await?.into_iter().map(|row| row.id).collect();
    let expected: Vec<String> = (4..ROWS).map(|k| format!("c{k}")).collect();
    ensure!(pending == expected, "only the rows not done are pending: {pending:?}");

    let embedder = RowNumbers(new_space());
    let mut seen = Vec::new();
    let summary = reembed_collection(store.as_ref(), &embedder, &c, 3, |p| seen.push((p.staged, p.total))).await?;
    ensure!(
        (summary.resumed, summary.embedded, summary.total) == (4, 6, ROWS as u64),
        "the run embeds exactly the rows left: {summary:?}"
    );
    ensure!(seen.first() == Some(&(4, 10)) && seen.last() == Some(&(10, 10)), "progress from 4/10 to 10/10: {seen:?}");
    ensure!(summary.space == new_space(), "the summary names the new space: {:?}", summary.space);
    ensure!(store.embedding_space(&c).await? == Some(new_space()), "the collection is in the new space");
    ensure!(store.reembed_progress(&c).await?.is_none(), "nothing is staged after the switch");
    ensure!(store.count(&c, None).await? == ROWS as u64, "no row lost");
    for k in 0..ROWS {
        let stored = store.get(&c, &format!("c{k}")).await?.ok_or("a row went missing")?;
        let expected = row_vector(&format!("row {k}"));
        ensure!(stored.embedding.as_ref() == Some(&expected), "c{k} carries its new vector: {stored:?}");
    }
    let info = store.collection(&c).await?.ok_or("the collection went missing")?;
    ensure!(info.embedded_count == ROWS as u64, "every row has a vector: {info:?}");
    Ok(())
}

pub async fn searches_use_the_old_space_until_the_switch_and_the_new_one_after(
    factory: &dyn StoreFactory,
) -> TestResult {
    let store = factory.fresh("reembed_search").await;
    let c = loaded(&store).await?;
    let old_query = SearchRequest { top_k: 3, ..SearchRequest::vector(one_hot(2)) };
    let new_query = SearchRequest { top_k: ROWS, ..SearchRequest::vector(vector(&[1.0, 0.0, 0.0, 0.0])) };
    store.begin_reembed(&c, &new_space()).await?;
    for limit in [5, ROWS] {
        stage(&store, &c, limit).await?;
        let hits = store.search(&c, &old_query).await?;
        ensure!(hits.first().map(|h| h.id.as_str()) == Some("c2"), "the old space answers: {:?}", ids(&hits));
        let err = store.search(&c, &new_query).await.err().ok_or("a new-space query was taken before the switch")?;
        ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 4, .. }), "{err}");
    }
    let switched = store.switch_reembed(&c).await?;
    ensure!((switched.staged, switched.total) == (ROWS as u64, ROWS as u64), "exact counts: {switched:?}");
    let hits = store.search(&c, &new_query).await?;
    ensure!(ids(&hits) == new_order(), "the new space answers in its own order: {:?}", ids(&hits));
    let err = store.search(&c, &old_query).await.err().ok_or("an old-space query was taken after the switch")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: 4, given: DIM, .. }), "{err}");
    let keyword = store.search(&c, &SearchRequest::keyword("row")).await?;
    ensure!(keyword.len() == ROWS, "keyword search is untouched: {}", keyword.len());
    Ok(())
}

pub async fn staged_vectors_of_the_wrong_dimension_or_space_are_refused(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("reembed_refused").await;
    let c = loaded(&store).await?;
    let unstaged = vec![StagedVector { id: "c0".into(), revision: 0, embedding: row_vector("row 0") }];
    let err = store.stage_vectors(&c, unstaged).await.err().ok_or("a vector was staged with nothing begun")?;
    ensure!(matches!(err, StorageError::Conflict { .. }), "{err}");

    store.begin_reembed(&c, &new_space()).await?;
    let pending = store.reembed_pending(&c, 2).await?;
    let mut vectors: Vec<StagedVector> = pending
        .iter()
        .map(|row| StagedVector { id: row.id.clone(), revision: row.revision, embedding: row_vector(&row.text) })
        .collect();
    vectors[1].embedding = one_hot(1);
    let err = store.stage_vectors(&c, vectors).await.err().ok_or("an 8-d vector was staged in a 4-d space")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: 4, given: DIM, .. }), "{err}");
    let progress = store.reembed_progress(&c).await?.ok_or("the staging was lost")?;
    ensure!(progress.staged == 0, "a refused batch writes nothing: {progress:?}");

    let other = EmbeddingSpace::new(6)?.with_model("test", "other-6");
    let err = store.begin_reembed(&c, &other).await.err().ok_or("a second staged space was accepted")?;
    ensure!(matches!(err, StorageError::Conflict { .. }), "{err}");
    ensure!(err.to_string().contains("row-number-4") && err.to_string().contains("other-6"), "names both: {err}");
    let err = store.reembed_pending(&c, 0).await.err().ok_or("a zero page was accepted")?;
    ensure!(matches!(err, StorageError::InvalidInput { .. }), "{err}");
    ensure!(store.embedding_space(&c).await? == Some(space()), "the current space is untouched");
    Ok(())
}

pub async fn switch_is_refused_while_rows_lack_a_staged_vector(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("reembed_switch_refused").await;
    let c = loaded(&store).await?;
    store.begin_reembed(&c, &new_space()).await?;
    stage(&store, &c, ROWS).await?;
    // A row written after its vector was staged needs a new one; so does a new row.
    store.upsert(&c, vec![Chunk::new("c3", "row 3 changed").with_embedding(one_hot(3))]).await?;
    store.upsert(&c, vec![Chunk::new("c10", "row 10").with_embedding(one_hot(2))]).await?;
    let progress = store.reembed_progress(&c).await?.ok_or("the staging was lost")?;
    ensure!((progress.staged, progress.total) == (9, 11), "the changed and the new row are pending: {progress:?}");
    let pending: Vec<String> = store.reembed_pending(&c, 100).await?.into_iter().map(|row| row.id).collect();
    ensure!(pending == ["c10", "c3"], "pending: {pending:?}");
    let err = store.switch_reembed(&c).await.err().ok_or("a switch with rows missing was accepted")?;
    ensure!(matches!(err, StorageError::Conflict { .. }), "{err}");
    ensure!(err.to_string().contains("2 of 11"), "names the counts: {err}");
    ensure!(store.embedding_space(&c).await? == Some(space()), "the current space is untouched");

    // A deleted row is no longer counted.
    store.delete_ids(&c, &["c10".to_owned()]).await?;
    let progress = store.reembed_progress(&c).await?.ok_or("the staging was lost")?;
    ensure!((progress.staged, progress.total) == (9, 10), "a deleted row leaves both counts: {progress:?}");

    ensure!(store.abandon_reembed(&c).await?, "abandon reports the staging it dropped");
    ensure!(store.reembed_progress(&c).await?.is_none(), "nothing is staged after abandoning");
    ensure!(!store.abandon_reembed(&c).await?, "a second abandon finds nothing");
    let hits = store.search(&c, &SearchRequest { top_k: 1, ..SearchRequest::vector(one_hot(3)) }).await?;
    ensure!(ids(&hits) == ["c3"], "the old space still answers: {:?}", ids(&hits));
    let begun = store.begin_reembed(&c, &new_space()).await?;
    ensure!(begun.staged == 0, "a new staging starts from nothing: {begun:?}");
    Ok(())
}
