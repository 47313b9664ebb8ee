//! Keyword search over segment tables: core's `KeywordQuery` compiled to one term list, candidates found
//! through the GIN index, and the boolean query evaluated over each content's segments as a whole.
//!
//! One statement returns, per content with a segment matching any term: the sum of `ts_rank_cd` of its
//! segments against the included terms (the raw relevance), and a bitmask of the terms present in any of
//! its segments. [`TermQuery::matches`] then applies the query's OR of groups — each an AND of included
//! terms minus excluded terms — to the bitmask. A group without included terms (`-word` alone) matches
//! nothing, and terms PostgreSQL reduces to nothing (stop words) are left out, as `websearch_to_tsquery`
//! leaves them out.

use sea_orm::{ConnectionTrait, QueryResult, TryGetable, Value};
use storage_core::fusion::normalize_by_max;
use storage_core::session::{TextHit, TextSearch};
use storage_core::{KeywordQuery, KeywordTerm, StorageError};

use crate::failure::{OpResult, decode_error};
use crate::ops::Sql;
use crate::ops::keyword_sql::text_language;

/// At most this many contents are weighed per query, the most relevant first.
const MAX_CANDIDATES: i64 = 10_000;

/// A keyword query as a list of distinct terms and groups of term indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TermQuery {
    /// Each term's words, space-separated (a phrase when more than one).
    terms: Vec<String>,
    /// (included, excluded) term indices of each group.
    groups: Vec<(Vec<usize>, Vec<usize>)>,
}

impl TermQuery {
    /// The term list of a parsed query (core's `TextSearch::keyword_query` bounds its length); `None` when it
    /// can match nothing.
    pub(crate) fn of(parsed: &KeywordQuery) -> Option<TermQuery> {
        let mut terms: Vec<String> = Vec::new();
        let mut index_of = |term: &KeywordTerm| {
            let text = term.words().join(" ");
            match terms.iter().position(|known| *known == text) {
                Some(idx) => idx,
                None => {
                    terms.push(text);
                    terms.len() - 1
                }
            }
        };
        let mut groups = Vec::new();
        for group in parsed.groups.iter().filter(|group| !group.include.is_empty()) {
            let include = group.include.iter().map(&mut index_of).collect();
            let exclude = group.exclude.iter().map(&mut index_of).collect();
            groups.push((include, exclude));
        }
        (!groups.is_empty()).then_some(TermQuery { terms, groups })
    }

    /// `"w1 w2" or "w3"`: websearch text matching any of `indices` (words are letters and digits only, so
    /// quoting them is exact).
    fn any_of(&self, indices: impl Iterator<Item = usize>) -> String {
        let mut seen = Vec::new();
        for idx in indices {
            if !seen.contains(&idx) {
                seen.push(idx);
            }
        }
        seen.iter().map(|idx| format!("\"{}\"", self.terms[*idx])).collect::<Vec<_>>().join(" or ")
    }

    /// Whether a content whose segments contain the terms of bitmask `present` matches, given the terms of
    /// bitmask `effective` that PostgreSQL keeps (not reduced to nothing as stop words).
    pub(crate) fn matches(&self, present: i64, effective: i64) -> bool {
        let bit = |idx: usize| 1i64 << idx;
        let kept = |idx: &usize| effective & bit(*idx) != 0;
        let has = |idx: &usize| present & bit(*idx) != 0;
        self.groups.iter().any(|(include, exclude)| {
            include.iter().any(kept)
                && include.iter().filter(|idx| kept(idx)).all(has)
                && exclude.iter().filter(|idx| kept(idx)).all(|idx| !has(idx))
        })
    }
}

/// A session content found through its own segment table (keyed by `tenant`, `session_id` and one more
/// column) and fetched back from its table by those keys once ranked. Its SQL fragments are static text.
pub(crate) trait Segmented: Sized {
    /// The key naming the content within its session (`seq`, an artifact's id).
    type Key: TryGetable + PartialEq + Clone;
    /// The segment table (`bs_message_segments`).
    const SEGMENTS: &'static str;
    /// The segment table's key columns after `tenant` (`session_id, seq`).
    const SEGMENT_KEYS: &'static str;
    /// The last of them, read back as [`Segmented::Key`] (`seq`).
    const SEGMENT_KEY: &'static str;
    /// The content's columns, as [`Segmented::decode`] reads them.
    const COLUMNS: &'static str;
    /// ` FROM <table> AS <alias> JOIN unnest(`, the unnested key arrays following.
    const FROM: &'static str;
    /// The second key array's cast, the join on the keys `k(session_id, ..)`, ending at `WHERE <alias>.tenant = `.
    const JOIN: &'static str;
    /// What a decoding error names (`a message hit`).
    const WHAT: &'static str;

    /// Decodes one row of [`Segmented::COLUMNS`].
    fn decode(row: &QueryResult) -> Result<Self, StorageError>;

    /// The session and key of this content.
    fn key(&self) -> (&str, &Self::Key);
}

/// Keyword search over the contents `T` of one session or the whole tenant (a checked request), best first:
/// ranked by [`matching`], then fetched by key in one statement and put back in rank order.
pub(crate) async fn search_segmented<T, C>(db: &C, language: &str, request: &TextSearch) -> OpResult<Vec<TextHit<T>>>
where
    T: Segmented,
    Vec<T::Key>: Into<Value>,
    C: ConnectionTrait,
{
    let Some(terms) = TermQuery::of(&request.keyword_query(text_language(language))?) else {
        return Ok(Vec::new());
    };
    let found = matching::<T, C>(db, language, &terms, request).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let get = decode_error(T::WHAT);
    let mut keys = Vec::with_capacity(found.len());
    for (row, score) in &found {
        let session: String = row.try_get("", "session_id").map_err(&get)?;
        let key: T::Key = row.try_get("", T::SEGMENT_KEY).map_err(&get)?;
        keys.push((session, key, *score));
    }
    let mut sql = Sql::new();
    sql.push("SELECT ").push(T::COLUMNS).push(T::FROM);
    sql.bind(keys.iter().map(|(session, _, _)| session.clone()).collect::<Vec<_>>()).push("::text[], ");
    sql.bind(keys.iter().map(|(_, key, _)| key.clone()).collect::<Vec<_>>());
    sql.push(T::JOIN).bind(request.tenant.as_str());
    let mut contents: Vec<T> = db.query_all_raw(sql.build()).await?.iter().map(T::decode).collect::<Result<_, _>>()?;
    let mut hits = Vec::with_capacity(keys.len());
    for (session, key, score) in keys {
        if let Some(pos) = contents.iter().position(|content| content.key() == (session.as_str(), &key)) {
            hits.push(TextHit { item: contents.swap_remove(pos), score });
        }
    }
    Ok(hits)
}

/// The contents `T` of the tenant (or one session) matching `query`, best first (ties by key), at most
/// `limit`, each with its key columns and a score in [0, 1] (raw relevance over the best hit's, core's
/// `normalize_by_max`).
async fn matching<T: Segmented, C: ConnectionTrait>(
    db: &C,
    language: &str,
    query: &TermQuery,
    request: &TextSearch,
) -> OpResult<Vec<(QueryResult, f32)>> {
    let TextSearch { tenant, session_id, limit, .. } = request;
    let included = query.any_of(query.groups.iter().flat_map(|(include, _)| include.iter().copied()));
    let every = query.any_of(0..query.terms.len());
    let mut sql = Sql::new();
    sql.push("WITH q AS (SELECT websearch_to_tsquery(").bind(language).push("::regconfig, ").bind(included);
    sql.push(") AS inc, websearch_to_tsquery(").bind(language).push("::regconfig, ").bind(every).push(") AS every)");
    sql.push(", terms AS (SELECT u.idx::int4 AS idx, phraseto_tsquery(").bind(language);
    sql.push("::regconfig, u.txt) AS q FROM unnest(").bind(query.terms.clone());
    sql.push("::text[]) WITH ORDINALITY AS u(txt, idx))");
    sql.push(", seg AS (SELECT ").push(T::SEGMENT_KEYS).push(", ts_rank_cd(x.tsv, q.inc) AS rank, ");
    sql.push("(SELECT COALESCE(bit_or(1::int8 << (t.idx - 1)), 0::int8) FROM terms t WHERE x.tsv @@ t.q) AS mask ");
    sql.push("FROM ").push(T::SEGMENTS).push(" AS x, q WHERE x.tenant = ").bind(tenant.as_str());
    if let Some(session_id) = session_id {
        sql.push(" AND x.session_id = ").bind(session_id.as_str());
    }
    sql.push(" AND x.tsv @@ q.every) SELECT ").push(T::SEGMENT_KEYS);
    sql.push(", sum(rank)::float8 AS raw, bit_or(mask) AS present, (SELECT COALESCE(bit_or(1::int8 << (idx - 1)), ");
    sql.push("0::int8) FROM terms WHERE numnode(q) > 0) AS effective FROM seg GROUP BY ").push(T::SEGMENT_KEYS);
    sql.push(" ORDER BY raw DESC, ").push(T::SEGMENT_KEYS).push(" LIMIT ").bind(MAX_CANDIDATES);
    let rows = db.query_all_raw(sql.build()).await?;
    let get = decode_error("a keyword candidate");
    let mut kept = Vec::new();
    for row in rows {
        let present: i64 = row.try_get("", "present").map_err(&get)?;
        let effective: i64 = row.try_get("", "effective").map_err(&get)?;
        if query.matches(present, effective) {
            let raw: f64 = row.try_get("", "raw").map_err(&get)?;
            kept.push((row, raw));
            if kept.len() == *limit {
                break;
            }
        }
    }
    let raws: Vec<f64> = kept.iter().map(|(_, raw)| *raw).collect();
    Ok(kept.into_iter().zip(normalize_by_max(&raws)).map(|((row, _), score)| (row, score)).collect())
}

#[cfg(test)]
mod tests {
    use storage_core::TextLanguage;

    use super::*;

    fn parse(text: &str, language: TextLanguage) -> Option<TermQuery> {
        TermQuery::of(&KeywordQuery::parse(text, language))
    }

    fn query(text: &str) -> TermQuery {
        parse(text, TextLanguage::English).unwrap()
    }

    fn check(text: &str, present: &[&str], expected: bool) {
        let query = query(text);
        let mask = present.iter().fold(0i64, |mask, term| {
            let idx = query.terms.iter().position(|t| t == term).unwrap_or_else(|| panic!("no term `{term}`"));
            mask | (1 << idx)
        });
        assert_eq!(query.matches(mask, -1), expected, "{text:?} with {present:?}");
    }

    #[test]
    fn groups_are_ored_terms_anded_and_exclusions_subtracted() {
        check("alpha beta", &["alpha", "beta"], true);
        check("alpha beta", &["alpha"], false);
        check("alpha or beta", &["beta"], true);
        check("alpha -beta", &["alpha"], true);
        check("alpha -beta", &["alpha", "beta"], false);
        check("\"machine learning\" rust", &["machine learning", "rust"], true);
        check("\"machine learning\" rust", &["rust"], false);
    }

    #[test]
    fn terms_postgres_drops_are_left_out() {
        let query = query("alpha beta");
        let only_alpha_kept = 0b01;
        assert!(query.matches(0b01, only_alpha_kept), "beta reduced to nothing is not required");
        assert!(!query.matches(0b00, 0b00), "a group of dropped terms matches nothing");
    }

    #[test]
    fn queries_without_included_terms_match_nothing() {
        assert!(parse("-alpha", TextLanguage::English).is_none());
        assert!(parse("the of", TextLanguage::English).is_none());
        assert!(parse("the of", TextLanguage::Simple).is_some());
    }

    #[test]
    fn the_term_list_is_deduplicated() {
        assert_eq!(query("alpha beta or alpha").terms, ["alpha", "beta"]);
        assert_eq!(query("alpha or \"b c\"").any_of(0..2), "\"alpha\" or \"b c\"");
    }
}
