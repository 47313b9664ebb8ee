//! Text → index terms, the one analyzer every backend indexes and queries with, so both see identical terms.
//!
//! A term is a run of letters and digits (Unicode), lowercased, with diacritics removed (NFD, combining marks
//! dropped: `Café` → `cafe`), and for [`TextLanguage::English`] reduced by the Snowball English stemmer
//! (`backups` → `backup`, `scheduled` → `schedul`), the algorithm PostgreSQL's `english` configuration
//! uses. Stop words stay in documents (positions and lengths count every word, so phrases with inner stop
//! words match); queries drop them ([`super::KeywordQuery::parse`]).

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{KeywordQuery, TextLanguage};

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// The index terms of `text`, in order: position `i` (0-based) of the result is word `i` of the text.
pub fn analyze(text: &str, language: TextLanguage) -> Vec<String> {
    words(text).map(|word| analyze_word(word, language)).collect()
}

/// The index term of one word (any case).
pub fn analyze_word(word: &str, language: TextLanguage) -> String {
    let folded: String = word.nfd().filter(|ch| !is_combining_mark(*ch)).flat_map(char::to_lowercase).collect();
    match language {
        TextLanguage::English => ENGLISH.stem(&folded).into_owned(),
        TextLanguage::Simple => folded,
    }
}

/// The words of `text` as written: runs of letters and digits.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|ch: char| !ch.is_alphanumeric()).filter(|word| !word.is_empty())
}

/// The words of `text` (lowercased, in order of first appearance, each once) whose index term is a term of
/// an included query word: exactly what the index matched, since it holds the same terms.
pub fn matched_terms(text: &str, query: &KeywordQuery, language: TextLanguage) -> Vec<String> {
    let wanted: Vec<String> = query.included_words().into_iter().map(|word| analyze_word(word, language)).collect();
    let mut found: Vec<String> = Vec::new();
    for word in words(text) {
        let lower = word.to_lowercase();
        if !found.contains(&lower) && wanted.contains(&analyze_word(word, language)) {
            found.push(lower);
        }
    }
    found
}
