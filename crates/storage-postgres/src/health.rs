//! `health()`: versions (PostgreSQL, pgvector, schema), location, collections and pool metrics; never the
//! password. An unreachable or uninitialized store gives an unhealthy report, not an error.

use sea_orm::DatabaseConnection;
use serde_json::{Map, Value, json};
use storage_core::{DocumentStore, HealthReport};

use crate::connection::PgvectorVersion;
use crate::migration;
use crate::ops::probe::ServerInfo;
use crate::store::PostgresStore;

pub(crate) async fn report(
    store: &PostgresStore,
    db: &DatabaseConnection,
    server: &ServerInfo,
    pgvector: Option<PgvectorVersion>,
) -> storage_core::Result<HealthReport> {
    let config = store.config();
    let mut versions = std::collections::BTreeMap::new();
    versions.insert("postgresql".to_owned(), server.server_version.clone());
    versions.insert("pgvector".to_owned(), pgvector.map_or_else(|| "not installed".to_owned(), |v| v.to_string()));
    let mut details = Map::new();
    for (key, value) in [
        ("host", json!(config.host)),
        ("port", json!(config.port)),
        ("database", json!(config.database)),
        ("schema", json!(config.schema)),
        ("language", json!(config.language)),
        ("hnsw_m", json!(config.hnsw_m)),
        ("hnsw_ef_construction", json!(config.hnsw_ef_construction)),
        ("ef_search", json!(config.ef_search)),
        ("iterative_scan", json!(config.iterative_scan.as_str())),
        ("ssl_mode", json!(config.ssl_mode.as_str())),
    ] {
        details.insert(key.to_owned(), value);
    }
    let pool = store.pool_status();
    let (healthy, initialized, collections) = match migration::status(db).await {
        Ok(migrations) => {
            let applied = migrations.iter().filter(|m| m.applied).count();
            versions.insert("schema".to_owned(), format!("{applied}/{}", migrations.len()));
            if let Some(latest) = migrations.iter().rev().find(|m| m.applied) {
                details.insert("schema_migration".to_owned(), Value::String(latest.name.clone()));
            }
            let initialized = applied == migrations.len();
            if initialized {
                match store.list_collections().await {
                    Ok(collections) => (true, true, collections),
                    Err(error) => {
                        details.insert("error".to_owned(), Value::String(error.to_string()));
                        (false, true, Vec::new())
                    }
                }
            } else {
                (true, false, Vec::new())
            }
        }
        Err(error) => {
            details.insert("error".to_owned(), Value::String(error.to_string()));
            (false, false, Vec::new())
        }
    };
    let warnings = HealthReport::warnings_for(&collections);
    Ok(HealthReport {
        backend: "postgres".to_owned(),
        healthy: healthy && pool.status == "active",
        initialized,
        location: config.target(),
        versions,
        collections,
        pool: Some(pool),
        details,
        warnings,
    })
}
