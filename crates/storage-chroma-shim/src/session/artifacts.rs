//! Artifacts: upserted per session and id, read, listed newest first, searched by name and content.

use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use storage_core::StorageError;
use storage_core::session::{Artifact, NewArtifact};
use uuid::Uuid;

use super::sessions::{not_found, session_pk, touch};
use super::text_search::Searched;
use crate::columns::{get, get_json, get_time, json, micros, now};
use crate::db::{Db, query_all, query_one, stmt};

/// An artifact with its session's id, on aliases `a` (artifacts) and `s` (sessions).
const COLUMNS: &str = "a.pk, s.id AS session_id, a.id, a.task_id, a.kind, a.name, a.content, a.format, a.metadata, \
    a.created_at, a.updated_at";

fn decode(row: &QueryResult) -> Result<Artifact, DbErr> {
    Ok(Artifact {
        session_id: get(row, "session_id")?,
        id: get(row, "id")?,
        task_id: get(row, "task_id")?,
        kind: get(row, "kind")?,
        name: get(row, "name")?,
        content: get(row, "content")?,
        format: get(row, "format")?,
        metadata: get_json(row, "metadata")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

async fn find(
    conn: &impl ConnectionTrait,
    tenant: &str,
    session_id: &str,
    id: &str,
) -> Result<Option<Artifact>, DbErr> {
    let sql = format!(
        "SELECT {COLUMNS} FROM artifacts a JOIN sessions s ON s.pk = a.session_pk \
         WHERE s.tenant = ? AND s.id = ? AND a.id = ?"
    );
    query_one(conn, &sql, vec![tenant.into(), session_id.into(), id.into()], decode).await
}

/// Stores an artifact, replacing the one with the same session and id (its creation time stays).
pub(super) async fn put(
    db: &Db,
    tenant: &str,
    session_id: &str,
    artifact: NewArtifact,
) -> Result<Artifact, StorageError> {
    artifact.validate()?;
    let err = db.err("put artifact");
    let txn = db.begin_write().await.map_err(&err)?;
    let session_pk =
        session_pk(&txn, tenant, session_id).await.map_err(&err)?.ok_or_else(|| not_found(tenant, session_id))?;
    let id = artifact.id.clone().unwrap_or_else(|| Uuid::now_v7().to_string());
    let at = now();
    let row = txn
        .query_one_raw(stmt(
            "INSERT INTO artifacts
                 (session_pk, id, task_id, kind, name, content, format, metadata, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (session_pk, id) DO UPDATE SET task_id = excluded.task_id, kind = excluded.kind,
                 name = excluded.name, content = excluded.content, format = excluded.format,
                 metadata = excluded.metadata, updated_at = excluded.updated_at
             RETURNING pk",
            vec![
                session_pk.into(),
                id.clone().into(),
                artifact.task_id.into(),
                artifact.kind.into(),
                artifact.name.into(),
                artifact.content.into(),
                artifact.format.into(),
                json(&artifact.metadata).map_err(&err)?.into(),
                micros(at).into(),
                micros(at).into(),
            ],
        ))
        .await
        .map_err(&err)?
        .ok_or_else(|| err(DbErr::RecordNotInserted))?;
    let pk: i64 = row.try_get_by_index(0).map_err(&err)?;
    // Contentless FTS5 rows are replaced by deleting the old one (if any) first; the new one is filled from
    // the stored row, so a large content is not sent to SQLite twice.
    txn.execute_raw(stmt("DELETE FROM artifact_fts WHERE rowid = ?", vec![pk.into()])).await.map_err(&err)?;
    txn.execute_raw(stmt(
        "INSERT INTO artifact_fts (rowid, name, content) SELECT pk, name, content FROM artifacts WHERE pk = ?",
        vec![pk.into()],
    ))
    .await
    .map_err(&err)?;
    touch(&txn, tenant, session_id, at).await.map_err(&err)?;
    let stored =
        find(&txn, tenant, session_id, &id).await.map_err(&err)?.ok_or_else(|| not_found(tenant, session_id))?;
    txn.commit().await.map_err(&err)?;
    Ok(stored)
}

/// One artifact.
pub(super) async fn get_artifact(
    db: &Db,
    tenant: &str,
    session_id: &str,
    id: &str,
) -> Result<Option<Artifact>, StorageError> {
    find(&db.conn, tenant, session_id, id).await.map_err(db.err("get artifact"))
}

/// The artifacts of a session, newest first, ties by id (as the trait documents).
pub(super) async fn list(db: &Db, tenant: &str, session_id: &str) -> Result<Vec<Artifact>, StorageError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM artifacts a JOIN sessions s ON s.pk = a.session_pk \
         WHERE s.tenant = ? AND s.id = ? ORDER BY a.created_at DESC, a.id"
    );
    query_all(&db.conn, &sql, vec![tenant.into(), session_id.into()], decode).await.map_err(db.err("list artifacts"))
}

/// Artifacts for `text_search::search`: their names and contents through `artifact_fts`.
pub(super) const SEARCHED: Searched<Artifact> = Searched {
    index: "artifact_fts",
    table: "artifacts",
    alias: "a",
    columns: COLUMNS,
    key_in_session: "id",
    decode,
    operation: "search artifacts",
};
