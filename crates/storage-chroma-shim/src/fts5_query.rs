//! Core's `KeywordQuery` → an FTS5 `MATCH` expression, and the FTS5 tokenizers.
//!
//! Every word goes into FTS5 as a double-quoted string, so no user character is ever FTS5 syntax.
//!
//! Chunk keyword indexes hold core's index terms (`storage_core::analyze`, space-separated) under FTS5's
//! `ascii` tokenizer, which splits them at the spaces and changes nothing else: FTS5 matches and counts
//! exactly the terms PostgreSQL stores, so `bm25()` ranks as PostgreSQL's BM25 SQL does. Memories,
//! messages and artifacts keep FTS5's own `porter` tokenizer over their text.

use storage_core::{KeywordQuery, KeywordTerm, TextLanguage, analyze};

/// The tokenizer of chunk keyword indexes, whose rows are core's terms separated by spaces.
pub(crate) const CHUNK_TOKENIZER: &str = "ascii";

/// A chunk keyword index row: the text's terms, separated by spaces.
pub(crate) fn indexed_terms(text: &str, language: TextLanguage) -> String {
    analyze(text, language).join(" ")
}

/// The FTS5 tokenizer of memory, message and artifact text: diacritics folded; Porter stemming for English.
pub(crate) fn text_tokenizer(language: TextLanguage) -> &'static str {
    match language {
        TextLanguage::English => "porter unicode61 remove_diacritics 2",
        TextLanguage::Simple => "unicode61 remove_diacritics 2",
    }
}

/// The MATCH expression, or `None` when the query can match nothing (no group has an included term).
///
/// Phrases appear in `KeywordQuery::scored_terms` order, which is the order `bm25()` sums them in.
pub(crate) fn match_expression(query: &KeywordQuery) -> Option<String> {
    let groups: Vec<String> = query
        .matchable_groups()
        .map(|group| {
            let include: Vec<String> = group.include.iter().map(term).collect();
            let mut text = format!("({})", include.join(" AND "));
            if !group.exclude.is_empty() {
                let exclude: Vec<String> = group.exclude.iter().map(term).collect();
                text = format!("({text} NOT ({}))", exclude.join(" OR "));
            }
            text
        })
        .collect();
    if groups.is_empty() { None } else { Some(groups.join(" OR ")) }
}

fn term(term: &KeywordTerm) -> String {
    // A quoted FTS5 string is a phrase of the tokens inside; `"` is escaped by doubling.
    let words: Vec<String> = term.words().iter().map(|w| w.replace('"', "\"\"")).collect();
    format!("\"{}\"", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, expected: Option<&str>) {
        let parsed = KeywordQuery::parse(query, TextLanguage::English);
        assert_eq!(match_expression(&parsed).as_deref(), expected, "{query:?}");
    }

    #[test]
    fn queries_compile_to_quoted_fts5_expressions() {
        check("python database", Some("(\"python\" AND \"database\")"));
        check("\"machine learning\"", Some("(\"machine learning\")"));
        check("kubernetes or snake", Some("(\"kubernetes\") OR (\"snake\")"));
        check("python -snake -database", Some("((\"python\") NOT (\"snake\" OR \"database\"))"));
        check("NEAR(python database)", Some("(\"near\" AND \"python\" AND \"database\")"));
        check("python:*", Some("(\"python\")"));
        check("-python", None);
        check("the and of", None);
        check("&|!<->", None);
    }
}
