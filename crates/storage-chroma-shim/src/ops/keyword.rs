//! Keyword search: FTS5 MATCH over the collection's index of core's terms, ranked by `bs_bm25()` (core's
//! `keyword::bm25` formula as an FTS5 auxiliary function, [`crate::bm25_rank`]), scored by core's fixed curve.

use sea_orm::{ConnectionTrait, DbErr};
use storage_core::{CollectionName, KeywordQuery, SearchHit, SearchRequest, StorageError, TextLanguage};

use super::{CollectionRow, HitRow, find_collection, missing, parse_metadata};
use crate::db::{Db, stmt};
use crate::filter_sql::{ChunkFilter, SqlCondition};
use crate::fts5_query::match_expression;
use crate::schema::keyword_table;

/// One keyword-leg candidate: its row and BM25 relevance (higher is better).
#[derive(Debug)]
pub(crate) struct KeywordCandidate {
    pub(crate) relevance: f64,
    pub(crate) row: HitRow,
}

/// The `depth` most relevant chunks for an analyzed query (`KeywordQuery::analyzed`), ties by id.
/// `condition` is the per-row form of the filters ([`crate::filter_sql::Probe::PerRow`]): tested on each
/// full-text match, so a filter costs what the matches cost, however many chunks it matches (listing the
/// 92,000 chunks of a broad filter took 2 s at 100,000 chunks, the unfiltered query 0.15 s; issue 13).
pub(crate) async fn keyword_leg(
    conn: &impl ConnectionTrait,
    collection: &CollectionRow,
    query: &KeywordQuery,
    depth: usize,
    condition: Option<&SqlCondition>,
) -> Result<Vec<KeywordCandidate>, DbErr> {
    let Some(expression) = match_expression(query) else { return Ok(Vec::new()) };
    let fts = keyword_table(collection.id);
    let filter_sql = condition.map_or("1", |c| c.sql.as_str());
    // CROSS JOIN keeps the full-text match the outer loop: with a broad filter, SQLite would otherwise drive
    // from the filter's rows and run the MATCH again for each (issue 13: 104 s at 200,000 chunks against
    // 75 ms unfiltered).
    let rank = crate::bm25_rank::FUNCTION;
    let sql = format!(
        "SELECT c.pk, c.id, c.text, c.metadata, {rank}({fts}, ?, ?) AS relevance FROM {fts} CROSS JOIN chunks c ON c.pk = {fts}.rowid \
         WHERE {fts} MATCH ? AND ({filter_sql}) ORDER BY relevance DESC, c.id LIMIT ?"
    );
    let params = collection.bm25;
    let mut values = vec![params.k1.into(), params.b.into(), expression.into()];
    values.extend(condition.iter().flat_map(|c| c.values.iter().cloned()));
    values.push(i64::try_from(depth).unwrap_or(i64::MAX).into());
    let rows = conn.query_all_raw(stmt(&sql, values)).await?;
    rows.iter()
        .map(|row| {
            let metadata: String = row.try_get_by_index(3)?;
            Ok(KeywordCandidate {
                relevance: row.try_get_by_index(4)?,
                row: HitRow {
                    id: row.try_get_by_index(1)?,
                    text: row.try_get_by_index(2)?,
                    metadata: parse_metadata(&metadata)?,
                },
            })
        })
        .collect()
}

/// A keyword-mode search.
pub(crate) async fn search(
    db: &Db,
    name: &CollectionName,
    request: &SearchRequest,
    language: TextLanguage,
) -> Result<Vec<SearchHit>, StorageError> {
    let err = db.err("keyword search");
    let reader = db.reader().await.map_err(&err)?;
    let collection = find_collection(&reader, name).await.map_err(&err)?.ok_or_else(|| missing(name))?;
    request.validate(name, collection.space.as_ref())?;
    let query = request.keyword_query(language);
    let condition = ChunkFilter::of(request).map(|filter| filter.per_row);
    let candidates = keyword_leg(&reader, &collection, &query.analyzed(language), request.top_k, condition.as_ref())
        .await
        .map_err(&err)?;
    let explain = request.explain.then_some((&query, language));
    Ok(candidates
        .into_iter()
        .enumerate()
        .map(|(idx, c)| SearchHit::keyword(c.row.id, c.row.text, c.row.metadata, c.relevance, idx + 1, explain))
        .filter(|hit| request.min_score.is_none_or(|min| hit.score >= min))
        .collect())
}
