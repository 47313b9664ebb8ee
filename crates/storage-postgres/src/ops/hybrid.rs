//! Hybrid search in one statement: the vector and keyword legs as CTEs with the same filters, fused in SQL
//! exactly as `storage_core::fusion::fuse` defines it (same formulas, same f32/f64 steps, ties by id), and
//! only the final `top_k` rows joined back for their text and metadata.

use sea_orm::{DatabaseConnection, DbErr, QueryResult};
use storage_core::{Embedding, FusionMethod, LegExplain, Metric, SearchHit, SearchRequest, StorageError};

use super::keyword::{headline_options, matched_terms, push_matches};
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
        // `Metric::InnerProduct`'s piecewise score with ε = `Metric::INNER_PRODUCT_EPSILON` (0.01), `p = -distance`.
        Metric::InnerProduct => {
            "LEAST(GREATEST(CASE WHEN -distance <= 0::float8 THEN 0.01::float8 / (1::float8 - (-distance)) \
             WHEN -distance <= 1::float8 THEN 0.01::float8 + (1::float8 - 2::float8 * 0.01::float8) * (-distance) \
             ELSE 1::float8 - 0.01::float8 / (-distance) END, 0::float8), 1::float8)::float4"
        }
    }
}

/// `fusion::min_max` of a leg's float4 `score` over the leg (computed in float4, like core's f32).
const LEG_MIN_MAX: &str = "CASE WHEN max(score) OVER () > min(score) OVER () \
     THEN LEAST(GREATEST((score - min(score) OVER ()) / (max(score) OVER () - min(score) OVER ()), 0::float4), 1::float4) \
     ELSE 1::float4 END";

fn push_fused_score(sql: &mut Sql, request: &SearchRequest) {
    let settings = &request.fusion;
    let (vw, kw) = (f64::from(settings.vector_weight), f64::from(settings.keyword_weight));
    match settings.method {
        FusionMethod::Rrf => {
            let k = f64::from(settings.rrf_k);
            sql.push("LEAST(GREATEST(LEAST((COALESCE(").bind(vw).push("::float8 / (").bind(k);
            sql.push("::float8 + vs.rank::float8), 0::float8) + COALESCE(").bind(kw).push("::float8 / (").bind(k);
            sql.push("::float8 + ks.rank::float8), 0::float8)) / (").bind(vw).push("::float8 / (").bind(k);
            sql.push("::float8 + 1::float8) + ").bind(kw).push("::float8 / (").bind(k);
            sql.push("::float8 + 1::float8)), 1::float8), 0::float8), 1::float8)::float4");
        }
        FusionMethod::WeightedMinMax => {
            sql.push("LEAST(GREATEST((COALESCE(")
                .bind(vw)
                .push("::float8 * vs.normalized::float8, 0::float8) + COALESCE(");
            sql.bind(kw).push("::float8 * ks.normalized::float8, 0::float8)) / (").bind(vw).push("::float8 + ");
            sql.bind(kw).push("::float8), 0::float8), 1::float8)::float4");
        }
    }
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
    push_matches(&mut sql, table, language, request.query_text(), condition.as_ref(), keyword_depth, false);
    sql.push("), kr AS (SELECT id, row_number() OVER (ORDER BY raw DESC, id) AS rank, ");
    sql.push("CASE WHEN GREATEST(max(raw::float8) OVER (), 0::float8) > 0::float8 ");
    sql.push("THEN LEAST(GREATEST(raw::float8 / max(raw::float8) OVER (), 0::float8), 1::float8)::float4 ");
    sql.push("ELSE 0::float4 END AS score FROM km)");
    sql.push(", ks AS (SELECT id, rank, score, ").push(LEG_MIN_MAX).push(" AS normalized FROM kr)");

    sql.push(", f AS (SELECT COALESCE(vs.id, ks.id) AS id, vs.distance, vs.rank AS vector_rank, ");
    sql.push("vs.score AS vector_score, ks.rank AS keyword_rank, ks.score AS keyword_score, ");
    push_fused_score(&mut sql, request);
    sql.push(" AS score FROM vs FULL OUTER JOIN ks ON vs.id = ks.id ORDER BY score DESC, id LIMIT ");
    sql.push_count(request.top_k).push(")");

    sql.push(" SELECT f.id, f.distance, f.vector_rank, f.vector_score, f.keyword_rank, f.keyword_score, f.score, ");
    sql.push("t.\"text\", t.metadata");
    if request.explain {
        sql.push(", CASE WHEN f.keyword_rank IS NULL THEN NULL ELSE ts_headline(").bind(language);
        sql.push("::regconfig, t.\"text\", websearch_to_tsquery(").bind(language).push("::regconfig, ");
        sql.bind(request.query_text()).push("), ").bind(headline_options()).push(") END AS headline");
    }
    sql.push(" FROM f JOIN ").table(table).push(" AS t ON t.id = f.id ORDER BY f.score DESC, f.id");

    let rows = query_with(db, plan.overrides, sql.build()).await?;
    Ok(rows.iter().map(|row| decode(row, request.explain)).collect())
}

fn decode(row: &QueryResult, explain: bool) -> Result<SearchHit, StorageError> {
    let get_err = |error: DbErr| StorageError::backend("reading a hybrid hit", error);
    let leg = |rank: Option<i64>, score: Option<f32>| match (rank, score) {
        (Some(rank), Some(score)) if explain => {
            Some(LegExplain { rank: u32::try_from(rank).unwrap_or(u32::MAX), score })
        }
        _ => None,
    };
    let headline: Option<String> = if explain { row.try_get("", "headline").map_err(get_err)? } else { None };
    Ok(SearchHit {
        id: row.try_get("", "id").map_err(get_err)?,
        text: row.try_get("", "text").map_err(get_err)?,
        metadata: metadata_from(row.try_get("", "metadata").map_err(get_err)?)?,
        score: row.try_get("", "score").map_err(get_err)?,
        distance: row.try_get("", "distance").map_err(get_err)?,
        vector: leg(
            row.try_get("", "vector_rank").map_err(get_err)?,
            row.try_get("", "vector_score").map_err(get_err)?,
        ),
        keyword: leg(
            row.try_get("", "keyword_rank").map_err(get_err)?,
            row.try_get("", "keyword_score").map_err(get_err)?,
        ),
        matched_terms: headline.as_deref().map(matched_terms),
    })
}
