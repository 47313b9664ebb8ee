//! Core's keyword terms and queries in PostgreSQL's types, and the BM25 SQL of the keyword leg.
//!
//! Terms are core's (`storage_core::analyze`): runs of letters and digits, so a term never holds a quote,
//! a backslash or a space and is written into `tsvector` / `tsquery` literals as `'term'` exactly; the
//! literals are still bound as parameters. BM25 follows `storage_core::keyword::bm25` term by term:
//! `N` and the mean length from `bs_keyword_stats`, document frequencies counted over the collection in
//! the same statement, term frequencies from the chunk's `tsv` positions. The terms are array parameters,
//! so the statement has one shape whatever the query.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use storage_core::{Bm25Params, KeywordQuery, KeywordTerm, TextLanguage, analyze};

use super::Sql;
use crate::schema::ChunkTable;

/// PostgreSQL keeps positions up to this value (larger ones are clamped).
const MAX_POSITION: usize = 16_383;

/// PostgreSQL keeps at most this many positions per lexeme.
const MAX_POSITIONS_PER_TERM: usize = 256;

/// PostgreSQL refuses lexemes of this many bytes or more.
const MAX_TERM_BYTES: usize = 2_047;

/// A chunk's keyword columns: its terms with their positions (as PostgreSQL keeps them) and its length.
pub(crate) struct KeywordColumns {
    positions: BTreeMap<String, Vec<u16>>,
    /// The text's length in terms (every term, as BM25 counts it).
    pub(crate) n_terms: i32,
}

impl KeywordColumns {
    pub(crate) fn new(text: &str, language: TextLanguage) -> Self {
        let terms = analyze(text, language);
        let n_terms = i32::try_from(terms.len()).unwrap_or(i32::MAX);
        let mut positions: BTreeMap<String, Vec<u16>> = BTreeMap::new();
        for (idx, term) in terms.into_iter().enumerate() {
            if term.len() >= MAX_TERM_BYTES {
                continue;
            }
            let position = u16::try_from((idx + 1).min(MAX_POSITION)).unwrap_or(u16::MAX);
            let list = positions.entry(term).or_default();
            if list.len() < MAX_POSITIONS_PER_TERM && list.last() != Some(&position) {
                list.push(position);
            }
        }
        KeywordColumns { positions, n_terms }
    }

    /// The `tsvector` text literal: `'term':1,3 'other':2`.
    pub(crate) fn literal(&self) -> String {
        let entries: Vec<String> = self
            .positions
            .iter()
            .map(|(term, list)| {
                let list: Vec<String> = list.iter().map(u16::to_string).collect();
                format!("'{term}':{}", list.join(","))
            })
            .collect();
        entries.join(" ")
    }

    /// The `tsvector` binary format (`tsvector_recv`): the entry count, then per entry (sorted bytewise, as
    /// `BTreeMap` keeps them) the NUL-terminated lexeme, the position count and the positions (weight D).
    pub(crate) fn binary(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let n_entries = i32::try_from(self.positions.len()).unwrap_or(i32::MAX);
        bytes.extend_from_slice(&n_entries.to_be_bytes());
        for (term, list) in &self.positions {
            bytes.extend_from_slice(term.as_bytes());
            bytes.push(0);
            let n_positions = u16::try_from(list.len()).unwrap_or(u16::MAX);
            bytes.extend_from_slice(&n_positions.to_be_bytes());
            for position in list {
                bytes.extend_from_slice(&position.to_be_bytes());
            }
        }
        bytes
    }
}

/// The language of a collection's keyword terms: core's language of the collection's configuration name
/// (`english`, `simple`); any other PostgreSQL configuration indexes core's language-neutral terms.
pub(crate) fn text_language(language: &str) -> TextLanguage {
    language.parse().unwrap_or(TextLanguage::Simple)
}

fn term_tsquery(term: &KeywordTerm) -> String {
    let words: Vec<String> = term.words().iter().map(|word| format!("'{word}'")).collect();
    format!("({})", words.join(" <-> "))
}

/// The `tsquery` of an analyzed query, or `None` when it can match nothing.
pub(crate) fn match_tsquery(query: &KeywordQuery) -> Option<String> {
    let groups: Vec<String> = query
        .matchable_groups()
        .map(|group| {
            let mut parts: Vec<String> = group.include.iter().map(term_tsquery).collect();
            parts.extend(group.exclude.iter().map(|term| format!("!{}", term_tsquery(term))));
            format!("({})", parts.join(" & "))
        })
        .collect();
    if groups.is_empty() { None } else { Some(groups.join(" | ")) }
}

/// One BM25 keyword leg: an analyzed query over a collection's chunk table.
pub(crate) struct Bm25Leg<'a> {
    pub(crate) table: &'a ChunkTable,
    /// The analyzed query (`KeywordQuery::analyzed`).
    pub(crate) query: &'a KeywordQuery,
    /// The collection's k1 and b.
    pub(crate) params: Bm25Params,
    pub(crate) condition: Option<&'a Expr>,
    pub(crate) depth: usize,
    /// Whether rows carry `text` and `metadata`.
    pub(crate) payload: bool,
}

/// The query's scored terms as array parameters: one statement shape whatever their number, so the server
/// prepares it once per connection. Only included terms are summed: an excluded term never occurs in a
/// matching chunk, so its share is 0 in `bm25()` too.
struct TermArrays {
    /// Each term as a `tsquery` (a word, or a phrase with `<->`), for its document frequency.
    tsqueries: Vec<String>,
    /// Every word of every term, with its term's 1-based number and its offset within the term.
    words: Vec<String>,
    word_terms: Vec<i32>,
    word_offsets: Vec<i32>,
    /// Each term's number of words.
    term_lengths: Vec<i32>,
}

impl TermArrays {
    fn new(query: &KeywordQuery) -> TermArrays {
        let mut arrays = TermArrays {
            tsqueries: Vec::new(),
            words: Vec::new(),
            word_terms: Vec::new(),
            word_offsets: Vec::new(),
            term_lengths: Vec::new(),
        };
        for (idx, term) in query.matchable_groups().flat_map(|group| group.include.iter()).enumerate() {
            let number = i32::try_from(idx + 1).unwrap_or(i32::MAX);
            arrays.tsqueries.push(term_tsquery(term));
            arrays.term_lengths.push(i32::try_from(term.words().len()).unwrap_or(i32::MAX));
            for (offset, word) in term.words().iter().enumerate() {
                arrays.words.push(word.clone());
                arrays.word_terms.push(number);
                arrays.word_offsets.push(i32::try_from(offset).unwrap_or(i32::MAX));
            }
        }
        arrays
    }
}

/// The BM25 leg: `SELECT c.id, <relevance> AS raw [, c."text", c.metadata] FROM … ORDER BY raw DESC, c.id
/// LIMIT depth`, or `false` when the query can match nothing.
///
/// `N` and the mean length come from `bs_keyword_stats`; each term's document frequency is one index scan
/// (`unnest` of the terms' `tsquery` array); in each matching chunk, the query words' positions are cut out
/// of `tsv` (`setweight` + `ts_filter`), and a term's frequency is the number of start positions where all
/// its words sit at their offsets (for a word, its position count).
pub(crate) fn push_bm25_matches(sql: &mut Sql, leg: &Bm25Leg<'_>) -> bool {
    let Some(matching) = match_tsquery(leg.query) else { return false };
    let arrays = TermArrays::new(leg.query);
    let Bm25Params { k1, b } = leg.params;
    sql.push("SELECT c.id, r.raw");
    if leg.payload {
        sql.push(", c.\"text\", c.metadata");
    }
    sql.push(" FROM (SELECT coalesce(sum(chunks), 0)::float8 AS n, coalesce(sum(terms), 0)::float8 AS total ");
    sql.push("FROM bs_keyword_stats WHERE chunk_table = ").bind(leg.table.name().to_owned()).push(") AS st");
    // idf per term, in term order (core's bm25::idf).
    sql.push(" CROSS JOIN LATERAL (SELECT array_agg(ln(1 + (st.n - t.d + 0.5) / (t.d + 0.5)) ORDER BY t.i) AS idf ");
    sql.push("FROM (SELECT q.i, ");
    sql.push("(SELECT count(*) FROM ").table(leg.table).push(" AS dc WHERE dc.tsv @@ q.term)::float8 AS d ");
    sql.push("FROM unnest(").bind(arrays.tsqueries).push("::tsquery[]) WITH ORDINALITY AS q(term, i)) AS t) AS w");
    sql.push(" CROSS JOIN ").table(leg.table).push(" AS c");
    // Σ idf · f · (k1 + 1) / (f + k1 · (1 - b + b · |d| / avgdl)), as core's Bm25Params::term_relevance.
    sql.push(" CROSS JOIN LATERAL (SELECT coalesce(sum(w.idf[f.i] * f.f * (").bind(k1).push("::float8 + 1) / (f.f + ");
    sql.bind(k1).push("::float8 * (1 - ").bind(b).push("::float8 + ").bind(b);
    sql.push("::float8 * CASE WHEN st.total > 0 THEN c.n_terms * st.n / st.total ELSE 1 END))), 0) AS raw ");
    sql.push("FROM (SELECT o.i, count(*)::float8 AS f FROM (SELECT x.i FROM unnest(").bind(arrays.words.clone());
    sql.push("::text[], ").bind(arrays.word_terms).push("::int4[], ").bind(arrays.word_offsets);
    sql.push("::int4[]) AS x(word, i, off) JOIN unnest(ts_filter(setweight(c.tsv, 'A', ").bind(arrays.words);
    sql.push("::text[]), '{a}')) AS u ON u.lexeme = x.word CROSS JOIN LATERAL unnest(u.positions) AS p(pos) ");
    sql.push("GROUP BY x.i, p.pos - x.off HAVING count(*) = (").bind(arrays.term_lengths);
    sql.push("::int4[])[x.i]) AS o GROUP BY o.i) AS f) AS r");
    sql.push(" WHERE c.tsv @@ ").bind(matching).push("::tsquery");
    if let Some(condition) = leg.condition {
        sql.push(" AND ").expr(condition);
    }
    sql.push(" ORDER BY r.raw DESC, c.id LIMIT ").push_count(leg.depth);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsvectors_hold_core_terms_with_positions() {
        let columns = KeywordColumns::new("Backups: the backup runs nightly", TextLanguage::English);
        assert_eq!(columns.literal(), "'backup':1,3 'night':5 'run':4 'the':2");
        assert_eq!(columns.n_terms, 5);
        let binary = columns.binary();
        assert_eq!(&binary[..4], &4i32.to_be_bytes());
        assert_eq!(&binary[4..15], b"backup\0\0\x02\0\x01");
        let empty = KeywordColumns::new("", TextLanguage::English);
        assert_eq!((empty.literal(), empty.binary(), empty.n_terms), (String::new(), 0i32.to_be_bytes().to_vec(), 0));
    }

    #[test]
    fn tsqueries_follow_groups_phrases_and_exclusions() {
        let query = KeywordQuery::parse_with(
            "\"machine learning\" backups -snake",
            TextLanguage::English,
            storage_core::KeywordMatch::Any,
        )
        .analyzed(TextLanguage::English);
        assert_eq!(
            match_tsquery(&query).as_deref(),
            Some("(('machin' <-> 'learn') & !('snake')) | (('backup') & !('snake'))")
        );
        assert_eq!(match_tsquery(&KeywordQuery::parse("-snake", TextLanguage::English)), None);
    }
}
