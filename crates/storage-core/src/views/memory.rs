//! Views of memories: the brief listings and recall hits show (the vector's length, not the vector), lists, recall results, history, and the memory embedding space.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::embedding::EmbeddingSpace;
// Declared beside `Memory` from the same field list (`record_and_brief!`).
pub use crate::memory::MemoryBrief;
use crate::memory::{AuditEntry, Memory, RecallHit, RememberAction, RememberOutcome};

counted_list! {
    /// A page of memories: `{"count", "memories"}`, briefs, newest first.
    MemoryList {
        /// Memories in this page.
        count,
        /// Newest first.
        memories: MemoryBrief,
    }
}

/// One recalled memory with the signals that ranked it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecalledMemory {
    /// The final score in [0, 1].
    pub score: f32,
    /// Similarity to the query embedding.
    pub semantic: f32,
    /// Keyword relevance.
    pub keyword: f32,
    /// Recency in [0, 1].
    pub recency: f32,
    /// The memory (access count and time as before this recall).
    pub memory: MemoryBrief,
}

/// A recall's answer: `{"took_ms", "hits"}`, best first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recalled {
    /// Time in the store, in milliseconds (three decimals).
    pub took_ms: f64,
    /// Best first.
    pub hits: Vec<RecalledMemory>,
}

impl Recalled {
    /// The answer of a recall that found `hits` in `took_ms`.
    pub fn new(took_ms: f64, hits: Vec<RecallHit>) -> Self {
        let hits = hits
            .into_iter()
            .map(|hit| RecalledMemory {
                score: hit.score,
                semantic: hit.semantic,
                keyword: hit.keyword,
                recency: hit.recency,
                memory: hit.memory.into(),
            })
            .collect();
        Recalled { took_ms: super::round_ms(took_ms), hits }
    }
}

/// A memory replaced: `{"old", "new"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Superseded {
    /// The old memory, now `superseded`.
    pub old: Memory,
    /// Its replacement.
    pub new: Memory,
}

/// A memory forgotten: `{"id", "forgotten"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Forgotten {
    /// The memory.
    pub id: Uuid,
    /// Whether it existed (its audit history stays).
    pub forgotten: bool,
}

/// A memory's audit log: `{"id", "entries"}`, oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemoryHistory {
    /// The memory.
    pub id: Uuid,
    /// Oldest first.
    pub entries: Vec<AuditEntry>,
}

/// The memory embedding space: `{"embedding_space", "stale_marked"?}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemorySpaceView {
    /// The recorded space; null until one is set.
    pub embedding_space: Option<EmbeddingSpace>,
    /// Memories marked stale by a switch to this space (a replace only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_marked: Option<u64>,
}

/// Many memories remembered in order (`memory remember --from-json`): counts per action and every outcome,
/// in input order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RememberBatch {
    /// Memories remembered.
    pub remembered: u64,
    /// Of them, inserted as new.
    pub created: u64,
    /// Of them, updated because their key existed.
    pub updated_by_key: u64,
    /// Of them, merged into a near-duplicate.
    pub deduplicated: u64,
    /// Every outcome, in input order.
    pub results: Vec<RememberOutcome>,
}

impl RememberBatch {
    /// Counts one outcome.
    pub fn add(&mut self, outcome: RememberOutcome) {
        self.remembered += 1;
        match outcome.action {
            RememberAction::Created => self.created += 1,
            RememberAction::UpdatedByKey => self.updated_by_key += 1,
            RememberAction::Deduplicated { .. } => self.deduplicated += 1,
        }
        self.results.push(outcome);
    }
}
