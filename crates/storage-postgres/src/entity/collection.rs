//! `bs_collections`: the registry of collections, one row each, with its embedding space and language.

use sea_orm::entity::prelude::*;
use storage_core::{Bm25Params, CollectionInfo, CollectionName, EmbeddingSpace, Metric, VectorIndexState};

use crate::ops::count::Stats;

/// One collection. `dimensions` and `metric` are NULL until its embedding space is recorded.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bs_collections")]
pub(crate) struct Model {
    /// The collection's name (a validated `CollectionName`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// The text-search configuration its keyword index was built with.
    pub language: String,
    /// Embedding provider, if recorded.
    pub provider: Option<String>,
    /// Embedding model, if recorded.
    pub model: Option<String>,
    /// Vector length, if an embedding space is recorded.
    pub dimensions: Option<i32>,
    /// `cosine`, `l2` or `inner_product`, if an embedding space is recorded.
    pub metric: Option<String>,
    /// When the collection was created.
    pub created_at: DateTimeUtc,
    /// When its embedding space last changed.
    pub updated_at: DateTimeUtc,
    /// BM25's `k1` for its keyword search.
    pub bm25_k1: f64,
    /// BM25's `b` for its keyword search.
    pub bm25_b: f64,
}

/// The registry has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The recorded embedding space, if any.
    pub(crate) fn embedding_space(&self) -> Option<EmbeddingSpace> {
        let dimensions = u32::try_from(self.dimensions?).ok()?;
        let metric = self.metric.as_deref().and_then(|m| m.parse::<Metric>().ok()).unwrap_or_default();
        Some(EmbeddingSpace { provider: self.provider.clone(), model: self.model.clone(), dimensions, metric })
    }

    /// The BM25 parameters its keyword search ranks with.
    pub(crate) fn bm25(&self) -> Bm25Params {
        Bm25Params { k1: self.bm25_k1, b: self.bm25_b }
    }

    /// The collection as the protocol reports it, with what its chunk table holds.
    pub(crate) fn info(&self, stats: &Stats) -> storage_core::Result<CollectionInfo> {
        let embedding_space = self.embedding_space();
        let vector_index = match (&embedding_space, stats.indexed) {
            (None, _) => VectorIndexState::NotNeeded,
            (Some(_), true) => VectorIndexState::Ready,
            (Some(_), false) => VectorIndexState::Missing,
        };
        Ok(CollectionInfo {
            name: CollectionName::new(self.name.clone())?,
            embedding_space,
            count: stats.count,
            embedded_count: stats.embedded,
            vector_index,
            bm25: self.bm25(),
        })
    }
}
