//! The body of `POST /tenants/{tenant}/memories/recall`: the query and its ranking weights (the answer is core's `views::Recalled`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage_core::Embedding;
use storage_core::memory::scoring::RecallWeights;
use storage_core::memory::{MemoryStatus, MemoryTier};
use utoipa::ToSchema;

use super::memory::ScopeBody;

/// Weights of the recall score; each omitted value takes its default.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WeightsBody {
    /// Weight of semantic similarity (default 0.45).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub(crate) semantic: Option<f32>,
    /// Weight of keyword relevance (default 0.15).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub(crate) keyword: Option<f32>,
    /// Weight of recency (default 0.20).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub(crate) recency: Option<f32>,
    /// Weight of importance (default 0.20).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub(crate) importance: Option<f32>,
    /// Added to pinned memories' scores (default 0.10).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub(crate) pinned_boost: Option<f32>,
    /// Hours after which recency halves (default 72).
    #[serde(default)]
    pub(crate) half_life_hours: Option<f32>,
}

impl From<WeightsBody> for RecallWeights {
    fn from(body: WeightsBody) -> Self {
        let d = RecallWeights::default();
        RecallWeights {
            semantic: body.semantic.unwrap_or(d.semantic),
            keyword: body.keyword.unwrap_or(d.keyword),
            recency: body.recency.unwrap_or(d.recency),
            importance: body.importance.unwrap_or(d.importance),
            pinned_boost: body.pinned_boost.unwrap_or(d.pinned_boost),
            half_life_hours: body.half_life_hours.unwrap_or(d.half_life_hours),
        }
    }
}

fn default_recall_limit() -> usize {
    10
}
fn default_candidates() -> usize {
    50
}

/// `POST .../memories/recall`: hybrid recall ranked by similarity, keywords, recency and importance.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecallBody {
    /// Narrows to an agent, user or conversation.
    #[serde(default)]
    pub(crate) scope: ScopeBody,
    /// Text matched against content and tags.
    #[serde(default)]
    pub(crate) text: Option<String>,
    /// Embedding compared with memory embeddings.
    #[serde(default)]
    #[schema(value_type = Option<Vec<f32>>, min_items = 1)]
    pub(crate) embedding: Option<Embedding>,
    /// Only these kinds (any when empty).
    #[serde(default)]
    pub(crate) kinds: Vec<String>,
    /// Only memories with at least one of these tags (any when empty).
    #[serde(default)]
    pub(crate) tags: Vec<String>,
    /// Only these statuses (default: active).
    #[serde(default)]
    pub(crate) statuses: Vec<MemoryStatus>,
    /// Only these tiers (any when empty).
    #[serde(default)]
    pub(crate) tiers: Vec<MemoryTier>,
    /// Metadata filter (Chroma `where` syntax).
    #[serde(default, rename = "where")]
    pub(crate) filter: Option<Map<String, Value>>,
    /// How many to return, 1 to 1000 (default 10).
    #[serde(default = "default_recall_limit")]
    #[schema(minimum = 1, maximum = 1000)]
    pub(crate) limit: usize,
    /// Candidates per leg before ranking, 1 to 1000 (default 50).
    #[serde(default = "default_candidates")]
    #[schema(minimum = 1, maximum = 1000)]
    pub(crate) candidates: usize,
    /// Ranking weights.
    #[serde(default)]
    pub(crate) weights: Option<WeightsBody>,
    /// The time recency is measured against (default now).
    #[serde(default)]
    pub(crate) now: Option<DateTime<Utc>>,
}
