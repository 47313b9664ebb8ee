//! `HealthReport` and `PoolStatus`: what `status` and the health endpoints show. Never a password.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::collection::{CollectionInfo, VectorIndexState};

/// A store's state, as `brainstore status` and `GET /health/status` report it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    /// `embedded` or `postgres`.
    pub backend: String,
    /// Whether the store answered and looks sound.
    pub healthy: bool,
    /// Whether the store's schema exists (`brainstore init` has run).
    pub initialized: bool,
    /// Where the data lives: a folder, or `host:port/database`. Never a URL with credentials.
    pub location: String,
    /// Versions of the engines involved (`sqlite`, `sqlite_vec`, `postgresql`, `pgvector`, `schema`, ...).
    pub versions: BTreeMap<String, String>,
    /// Every collection with its embedding space and count.
    pub collections: Vec<CollectionInfo>,
    /// Connection pool metrics, for backends with a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolStatus>,
    /// Backend-specific facts (file sizes, settings), safe to show.
    #[serde(default)]
    pub details: Map<String, Value>,
    /// What an operator should know although the store is healthy, one sentence each: collections whose
    /// chunks lack embeddings, vector indexes that are missing. Every backend fills it with
    /// [`HealthReport::warnings_for`] its collections.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl HealthReport {
    /// Chunks across all collections.
    pub fn total_count(&self) -> u64 {
        self.collections.iter().map(|c| c.count).sum()
    }

    /// The warnings `collections` call for, in their order: a missing vector index (searches stay correct
    /// but scan every vector), and chunks without an embedding in a collection that has an embedding space
    /// (vector search cannot find them). A keyword-only collection warns of nothing.
    pub fn warnings_for(collections: &[CollectionInfo]) -> Vec<String> {
        let mut warnings = Vec::new();
        for info in collections.iter().filter(|info| info.embedding_space.is_some()) {
            if info.vector_index == VectorIndexState::Missing {
                warnings.push(format!(
                    "collection `{}`: the vector index is missing (a bulk load set it aside or was interrupted), so \
                     vector searches scan every vector until it is built; initializing the store builds it",
                    info.name
                ));
            }
            warnings.extend(info.unembedded_warning());
        }
        warnings
    }
}

impl PoolStatus {
    /// The metrics of a pool that does not exist (never opened, or closed): every count 0.
    pub fn not_initialized() -> Self {
        PoolStatus {
            status: "not_initialized".to_owned(),
            pool_size: 0,
            checked_in: 0,
            checked_out: 0,
            overflow: 0,
            total: 0,
            max_connections: 0,
        }
    }
}

/// Connection pool metrics, in the seed's shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PoolStatus {
    /// `active`, or `not_initialized` when no pool exists (then every count is 0).
    pub status: String,
    /// The configured pool size; connections are opened as needed, up to it and then into overflow.
    pub pool_size: u32,
    /// Open connections not in use.
    pub checked_in: u32,
    /// Connections in use.
    pub checked_out: u32,
    /// Open connections beyond `pool_size`; never negative.
    pub overflow: u32,
    /// `pool_size + overflow`, as the seed reports it; `checked_in + checked_out` is what is open now.
    pub total: u32,
    /// The most connections the pool will open (`pool_size + max_overflow`).
    pub max_connections: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::CollectionName;
    use crate::embedding::EmbeddingSpace;

    fn info(
        name: &str,
        space: bool,
        count: u64,
        embedded_count: u64,
        vector_index: VectorIndexState,
    ) -> CollectionInfo {
        CollectionInfo {
            name: CollectionName::new(name).unwrap(),
            embedding_space: space.then(|| EmbeddingSpace::new(3).unwrap()),
            count,
            embedded_count,
            vector_index,
            bm25: crate::Bm25Params::default(),
        }
    }

    #[test]
    fn warnings_name_missing_indexes_and_unembedded_chunks() {
        use VectorIndexState::*;
        let warnings = HealthReport::warnings_for(&[
            info("fine", true, 10, 10, Ready),
            info("keyword_only", false, 10, 0, NotNeeded),
            info("loading", true, 10, 10, Missing),
            info("partly", true, 10, 7, Ready),
        ]);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with("collection `loading`: the vector index is missing"), "{warnings:?}");
        assert_eq!(
            warnings[1],
            "collection `partly`: 3 of 10 chunks have no embedding, so vector search cannot find them"
        );
    }
}
