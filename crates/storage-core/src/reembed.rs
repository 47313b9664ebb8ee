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
//! still pending and never embeds a done row again. [`reembed_collection`] is the loop every surface runs;
//! [`reembed_memories`] runs it over the memory space (the `MemoryStore` methods of the same names).

use std::fmt;

use async_trait::async_trait;
use serde::Serialize;

use crate::collection::CollectionName;
use crate::embedder::{Embedder, check_embeddings};
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::error::StorageError;
use crate::memory::MemoryStore;
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

/// What is being re-embedded, as messages name it: a collection, or the memory space (every tenant's
/// memories, which share one embedding space).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restaged<'a> {
    /// The rows of a collection.
    Collection(&'a CollectionName),
    /// Every memory of the store.
    Memories,
}

impl<'a> From<&'a CollectionName> for Restaged<'a> {
    fn from(collection: &'a CollectionName) -> Self {
        Restaged::Collection(collection)
    }
}

impl fmt::Display for Restaged<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Restaged::Collection(collection) => write!(f, "collection `{collection}`"),
            Restaged::Memories => f.write_str("the memory space"),
        }
    }
}

/// Checks a space to stage against the one already staged, if any: the same space resumes, another is
/// refused until the staged one is abandoned.
pub fn check_staged_space<'a>(
    subject: impl Into<Restaged<'a>>,
    staged: Option<&EmbeddingSpace>,
    space: &EmbeddingSpace,
) -> crate::Result<()> {
    space.validate()?;
    let subject = subject.into();
    match staged {
        Some(staged) if staged != space => Err(StorageError::Conflict {
            reason: format!(
                "{subject} is already being re-embedded into {} ({} dimensions, {}); \
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
pub fn check_staged_vectors<'a>(
    subject: impl Into<Restaged<'a>>,
    staged: Option<&EmbeddingSpace>,
    vectors: &[StagedVector],
) -> crate::Result<()> {
    let subject = subject.into();
    let Some(space) = staged else {
        return Err(not_staged(subject));
    };
    for (index, vector) in vectors.iter().enumerate() {
        let field = format!("vectors[{index}].embedding");
        match subject {
            Restaged::Collection(collection) => {
                crate::document::check_id(&vector.id, &format!("vectors[{index}].id"))?;
                space.check_vector(collection, &field, &vector.embedding)?;
            }
            Restaged::Memories => {
                uuid::Uuid::parse_str(&vector.id).map_err(|_| {
                    StorageError::invalid(format!("vectors[{index}].id"), format!("`{}` is not a memory id", vector.id))
                })?;
                crate::memory::check_memory_embedding(Some(space), &field, &vector.embedding)?;
            }
        }
    }
    Ok(())
}

/// Checks that a staged re-embedding may switch: every row has its vector in the staged space.
pub fn check_switch<'a>(subject: impl Into<Restaged<'a>>, progress: &ReembedProgress) -> crate::Result<()> {
    if progress.is_complete() {
        return Ok(());
    }
    Err(StorageError::Conflict {
        reason: format!(
            "{} cannot switch to {}: {} of {} rows have no vector in it yet",
            subject.into(),
            progress.space.describe(),
            progress.total - progress.staged,
            progress.total
        ),
    })
}

/// The error of a staging operation with nothing staged.
pub fn not_staged<'a>(subject: impl Into<Restaged<'a>>) -> StorageError {
    StorageError::Conflict { reason: format!("{} has no re-embedding staged", subject.into()) }
}

/// Checks the page size of [`DocumentStore::reembed_pending`].
pub fn check_pending_limit(limit: usize) -> crate::Result<()> {
    crate::check_range("limit", limit, 1, MAX_LIST_LIMIT)
}

/// What [`reembed_collection`] or [`reembed_memories`] did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReembedSummary {
    /// The collection; absent for the memory space.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// The space the rows are in now.
    pub space: EmbeddingSpace,
    /// Rows embedded by this run.
    pub embedded: u64,
    /// Rows a previous, interrupted run had staged already.
    pub resumed: u64,
    /// Rows at the switch, every one in the new space.
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
    progress: impl FnMut(&ReembedProgress) + Send,
) -> crate::Result<ReembedSummary> {
    let mut summary = reembed(&CollectionRows { store, collection }, embedder, page, progress).await?;
    summary.collection = Some(collection.to_string());
    Ok(summary)
}

/// Re-embeds every memory of the store (all tenants: they share the memory space) with `embedder`, as
/// [`reembed_collection`] does a collection's rows: staged beside the current vectors, resumable, and
/// switched in one transaction, after which every memory is embedded by the new model and none is stale.
/// Recall answers from the current space until the switch.
pub async fn reembed_memories(
    store: &dyn MemoryStore,
    embedder: &dyn Embedder,
    page: usize,
    progress: impl FnMut(&ReembedProgress) + Send,
) -> crate::Result<ReembedSummary> {
    reembed(&MemoryRows(store), embedder, page, progress).await
}

/// The staging protocol of one kind of rows, so both kinds run the same loop.
#[async_trait]
trait StagedRows: Sync {
    async fn current_space(&self) -> crate::Result<Option<EmbeddingSpace>>;
    async fn begin(&self, space: &EmbeddingSpace) -> crate::Result<ReembedProgress>;
    async fn pending(&self, limit: usize) -> crate::Result<Vec<PendingText>>;
    async fn stage(&self, vectors: Vec<StagedVector>) -> crate::Result<u64>;
    async fn progress(&self) -> crate::Result<Option<ReembedProgress>>;
    async fn switch(&self) -> crate::Result<ReembedProgress>;
}

struct CollectionRows<'a> {
    store: &'a dyn DocumentStore,
    collection: &'a CollectionName,
}

#[async_trait]
impl StagedRows for CollectionRows<'_> {
    async fn current_space(&self) -> crate::Result<Option<EmbeddingSpace>> {
        self.store.embedding_space(self.collection).await
    }
    async fn begin(&self, space: &EmbeddingSpace) -> crate::Result<ReembedProgress> {
        self.store.begin_reembed(self.collection, space).await
    }
    async fn pending(&self, limit: usize) -> crate::Result<Vec<PendingText>> {
        self.store.reembed_pending(self.collection, limit).await
    }
    async fn stage(&self, vectors: Vec<StagedVector>) -> crate::Result<u64> {
        self.store.stage_vectors(self.collection, vectors).await
    }
    async fn progress(&self) -> crate::Result<Option<ReembedProgress>> {
        self.store.reembed_progress(self.collection).await
    }
    async fn switch(&self) -> crate::Result<ReembedProgress> {
        self.store.switch_reembed(self.collection).await
    }
}

struct MemoryRows<'a>(&'a dyn MemoryStore);

#[async_trait]
impl StagedRows for MemoryRows<'_> {
    async fn current_space(&self) -> crate::Result<Option<EmbeddingSpace>> {
        self.0.memory_embedding_space().await
    }
    async fn begin(&self, space: &EmbeddingSpace) -> crate::Result<ReembedProgress> {
        self.0.begin_memory_reembed(space).await
    }
    async fn pending(&self, limit: usize) -> crate::Result<Vec<PendingText>> {
        self.0.memory_reembed_pending(limit).await
    }
    async fn stage(&self, vectors: Vec<StagedVector>) -> crate::Result<u64> {
        self.0.stage_memory_vectors(vectors).await
    }
    async fn progress(&self) -> crate::Result<Option<ReembedProgress>> {
        self.0.memory_reembed_progress().await
    }
    async fn switch(&self) -> crate::Result<ReembedProgress> {
        self.0.switch_memory_reembed().await
    }
}

/// The loop: stage the embedder's space (with the current metric, cosine when there is none), embed and
/// stage page after page of pending rows, switch when none is pending.
async fn reembed(
    rows: &dyn StagedRows,
    embedder: &dyn Embedder,
    page: usize,
    mut progress: impl FnMut(&ReembedProgress) + Send,
) -> crate::Result<ReembedSummary> {
    check_pending_limit(page)?;
    let current = rows.current_space().await?;
    let mut space = embedder.space().clone();
    space.metric = current.map(|current| current.metric).unwrap_or_default();
    let begun = rows.begin(&space).await?;
    let resumed = begun.staged;
    progress(&begun);
    let mut embedded = 0u64;
    // A switch is refused while rows are pending; rows written after the last page was read make it
    // refuse, and the loop embeds them and tries again.
    let mut refused_switches = 0;
    loop {
        let pending = rows.pending(page).await?;
        if pending.is_empty() {
            match rows.switch().await {
                Ok(switched) => {
                    return Ok(ReembedSummary {
                        collection: None,
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
        rows.stage(staged).await?;
        if let Some(status) = rows.progress().await? {
            progress(&status);
        }
    }
}

/// How often [`reembed`] retries a switch that concurrent writes made refuse.
const MAX_REFUSED_SWITCHES: u32 = 3;
