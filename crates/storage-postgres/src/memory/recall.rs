//! Recall: candidates from SQL, ranked by core's `scoring::rank`, then their access bumped.
//!
//! With a query embedding, the semantic leg takes the `candidates` nearest memories through the HNSW
//! index (iterative scan on pgvector ≥ 0.8, an exact scan on older pgvector, as filtered document search
//! does); with query text, the keyword leg takes the `candidates` best by `ts_rank_cd` of
//! `websearch_to_tsquery` over content and tags. Without either, candidates are the most recently used and
//! the most important memories. Every leg applies the same filters in SQL: scope, kinds, tags (any of),
//! statuses, tiers, the metadata filter, and not expired. Stale embeddings (another model's) take no part
//! in the semantic leg; similarity is the score of the space's metric.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use storage_core::EmbeddingSpace;
use storage_core::memory::scoring::{Candidate, rank};
use storage_core::memory::{RecallHit, RecallRequest};
use uuid::Uuid;

use super::row::{COLUMNS, decode, push_within_scope};
use super::space::exact_distance;
use crate::failure::{OpResult, decode_error};
use crate::filter_sql::where_expr;
use crate::ops::vector::VectorSettings;
use crate::ops::{HnswOverrides, QueryWith, Sql, pg_vector};
use crate::schema::VectorLayout;

/// The filters every leg applies, on `bs_memories AS m`.
fn push_filters(sql: &mut Sql, request: &RecallRequest, now: DateTime<Utc>) {
    push_within_scope(sql, &request.scope);
    if !request.kinds.is_empty() {
        sql.push(" AND m.kind = ANY(").bind(request.kinds.clone()).push("::text[])");
    }
    if !request.tags.is_empty() {
        sql.push(" AND m.tags && ").bind(request.tags.clone()).push("::text[]");
    }
    if !request.statuses.is_empty() {
        let statuses: Vec<String> = request.statuses.iter().map(|s| s.as_str().to_owned()).collect();
        sql.push(" AND m.status = ANY(").bind(statuses).push("::text[])");
    }
    if !request.tiers.is_empty() {
        let tiers: Vec<String> = request.tiers.iter().map(|t| t.as_str().to_owned()).collect();
        sql.push(" AND m.tier = ANY(").bind(tiers).push("::text[])");
    }
    if let Some(condition) = where_expr(request.filter.as_ref(), None) {
        sql.push(" AND ").expr(&condition);
    }
    sql.push(" AND (m.expires_at IS NULL OR m.expires_at > ").bind(now).push(")");
}

/// Finds, ranks and bumps. `space` is the recorded memory space (required with a query embedding).
pub(super) async fn recall(
    db: &DatabaseConnection,
    settings: &VectorSettings,
    language: &str,
    request: &RecallRequest,
    space: Option<&EmbeddingSpace>,
    now: DateTime<Utc>,
) -> OpResult<Vec<RecallHit>> {
    // Ranking and expiry are judged at the request's time; the access bump records the real time.
    let at = request.now.unwrap_or(now);
    let (statement, overrides) = candidates_statement(settings, language, request, space, at);
    let rows = db.query_with(overrides, statement).await?;
    let get = decode_error("a recall candidate");
    let mut candidates = Vec::with_capacity(rows.len());
    for row in &rows {
        let distance: Option<f64> = row.try_get("", "distance").map_err(&get)?;
        let raw: Option<f32> = row.try_get("", "raw").map_err(&get)?;
        candidates.push(Candidate {
            memory: decode(row)?,
            semantic: distance.zip(space).map(|(d, space)| space.metric.score(d)),
            keyword_raw: raw.map(f64::from),
        });
    }
    let hits = rank(candidates, &request.weights, at, request.limit);
    if !hits.is_empty() {
        let ids: Vec<Uuid> = hits.iter().map(|hit| hit.memory.id).collect();
        db.execute_raw(bump_statement(&request.scope.tenant, ids, now)).await?;
    }
    Ok(hits)
}

/// The statement that reads every leg's candidates, judged at time `at`, with the HNSW settings it needs.
pub(super) fn candidates_statement(
    settings: &VectorSettings,
    language: &str,
    request: &RecallRequest,
    space: Option<&EmbeddingSpace>,
    at: DateTime<Utc>,
) -> (Statement, HnswOverrides) {
    let depth = i64::try_from(request.candidates).unwrap_or(i64::MAX);
    let semantic = request.embedding.as_ref().zip(space);
    let mut legs: Vec<&'static str> = Vec::new();
    let mut overrides = HnswOverrides::default();
    let mut sql = Sql::new();
    sql.push("WITH ");
    if let Some((query, space)) = semantic {
        let layout = VectorLayout::new(space);
        let plan = settings.plan(request.candidates, true);
        overrides = plan.overrides;
        let full_cast = format!("::vector({})", layout.dimensions);
        sql.push("sem AS (SELECT m.id, m.embedding ").push_trusted(layout.operator()).push(" ");
        sql.bind(pg_vector(query)).push_trusted(&full_cast);
        sql.push(" AS distance FROM bs_memories AS m WHERE ");
        push_filters(&mut sql, request, at);
        sql.push(" AND m.embedding IS NOT NULL AND NOT m.stale ORDER BY ");
        if plan.exact {
            sql.push(exact_distance(layout.metric)).push("(m.embedding, ").bind(pg_vector(query));
            sql.push_trusted(&full_cast).push(")");
        } else {
            sql.push_trusted(&layout.indexed_column()).push(" ").push_trusted(layout.operator()).push(" ");
            sql.bind(pg_vector(query));
            sql.push_trusted(&layout.query_cast());
        }
        sql.push(" LIMIT ").bind(depth).push(")");
        legs.push("sem");
    }
    if let Some(text) = request.query_text() {
        if !legs.is_empty() {
            sql.push(", ");
        }
        sql.push("kw AS (SELECT m.id, ts_rank_cd(m.tsv, q.query) AS raw FROM bs_memories AS m, websearch_to_tsquery(");
        sql.bind(language).push("::regconfig, ").bind(text).push(") AS q(query) WHERE ");
        push_filters(&mut sql, request, at);
        sql.push(" AND m.tsv @@ q.query ORDER BY raw DESC, m.id LIMIT ").bind(depth).push(")");
        legs.push("kw");
    }
    if legs.is_empty() {
        sql.push("rec AS (SELECT m.id FROM bs_memories AS m WHERE ");
        push_filters(&mut sql, request, at);
        sql.push(" ORDER BY m.last_accessed_at DESC, m.id LIMIT ").bind(depth).push("), imp AS (SELECT m.id FROM ");
        sql.push("bs_memories AS m WHERE ");
        push_filters(&mut sql, request, at);
        sql.push(" ORDER BY m.pinned DESC, m.importance DESC, m.last_accessed_at DESC, m.id LIMIT ").bind(depth);
        sql.push(")");
        legs.extend(["rec", "imp"]);
    }
    sql.push(" SELECT ").push(COLUMNS);
    sql.push(if legs.contains(&"sem") { ", sem.distance" } else { ", NULL::float8 AS distance" });
    sql.push(if legs.contains(&"kw") { ", kw.raw" } else { ", NULL::float4 AS raw" });
    sql.push(" FROM (");
    for (idx, leg) in legs.iter().enumerate() {
        if idx > 0 {
            sql.push(" UNION ");
        }
        sql.push("SELECT id FROM ").push_trusted(leg);
    }
    sql.push(") AS pool JOIN bs_memories AS m ON m.id = pool.id");
    if legs.contains(&"sem") {
        sql.push(" LEFT JOIN sem ON sem.id = m.id");
    }
    if legs.contains(&"kw") {
        sql.push(" LEFT JOIN kw ON kw.id = m.id");
    }
    (sql.build(), overrides)
}

/// Records that `ids` of `tenant` were recalled at `now`.
pub(super) fn bump_statement(tenant: &str, ids: Vec<Uuid>, now: DateTime<Utc>) -> Statement {
    let mut sql = Sql::new();
    sql.push("UPDATE bs_memories SET access_count = access_count + 1, last_accessed_at = GREATEST(");
    sql.push("last_accessed_at, ").bind(now).push(") WHERE tenant = ").bind(tenant);
    sql.push(" AND id = ANY(").bind(ids).push("::uuid[])");
    sql.build()
}
