//! Keyword search: `websearch_to_tsquery` in the collection's language, ranked by `ts_rank_cd`, scores
//! divided by the best hit's (core's `normalize_by_max`), ties by id; matched terms from `ts_headline`.

use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, DbErr};
use storage_core::fusion::normalize_by_max;
use storage_core::{LegExplain, SearchHit, SearchRequest, StorageError};

use super::{Sql, metadata_from};
use crate::filter_sql::where_expr;
use crate::schema::ChunkTable;

/// Markers `ts_headline` puts around matched words: private-use characters no text should contain.
const START_MARK: char = '\u{E000}';
const STOP_MARK: char = '\u{E001}';

/// `ts_headline` options: the markers above, over the whole text.
pub(crate) fn headline_options() -> String {
    format!("StartSel={START_MARK}, StopSel={STOP_MARK}, HighlightAll=true")
}

/// The words between the markers, lowercased, each once, in order of first appearance.
pub(crate) fn matched_terms(headline: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for piece in headline.split(START_MARK).skip(1) {
        let Some((term, _)) = piece.split_once(STOP_MARK) else { continue };
        let term = term.trim().to_lowercase();
        if !term.is_empty() && !terms.contains(&term) {
            terms.push(term);
        }
    }
    terms
}

/// The keyword leg's matches as `(id, raw rank)` rows, best first, ties by id: `FROM <table> AS c,
/// websearch_to_tsquery(...) AS q(query) WHERE c.tsv @@ q.query …`. With `payload`, also text and metadata.
pub(crate) fn push_matches(
    sql: &mut Sql,
    table: &ChunkTable,
    language: &str,
    text: &str,
    condition: Option<&Expr>,
    depth: usize,
    payload: bool,
) {
    sql.push(if payload {
        "SELECT c.id, c.\"text\", c.metadata, q.query, ts_rank_cd(c.tsv, q.query) AS raw FROM "
    } else {
        "SELECT c.id, ts_rank_cd(c.tsv, q.query) AS raw FROM "
    });
    sql.table(table).push(" AS c, websearch_to_tsquery(").bind(language).push("::regconfig, ").bind(text);
    sql.push(") AS q(query) WHERE c.tsv @@ q.query");
    if let Some(condition) = condition {
        sql.push(" AND ").expr(condition);
    }
    sql.push(" ORDER BY raw DESC, c.id LIMIT ").push_count(depth);
}

/// A keyword search.
pub(crate) async fn search(
    db: &DatabaseConnection,
    table: &ChunkTable,
    language: &str,
    request: &SearchRequest,
) -> Result<Result<Vec<SearchHit>, StorageError>, DbErr> {
    use sea_orm::ConnectionTrait;
    let condition = where_expr(request.filter.as_ref(), request.document_filter.as_ref());
    let mut sql = Sql::new();
    sql.push("SELECT k.id, k.\"text\", k.metadata, k.raw");
    if request.explain {
        sql.push(", ts_headline(").bind(language).push("::regconfig, k.\"text\", k.query, ");
        sql.bind(headline_options()).push(") AS headline");
    }
    sql.push(" FROM (");
    push_matches(&mut sql, table, language, request.query_text(), condition.as_ref(), request.top_k, true);
    sql.push(") AS k ORDER BY k.raw DESC, k.id");
    let rows = db.query_all_raw(sql.build()).await?;
    let get_err = |error: DbErr| StorageError::backend("reading a keyword hit", error);
    let decoded: Result<Vec<(SearchHit, f32)>, StorageError> = rows
        .iter()
        .enumerate()
        .map(|(idx, row)| {
            let raw: f32 = row.try_get("", "raw").map_err(get_err)?;
            let headline: Option<String> =
                if request.explain { row.try_get("", "headline").map_err(get_err)? } else { None };
            let hit = SearchHit {
                id: row.try_get("", "id").map_err(get_err)?,
                text: row.try_get("", "text").map_err(get_err)?,
                metadata: metadata_from(row.try_get("", "metadata").map_err(get_err)?)?,
                score: 0.0,
                distance: None,
                vector: None,
                keyword: request
                    .explain
                    .then(|| LegExplain { rank: u32::try_from(idx + 1).unwrap_or(u32::MAX), score: 0.0 }),
                matched_terms: headline.as_deref().map(matched_terms),
            };
            Ok((hit, raw))
        })
        .collect();
    let decoded = match decoded {
        Ok(decoded) => decoded,
        Err(error) => return Ok(Err(error)),
    };
    let raws: Vec<f64> = decoded.iter().map(|(_, raw)| f64::from(*raw)).collect();
    let hits = decoded
        .into_iter()
        .zip(normalize_by_max(&raws))
        .map(|((mut hit, _), score)| {
            hit.score = score;
            if let Some(leg) = hit.keyword.as_mut() {
                leg.score = score;
            }
            hit
        })
        .collect();
    Ok(Ok(hits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(headline: &str, expected: &[&str]) {
        assert_eq!(matched_terms(headline), expected);
    }

    #[test]
    fn matched_terms_are_lowercased_deduplicated_and_ordered() {
        let (s, e) = (START_MARK, STOP_MARK);
        check(&format!("{s}Database{e} and {s}pools{e}, {s}database{e}"), &["database", "pools"]);
        check("no marks at all", &[]);
        check(&format!("{s}unclosed"), &[]);
    }
}
