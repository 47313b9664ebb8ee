//! Keyword search: core's query over core's terms, ranked by BM25 in SQL (`keyword_sql.rs`), scored by core's
//! fixed curve (`keyword::bm25::score`), ties by id; matched terms by core's analyzer.

use sea_orm::{DatabaseConnection, DbErr};
use storage_core::keyword::bm25;
use storage_core::{LegExplain, SearchHit, SearchRequest, StorageError, matched_terms};

use super::keyword_sql::{push_bm25_matches, text_language};
use super::{Sql, metadata_from};
use crate::filter_sql::where_expr;
use crate::schema::ChunkTable;

/// A keyword search.
pub(crate) async fn search(
    db: &DatabaseConnection,
    table: &ChunkTable,
    language: &str,
    request: &SearchRequest,
) -> Result<Result<Vec<SearchHit>, StorageError>, DbErr> {
    use sea_orm::ConnectionTrait;
    let language = text_language(language);
    let query = request.keyword_query(language);
    let condition = where_expr(request.filter.as_ref(), request.document_filter.as_ref());
    let mut sql = Sql::new();
    if !push_bm25_matches(&mut sql, table, &query.analyzed(language), condition.as_ref(), request.top_k, true) {
        return Ok(Ok(Vec::new()));
    }
    let rows = db.query_all_raw(sql.build()).await?;
    let get_err = |error: DbErr| StorageError::backend("reading a keyword hit", error);
    let hits: Result<Vec<SearchHit>, StorageError> = rows
        .iter()
        .enumerate()
        .map(|(idx, row)| {
            let raw: f64 = row.try_get("", "raw").map_err(get_err)?;
            let score = bm25::score(raw);
            let text: String = row.try_get("", "text").map_err(get_err)?;
            Ok(SearchHit {
                id: row.try_get("", "id").map_err(get_err)?,
                matched_terms: request.explain.then(|| matched_terms(&text, &query, language)),
                text,
                metadata: metadata_from(row.try_get("", "metadata").map_err(get_err)?)?,
                score,
                distance: None,
                vector: None,
                keyword: request
                    .explain
                    .then(|| LegExplain { rank: u32::try_from(idx + 1).unwrap_or(u32::MAX), score }),
            })
        })
        .collect();
    Ok(hits.map(|hits| hits.into_iter().filter(|hit| request.min_score.is_none_or(|min| hit.score >= min)).collect()))
}
