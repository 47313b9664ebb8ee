//! Vector search: the in-memory index (loaded in the reader's snapshot), exact pre-filtered scans, and
//! binary pre-selection with exact re-scoring for large unfiltered cosine searches.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};
use storage_core::{CollectionName, Embedding, LegExplain, Metric, SearchHit, SearchRequest, StorageError};

use super::{CollectionRow, HitRow, fetch_hit_rows, find_collection, missing};
use crate::config::EmbeddedConfig;
use crate::db::{Db, stmt};
use crate::filter_sql::{SqlCondition, conditions};
use crate::index_cache::{IndexCache, SharedIndex};
use crate::vector_index::{ScanPlan, VectorIndex, from_blob};

/// One vector-leg candidate, with its row.
#[derive(Debug)]
pub(crate) struct VectorCandidate {
    pub(crate) distance: f64,
    pub(crate) row: HitRow,
}

/// What a vector leg needs besides the transaction.
pub(crate) struct VectorContext<'a> {
    pub(crate) db: &'a Db,
    pub(crate) cache: &'a IndexCache,
    pub(crate) config: &'a EmbeddedConfig,
}

fn blocking_failed(err: impl std::fmt::Display) -> StorageError {
    StorageError::backend("vector search", format!("the search thread failed: {err}"))
}

/// The collection's index as of the transaction's snapshot, loading it when this process has none or an
/// older one.
async fn index_for(
    ctx: &VectorContext<'_>,
    txn: &DatabaseTransaction,
    collection: &CollectionRow,
    dims: usize,
) -> Result<SharedIndex, StorageError> {
    if let Some(index) = ctx.cache.current(collection.id, &collection.uid, collection.version) {
        return Ok(index);
    }
    let err = ctx.db.err("load vector index");
    let rows = txn
        .query_all_raw(stmt(
            "SELECT pk, embedding FROM chunks WHERE collection_id = ? AND embedding IS NOT NULL",
            vec![collection.id.into()],
        ))
        .await
        .map_err(&err)?;
    let mut vectors = Vec::with_capacity(rows.len());
    for row in rows {
        let pk: i64 = row.try_get_by_index(0).map_err(&err)?;
        let blob: Vec<u8> = row.try_get_by_index(1).map_err(&err)?;
        let vector = from_blob(&blob).filter(|v| v.len() == dims).ok_or_else(|| {
            StorageError::backend("load vector index", format!("chunk {pk} has an embedding of the wrong size"))
        })?;
        vectors.push((pk, vector));
    }
    let (uid, version) = (collection.uid.clone(), collection.version);
    let index = tokio::task::spawn_blocking(move || VectorIndex::build(uid, version, dims, vectors))
        .await
        .map_err(blocking_failed)?;
    Ok(ctx.cache.insert(collection.id, index))
}

/// The `depth` nearest chunks (ties by id), exact whenever a condition restricts the candidates.
pub(crate) async fn vector_leg(
    ctx: &VectorContext<'_>,
    txn: &DatabaseTransaction,
    collection: &CollectionRow,
    query: &Embedding,
    depth: usize,
    condition: Option<&SqlCondition>,
) -> Result<Vec<VectorCandidate>, StorageError> {
    let err = ctx.db.err("vector search");
    let Some(space) = &collection.space else { return Ok(Vec::new()) };
    let index = index_for(ctx, txn, collection, space.dimensions as usize).await?;
    let allowed = match condition {
        None => None,
        Some(condition) => Some(matching_pks(txn, collection.id, condition).await.map_err(&err)?),
    };
    let n_vectors = index.read().map_err(blocking_failed)?.len();
    let approximate = allowed.is_none() && space.metric == Metric::Cosine && n_vectors >= ctx.config.exact_search_below;
    let plan = ScanPlan {
        metric: space.metric,
        top_k: depth,
        threads: ctx.config.scan_threads(),
        candidates: approximate.then(|| (depth * ctx.config.oversampling).max(ctx.config.min_candidates)),
    };
    let query_values = query.as_slice().to_vec();
    let scored = tokio::task::spawn_blocking(move || {
        let index = index.read().map_err(blocking_failed)?;
        Ok::<_, StorageError>(index.search(&query_values, plan, allowed.as_deref()))
    })
    .await
    .map_err(blocking_failed)??;
    let pks: Vec<i64> = scored.iter().map(|(pk, _)| *pk).collect();
    let mut rows = fetch_hit_rows(txn, &pks).await.map_err(&err)?;
    let mut candidates: Vec<VectorCandidate> = scored
        .into_iter()
        .filter_map(|(pk, distance)| rows.remove(&pk).map(|row| VectorCandidate { distance, row }))
        .collect();
    candidates
        .sort_by(|a, b| a.distance.total_cmp(&b.distance).then_with(|| a.row.id.as_bytes().cmp(b.row.id.as_bytes())));
    candidates.truncate(depth);
    Ok(candidates)
}

async fn matching_pks(
    conn: &impl ConnectionTrait,
    collection_id: i64,
    condition: &SqlCondition,
) -> Result<Vec<i64>, DbErr> {
    let sql = format!(
        "SELECT c.pk FROM chunks c WHERE c.collection_id = ? AND c.embedding IS NOT NULL AND ({})",
        condition.sql
    );
    let mut values = vec![collection_id.into()];
    values.extend(condition.values.iter().cloned());
    let rows = conn.query_all_raw(stmt(&sql, values)).await?;
    rows.iter().map(|row| row.try_get_by_index::<i64>(0)).collect()
}

/// A vector-mode search.
pub(crate) async fn search(
    ctx: &VectorContext<'_>,
    name: &CollectionName,
    request: &SearchRequest,
) -> Result<Vec<SearchHit>, StorageError> {
    let err = ctx.db.err("vector search");
    let txn = ctx.db.begin_read().await.map_err(&err)?;
    let collection = find_collection(&txn, name).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    request.validate(name, collection.space.as_ref())?;
    let (Some(embedding), Some(space)) = (&request.embedding, &collection.space) else { return Ok(Vec::new()) };
    let filtered = request.filter.is_some() || request.document_filter.is_some();
    let condition = filtered.then(|| conditions(request.filter.as_ref(), request.document_filter.as_ref()));
    let candidates = vector_leg(ctx, &txn, &collection, embedding, request.top_k, condition.as_ref()).await?;
    txn.commit().await.map_err(&err)?;
    let metric = space.metric;
    Ok(candidates
        .into_iter()
        .enumerate()
        .map(|(idx, candidate)| {
            let score = metric.score(candidate.distance);
            SearchHit {
                id: candidate.row.id,
                text: candidate.row.text,
                metadata: candidate.row.metadata,
                score,
                distance: Some(candidate.distance),
                vector: request.explain.then(|| LegExplain { rank: u32::try_from(idx + 1).unwrap_or(u32::MAX), score }),
                keyword: None,
                matched_terms: None,
            }
        })
        .filter(|hit| request.min_score.is_none_or(|min| hit.score >= min))
        .collect())
}
