//! Hybrid search in one statement: the vector and keyword legs as CTEs with the same filters, fused in SQL
//! exactly as `storage_core::fusion::fuse` defines it (same formulas, same f32/f64 steps, ties by id), and
//! only the final `top_k` rows joined back for their text and metadata.

use sea_orm::{DatabaseConnection, DbErr, QueryResult};
use storage_core::keyword::bm25;
use storage_core::{
    Embedding, FusionMethod, KeywordQuery, LegExplain, Metric, SearchHit, SearchRequest, StorageError, TextLanguage,
    matched_terms,
};

use super::keyword_sql::{push_bm25_matches, text_language};
use super::vector::{Candidates, VectorSettings};
use super::{Sql, metadata_from, query_with};
use crate::filter_sql::where_expr;
use crate::schema::{ChunkTable, VectorLayout};

/// `Metric::score` of the `distance` column, in float8 then rounded to float4 as core does.
fn vector_score(metric: Metric) -> &'static str {
    match metric {
        Metric::Cosine => "LEAST(GREATEST(1::float8 - distance, 0::float8), 1::float8)::float4",
        Metric::L2 => {
            "LEAST(GREATEST(1::float8 / (1::float8 + GREATEST(distance, 0::float8)), 0::float8), 1::float8)::float4"
        }
        Metric::InnerProduct => "LEAST(GREATEST(-distance, 0::float8), 1::float8)::float4",
    }
}

/// `fusion::min_max` of a leg's float4 `score` over the leg (computed in float4, like core's f32).
const LEG_MIN_MAX: &str = "CASE WHEN max(score) OVER () > min(score) OVER () \
     THEN LEAST(GREATEST((score - min(score) OVER ()) / (max(score) OVER () - min(score) OVER ()), 0::float4), 1::float4) \
     ELSE 1::float4 END";

/// A leg's weight, 0 when the leg returned no candidate (`fusion::active_weights`).
fn push_weight(sql: &mut Sql, weight: f32, present: &'static str) {
    sql.push("(CASE WHEN legs.").push(present).push(" THEN ").bind(f64::from(weight));
    sql.push("::float8 ELSE 0::float8 END)");
}

fn push_fused_score(sql: &mut Sql, request: &SearchRequest) {
    let settings = &request.fusion;
    let vw = |sql: &mut Sql| push_weight(sql, settings.vector_weight, "has_vector");
    let kw = |sql: &mut Sql| push_weight(sql, settings.keyword_weight, "has_keyword");
    sql.push("COALESCE(LEAST(GREATEST(");
    match settings.method {
        FusionMethod::Rrf => {
            let k = f64::from(settings.rrf_k);
            sql.push("LEAST((COALESCE(");
            vw(sql);
            sql.push(" / (").bind(k).push("::float8 + vs.rank::float8), 0::float8) + COALESCE(");
            kw(sql);
            sql.push(" / (").bind(k).push("::float8 + ks.rank::float8), 0::float8)) / NULLIF(");
            vw(sql);
            sql.push(" / (").bind(k).push("::float8 + 1::float8) + ");
            kw(sql);
            sql.push(" / (").bind(k).push("::float8 + 1::float8), 0::float8), 1::float8)");
        }
        FusionMethod::WeightedMinMax => {
            sql.push("(COALESCE(");
            vw(sql);
            sql.push(" * vs.normalized::float8, 0::float8) + COALESCE(");
            kw(sql);
            sql.push(" * ks.normalized::float8, 0::float8)) / NULLIF(");
            vw(sql);
            sql.push(" + ");
            kw(sql);
            sql.push(", 0::float8)");
        }
    }
    sql.push(", 0::float8), 1::float8)::float4, 0::float4)");
}

/// A hybrid search: one round trip.
pub(crate) async fn search(
    db: &DatabaseConnection,
    settings: &VectorSettings,
    table: &ChunkTable,
    layout: VectorLayout,
    language: &str,
    request: &SearchRequest,
    query: &Embedding,
) -> Result<Result<Vec<SearchHit>, StorageError>, DbErr> {
    let condition = where_expr(request.filter.as_ref(), request.document_filter.as_ref());
    let vector_depth = request.fusion.vector_depth(request.top_k);
    let keyword_depth = request.fusion.keyword_depth(request.top_k);
    let plan = settings.plan(vector_depth, condition.is_some());
    let mut sql = Sql::new();

    sql.push("WITH vc AS (SELECT c.id, c.distance, row_number() OVER (ORDER BY c.distance, c.id) AS rank FROM (");
    let candidates =
        Candidates { table, layout, query, condition: condition.as_ref(), depth: vector_depth, scan: plan.scan };
    candidates.push(&mut sql, false);
    sql.push(") AS c), vr AS (SELECT id, distance, rank, ").push(vector_score(layout.metric));
    sql.push(" AS score FROM vc WHERE rank <= ").push_count(vector_depth);
    sql.push("), vs AS (SELECT id, distance, rank, score, ").push(LEG_MIN_MAX).push(" AS normalized FROM vr)");

    sql.push(", km AS (");
    let text_language = text_language(language);
    let query = request.keyword_query(text_language);
    if !push_bm25_matches(&mut sql, table, &query.analyzed(text_language), condition.as_ref(), keyword_depth, false) {
        sql.push("SELECT NULL::text AS id, NULL::float8 AS raw WHERE false");
    }
    sql.push("), kr AS (SELECT id, row_number() OVER (ORDER BY raw DESC, id) AS rank, ");
    sql.push("LEAST(GREATEST(GREATEST(raw, 0::float8) / (GREATEST(raw, 0::float8) + ").bind(bm25::SCORE_HALF);
    sql.push("::float8), 0::float8), 1::float8)::float4 AS score FROM km)");
    sql.push(", ks AS (SELECT id, rank, score, ").push(LEG_MIN_MAX).push(" AS normalized FROM kr)");

    sql.push(", legs AS (SELECT EXISTS (SELECT 1 FROM vs) AS has_vector, EXISTS (SELECT 1 FROM ks) AS has_keyword)");
    sql.push(", f AS (SELECT COALESCE(vs.id, ks.id) AS id, vs.distance, vs.rank AS vector_rank, ");
    sql.push("vs.score AS vector_score, ks.rank AS keyword_rank, ks.score AS keyword_score, ");
    push_fused_score(&mut sql, request);
    sql.push(" AS score FROM vs FULL OUTER JOIN ks ON vs.id = ks.id CROSS JOIN legs ORDER BY score DESC, id LIMIT ");
    sql.push_count(request.top_k).push(")");

    sql.push(" SELECT f.id, f.distance, f.vector_rank, f.vector_score, f.keyword_rank, f.keyword_score, f.score, ");
    sql.push("t.\"text\", t.metadata");
    sql.push(" FROM f JOIN ").table(table).push(" AS t ON t.id = f.id ORDER BY f.score DESC, f.id");

    let rows = query_with(db, plan.overrides, sql.build()).await?;
    let explain = request.explain.then_some((&query, text_language));
    Ok(rows.iter().map(|row| decode(row, explain)).collect())
}

/// `explain`: the query and language that matched terms are drawn with.
fn decode(row: &QueryResult, explain: Option<(&KeywordQuery, TextLanguage)>) -> Result<SearchHit, StorageError> {
    let get_err = |error: DbErr| StorageError::backend("reading a hybrid hit", error);
    let leg = |rank: Option<i64>, score: Option<f32>| match (rank, score) {
        (Some(rank), Some(score)) if explain.is_some() => {
            Some(LegExplain { rank: u32::try_from(rank).unwrap_or(u32::MAX), score })
        }
        _ => None,
    };
    let text: String = row.try_get("", "text").map_err(get_err)?;
    let keyword_rank: Option<i64> = row.try_get("", "keyword_rank").map_err(get_err)?;
    let matched = match explain {
        Some((query, language)) if keyword_rank.is_some() => Some(matched_terms(&text, query, language)),
        _ => None,
    };
    Ok(SearchHit {
        id: row.try_get("", "id").map_err(get_err)?,
        text,
        metadata: metadata_from(row.try_get("", "metadata").map_err(get_err)?)?,
        score: row.try_get("", "score").map_err(get_err)?,
        distance: row.try_get("", "distance").map_err(get_err)?,
        vector: leg(
            row.try_get("", "vector_rank").map_err(get_err)?,
            row.try_get("", "vector_score").map_err(get_err)?,
        ),
        keyword: leg(keyword_rank, row.try_get("", "keyword_score").map_err(get_err)?),
        matched_terms: matched,
    })
}
