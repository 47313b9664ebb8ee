//! Keyword query syntax: user text → [`KeywordQuery`], with PostgreSQL `websearch_to_tsquery` semantics.
//!
//! Every backend compiles this AST to its own full-text engine, so `python -snake` means the same on all.
//!
//! | input | meaning |
//! |---|---|
//! | `python database` | both words (AND) |
//! | `"machine learning"` | the phrase, words adjacent and in order |
//! | `kubernetes or snake` | either side (OR, case-insensitive) |
//! | `python -snake` | `python` and not `snake`; `-"a phrase"` excludes a phrase |
//!
//! As in PostgreSQL, OR binds loosest: `a b or c` is `(a AND b) OR c`, so the AST is an OR of
//! [`KeywordGroup`]s, each an AND of included terms minus excluded terms. Every other character is a
//! separator, never syntax: `lang:python` is the phrase `lang python` (one operand that splits into several
//! words is a phrase, as PostgreSQL's parser makes it), `python*` is `python`. Words are lowercased. With
//! [`TextLanguage::English`], PostgreSQL's English stop words are dropped (inside a phrase only at its
//! ends), so a query of only stop words matches nothing. Stemming is the backend's business.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::StorageError;

/// The language of keyword search: which stop words are dropped and how backends stem words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextLanguage {
    /// English: stop words dropped, words stemmed (PostgreSQL `english`, SQLite FTS5 `porter`).
    #[default]
    English,
    /// No stop words, no stemming (PostgreSQL `simple`).
    Simple,
}

impl TextLanguage {
    /// Every language, for error messages and help text.
    pub const ALL: [TextLanguage; 2] = [TextLanguage::English, TextLanguage::Simple];

    /// The language's name as config and PostgreSQL spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            TextLanguage::English => "english",
            TextLanguage::Simple => "simple",
        }
    }

    /// Whether `word` (lowercase) is a stop word of this language.
    pub fn is_stop_word(self, word: &str) -> bool {
        match self {
            TextLanguage::English => ENGLISH_STOP_WORDS.binary_search(&word).is_ok(),
            TextLanguage::Simple => false,
        }
    }
}

impl fmt::Display for TextLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TextLanguage {
    type Err = StorageError;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "english" | "en" => Ok(TextLanguage::English),
            "simple" | "none" => Ok(TextLanguage::Simple),
            _ => Err(StorageError::invalid(
                "language",
                format!("{} is not supported; expected english or simple", crate::quoted(s)),
            )),
        }
    }
}

/// PostgreSQL's `english.stop` list (the Snowball English stop words), sorted for binary search.
#[rustfmt::skip]
pub const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "did", "do", "does",
    "doing", "don", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having",
    "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it",
    "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off", "on",
    "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "s", "same", "she", "should",
    "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were",
    "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "you", "your", "yours",
    "yourself", "yourselves",
];

/// One searchable unit: a word, or a phrase of adjacent words in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeywordTerm {
    /// A lowercase word.
    Word(String),
    /// Two or more lowercase words that must appear adjacent and in this order.
    Phrase(Vec<String>),
}

impl KeywordTerm {
    /// The term's words.
    pub fn words(&self) -> &[String] {
        match self {
            KeywordTerm::Word(word) => std::slice::from_ref(word),
            KeywordTerm::Phrase(words) => words,
        }
    }
}

/// Terms that must all appear, minus terms that must not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeywordGroup {
    /// Every one of these must match.
    pub include: Vec<KeywordTerm>,
    /// None of these may match.
    pub exclude: Vec<KeywordTerm>,
}

/// A parsed keyword query: a chunk matches when any group matches. No groups matches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeywordQuery {
    /// The alternatives (OR).
    pub groups: Vec<KeywordGroup>,
}

/// One operand as the tokenizer sees it, before stop words are dropped.
struct Operand {
    negated: bool,
    words: Vec<String>,
}

enum Token {
    Operand(Operand),
    Or,
}

impl KeywordQuery {
    /// Parses user text. Never fails: anything that is not a word, `"`, a leading `-` or `or` separates
    /// words.
    pub fn parse(text: &str, language: TextLanguage) -> KeywordQuery {
        let mut groups = Vec::new();
        let mut current = KeywordGroup::default();
        for token in tokenize(text) {
            match token {
                Token::Or => {
                    if !current.include.is_empty() || !current.exclude.is_empty() {
                        groups.push(std::mem::take(&mut current));
                    }
                }
                Token::Operand(operand) => {
                    let Some(term) = to_term(operand.words, language) else { continue };
                    if operand.negated {
                        current.exclude.push(term);
                    } else {
                        current.include.push(term);
                    }
                }
            }
        }
        if !current.include.is_empty() || !current.exclude.is_empty() {
            groups.push(current);
        }
        KeywordQuery { groups }
    }

    /// Whether the query can match nothing at all (no groups).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every word of every included term, in query order, each once: what explain's matched terms are
    /// drawn from.
    pub fn included_words(&self) -> Vec<&str> {
        let mut words: Vec<&str> = Vec::new();
        for word in self.groups.iter().flat_map(|g| g.include.iter()).flat_map(KeywordTerm::words) {
            if !words.contains(&word.as_str()) {
                words.push(word);
            }
        }
        words
    }
}

/// Characters PostgreSQL's websearch parser skips as operators between operands.
fn is_operator_char(ch: char) -> bool {
    matches!(ch, '!' | '&' | '|' | '(' | ')' | '<')
}

/// Splits an operand into lowercase words: runs of letters and digits.
pub fn split_words(text: &str) -> Vec<String> {
    text.split(|ch: char| !ch.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut idx = 0;
    let mut negated = false;
    let mut waiting_operand = true;
    while idx < chars.len() {
        let ch = chars[idx];
        if waiting_operand {
            if ch == '-' {
                negated = !negated;
                idx += 1;
            } else if ch == '"' {
                let end = chars[idx + 1..].iter().position(|c| *c == '"').map_or(chars.len(), |p| idx + 1 + p);
                let inner: String = chars[idx + 1..end].iter().collect();
                tokens.push(Token::Operand(Operand { negated, words: split_words(&inner) }));
                negated = false;
                waiting_operand = false;
                idx = end + 1;
            } else if ch.is_whitespace() || is_operator_char(ch) {
                idx += 1;
            } else {
                let end = chars[idx..]
                    .iter()
                    .position(|c| c.is_whitespace() || *c == '"' || is_operator_char(*c))
                    .map_or(chars.len(), |p| idx + p);
                let operand: String = chars[idx..end].iter().collect();
                tokens.push(Token::Operand(Operand { negated, words: split_words(&operand) }));
                negated = false;
                waiting_operand = false;
                idx = end;
            }
        } else if ch.is_whitespace() || is_operator_char(ch) {
            idx += 1;
        } else if is_or_operator(&chars[idx..]) {
            tokens.push(Token::Or);
            waiting_operand = true;
            idx += 2;
        } else {
            // An implicit AND: the next operand starts here.
            waiting_operand = true;
        }
    }
    tokens
}

/// `or` (any case) standing alone: followed by the end, whitespace or a non-word character.
fn is_or_operator(rest: &[char]) -> bool {
    rest.len() >= 2
        && rest[0].eq_ignore_ascii_case(&'o')
        && rest[1].eq_ignore_ascii_case(&'r')
        && rest.get(2).is_none_or(|next| !next.is_alphanumeric())
}

fn to_term(words: Vec<String>, language: TextLanguage) -> Option<KeywordTerm> {
    let first = words.iter().position(|w| !language.is_stop_word(w))?;
    let last = words.iter().rposition(|w| !language.is_stop_word(w))?;
    let mut kept: Vec<String> = words.into_iter().skip(first).take(last + 1 - first).collect();
    if kept.len() == 1 { kept.pop().map(KeywordTerm::Word) } else { Some(KeywordTerm::Phrase(kept)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(w: &str) -> KeywordTerm {
        KeywordTerm::Word(w.to_owned())
    }

    fn phrase(words: &[&str]) -> KeywordTerm {
        KeywordTerm::Phrase(words.iter().map(|w| (*w).to_owned()).collect())
    }

    fn group(include: Vec<KeywordTerm>, exclude: Vec<KeywordTerm>) -> KeywordGroup {
        KeywordGroup { include, exclude }
    }

    fn check(input: &str, expected: Vec<KeywordGroup>) {
        assert_eq!(KeywordQuery::parse(input, TextLanguage::English).groups, expected, "{input:?}");
    }

    #[test]
    fn stop_word_list_is_sorted_and_complete() {
        assert!(ENGLISH_STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ENGLISH_STOP_WORDS.len(), 127);
    }

    #[test]
    fn words_are_anded_and_lowercased() {
        check("Python database", vec![group(vec![word("python"), word("database")], vec![])]);
        check("+python +database", vec![group(vec![word("python"), word("database")], vec![])]);
        check("python*", vec![group(vec![word("python")], vec![])]);
        check("über café", vec![group(vec![word("über"), word("café")], vec![])]);
    }

    #[test]
    fn quotes_make_phrases_and_unbalanced_quotes_run_to_the_end() {
        check("\"machine learning\"", vec![group(vec![phrase(&["machine", "learning"])], vec![])]);
        check("\"unbalanced quote", vec![group(vec![phrase(&["unbalanced", "quote"])], vec![])]);
        check("\"state of the art\"", vec![group(vec![phrase(&["state", "of", "the", "art"])], vec![])]);
        check("\"the cat\"", vec![group(vec![word("cat")], vec![])]);
        check("\"\"", vec![]);
    }

    #[test]
    fn or_binds_loosest_like_postgres() {
        check("kubernetes or snake", vec![group(vec![word("kubernetes")], vec![]), group(vec![word("snake")], vec![])]);
        check("a b OR c", vec![group(vec![word("b")], vec![]), group(vec![word("c")], vec![])]);
        check(
            "rust compiler or python",
            vec![group(vec![word("rust"), word("compiler")], vec![]), group(vec![word("python")], vec![])],
        );
        check("or python or", vec![group(vec![word("python")], vec![])]);
        check("orange", vec![group(vec![word("orange")], vec![])]);
    }

    #[test]
    fn minus_excludes_words_and_phrases() {
        check("python -snake -database", vec![group(vec![word("python")], vec![word("snake"), word("database")])]);
        check(
            "signal -\"segmentation fault\"",
            vec![group(vec![word("signal")], vec![phrase(&["segmentation", "fault"])])],
        );
        check("- python", vec![group(vec![], vec![word("python")])]);
        check("-", vec![]);
    }

    #[test]
    fn punctuation_separates_and_never_fails() {
        check("lang:python", vec![group(vec![phrase(&["lang", "python"])], vec![])]);
        check("NEAR(python database)", vec![group(vec![word("near"), word("python"), word("database")], vec![])]);
        check("'; DROP TABLE x; --", vec![group(vec![word("drop"), word("table"), word("x")], vec![])]);
        for query in ["!!!", "&|!<->", "\\", "😀", "(", "\"", "--", "or", "the and of"] {
            assert!(KeywordQuery::parse(query, TextLanguage::English).is_empty(), "{query:?}");
        }
    }

    #[test]
    fn simple_language_keeps_stop_words() {
        let query = KeywordQuery::parse("the and of", TextLanguage::Simple);
        assert_eq!(query.groups, vec![group(vec![word("the"), word("and"), word("of")], vec![])]);
        assert_eq!("simple".parse::<TextLanguage>().unwrap(), TextLanguage::Simple);
        assert!("klingon".parse::<TextLanguage>().is_err());
    }

    #[test]
    fn included_words_are_unique_in_query_order() {
        let query = KeywordQuery::parse("pools database or \"database pools\" -x", TextLanguage::English);
        assert_eq!(query.included_words(), ["pools", "database"]);
    }
}
