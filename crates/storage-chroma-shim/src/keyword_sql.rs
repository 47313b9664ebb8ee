//! Core's `KeywordQuery` → an FTS5 `MATCH` expression, and explain's matched terms.
//!
//! Every word goes into FTS5 as a double-quoted string, so no user character is ever FTS5 syntax.

use storage_core::{KeywordQuery, KeywordTerm, TextLanguage};

use crate::stemmer::stem;

/// The FTS5 tokenizer of a language: diacritics folded; Porter stemming for English.
pub(crate) fn tokenizer(language: TextLanguage) -> &'static str {
    match language {
        TextLanguage::English => "porter unicode61 remove_diacritics 2",
        TextLanguage::Simple => "unicode61 remove_diacritics 2",
    }
}

/// The MATCH expression, or `None` when the query can match nothing (no group has an included term).
///
/// FTS5 cannot express a group of exclusions alone (PostgreSQL's `!word` alone matches every chunk
/// without the word), so such groups are left out.
pub(crate) fn match_expression(query: &KeywordQuery) -> Option<String> {
    let groups: Vec<String> = query
        .groups
        .iter()
        .filter(|group| !group.include.is_empty())
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

/// The words of `text` (lowercased, in order of first appearance, each once) whose normalised form equals
/// that of an included query word, as the FTS5 tokenizer would normalise both.
pub(crate) fn matched_terms(text: &str, query: &KeywordQuery, language: TextLanguage) -> Vec<String> {
    let normalise = |word: &str| -> String {
        let folded = fold_diacritics(word);
        match language {
            TextLanguage::English => stem(&folded),
            TextLanguage::Simple => folded,
        }
    };
    let wanted: Vec<String> = query.included_words().into_iter().map(normalise).collect();
    let mut found: Vec<String> = Vec::new();
    for word in text.split(|ch: char| !ch.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let lower = word.to_lowercase();
        if !found.contains(&lower) && wanted.contains(&normalise(&lower)) {
            found.push(lower);
        }
    }
    found
}

/// Folds common Latin diacritics (`é` → `e`), as `remove_diacritics 2` does for these letters.
fn fold_diacritics(word: &str) -> String {
    word.chars()
        .map(|ch| match ch {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
            'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
            'ď' => 'd',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
            'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
            'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
            'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
            'ŕ' | 'ř' => 'r',
            'ś' | 'ŝ' | 'ş' | 'š' => 's',
            'ţ' | 'ť' => 't',
            'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
            'ý' | 'ÿ' => 'y',
            'ź' | 'ż' | 'ž' => 'z',
            other => other,
        })
        .collect()
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

    #[test]
    fn matched_terms_are_surface_forms_in_text_order() {
        let query = KeywordQuery::parse("database pools", TextLanguage::English);
        let terms = matched_terms(
            "Python Database access with connection pools; databases POOL",
            &query,
            TextLanguage::English,
        );
        assert_eq!(terms, ["database", "pools", "databases", "pool"]);
        let query = KeywordQuery::parse("cafe", TextLanguage::Simple);
        assert_eq!(matched_terms("Un café, un CAFE", &query, TextLanguage::Simple), ["café", "cafe"]);
    }
}
