//! The store's memory vectors in memory: one [`VectorIndex`] keyed by memory pk, loaded from SQLite and kept in
//! step with the log of changes (`memory_vector_changes`) that triggers on `memories` write, so the writes of
//! every process are seen and a recall scores cached vectors instead of decoding every candidate's blob.
//!
//! Every recall reads the log's identity and newest `seq` in its own snapshot: when the index is behind, the
//! memories the log names since its version are read again (a few rows after this process's own writes), and
//! when it is too far behind, from another log, or of other dimensions, every vector is loaded again.

use sea_orm::{ConnectionTrait, DbErr};
use storage_core::StorageError;

use crate::db::stmt;
use crate::index_cache::SharedIndex;
use crate::ops::vector::{VectorContext, blocking_failed, read_vectors};
use crate::reader::Reader;
use crate::vector_index::VectorIndex;

/// The one key of the memory vectors' cache.
const STORE_WIDE: i64 = 0;

/// Past this many logged changes, loading every vector again costs about as much as reading the changed
/// memories one row at a time (the log keeps 10,000, so a cache this far behind can always still catch up).
const PATCH_AT_MOST: i64 = 4_096;

/// The change log as one snapshot sees it.
struct LogState {
    uid: String,
    /// The newest `seq`: the version an index loaded in this snapshot has.
    newest: i64,
    /// The oldest `seq` still kept; changes below it were pruned.
    oldest: Option<i64>,
}

impl LogState {
    async fn read(reader: &Reader) -> Result<LogState, DbErr> {
        // Separate subqueries, so each of min() and max() is one b-tree seek.
        let sql = "SELECT uid, (SELECT max(seq) FROM memory_vector_changes), \
                   (SELECT min(seq) FROM memory_vector_changes) FROM memory_vector_log";
        let row = reader
            .query_one_raw(stmt(sql, vec![]))
            .await?
            .ok_or_else(|| DbErr::RecordNotFound("the memory vector log's row".into()))?;
        let newest: Option<i64> = row.try_get_by_index(1)?;
        Ok(LogState { uid: row.try_get_by_index(0)?, newest: newest.unwrap_or(0), oldest: row.try_get_by_index(2)? })
    }

    /// Whether the log still holds every change after `version`.
    fn holds_changes_after(&self, version: i64) -> bool {
        self.oldest.is_none_or(|oldest| oldest <= version + 1)
    }
}

/// The memory vectors of `dims` floats, current as of the reader's snapshot or newer. Must run inside the
/// reader's transaction, whose snapshot the caller's candidate query shares.
pub(super) async fn memory_index(
    ctx: &VectorContext<'_>,
    reader: &Reader,
    dims: usize,
) -> Result<SharedIndex, StorageError> {
    let err = ctx.db.err("load memory vectors");
    let log = LogState::read(reader).await.map_err(&err)?;
    if let Some(index) = ctx.cache.get(STORE_WIDE) {
        let (uid_matches, version, same_dims) = {
            let held = index.read().map_err(blocking_failed)?;
            (held.uid == log.uid, held.version, held.dims() == dims)
        };
        if uid_matches && same_dims {
            // Newer than this snapshot: another recall caught up meanwhile, and versions only grow.
            if version >= log.newest {
                return Ok(index);
            }
            if log.newest - version <= PATCH_AT_MOST && log.holds_changes_after(version) {
                let changes = changed_since(reader, version).await.map_err(&err)?;
                let mut held = index.write().map_err(blocking_failed)?;
                // Another recall may have patched it meanwhile; the rows read here are as of `log.newest`, so
                // applying them to any version below it brings it to exactly that version.
                if held.version < log.newest {
                    for (pk, vector) in &changes {
                        held.apply(*pk, vector.as_deref());
                    }
                    held.version = log.newest;
                }
                drop(held);
                return Ok(index);
            }
        }
    }
    // Blobs of other dimensions (from before a change of the memory space) are never compared, so left out.
    let page_sql = "SELECT json_group_array(pk), CAST(group_concat(embedding, '') AS BLOB) FROM (SELECT pk, \
                    embedding FROM memories WHERE length(embedding) = ? AND pk > ? ORDER BY pk LIMIT ?)";
    let blob_len = i64::try_from(dims * 4).unwrap_or(i64::MAX);
    let (pks, flat) = read_vectors(reader, page_sql, blob_len.into(), dims).await.map_err(&err)?;
    let LogState { uid, newest, .. } = log;
    let index = tokio::task::spawn_blocking(move || VectorIndex::from_flat(uid, newest, dims, pks, flat))
        .await
        .map_err(blocking_failed)?;
    Ok(ctx.cache.insert(STORE_WIDE, index))
}

/// Each memory the log names after `version`, with its vector now (`None` when it was deleted or has none;
/// [`VectorIndex::apply`] also drops a vector of other dimensions).
async fn changed_since(reader: &Reader, version: i64) -> Result<Vec<(i64, Option<Vec<f32>>)>, DbErr> {
    let sql = "SELECT changed.memory_pk, m.embedding FROM (SELECT DISTINCT memory_pk FROM memory_vector_changes \
               WHERE seq > ?) changed LEFT JOIN memories m ON m.pk = changed.memory_pk";
    let rows = reader.query_all_raw(stmt(sql, vec![version.into()])).await?;
    rows.iter()
        .map(|row| {
            let pk: i64 = row.try_get_by_index(0)?;
            let blob: Option<Vec<u8>> = row.try_get_by_index(1)?;
            Ok((pk, blob.and_then(|blob| crate::vector_index::from_blob(&blob))))
        })
        .collect()
}
