//! Recall: keyword, exact semantic (over the cached memory vectors) or recency candidates under one filter,
//! ranked by core, then the access bump.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Value};
use storage_core::memory::scoring::{Candidate, rank};
use storage_core::memory::{RecallHit, RecallRequest};
use storage_core::{Embedding, EmbeddingSpace, KeywordQuery, Metric, StorageError, TextLanguage};
use uuid::Uuid;

use super::lifecycle::push_in;
use super::rows::{self, MEMORY_META};
use super::{space, vectors};
use crate::columns::{count_value, get, micros, now};
use crate::db::{Db, placeholders, stmt};
use crate::filter_sql::{SqlCondition, metadata_condition_on};
use crate::fts5_query::match_expression;
use crate::ops::vector::{VectorContext, scan};
use crate::reader::Reader;
use crate::vector_index::{ScanPlan, VectorIndex};

/// The request's scope, statuses, kinds, tiers, tags (any of) and metadata filter as SQL on alias `c`;
/// memories expired at `at` are never recalled, even before `expire` removes them.
fn recall_filter(request: &RecallRequest, at: DateTime<Utc>) -> SqlCondition {
    let mut condition = rows::scope_condition(&request.scope);
    condition.sql.push_str(" AND (c.expires_at IS NULL OR c.expires_at > ?)");
    condition.values.push(micros(at).into());
    push_in(&mut condition, "status", request.statuses.iter().map(|s| s.as_str().into()).collect());
    push_in(&mut condition, "kind", request.kinds.iter().map(|k| k.clone().into()).collect());
    push_in(&mut condition, "tier", request.tiers.iter().map(|t| t.as_str().into()).collect());
    if !request.tags.is_empty() {
        condition.sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value IN ({}))",
            placeholders(request.tags.len())
        ));
        condition.values.extend(request.tags.iter().map(|tag| Value::from(tag.clone())));
    }
    match &request.filter {
        Some(filter) => condition.and(metadata_condition_on(filter, &MEMORY_META)),
        None => condition,
    }
}

/// The `depth` most relevant memories by BM25 over content and tags: `(pk, relevance)`.
async fn keyword_leg(
    conn: &impl ConnectionTrait,
    query: &KeywordQuery,
    filter: &SqlCondition,
    depth: usize,
) -> Result<Vec<(i64, f64)>, DbErr> {
    let Some(expression) = match_expression(query) else { return Ok(Vec::new()) };
    // FTS5's bm25() is lower-is-better; its negation is the relevance.
    let sql = format!(
        "SELECT c.pk, -bm25(memory_fts) AS relevance FROM memory_fts JOIN memories c ON c.pk = memory_fts.rowid \
         WHERE memory_fts MATCH ? AND {} ORDER BY relevance DESC, c.id LIMIT ?",
        filter.sql
    );
    let mut values: Vec<Value> = vec![expression.into()];
    values.extend(filter.values.iter().cloned());
    values.push(count_value(depth).into());
    let rows = conn.query_all_raw(stmt(&sql, values)).await?;
    rows.iter().map(|row| Ok((get(row, "pk")?, get(row, "relevance")?))).collect()
}

/// The `depth` most similar memories, compared exactly with the space's metric: `(pk, score)`, best first,
/// ties by id. Stale embeddings come from another model and are not comparable, so they are left out.
///
/// The filter lists the candidates' pks alone (SQLite aggregates them into one JSON array, so one row
/// crosses to this thread); their vectors come from the memory index, which ranks in f32 first and keeps
/// every vector within rounding of the `depth`-th, so the exact f64 scores of those decide the order.
async fn semantic_leg(
    ctx: &VectorContext<'_>,
    reader: &Reader,
    query: &Embedding,
    space: &EmbeddingSpace,
    filter: &SqlCondition,
    depth: usize,
) -> Result<Vec<(i64, f32)>, StorageError> {
    let err = ctx.db.err("recall");
    let index = vectors::memory_index(ctx, reader, space.dimensions as usize).await?;
    let sql = format!(
        "SELECT json_group_array(c.pk) FROM memories c WHERE {} AND c.embedding IS NOT NULL AND c.stale = 0",
        filter.sql
    );
    let row = reader.query_one_raw(stmt(&sql, filter.values.clone())).await.map_err(&err)?;
    let listed: Option<String> = row.map(|row| row.try_get_by_index(0)).transpose().map_err(&err)?;
    let candidates: Vec<i64> = serde_json::from_str(listed.as_deref().unwrap_or("[]"))
        .map_err(|e| StorageError::backend("recall", format!("the candidates' pks: {e}")))?;
    // Past a product of about 70, inner-product scores differ by less than an f32 step while distances
    // differ by more than the f32 pass's margin, so ties of score that recall breaks by id could fall outside
    // it: that metric scores every candidate exactly.
    let top_k = if space.metric == Metric::InnerProduct { candidates.len() } else { depth };
    let plan = ScanPlan { metric: space.metric, top_k, threads: ctx.config.scan_threads(), candidates: None };
    let close = scan(&index, query, plan, Some(candidates), VectorIndex::close_to_top).await?;
    let ids = ids_of(reader, close.iter().map(|(pk, _)| *pk)).await.map_err(&err)?;
    let mut scored: Vec<(i64, &str, f32)> = close
        .into_iter()
        .filter_map(|(pk, distance)| Some((pk, ids.get(&pk)?.as_str(), space.metric.score(distance))))
        .collect();
    scored.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.1.cmp(b.1)));
    scored.truncate(depth);
    Ok(scored.into_iter().map(|(pk, _, score)| (pk, score)).collect())
}

/// The ids of memories by pk, to break ties between equal scores as the rest of recall does.
async fn ids_of(reader: &Reader, pks: impl Iterator<Item = i64>) -> Result<HashMap<i64, String>, DbErr> {
    let pks: Vec<Value> = pks.map(Value::from).collect();
    let mut ids = HashMap::with_capacity(pks.len());
    for part in pks.chunks(500) {
        let sql = format!("SELECT c.pk, c.id FROM memories c WHERE c.pk IN ({})", placeholders(part.len()));
        for row in reader.query_all_raw(stmt(&sql, part.to_vec())).await? {
            ids.insert(get(&row, "pk")?, get(&row, "id")?);
        }
    }
    Ok(ids)
}

/// The order of the two legs of a recall with neither text nor embedding: the most recently accessed
/// memories, and the most important (pinned first).
const QUERYLESS_LEGS: [&str; 2] =
    ["c.last_accessed_at DESC, c.id", "c.pinned DESC, c.importance DESC, c.last_accessed_at DESC, c.id"];

/// The first `depth` memories in `order`, for a recall with neither text nor embedding.
async fn ordered_leg(
    conn: &impl ConnectionTrait,
    filter: &SqlCondition,
    order: &str,
    depth: usize,
) -> Result<Vec<i64>, DbErr> {
    let sql = format!("SELECT c.pk FROM memories c WHERE {} ORDER BY {order} LIMIT ?", filter.sql);
    let mut values = filter.values.clone();
    values.push(count_value(depth).into());
    let rows = conn.query_all_raw(stmt(&sql, values)).await?;
    rows.iter().map(|row| get(row, "pk")).collect()
}

/// Hybrid recall ranked by core, then the access bump of the returned memories.
pub(super) async fn recall(
    ctx: &VectorContext<'_>,
    request: &RecallRequest,
    language: TextLanguage,
) -> Result<Vec<RecallHit>, StorageError> {
    request.validate()?;
    let db = ctx.db;
    let err = db.err("recall");
    // One snapshot on a reader: a recall dropped mid-statement (a timed-out request) stops its statement
    // and frees the connection, as a dropped search does.
    let reader = db.reader().await.map_err(&err)?;
    reader.begin().await.map_err(&err)?;
    let recorded = space::load(&reader).await.map_err(&err)?;
    if let Some(embedding) = &request.embedding {
        storage_core::memory::check_memory_embedding(recorded.as_ref(), "embedding", embedding)?;
    }
    let at = request.now.unwrap_or_else(Utc::now);
    let filter = recall_filter(request, at);
    let text = request.query_text();
    // pk → (semantic score, raw keyword relevance), each set when that leg found the memory.
    let mut legs: BTreeMap<i64, (Option<f32>, Option<f64>)> = BTreeMap::new();
    if let Some(text) = text {
        let query = KeywordQuery::parse(text, language);
        for (pk, relevance) in keyword_leg(&reader, &query, &filter, request.candidates).await.map_err(&err)? {
            legs.entry(pk).or_default().1 = Some(relevance);
        }
    }
    if let (Some(embedding), Some(space)) = (&request.embedding, &recorded) {
        for (pk, score) in semantic_leg(ctx, &reader, embedding, space, &filter, request.candidates).await? {
            legs.entry(pk).or_default().0 = Some(score);
        }
    }
    if text.is_none() && request.embedding.is_none() {
        for order in QUERYLESS_LEGS {
            for pk in ordered_leg(&reader, &filter, order, request.candidates).await.map_err(&err)? {
                legs.entry(pk).or_default();
            }
        }
    }
    let pks: Vec<i64> = legs.keys().copied().collect();
    let mut found = rows::by_pks(&reader, &pks).await.map_err(&err)?;
    reader.commit().await.map_err(&err)?;
    drop(reader);
    let mut pk_of: HashMap<Uuid, i64> = HashMap::with_capacity(found.len());
    let candidates: Vec<Candidate> = legs
        .into_iter()
        .filter_map(|(pk, (semantic, keyword_raw))| {
            let stored = found.remove(&pk)?;
            pk_of.insert(stored.memory.id, pk);
            Some(Candidate { memory: stored.memory, semantic, keyword_raw })
        })
        .collect();
    let hits = rank(candidates, &request.weights, at, request.limit);
    let hit_pks: Vec<i64> = hits.iter().filter_map(|hit| pk_of.get(&hit.memory.id).copied()).collect();
    bump_access(db, &hit_pks).await?;
    Ok(hits)
}

/// Counts a recall of each memory and moves its last access to now (never backwards).
async fn bump_access(db: &Db, pks: &[i64]) -> Result<(), StorageError> {
    if pks.is_empty() {
        return Ok(());
    }
    let err = db.err("recall");
    let txn = db.begin_write().await.map_err(&err)?;
    let at = micros(now());
    for part in pks.chunks(500) {
        let mut values: Vec<Value> = vec![at.into()];
        values.extend(part.iter().map(|pk| Value::from(*pk)));
        let sql = format!(
            "UPDATE memories SET access_count = access_count + 1, last_accessed_at = max(last_accessed_at, ?) \
             WHERE pk IN ({})",
            placeholders(part.len())
        );
        txn.execute_raw(stmt(&sql, values)).await.map_err(&err)?;
    }
    txn.commit().await.map_err(&err)
}
