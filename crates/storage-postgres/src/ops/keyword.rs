//! Keyword search: core's query over core's terms, ranked by BM25 in SQL (`keyword_sql.rs`), scored by core's
//! fixed curve (`keyword::bm25::score`), ties by id; matched terms by core's analyzer.

use sea_orm::{DbErr, QueryResult, Statement};
use storage_core::{Bm25Params, SearchHit, SearchRequest, StorageError};

use super::keyword_sql::{Bm25Leg, push_bm25_matches, text_language};
use super::{Sql, metadata_from};
use crate::filter_sql::where_expr;
use crate::schema::ChunkTable;

/// The statement of a keyword search, or `None` when the query can match nothing.
pub(crate) fn statement(
    table: &ChunkTable,
    language: &str,
    params: Bm25Params,
    request: &SearchRequest,
) -> Option<Statement> {
    let language = text_language(language);
    let query = request.keyword_query(language).analyzed(language);
    let condition = where_expr(request.filter.as_ref(), request.document_filter.as_ref());
    let mut sql = Sql::new();
    let leg =
        Bm25Leg { table, query: &query, params, condition: condition.as_ref(), depth: request.top_k, payload: true };
    push_bm25_matches(&mut sql, &leg).then(|| sql.build())
}

/// The hits of a keyword statement's rows, scored by core's curve, without those under `min_score`.
pub(crate) fn decode(
    rows: &[QueryResult],
    language: &str,
    request: &SearchRequest,
) -> Result<Vec<SearchHit>, StorageError> {
    let get_err = |error: DbErr| StorageError::backend("reading a keyword hit", error);
    let text_language = text_language(language);
    let query = request.keyword_query(text_language);
    let explain = request.explain.then_some((&query, text_language));
    let hits: Result<Vec<SearchHit>, StorageError> = rows
        .iter()
        .enumerate()
        .map(|(idx, row)| {
            let metadata = metadata_from(row.try_get("", "metadata").map_err(get_err)?)?;
            Ok(SearchHit::keyword(
                row.try_get("", "id").map_err(get_err)?,
                row.try_get("", "text").map_err(get_err)?,
                metadata,
                row.try_get("", "raw").map_err(get_err)?,
                idx + 1,
                explain,
            ))
        })
        .collect();
    Ok(hits?.into_iter().filter(|hit| request.min_score.is_none_or(|min| hit.score >= min)).collect())
}
