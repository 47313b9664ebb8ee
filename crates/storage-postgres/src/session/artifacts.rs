//! Artifacts: upsert by (session, id) with its segments (name weight A, content after it) rebuilt in the
//! same transaction, read, list newest first, and full-text search over names and contents.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, TransactionTrait};
use storage_core::StorageError;
use storage_core::session::{Artifact, NewArtifact};
use uuid::Uuid;

use super::row::{ARTIFACT_COLUMNS, artifact};
use super::sessions::{lock, touch};
use crate::failure::{OpResult, decode_error};
use crate::ops::Sql;
use crate::rows::{query_all, query_one};
use crate::segments::cut;
use crate::segments::search::Segmented;

/// Full-text search over artifact names and contents, as [`Segmented`] below says.
pub(super) use crate::segments::search::search_segmented as search;

/// Stores an artifact, replacing the one with the same session and id (its `created_at` is kept).
pub(super) async fn put(
    db: &DatabaseConnection,
    language: &str,
    tenant: &str,
    session_id: &str,
    new: NewArtifact,
    now: DateTime<Utc>,
) -> OpResult<Artifact> {
    let txn = db.begin().await?;
    lock(&txn, tenant, session_id).await?;
    let id = new.id.clone().unwrap_or_else(|| Uuid::now_v7().to_string());
    let mut sql = Sql::new();
    sql.push("INSERT INTO bs_artifacts AS a (tenant, session_id, id, task_id, kind, name, content, format, metadata, ");
    sql.push("created_at, updated_at) VALUES (").bind(tenant).push(", ").bind(session_id).push(", ").bind(id.as_str());
    sql.push(", ").bind(new.task_id.clone()).push(", ").bind(new.kind.as_str()).push(", ").bind(new.name.as_str());
    sql.push(", ").bind(new.content.as_str()).push(", ").bind(new.format.as_str()).push(", ");
    sql.bind(new.metadata.to_value()).push(", ").bind(now).push(", ").bind(now);
    sql.push(") ON CONFLICT (tenant, session_id, id) DO UPDATE SET task_id = EXCLUDED.task_id, kind = EXCLUDED.kind, ");
    sql.push(
        "name = EXCLUDED.name, content = EXCLUDED.content, format = EXCLUDED.format, metadata = EXCLUDED.metadata, ",
    );
    sql.push("updated_at = EXCLUDED.updated_at RETURNING ").push(ARTIFACT_COLUMNS).push(", (a.xmax = 0) AS inserted");
    let row = txn
        .query_one_raw(sql.build())
        .await?
        .ok_or_else(|| StorageError::backend("put_artifact", "no row returned"))?;
    let inserted: bool = row.try_get("", "inserted").map_err(decode_error("an artifact"))?;
    let stored = artifact(&row)?;

    let mut sql = Sql::new();
    sql.push("DELETE FROM bs_artifact_segments WHERE tenant = ").bind(tenant).push(" AND session_id = ");
    sql.bind(session_id).push(" AND artifact_id = ").bind(id.as_str());
    txn.execute_raw(sql.build()).await?;
    let segments: Vec<String> = cut(&new.content).into_iter().map(str::to_owned).collect();
    let mut sql = Sql::new();
    sql.push("INSERT INTO bs_artifact_segments (tenant, session_id, artifact_id, segment, tsv) SELECT ").bind(tenant);
    sql.push(", ").bind(session_id).push(", ").bind(id.as_str()).push(", 0, setweight(to_tsvector(").bind(language);
    sql.push("::regconfig, ").bind(new.name.as_str()).push("), 'A') UNION ALL SELECT ").bind(tenant).push(", ");
    sql.bind(session_id).push(", ").bind(id.as_str()).push(", u.idx::int4, to_tsvector(").bind(language);
    sql.push("::regconfig, u.part) FROM unnest(").bind(segments).push("::text[]) WITH ORDINALITY AS u(part, idx)");
    txn.execute_raw(sql.build()).await?;

    touch(&txn, tenant, session_id, now, 0, i64::from(inserted)).await?;
    txn.commit().await?;
    Ok(stored)
}

/// One artifact.
pub(super) async fn get(
    db: &DatabaseConnection,
    tenant: &str,
    session_id: &str,
    id: &str,
) -> OpResult<Option<Artifact>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(ARTIFACT_COLUMNS).push(" FROM bs_artifacts AS a WHERE a.tenant = ").bind(tenant);
    sql.push(" AND a.session_id = ").bind(session_id).push(" AND a.id = ").bind(id);
    query_one(db, sql, artifact).await
}

/// Artifacts of a session, newest first, then id.
pub(super) async fn list(db: &DatabaseConnection, tenant: &str, session_id: &str) -> OpResult<Vec<Artifact>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(ARTIFACT_COLUMNS).push(" FROM bs_artifacts AS a WHERE a.tenant = ").bind(tenant);
    sql.push(" AND a.session_id = ").bind(session_id).push(" ORDER BY a.created_at DESC, a.id");
    query_all(db, sql, artifact).await
}

/// Artifacts are found through `bs_artifact_segments` and fetched back by session and id.
impl Segmented for Artifact {
    type Key = String;
    const SEGMENTS: &'static str = "bs_artifact_segments";
    const SEGMENT_KEYS: &'static str = "session_id, artifact_id";
    const SEGMENT_KEY: &'static str = "artifact_id";
    const COLUMNS: &'static str = ARTIFACT_COLUMNS;
    const FROM: &'static str = " FROM bs_artifacts AS a JOIN unnest(";
    const JOIN: &'static str =
        "::text[]) AS k(session_id, id) ON a.session_id = k.session_id AND a.id = k.id WHERE a.tenant = ";
    const WHAT: &'static str = "an artifact hit";

    fn decode(row: &QueryResult) -> Result<Self, StorageError> {
        artifact(row)
    }

    fn key(&self) -> (&str, &Self::Key) {
        (&self.session_id, &self.id)
    }
}
