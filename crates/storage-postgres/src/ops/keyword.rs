//! Keyword search: core's query over core's terms, ranked by BM25 in SQL (`keyword_sql.rs`), scored by core's
//! fixed curve (`keyword::bm25::score`), ties by id; matched terms by core's analyzer.

use sea_orm::{DatabaseConnection, DbErr};
use storage_core::{SearchHit, SearchRequest, StorageError};

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
    let explain = request.explain.then_some((&query, language));
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
    Ok(hits.map(|hits| hits.into_iter().filter(|hit| request.min_score.is_none_or(|min| hit.score >= min)).collect()))
}
