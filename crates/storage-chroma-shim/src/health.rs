//! `health()`: location, file sizes, versions, schema state and counts, without creating anything.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait as _;
use serde_json::{Map, Value, json};
use storage_core::{CollectionInfo, HealthReport, MigrationInfo, TextLanguage};

use crate::config::EmbeddedConfig;
use crate::db::{Db, stmt};

fn file_size(path: &std::path::Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

/// Sizes of the database file and its WAL and shared-memory files, in bytes, for those that exist.
fn file_sizes(config: &EmbeddedConfig) -> Map<String, Value> {
    let db_path = config.db_path();
    let mut sizes = Map::new();
    for (key, suffix) in [("db_bytes", ""), ("wal_bytes", "-wal"), ("shm_bytes", "-shm")] {
        let mut path = db_path.clone().into_os_string();
        path.push(suffix);
        if let Some(size) = file_size(std::path::Path::new(&path)) {
            sizes.insert(key.to_owned(), json!(size));
        }
    }
    sizes
}

/// The report for a data dir that holds no database yet.
pub(crate) fn uninitialized(config: &EmbeddedConfig) -> HealthReport {
    let mut details = file_sizes(config);
    details.insert("db_path".to_owned(), json!(config.db_path().display().to_string()));
    details.insert("remedy".to_owned(), json!("run `brainstore init`"));
    HealthReport {
        backend: "embedded".to_owned(),
        healthy: true,
        initialized: false,
        location: config.data_dir.display().to_string(),
        versions: BTreeMap::new(),
        collections: Vec::new(),
        pool: None,
        details,
        warnings: Vec::new(),
    }
}

/// The report for an existing database.
pub(crate) async fn report(
    config: &EmbeddedConfig,
    db: &Db,
    migrations: &[MigrationInfo],
    collections: Vec<CollectionInfo>,
    language: TextLanguage,
) -> HealthReport {
    let sqlite_version = match db.conn.query_one_raw(stmt("SELECT sqlite_version()", vec![])).await {
        Ok(Some(row)) => row.try_get_by_index::<String>(0).ok(),
        _ => None,
    };
    let applied = migrations.iter().filter(|m| m.applied).count();
    let initialized = applied == migrations.len();
    let mut versions = BTreeMap::new();
    versions.insert("schema".to_owned(), format!("{applied}/{}", migrations.len()));
    if let Some(version) = &sqlite_version {
        versions.insert("sqlite".to_owned(), version.clone());
    }
    let mut details = file_sizes(config);
    details.insert("db_path".to_owned(), json!(config.db_path().display().to_string()));
    details.insert("language".to_owned(), json!(language.as_str()));
    details.insert("busy_timeout_ms".to_owned(), json!(config.busy_timeout_ms));
    details.insert(
        "vector_index".to_owned(),
        json!({
            "kind": "in-memory f32 + 1-bit codes, exact re-scoring",
            "exact_search_below": config.exact_search_below,
            "oversampling": config.oversampling,
            "min_candidates": config.min_candidates,
        }),
    );
    let warnings = HealthReport::warnings_for(&collections);
    HealthReport {
        backend: "embedded".to_owned(),
        healthy: sqlite_version.is_some(),
        initialized,
        location: config.data_dir.display().to_string(),
        versions,
        collections,
        pool: None,
        details,
        warnings,
    }
}
