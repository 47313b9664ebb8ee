//! Upsert: one batch, one `BEGIN IMMEDIATE` transaction over chunks, metadata rows and the keyword index.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Value};
use storage_core::{Chunk, CollectionName, StorageError, TextLanguage, UpsertSummary, prepare_batch};

use super::{CollectionRow, bump_version, find_collection, missing, now_micros};
use crate::db::{Db, placeholders, stmt};
use crate::filter_sql::meta_rows;
use crate::fts5_query::indexed_terms;
use crate::schema::{keyword_table, unindex_chunks};
use crate::vector_index::to_blob;

/// What a committed write changed, for the in-memory vector index: `(pk, new vector or None)`.
#[derive(Debug)]
pub(crate) struct VectorDelta {
    pub(crate) collection_id: i64,
    pub(crate) uid: String,
    pub(crate) version: i64,
    pub(crate) changes: Vec<(i64, Option<Vec<f32>>)>,
}

/// Rows per multi-row INSERT: few round trips to SQLite's worker thread, well under its 32,766 variables.
const ROWS_PER_INSERT: usize = 200;

pub(crate) async fn upsert(
    db: &Db,
    name: &CollectionName,
    chunks: Vec<Chunk>,
    language: TextLanguage,
) -> Result<(UpsertSummary, Option<VectorDelta>), StorageError> {
    let err = db.err("upsert");
    // Validate before taking the write lock, against the space as last committed.
    let seen = find_collection(&db.conn, name).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let batch = prepare_batch(name, seen.space.as_ref(), chunks)?;
    if batch.chunks.is_empty() {
        return Ok((
            UpsertSummary { duplicates_in_batch: batch.duplicates_in_batch, ..UpsertSummary::default() },
            None,
        ));
    }
    let txn = db.begin_write().await.map_err(&err)?;
    let row = bump_version(&txn, name, 1).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    if row.space != seen.space {
        // Another process changed the space since validation: check again under the lock.
        for (idx, chunk) in batch.chunks.iter().enumerate() {
            if let Some(embedding) = &chunk.embedding {
                let space = row.space.as_ref().ok_or_else(|| missing(name))?;
                space.check_vector(name, &format!("chunks[{idx}].embedding"), embedding)?;
            }
        }
    }
    let (inserted, updated, changes) = write(&txn, &row, &batch.chunks, language).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    let summary = UpsertSummary { inserted, updated, duplicates_in_batch: batch.duplicates_in_batch };
    let delta = VectorDelta { collection_id: row.id, uid: row.uid, version: row.version, changes };
    Ok((summary, Some(delta)))
}

type Written = (u64, u64, Vec<(i64, Option<Vec<f32>>)>);

async fn write(
    txn: &DatabaseTransaction,
    collection: &CollectionRow,
    chunks: &[Chunk],
    language: TextLanguage,
) -> Result<Written, DbErr> {
    let existing = existing_pks(txn, collection.id, chunks).await?;
    let now = now_micros();
    let fts = keyword_table(collection.id);
    let mut pks: Vec<i64> = Vec::with_capacity(chunks.len());

    // Replaced chunks keep their pk and created_at; their old metadata rows and keyword entry go.
    let replaced: Vec<i64> = chunks.iter().filter_map(|c| existing.get(c.id.as_str()).copied()).collect();
    unindex_chunks(txn, collection.id, &replaced, language).await?;
    for part in replaced.chunks(ROWS_PER_INSERT) {
        let values: Vec<Value> = part.iter().map(|pk| (*pk).into()).collect();
        let list = placeholders(part.len());
        txn.execute_raw(stmt(&format!("DELETE FROM chunk_meta WHERE chunk_pk IN ({list})"), values)).await?;
    }
    for chunk in chunks.iter().filter(|c| existing.contains_key(c.id.as_str())) {
        txn.execute_raw(stmt(
            "UPDATE chunks SET text = ?, metadata = ?, embedding = ?, updated_at = ? WHERE pk = ?",
            vec![
                chunk.text.clone().into(),
                metadata_json(chunk)?.into(),
                chunk.embedding.as_ref().map(|e| to_blob(e.as_slice())).into(),
                now.into(),
                existing[chunk.id.as_str()].into(),
            ],
        ))
        .await?;
    }

    let new_chunks: Vec<&Chunk> = chunks.iter().filter(|c| !existing.contains_key(c.id.as_str())).collect();
    let mut new_pks: HashMap<String, i64> = HashMap::with_capacity(new_chunks.len());
    for part in new_chunks.chunks(ROWS_PER_INSERT) {
        let mut values: Vec<Value> = Vec::with_capacity(part.len() * 7);
        for chunk in part {
            values.extend([
                collection.id.into(),
                chunk.id.clone().into(),
                chunk.text.clone().into(),
                metadata_json(chunk)?.into(),
                chunk.embedding.as_ref().map(|e| to_blob(e.as_slice())).into(),
                now.into(),
                now.into(),
            ]);
        }
        let rows = vec!["(?, ?, ?, ?, ?, ?, ?)"; part.len()].join(", ");
        let sql = format!(
            "INSERT INTO chunks (collection_id, id, text, metadata, embedding, created_at, updated_at) VALUES {rows} \
             RETURNING pk, id"
        );
        for row in txn.query_all_raw(stmt(&sql, values)).await? {
            new_pks.insert(row.try_get_by_index(1)?, row.try_get_by_index(0)?);
        }
    }
    for chunk in chunks {
        let pk = existing.get(chunk.id.as_str()).or_else(|| new_pks.get(&chunk.id)).copied();
        pks.push(pk.ok_or_else(|| DbErr::RecordNotInserted)?);
    }

    insert_metadata_rows(txn, chunks, &pks).await?;
    for (part, part_pks) in chunks.chunks(ROWS_PER_INSERT).zip(pks.chunks(ROWS_PER_INSERT)) {
        let mut values: Vec<Value> = Vec::with_capacity(part.len() * 2);
        for (chunk, pk) in part.iter().zip(part_pks) {
            values.extend([(*pk).into(), indexed_terms(&chunk.text, language).into()]);
        }
        let rows = vec!["(?, ?)"; part.len()].join(", ");
        txn.execute_raw(stmt(&format!("INSERT INTO {fts} (rowid, text) VALUES {rows}"), values)).await?;
    }

    let changes =
        chunks.iter().zip(&pks).map(|(c, pk)| (*pk, c.embedding.as_ref().map(|e| e.as_slice().to_vec()))).collect();
    let updated = replaced.len() as u64;
    Ok((chunks.len() as u64 - updated, updated, changes))
}

fn metadata_json(chunk: &Chunk) -> Result<String, DbErr> {
    serde_json::to_string(&chunk.metadata).map_err(|e| DbErr::Json(e.to_string()))
}

async fn existing_pks(
    conn: &impl ConnectionTrait,
    collection_id: i64,
    chunks: &[Chunk],
) -> Result<HashMap<String, i64>, DbErr> {
    let mut existing = HashMap::new();
    for part in chunks.chunks(900) {
        let mut values: Vec<Value> = vec![collection_id.into()];
        values.extend(part.iter().map(|c| Value::from(c.id.clone())));
        let sql = format!("SELECT id, pk FROM chunks WHERE collection_id = ? AND id IN ({})", placeholders(part.len()));
        for row in conn.query_all_raw(stmt(&sql, values)).await? {
            existing.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        }
    }
    Ok(existing)
}

async fn insert_metadata_rows(txn: &DatabaseTransaction, chunks: &[Chunk], pks: &[i64]) -> Result<(), DbErr> {
    let mut values: Vec<Value> = Vec::with_capacity(ROWS_PER_INSERT * 6);
    let mut n_rows = 0;
    for (chunk, pk) in chunks.iter().zip(pks) {
        for (key, elem, kind, num, text) in meta_rows(chunk.metadata.as_map()) {
            values.extend([(*pk).into(), key.into(), elem.into(), kind.into(), num.into(), text.into()]);
            n_rows += 1;
            if n_rows == ROWS_PER_INSERT {
                flush_metadata_rows(txn, &mut values, &mut n_rows).await?;
            }
        }
    }
    flush_metadata_rows(txn, &mut values, &mut n_rows).await
}

async fn flush_metadata_rows(
    txn: &DatabaseTransaction,
    values: &mut Vec<Value>,
    n_rows: &mut usize,
) -> Result<(), DbErr> {
    if *n_rows == 0 {
        return Ok(());
    }
    let rows = vec!["(?, ?, ?, ?, ?, ?)"; *n_rows].join(", ");
    let sql = format!("INSERT INTO chunk_meta (chunk_pk, key, elem, kind, num, str) VALUES {rows}");
    txn.execute_raw(stmt(&sql, std::mem::take(values))).await?;
    *n_rows = 0;
    Ok(())
}
