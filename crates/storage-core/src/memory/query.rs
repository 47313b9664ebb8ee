//! Recall and list requests, and recall hits.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::scoring::RecallWeights;
use super::types::{Memory, MemoryStatus, MemoryTier, Scope};
use crate::embedding::Embedding;
use crate::filter::Filter;

/// A recall query.
#[derive(Clone, Debug, PartialEq)]
pub struct RecallRequest {
    /// Whose memories: the tenant, and optionally agent / user / conversation to narrow to.
    pub scope: Scope,
    /// Text matched against content and tags (keyword leg).
    pub text: Option<String>,
    /// Embedding compared with memory embeddings (semantic leg).
    pub embedding: Option<Embedding>,
    /// Only these kinds (any, when empty).
    pub kinds: Vec<String>,
    /// Only memories carrying at least one of these tags (any, when empty).
    pub tags: Vec<String>,
    /// Only these statuses (default: active).
    pub statuses: Vec<MemoryStatus>,
    /// Only these tiers (any, when empty).
    pub tiers: Vec<MemoryTier>,
    /// Metadata filter.
    pub filter: Option<Filter>,
    /// How many to return (1 to 1000, default 10).
    pub limit: usize,
    /// Candidates taken from each leg before ranking (default 50).
    pub candidates: usize,
    /// Ranking weights.
    pub weights: RecallWeights,
    /// The time recency is measured against (now by default; set it for reproducible rankings).
    pub now: Option<DateTime<Utc>>,
}

impl RecallRequest {
    /// The text the keyword leg looks for: `None` when there is none or it is blank, so that blank text
    /// recalls as no text does on every backend.
    pub fn query_text(&self) -> Option<&str> {
        self.text.as_deref().filter(|text| !text.trim().is_empty())
    }

    /// A recall in `scope` with default filters and weights.
    pub fn new(scope: Scope) -> Self {
        RecallRequest {
            scope,
            text: None,
            embedding: None,
            kinds: Vec::new(),
            tags: Vec::new(),
            statuses: vec![MemoryStatus::Active],
            tiers: Vec::new(),
            filter: None,
            limit: 10,
            candidates: 50,
            weights: RecallWeights::default(),
            now: None,
        }
    }

    /// Sets the query text.
    #[must_use]
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Sets the query embedding.
    #[must_use]
    pub fn embedding(mut self, embedding: Embedding) -> Self {
        self.embedding = Some(embedding);
        self
    }

    /// Checks the request.
    pub fn validate(&self) -> crate::Result<()> {
        self.scope.validate()?;
        crate::check_page_limit("limit", self.limit)?;
        crate::check_page_limit("candidates", self.candidates)?;
        if let Some(text) = &self.text {
            crate::check_query_text("text", text)?;
        }
        if let Some(filter) = &self.filter {
            filter.validate()?;
        }
        self.weights.validate()
    }
}

/// One recalled memory with the signals that ranked it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecallHit {
    /// The memory (access count and time as they were before this recall).
    pub memory: Memory,
    /// The final score in [0, 1].
    pub score: f32,
    /// Cosine similarity to the query embedding (0 without one).
    pub semantic: f32,
    /// Keyword relevance normalised by the best keyword candidate (0 without text).
    pub keyword: f32,
    /// Recency in [0, 1].
    pub recency: f32,
}

/// A page of memories, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct ListMemories {
    /// Whose memories (tenant required; other ids narrow).
    pub scope: Scope,
    /// Only these kinds (any, when empty).
    pub kinds: Vec<String>,
    /// Only these statuses (any, when empty).
    pub statuses: Vec<MemoryStatus>,
    /// Page size (1 to 1000).
    pub limit: usize,
    /// Memories to skip.
    pub offset: usize,
}

impl ListMemories {
    /// The first page of `limit` memories of `scope`.
    pub fn new(scope: Scope, limit: usize) -> Self {
        ListMemories { scope, kinds: Vec::new(), statuses: Vec::new(), limit, offset: 0 }
    }

    /// Checks the scope and the page size.
    pub fn validate(&self) -> crate::Result<()> {
        self.scope.validate()?;
        crate::check_page_limit("limit", self.limit)
    }
}
