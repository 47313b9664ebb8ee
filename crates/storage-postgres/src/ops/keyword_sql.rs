//! Core's keyword terms and queries in PostgreSQL's types, and the BM25 SQL of the keyword leg.
//!
//! Terms are core's (`storage_core::analyze`): runs of letters and digits, so a term never holds a quote,
//! a backslash or a space and is written into `tsvector` / `tsquery` literals as `'term'` exactly; the
//! literals are still bound as parameters. BM25 follows `storage_core::keyword::bm25` term by term:
//! `N` and the mean length from `bs_keyword_stats`, document frequencies counted over the collection in
//! the same statement, term frequencies from the chunk's `tsv` positions.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use storage_core::keyword::bm25;
use storage_core::{KeywordQuery, KeywordTerm, TextLanguage, analyze};

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

/// The BM25 leg of an analyzed query: `SELECT c.id, <relevance> AS raw [, c."text", c.metadata] FROM …
/// ORDER BY raw DESC, c.id LIMIT depth`. Only included terms are summed: an excluded term never occurs in a
/// matching chunk, so its share is 0 in `bm25()` too.
pub(crate) fn push_bm25_matches(
    sql: &mut Sql,
    table: &ChunkTable,
    query: &KeywordQuery,
    condition: Option<&Expr>,
    depth: usize,
    payload: bool,
) -> bool {
    let Some(matching) = match_tsquery(query) else { return false };
    let scored: Vec<&KeywordTerm> = query.matchable_groups().flat_map(|group| group.include.iter()).collect();
    let mut words: Vec<&str> = scored.iter().flat_map(|term| term.words()).map(String::as_str).collect();
    words.sort_unstable();
    words.dedup();

    sql.push("SELECT c.id, ");
    for (idx, _) in scored.iter().enumerate() {
        if idx > 0 {
            sql.push(" + ");
        }
        // idf · f · (k1 + 1) / (f + k1 · (1 - b + b · |d| / avgdl)), as core's bm25::term_relevance.
        let n = idx.to_string();
        sql.push_trusted(&format!(
            "(CASE WHEN (st.n - df.d{n} + 0.5) / (df.d{n} + 0.5) > 1 THEN ln((st.n - df.d{n} + 0.5) / (df.d{n} + 0.5)) \
             ELSE 1e-6 END) * tf.f{n} * "
        ));
        sql.bind(bm25::K1 + 1.0).push("::float8 / (tf.f").push_trusted(&n).push(" + ").bind(bm25::K1);
        sql.push("::float8 * (1::float8 - ").bind(bm25::B).push("::float8 + ").bind(bm25::B);
        sql.push("::float8 * CASE WHEN st.total > 0 THEN c.n_terms::float8 * st.n / st.total ELSE 1::float8 END))");
    }
    sql.push(" AS raw");
    if payload {
        sql.push(", c.\"text\", c.metadata");
    }
    sql.push(" FROM (SELECT coalesce(sum(chunks), 0)::float8 AS n, coalesce(sum(terms), 0)::float8 AS total ");
    sql.push("FROM bs_keyword_stats WHERE chunk_table = ").bind(table.name().to_owned()).push(") AS st, (SELECT ");
    for (idx, term) in scored.iter().enumerate() {
        if idx > 0 {
            sql.push(", ");
        }
        sql.push("count(*) FILTER (WHERE tsv @@ ").bind(term_tsquery(term)).push("::tsquery)::float8 AS d");
        sql.push_trusted(&idx.to_string());
    }
    let any: Vec<String> = scored.iter().map(|term| term_tsquery(term)).collect();
    sql.push(" FROM ").table(table).push(" WHERE tsv @@ ").bind(any.join(" | ")).push("::tsquery) AS df, ");
    sql.table(table).push(" AS c CROSS JOIN LATERAL (SELECT ts_filter(setweight(c.tsv, 'A', ");
    // An array literal of quoted terms (no term holds a quote or a backslash), so `null` stays a word.
    let array: Vec<String> = words.iter().map(|word| format!("\"{word}\"")).collect();
    sql.bind(format!("{{{}}}", array.join(","))).push("::text[]), '{a}') AS s) AS q");
    sql.push(" CROSS JOIN LATERAL (SELECT ");
    for (idx, term) in scored.iter().enumerate() {
        if idx > 0 {
            sql.push(", ");
        }
        push_frequency(sql, term);
        sql.push("::float8 AS f").push_trusted(&idx.to_string());
    }
    sql.push(") AS tf WHERE c.tsv @@ ").bind(matching).push("::tsquery");
    if let Some(condition) = condition {
        sql.push(" AND ").expr(condition);
    }
    sql.push(" ORDER BY raw DESC, c.id LIMIT ").push_count(depth);
    true
}

/// How often `term` occurs in the chunk's query-term positions `q.s`: a word's position count, or a
/// phrase's count of positions `p` of its first word with word `i` at `p + i`.
fn push_frequency(sql: &mut Sql, term: &KeywordTerm) {
    let positions = |sql: &mut Sql, word: &str| {
        sql.push("coalesce((SELECT u.positions FROM unnest(q.s) AS u WHERE u.lexeme = ");
        sql.bind(word.to_owned()).push("), '{}'::smallint[])");
    };
    let words = term.words();
    let Some((first, rest)) = words.split_first() else {
        sql.push("0");
        return;
    };
    if rest.is_empty() {
        sql.push("coalesce(cardinality(");
        positions(sql, first);
        sql.push("), 0)");
        return;
    }
    sql.push("(SELECT count(*) FROM unnest(");
    positions(sql, first);
    sql.push(") AS p(pos) WHERE true");
    for (offset, word) in rest.iter().enumerate() {
        sql.push_trusted(&format!(" AND (p.pos + {}) = ANY(", offset + 1));
        positions(sql, word);
        sql.push(")");
    }
    sql.push(")");
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
