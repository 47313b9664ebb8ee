//! Counting the chunks of a collection, optionally those matching a filter.

use sea_orm::ConnectionTrait;
use storage_core::{CollectionName, Filter, StorageError};

use super::{find_collection, missing};
use crate::db::{Db, stmt};
use crate::filter_sql::metadata_condition;

pub(crate) async fn count(db: &Db, name: &CollectionName, filter: Option<&Filter>) -> Result<u64, StorageError> {
    let err = db.err("count");
    let txn = db.begin_read().await.map_err(&err)?;
    let collection = find_collection(&txn, name).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    let mut values = vec![collection.id.into()];
    let sql = match filter.filter(|f| !f.is_match_all()) {
        None => "SELECT count(*) FROM chunks c WHERE c.collection_id = ?".to_owned(),
        Some(filter) => {
            let condition = metadata_condition(filter);
            values.extend(condition.values.iter().cloned());
            format!("SELECT count(*) FROM chunks c WHERE {} AND ({})", condition.collection_term(), condition.sql)
        }
    };
    let row = txn.query_one_raw(stmt(&sql, values)).await.map_err(&err)?;
    let n: i64 = row.map(|r| r.try_get_by_index(0)).transpose().map_err(&err)?.unwrap_or(0);
    txn.commit().await.map_err(&err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
