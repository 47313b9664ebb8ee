//! Deleting chunks by id or by filter, from the chunks table (metadata rows cascade) and the keyword index.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Value};
use storage_core::{CollectionName, Filter, StorageError, TextLanguage, check_id};

use super::upsert::VectorDelta;
use super::{bump_version, missing};
use crate::db::{Db, placeholders, stmt};
use crate::filter_sql::metadata_condition;
use crate::schema::unindex_chunks;

pub(crate) async fn delete_ids(
    db: &Db,
    name: &CollectionName,
    ids: &[String],
    language: TextLanguage,
) -> Result<(u64, VectorDelta), StorageError> {
    for (idx, id) in ids.iter().enumerate() {
        check_id(id, &format!("ids[{idx}]"))?;
    }
    let err = db.err("delete");
    let txn = db.begin_write().await.map_err(&err)?;
    let collection = bump_version(&txn, name, 1).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let mut pks = Vec::new();
    for part in ids.chunks(900) {
        let mut values: Vec<Value> = vec![collection.id.into()];
        values.extend(part.iter().map(|id| Value::from(id.clone())));
        let sql = format!("SELECT pk FROM chunks WHERE collection_id = ? AND id IN ({})", placeholders(part.len()));
        pks.extend(select_pks(&txn, &sql, values).await.map_err(&err)?);
    }
    pks.sort_unstable();
    pks.dedup();
    remove(&txn, collection.id, &pks, language).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok((pks.len() as u64, delta(collection, pks)))
}

pub(crate) async fn delete_where(
    db: &Db,
    name: &CollectionName,
    filter: &Filter,
    language: TextLanguage,
) -> Result<(u64, VectorDelta), StorageError> {
    filter.check_deletable()?;
    let err = db.err("delete");
    let txn = db.begin_write().await.map_err(&err)?;
    let collection = bump_version(&txn, name, 1).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let condition = metadata_condition(filter);
    let mut values: Vec<Value> = vec![collection.id.into()];
    values.extend(condition.values.iter().cloned());
    let sql = format!("SELECT c.pk FROM chunks c WHERE {} AND ({})", condition.collection_term(), condition.sql);
    let pks = select_pks(&txn, &sql, values).await.map_err(&err)?;
    remove(&txn, collection.id, &pks, language).await.map_err(&err)?;
    txn.commit().await.map_err(&err)?;
    Ok((pks.len() as u64, delta(collection, pks)))
}

fn delta(collection: super::CollectionRow, pks: Vec<i64>) -> VectorDelta {
    VectorDelta {
        collection_id: collection.id,
        uid: collection.uid,
        version: collection.version,
        changes: pks.into_iter().map(|pk| (pk, None)).collect(),
    }
}

async fn select_pks(conn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Result<Vec<i64>, DbErr> {
    let rows = conn.query_all_raw(stmt(sql, values)).await?;
    rows.iter().map(|row| row.try_get_by_index::<i64>(0)).collect()
}

async fn remove(
    txn: &DatabaseTransaction,
    collection_id: i64,
    pks: &[i64],
    language: TextLanguage,
) -> Result<(), DbErr> {
    unindex_chunks(txn, collection_id, pks, language).await?;
    for part in pks.chunks(900) {
        let values: Vec<Value> = part.iter().map(|pk| (*pk).into()).collect();
        let list = placeholders(part.len());
        txn.execute_raw(stmt(&format!("DELETE FROM chunks WHERE pk IN ({list})"), values)).await?;
    }
    Ok(())
}
