//! The view of a store's state: what `brainstore status --json` and `GET /health/status` both show of a
//! [`HealthReport`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::collection::CollectionInfo;
use crate::health::{HealthReport, PoolStatus};

/// The store's state: backend, health, where the data lives, engine versions, collections, pool and what needs
/// attention. The command line adds the selected collection and details; the HTTP API adds a `status` word.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoreStatus {
    /// `embedded` or `postgres`.
    pub backend: String,
    /// Whether the store answered and looks sound.
    pub healthy: bool,
    /// Whether the store's schema is in place.
    pub initialized: bool,
    /// Where the data lives: a folder, or `host:port/database`; never a URL or a password.
    pub location: String,
    /// Versions of the engines involved (`sqlite`, `postgresql`, `pgvector`, `schema`...).
    pub versions: BTreeMap<String, String>,
    /// Chunks across every collection.
    pub total_count: u64,
    /// Every collection with its count and embedding space.
    pub collections: Vec<CollectionInfo>,
    /// Pool metrics (PostgreSQL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolStatus>,
    /// What needs attention although the store answers: a missing vector index (searches stay correct but
    /// scan every vector until `init` builds it), chunks without an embedding (vector search cannot find them).
    pub warnings: Vec<String>,
}

impl From<HealthReport> for StoreStatus {
    /// The shown part of `report`; its `details` are left out.
    fn from(report: HealthReport) -> Self {
        StoreStatus {
            total_count: report.total_count(),
            backend: report.backend,
            healthy: report.healthy,
            initialized: report.initialized,
            location: report.location,
            versions: report.versions,
            collections: report.collections,
            pool: report.pool,
            warnings: report.warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_keeps_the_shared_keys_in_order_and_leaves_details_and_an_absent_pool_out() {
        let report = HealthReport {
            backend: "embedded".into(),
            healthy: true,
            initialized: true,
            location: "/data".into(),
            versions: BTreeMap::from([("sqlite".to_owned(), "3.46".to_owned())]),
            collections: Vec::new(),
            pool: None,
            details: serde_json::Map::from_iter([("file_bytes".to_owned(), 4096.into())]),
            warnings: vec!["look".into()],
        };
        let text = serde_json::to_string(&StoreStatus::from(report)).unwrap();
        assert_eq!(
            text,
            r#"{"backend":"embedded","healthy":true,"initialized":true,"location":"/data","versions":{"sqlite":"3.46"},"total_count":0,"collections":[],"warnings":["look"]}"#
        );
    }
}
