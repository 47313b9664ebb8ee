//! Re-embedding a collection into a new embedding space, staged beside the current one.
//!
//! The protocol ([`DocumentStore::begin_reembed`] and its siblings) keeps searches on the current space
//! until every row has a vector in the staged one, then switches in one transaction:
//!
//! 1. `begin_reembed(space)` records the staged space (again with the same space: resumes);
//! 2. `reembed_pending(limit)` returns rows that lack a staged vector, or whose staged vector was computed
//!    from an older revision of the row (it was updated since), in id order;
//! 3. `stage_vectors` writes their new vectors, tagged with the revision they were computed from;
//! 4. `switch_reembed` makes the staged space current and drops the old vectors, refused while any row is
//!    still pending; `abandon_reembed` forgets the staged space and its vectors instead.
//!
//! A kill between any two steps loses at most the page being embedded: a re-run resumes with the rows
//! still pending and never embeds a done row again. [`reembed_collection`] is the loop every surface runs.

use serde::Serialize;

use crate::collection::CollectionName;
use crate::embedder::{Embedder, check_embeddings};
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::error::StorageError;
use crate::store::{DocumentStore, MAX_LIST_LIMIT};

/// Rows embedded per page by [`reembed_collection`] unless told otherwise.
pub const DEFAULT_REEMBED_PAGE: usize = 256;

/// A row that needs a vector in the staged space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingText {
    /// The chunk's id.
    pub id: String,
    /// The text to embed.
    pub text: String,
    /// The row's revision (its `updated_at` in microseconds): a staged vector counts only while the row
    /// keeps the revision the vector was computed from.
    pub revision: i64,
}

/// A new vector for a row, computed from the row's text at `revision`.
#[derive(Clone, Debug, PartialEq)]
pub struct StagedVector {
    /// The chunk's id.
    pub id: String,
    /// The revision of [`PendingText::revision`] the vector was computed from.
    pub revision: i64,
    /// The vector, in the staged space.
    pub embedding: Embedding,
}

/// How far a staged re-embedding has come.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReembedProgress {
    /// The staged space (after a switch: the collection's space).
    pub space: EmbeddingSpace,
    /// Rows with a current vector in the staged space.
    pub staged: u64,
    /// Rows in the collection.
    pub total: u64,
}

impl ReembedProgress {
    /// Whether every row has its vector in the staged space.
    pub fn is_complete(&self) -> bool {
        self.staged >= self.total
    }
}

/// Checks a space to stage against the one already staged, if any: the same space resumes, another is
/// refused until the staged one is abandoned.
pub fn check_staged_space(
    collection: &CollectionName,
    staged: Option<&EmbeddingSpace>,
    space: &EmbeddingSpace,
) -> crate::Result<()> {
    space.validate()?;
    match staged {
        Some(staged) if staged != space => Err(StorageError::Conflict {
            reason: format!(
                "collection `{collection}` is already being re-embedded into {} ({} dimensions, {}); \
                 finish that or abandon it before staging {} ({} dimensions, {})",
                staged.describe(),
                staged.dimensions,
                staged.metric.as_str(),
                space.describe(),
                space.dimensions,
                space.metric.as_str()
            ),
        }),
        _ => Ok(()),
    }
}

/// Checks staged vectors against the staged space (`None`: nothing is staged) before anything is written.
pub fn check_staged_vectors(
    collection: &CollectionName,
    staged: Option<&EmbeddingSpace>,
    vectors: &[StagedVector],
) -> crate::Result<()> {
    let Some(space) = staged else {
        return Err(not_staged(collection));
    };
    for (index, vector) in vectors.iter().enumerate() {
        crate::document::check_id(&vector.id, &format!("vectors[{index}].id"))?;
        space.check_vector(collection, &format!("vectors[{index}].embedding"), &vector.embedding)?;
    }
    Ok(())
}

/// Checks that a staged re-embedding may switch: every row has its vector in the staged space.
pub fn check_switch(collection: &CollectionName, progress: &ReembedProgress) -> crate::Result<()> {
    if progress.is_complete() {
        return Ok(());
    }
    Err(StorageError::Conflict {
        reason: format!(
            "collection `{collection}` cannot switch to {}: {} of {} rows have no vector in it yet",
            progress.space.describe(),
            progress.total - progress.staged,
            progress.total
        ),
    })
}

/// The error of a staging operation on a collection with nothing staged.
pub fn not_staged(collection: &CollectionName) -> StorageError {
    StorageError::Conflict { reason: format!("collection `{collection}` has no re-embedding staged") }
}

/// Checks the page size of [`DocumentStore::reembed_pending`].
pub fn check_pending_limit(limit: usize) -> crate::Result<()> {
    if limit == 0 || limit > MAX_LIST_LIMIT {
        return Err(StorageError::invalid("limit", format!("must be between 1 and {MAX_LIST_LIMIT}, got {limit}")));
    }
    Ok(())
}

/// What [`reembed_collection`] did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReembedSummary {
    /// The collection.
    pub collection: String,
    /// The space the collection is in now.
    pub space: EmbeddingSpace,
    /// Rows embedded by this run.
    pub embedded: u64,
    /// Rows a previous, interrupted run had staged already.
    pub resumed: u64,
    /// Rows in the collection at the switch, every one in the new space.
    pub total: u64,
}

/// Re-embeds every row of `collection` with `embedder`, `page` rows at a time, then switches.
///
/// The staged space is the embedder's, with the collection's metric (cosine when it has none). Resumes a
/// staging of the same space; `progress` is called after every page. Rows written while it runs are
/// embedded too: it switches only when none is pending.
pub async fn reembed_collection(
    store: &dyn DocumentStore,
    embedder: &dyn Embedder,
    collection: &CollectionName,
    page: usize,
    mut progress: impl FnMut(&ReembedProgress) + Send,
) -> crate::Result<ReembedSummary> {
    check_pending_limit(page)?;
    let current = store.embedding_space(collection).await?;
    let mut space = embedder.space().clone();
    space.metric = current.map(|current| current.metric).unwrap_or_default();
    let begun = store.begin_reembed(collection, &space).await?;
    let resumed = begun.staged;
    progress(&begun);
    let mut embedded = 0u64;
    // A switch is refused while rows are pending; rows written after the last page was read make it
    // refuse, and the loop embeds them and tries again.
    let mut refused_switches = 0;
    loop {
        let pending = store.reembed_pending(collection, page).await?;
        if pending.is_empty() {
            match store.switch_reembed(collection).await {
                Ok(switched) => {
                    return Ok(ReembedSummary {
                        collection: collection.to_string(),
                        space: switched.space,
                        embedded,
                        resumed,
                        total: switched.total,
                    });
                }
                Err(StorageError::Conflict { .. }) if refused_switches < MAX_REFUSED_SWITCHES => {
                    refused_switches += 1;
                    continue;
                }
                Err(error) => return Err(error),
            }
        }
        let texts: Vec<&str> = pending.iter().map(|row| row.text.as_str()).collect();
        let vectors = embedder.embed(&texts).await?;
        let vectors = check_embeddings(
            &embedder.space().describe(),
            &space,
            pending.len(),
            vectors.into_iter().map(Embedding::into_vec).collect(),
        )?;
        let staged = pending
            .into_iter()
            .zip(vectors)
            .map(|(row, embedding)| StagedVector { id: row.id, revision: row.revision, embedding })
            .collect::<Vec<_>>();
        embedded += staged.len() as u64;
        store.stage_vectors(collection, staged).await?;
        if let Some(status) = store.reembed_progress(collection).await? {
            progress(&status);
        }
    }
}

/// How often [`reembed_collection`] retries a switch that concurrent writes made refuse.
const MAX_REFUSED_SWITCHES: u32 = 3;
