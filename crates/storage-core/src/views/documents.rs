//! Views of chunks and collections: search results with each leg's explanation flattened, counts, deletions and the collection list.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::collection::CollectionInfo;
use crate::document::Metadata;
use crate::embedding::Embedding;
use crate::get::FetchedChunk;
use crate::search::{SearchHit, SearchMode};

/// One hit, flattened: the leg details appear only when the query asked to `explain`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResult {
    /// Chunk id.
    pub id: String,
    /// Chunk text.
    pub text: String,
    /// Chunk metadata.
    pub metadata: Metadata,
    /// Relevance in [0, 1], higher is better.
    pub score: f32,
    /// Raw vector distance, for hits the vector leg found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<f64>,
    /// Rank in the vector leg (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_rank: Option<u32>,
    /// Score in the vector leg (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_score: Option<f32>,
    /// Rank in the keyword leg (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword_rank: Option<u32>,
    /// Score in the keyword leg (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword_score: Option<f32>,
    /// Query terms found in the text (explain, keyword legs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_terms: Option<Vec<String>>,
    /// The chunk's stored vector, when the query's `include` named embeddings and the chunk has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Embedding>,
}

impl From<SearchHit> for SearchResult {
    fn from(hit: SearchHit) -> Self {
        SearchResult {
            id: hit.id,
            text: hit.text,
            metadata: hit.metadata,
            score: hit.score,
            distance: hit.distance,
            vector_rank: hit.vector.map(|leg| leg.rank),
            vector_score: hit.vector.map(|leg| leg.score),
            keyword_rank: hit.keyword.map(|leg| leg.rank),
            keyword_score: hit.keyword.map(|leg| leg.score),
            matched_terms: hit.matched_terms,
            embedding: None,
        }
    }
}

/// One query's answer: `{"mode", "took_ms", "results"}` (and the query's `id` in a batch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchResults {
    /// The query's id, for the lines of a batch only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The mode that ran.
    pub mode: SearchMode,
    /// Time in the store, in milliseconds (three decimals).
    pub took_ms: f64,
    /// Hits, best first (score descending, then id).
    pub results: Vec<SearchResult>,
}

impl SearchResults {
    /// The answer of a query in `mode` that found `hits` in `took_ms`.
    pub fn new(mode: SearchMode, took_ms: f64, hits: Vec<SearchHit>) -> Self {
        SearchResults {
            id: None,
            mode,
            took_ms: super::round_ms(took_ms),
            results: hits.into_iter().map(SearchResult::from).collect(),
        }
    }

    /// Gives each result its vector from `embeddings` (by id, as [`crate::hit_embeddings`] reads them).
    #[must_use]
    pub fn with_embeddings(mut self, mut embeddings: HashMap<String, Embedding>) -> Self {
        for result in &mut self.results {
            result.embedding = embeddings.remove(&result.id);
        }
        self
    }
}

/// Chunks read by ids or filters: `{"chunks"}`, each with the parts the read's `include` named.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Chunks {
    /// In the read's order: the order of the ids asked for, or id order.
    pub chunks: Vec<FetchedChunk>,
}

/// A count: `{"count"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count {
    /// Chunks counted.
    pub count: u64,
}

/// What a delete removed: `{"deleted"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deleted {
    /// Chunks deleted.
    pub deleted: u64,
}

/// Every collection: `{"collections"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collections {
    /// By name, each with its embedding space and count.
    pub collections: Vec<CollectionInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fusion::LegExplain;

    #[test]
    fn a_hit_flattens_its_legs_and_omits_what_explain_did_not_ask_for() {
        let hit = SearchHit {
            id: "a".into(),
            text: "t".into(),
            metadata: Metadata::new(),
            score: 0.5,
            distance: Some(0.5),
            vector: Some(LegExplain { rank: 1, score: 0.5 }),
            keyword: Some(LegExplain { rank: 2, score: 0.25 }),
            matched_terms: Some(vec!["t".into()]),
        };
        let plain = SearchHit { distance: None, vector: None, keyword: None, matched_terms: None, ..hit.clone() };
        let explained = serde_json::to_value(SearchResults::new(SearchMode::Hybrid, 1.5, vec![hit])).unwrap();
        let result = &explained["results"][0];
        assert_eq!((result["vector_rank"].clone(), result["vector_score"].clone()), (1.into(), 0.5.into()));
        assert_eq!((result["keyword_rank"].clone(), result["keyword_score"].clone()), (2.into(), 0.25.into()));
        assert_eq!(result["matched_terms"], serde_json::json!(["t"]));
        let bare = serde_json::to_value(SearchResults::new(SearchMode::Hybrid, 1.5, vec![plain])).unwrap();
        let keys: Vec<&String> = bare["results"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "metadata", "score", "text"]); // serde_json sorts keys
        assert_eq!((bare["mode"].clone(), bare["took_ms"].clone()), ("hybrid".into(), 1.5.into()));
        assert!(bare.get("id").is_none(), "a single query has no id");
    }
}
