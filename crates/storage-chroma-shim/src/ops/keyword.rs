//! Keyword search: FTS5 MATCH over the collection's index of core's terms, ranked by `bs_bm25()` (core's
//! `keyword::bm25` formula as an FTS5 auxiliary function, [`crate::bm25_rank`]), scored by core's fixed curve.
//!
//! The leg ranks inside the FTS5 table (row ids and relevance only) and reads chunks for the best rows
//! alone: reading a chunk costs far more than ranking a match (a two-word query matches about 1,500 of
//! 100,000 chunks; ranking them all takes a few milliseconds, reading them all a hundred). A filter is
//! tested on the ranked rows the same way, before their chunks are read.

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};
use storage_core::{CollectionName, KeywordQuery, SearchHit, SearchRequest, StorageError, TextLanguage};

use super::{CollectionRow, HitRow, find_collection, missing, parse_metadata};
use crate::db::{Db, stmt};
use crate::filter_sql::{RankedFilter, SqlCondition};
use crate::fts5_query::match_expression;
use crate::schema::keyword_table;

/// One keyword-leg candidate: its row and BM25 relevance (higher is better).
#[derive(Debug)]
pub(crate) struct KeywordCandidate {
    pub(crate) relevance: f64,
    pub(crate) row: HitRow,
}

/// Full-text matches (in row order) a filter is first tested on, to estimate the share of matches it passes.
const SAMPLE: usize = 32;
/// Rows an unfiltered window ranks beyond `depth` at least, so that a tie across its edge is rare.
const MIN_SPARE: usize = 16;
/// Past a window of this many rows, listing the chunks the filter matches once costs less than testing it
/// on each row, and an unfiltered leg sorts every match.
const MAX_WINDOW: usize = 512;

/// The `depth` most relevant chunks the filters pass for an analyzed query (`KeywordQuery::analyzed`), ties
/// by id: exactly the first `depth` of the whole ranking that pass.
///
/// Ranks every match and reads the chunks of a window of the best (those ranking no lower than its last
/// row, so a tie never straddles its edge unseen), testing the filter there; the window grows at the pass
/// rate seen until `depth` pass with a relevance above its floor, or it holds every match. A filter that
/// passes few matches (estimated on a sample, or seen in a window) is listed instead: the ranking then
/// skips whatever it fails. Issue 13: testing a 92 % filter on every match cost 3.3 times the unfiltered
/// query at 100,000 chunks, and listing its 92,000 chunks 2 s; a window tests it on a few dozen rows.
pub(crate) async fn keyword_leg(
    conn: &impl ConnectionTrait,
    collection: &CollectionRow,
    query: &KeywordQuery,
    depth: usize,
    filter: Option<&RankedFilter>,
) -> Result<Vec<KeywordCandidate>, DbErr> {
    let Some(expression) = match_expression(query) else { return Ok(Vec::new()) };
    if depth == 0 {
        return Ok(Vec::new());
    }
    let leg = Leg { conn, collection, fts: keyword_table(collection.id), expression, depth };
    let spare = depth.saturating_add(depth.max(MIN_SPARE));
    let mut window = match filter {
        None => spare,
        Some(filter) => match leg.sample(filter).await? {
            // Every match is in the sample: one window holds them all.
            (sampled, _) if sampled < SAMPLE => SAMPLE,
            (_, 0) => return leg.listed(Some(filter)).await,
            (sampled, passed) => grown(depth, sampled, passed, spare / 2),
        },
    };
    loop {
        if window > MAX_WINDOW {
            return leg.listed(filter).await;
        }
        let Window { hits, floor, rows } = leg.window(window, filter).await?;
        if rows < window {
            return Ok(hits);
        }
        window = match hits.get(depth - 1) {
            Some(last) if floor.is_some_and(|floor| last.relevance > floor) => return Ok(hits),
            // The depth-th hit ties the window's last row: a row past the window may share that relevance.
            Some(_) => window.saturating_mul(2),
            None if hits.is_empty() => usize::MAX,
            None => grown(depth, rows, hits.len(), window),
        };
    }
}

/// The window `depth` passing rows need at the pass rate seen (`passed` of `seen`), with a margin of two,
/// and at least twice `window`.
fn grown(depth: usize, seen: usize, passed: usize, window: usize) -> usize {
    (depth.saturating_mul(seen).saturating_mul(2) / passed.max(1)).max(window.saturating_mul(2))
}

/// One keyword leg's query, as the statements below share it.
struct Leg<'a, C> {
    conn: &'a C,
    collection: &'a CollectionRow,
    fts: String,
    expression: String,
    depth: usize,
}

/// The hits of one window (at most `depth`, best first), the relevance of its last row, and its rows.
struct Window {
    hits: Vec<KeywordCandidate>,
    floor: Option<f64>,
    rows: usize,
}

impl<C: ConnectionTrait> Leg<'_, C> {
    /// `k1, b, expression`: the values of the ranking's `bs_bm25(...)` and `MATCH`.
    fn ranking_values(&self) -> Vec<Value> {
        let params = self.collection.bm25;
        vec![params.k1.into(), params.b.into(), self.expression.clone().into()]
    }

    fn limit(n: usize) -> Value {
        i64::try_from(n).unwrap_or(i64::MAX).into()
    }

    /// How many of the first [`SAMPLE`] matches (in row order) there are and how many the filters pass.
    async fn sample(&self, filter: &RankedFilter) -> Result<(usize, usize), DbErr> {
        let fts = &self.fts;
        let always = SqlCondition::always();
        let document = filter.document.as_ref().unwrap_or(&always);
        // A text filter reads the chunk; a metadata filter needs only the row id.
        let join = if filter.document.is_some() { "CROSS JOIN chunks c ON c.pk = r.pk" } else { "" };
        let sql = format!(
            "SELECT count(*), coalesce(sum(CASE WHEN ({}) AND ({}) THEN 1 ELSE 0 END), 0) FROM (SELECT rowid AS pk \
             FROM {fts} WHERE {fts} MATCH ? LIMIT ?) r {join}",
            filter.per_row.sql, document.sql
        );
        // In placeholder order: the filters' come first in the text.
        let mut values = filter.per_row.values.clone();
        values.extend(document.values.iter().cloned());
        values.extend([self.expression.clone().into(), Self::limit(SAMPLE)]);
        let Some(row) = self.conn.query_one_raw(stmt(&sql, values)).await? else { return Ok((0, 0)) };
        let count = |idx| row.try_get_by_index::<i64>(idx).map(|n| usize::try_from(n).unwrap_or(0));
        Ok((count(0)?, count(1)?))
    }

    /// The best `window` matches (ties at the edge cut anywhere), and the best `depth` of them the filters
    /// pass, in one statement: its first row (no id) carries the window's floor and size.
    async fn window(&self, window: usize, filter: Option<&RankedFilter>) -> Result<Window, DbErr> {
        let (fts, rank) = (&self.fts, crate::bm25_rank::FUNCTION);
        let always = SqlCondition::always();
        let metadata = filter.map_or(&always, |filter| &filter.per_row);
        let document = filter.and_then(|filter| filter.document.as_ref()).unwrap_or(&always);
        let sql = format!(
            "WITH r AS MATERIALIZED (SELECT rowid AS pk, {rank}({fts}, ?, ?) AS relevance FROM {fts} WHERE {fts} \
             MATCH ? ORDER BY relevance DESC LIMIT ?) \
             SELECT NULL, NULL, NULL, min(relevance), count(*) FROM r UNION ALL \
             SELECT * FROM (SELECT c.id, c.text, c.metadata, r.relevance, NULL FROM r CROSS JOIN chunks c ON c.pk = r.pk \
             WHERE ({}) AND ({}) ORDER BY r.relevance DESC, c.id LIMIT ?)",
            metadata.sql, document.sql
        );
        let mut values = self.ranking_values();
        values.push(Self::limit(window));
        values.extend(metadata.values.iter().cloned());
        values.extend(document.values.iter().cloned());
        values.push(Self::limit(self.depth));
        let rows = self.conn.query_all_raw(stmt(&sql, values)).await?;
        let (mut floor, mut size, mut hits) = (None, 0, Vec::new());
        for row in &rows {
            if row.try_get_by_index::<Option<String>>(0)?.is_some() {
                hits.push(candidate(row)?);
            } else {
                floor = row.try_get_by_index(3)?;
                size = usize::try_from(row.try_get_by_index::<i64>(4)?).unwrap_or(0);
            }
        }
        Ok(Window { hits: ranked(hits), floor, rows: size })
    }

    /// The best `depth` matches the filters pass, the metadata filter listed once: the ranking skips the
    /// rows it fails before reading their chunks.
    async fn listed(&self, filter: Option<&RankedFilter>) -> Result<Vec<KeywordCandidate>, DbErr> {
        let (fts, rank) = (&self.fts, crate::bm25_rank::FUNCTION);
        let always = SqlCondition::always();
        let metadata = filter.map_or(&always, |filter| &filter.set);
        let document = filter.and_then(|filter| filter.document.as_ref()).unwrap_or(&always);
        let sql = format!(
            "SELECT c.id, c.text, c.metadata, r.relevance FROM (SELECT rowid AS pk, {rank}({fts}, ?, ?) AS relevance \
             FROM {fts} WHERE {fts} MATCH ?) r CROSS JOIN chunks c ON c.pk = r.pk WHERE ({}) AND ({}) \
             ORDER BY r.relevance DESC, c.id LIMIT ?",
            metadata.sql, document.sql
        );
        let mut values = self.ranking_values();
        values.extend(metadata.values.iter().cloned());
        values.extend(document.values.iter().cloned());
        values.push(Self::limit(self.depth));
        let rows = self.conn.query_all_raw(stmt(&sql, values)).await?;
        Ok(ranked(rows.iter().map(candidate).collect::<Result<_, _>>()?))
    }
}

/// A hit row `(id, text, metadata, relevance)`.
fn candidate(row: &QueryResult) -> Result<KeywordCandidate, DbErr> {
    let metadata: String = row.try_get_by_index(2)?;
    Ok(KeywordCandidate {
        relevance: row.try_get_by_index(3)?,
        row: HitRow {
            id: row.try_get_by_index(0)?,
            text: row.try_get_by_index(1)?,
            metadata: parse_metadata(&metadata)?,
        },
    })
}

/// Best first, ties by id (bytewise, as SQLite's `ORDER BY c.id`), whatever order the rows came in.
fn ranked(mut hits: Vec<KeywordCandidate>) -> Vec<KeywordCandidate> {
    hits.sort_by(|a, b| b.relevance.total_cmp(&a.relevance).then_with(|| a.row.id.as_bytes().cmp(b.row.id.as_bytes())));
    hits
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
    let filter = RankedFilter::of(request);
    let candidates = keyword_leg(&reader, &collection, &query.analyzed(language), request.top_k, filter.as_ref())
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
