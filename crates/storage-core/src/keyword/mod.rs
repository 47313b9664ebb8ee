//! Keyword search, defined once for every backend: the query syntax ([`KeywordQuery`]), the terms text and
//! queries are reduced to ([`analyze`]), and BM25 relevance and its [0, 1] score ([`bm25`]).
//!
//! | input | [`KeywordMatch::Any`] (default) | [`KeywordMatch::All`] |
//! |---|---|---|
//! | `backup schedule` | either word | both words |
//! | `backup and schedule` | both words | both words |
//! | `"machine learning"` | the phrase, words adjacent and in order | the same |
//! | `kubernetes or snake` | either side | either side |
//! | `python -snake` | `python`, and no chunk with `snake` | the same |
//!
//! Any-term matching is the default because agents send questions, not Boolean queries: `how often are
//! backups taken` finds the chunk about backup schedules although `often` and `taken` are not in it; BM25
//! ranks chunks with more and rarer query terms first.
//! With [`KeywordMatch::All`] the syntax is PostgreSQL's `websearch_to_tsquery`: words are ANDed and `or`
//! binds loosest, so `a b or c` is `(a AND b) OR c`. With `Any`, `and` binds adjacent operands, any other
//! juxtaposition is OR, and an exclusion applies to the whole query. Either way the AST is an OR of
//! [`KeywordGroup`]s, each an AND of included terms minus excluded terms. Every other character is a
//! separator, never syntax: `lang:python` is the phrase `lang python` (one operand that splits into several
//! words is a phrase, as PostgreSQL's parser makes it), `python*` is `python`. Words are lowercased. With
//! [`TextLanguage::English`], English stop words are dropped (inside a phrase only at its ends), so a query
//! of only stop words matches nothing.

mod analyze;
pub mod bm25;

pub use analyze::{analyze, analyze_word, matched_terms};

use crate::text_enum::string_enum;

string_enum! {
    /// The language of keyword search: which stop words are dropped and how backends stem words.
    #[derive(Default)]
    TextLanguage as "a supported language" in "language" {
        /// English: stop words dropped from queries, words stemmed with the Snowball English stemmer.
        #[default]
        English = "english" | "en",
        /// No stop words, no stemming.
        Simple = "simple" | "none",
    }
}

impl TextLanguage {
    /// Whether `word` (lowercase) is a stop word of this language.
    pub fn is_stop_word(self, word: &str) -> bool {
        match self {
            TextLanguage::English => ENGLISH_STOP_WORDS.binary_search(&word).is_ok(),
            TextLanguage::Simple => false,
        }
    }
}

string_enum! {
    /// How the words of a keyword query combine when the user wrote no operator between them.
    #[derive(Default)]
    KeywordMatch as "a match mode" in "match" {
        /// A chunk matches when it contains any query term; BM25 ranks chunks with more and rarer terms first.
        #[default]
        Any = "any",
        /// A chunk matches only when it contains every query term (`websearch_to_tsquery` semantics).
        All = "all",
    }
}

/// The Snowball English stop words (PostgreSQL's `english.stop`), sorted for binary search.
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
    And,
}

impl KeywordQuery {
    /// Parses user text with `websearch_to_tsquery` semantics ([`KeywordMatch::All`]). Never fails:
    /// anything that is not a word, `"`, a leading `-`, `or` or `and` separates words.
    pub fn parse(text: &str, language: TextLanguage) -> KeywordQuery {
        KeywordQuery::parse_with(text, language, KeywordMatch::All)
    }

    /// Parses user text; `keyword_match` says what juxtaposed words mean.
    pub fn parse_with(text: &str, language: TextLanguage, keyword_match: KeywordMatch) -> KeywordQuery {
        match keyword_match {
            KeywordMatch::All => parse_all(tokenize(text), language),
            KeywordMatch::Any => parse_any(tokenize(text), language),
        }
    }

    /// The same query with every word reduced to its index term ([`analyze_word`]), as chunk keyword
    /// indexes store them.
    pub fn analyzed(&self, language: TextLanguage) -> KeywordQuery {
        let term = |term: &KeywordTerm| match term {
            KeywordTerm::Word(word) => KeywordTerm::Word(analyze_word(word, language)),
            KeywordTerm::Phrase(words) => {
                KeywordTerm::Phrase(words.iter().map(|w| analyze_word(w, language)).collect())
            }
        };
        let groups = self
            .groups
            .iter()
            .map(|group| KeywordGroup {
                include: group.include.iter().map(term).collect(),
                exclude: group.exclude.iter().map(term).collect(),
            })
            .collect();
        KeywordQuery { groups }
    }

    /// The terms BM25 sums over, in the order a backend writes them into its match expression: for each
    /// group that includes something, its included terms, then its excluded terms (which never occur in a
    /// matching chunk, so they add nothing). A term written twice counts twice, as in FTS5's `bm25()`.
    pub fn scored_terms(&self) -> Vec<&KeywordTerm> {
        self.matchable_groups().flat_map(|group| group.include.iter().chain(group.exclude.iter())).collect()
    }

    /// The groups a chunk can match: those with at least one included term (a group of exclusions alone
    /// would match every chunk without them, which no backend does).
    pub fn matchable_groups(&self) -> impl Iterator<Item = &KeywordGroup> {
        self.groups.iter().filter(|group| !group.include.is_empty())
    }

    /// Whether a chunk whose terms are `terms` (in order, as [`analyze`] returns them) matches this
    /// (analyzed) query: the reference every backend's match expression reproduces.
    pub fn matches(&self, terms: &[String]) -> bool {
        self.matchable_groups().any(|group| {
            group.include.iter().all(|term| term_occurrences(term, terms) > 0)
                && group.exclude.iter().all(|term| term_occurrences(term, terms) == 0)
        })
    }

    /// Whether the query can match nothing at all (no groups).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The distinct terms (words and phrases) of the groups that can match, those with an included term, in
    /// query order: what a search has to look for.
    pub fn distinct_terms(&self) -> Vec<&KeywordTerm> {
        let mut terms: Vec<&KeywordTerm> = Vec::new();
        for group in self.groups.iter().filter(|group| !group.include.is_empty()) {
            for term in group.include.iter().chain(&group.exclude) {
                if !terms.contains(&term) {
                    terms.push(term);
                }
            }
        }
        terms
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

fn parse_all(tokens: Vec<Token>, language: TextLanguage) -> KeywordQuery {
    let mut groups = Vec::new();
    let mut current = KeywordGroup::default();
    for token in tokens {
        match token {
            Token::Or => {
                if !current.include.is_empty() || !current.exclude.is_empty() {
                    groups.push(std::mem::take(&mut current));
                }
            }
            Token::And => {}
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

/// Any-term: each operand is its own group unless `and` binds it to the previous one; exclusions apply to
/// every group.
fn parse_any(tokens: Vec<Token>, language: TextLanguage) -> KeywordQuery {
    let mut clauses: Vec<Vec<KeywordTerm>> = Vec::new();
    let mut exclude = Vec::new();
    let mut bound = false;
    for token in tokens {
        match token {
            Token::Or => bound = false,
            Token::And => bound = true,
            Token::Operand(operand) => {
                let Some(term) = to_term(operand.words, language) else { continue };
                if operand.negated {
                    exclude.push(term);
                    continue;
                }
                match clauses.last_mut() {
                    Some(clause) if bound => clause.push(term),
                    _ => clauses.push(vec![term]),
                }
                bound = false;
            }
        }
    }
    let mut groups: Vec<KeywordGroup> =
        clauses.into_iter().map(|include| KeywordGroup { include, exclude: exclude.clone() }).collect();
    if groups.is_empty() && !exclude.is_empty() {
        groups.push(KeywordGroup { include: Vec::new(), exclude });
    }
    KeywordQuery { groups }
}

/// How often `term` occurs in `terms`: a word's count, or a phrase's count of adjacent, in-order runs.
pub fn term_occurrences(term: &KeywordTerm, terms: &[String]) -> usize {
    let words = term.words();
    if words.is_empty() || terms.len() < words.len() {
        return 0;
    }
    terms.windows(words.len()).filter(|window| window.iter().zip(words).all(|(a, b)| a == b)).count()
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
        } else if is_operator_word(&chars[idx..], "or") {
            tokens.push(Token::Or);
            waiting_operand = true;
            idx += 2;
        } else if is_operator_word(&chars[idx..], "and") {
            tokens.push(Token::And);
            waiting_operand = true;
            idx += 3;
        } else {
            // An implicit AND: the next operand starts here.
            waiting_operand = true;
        }
    }
    tokens
}

/// `word` (`or` or `and`, any case) standing alone: followed by the end, whitespace or a non-word character.
fn is_operator_word(rest: &[char], word: &str) -> bool {
    let n = word.len();
    rest.len() >= n
        && rest.iter().zip(word.chars()).all(|(have, want)| have.eq_ignore_ascii_case(&want))
        && rest.get(n).is_none_or(|next| !next.is_alphanumeric())
}

fn to_term(words: Vec<String>, language: TextLanguage) -> Option<KeywordTerm> {
    let first = words.iter().position(|w| !language.is_stop_word(w))?;
    let last = words.iter().rposition(|w| !language.is_stop_word(w))?;
    let mut kept: Vec<String> = words.into_iter().skip(first).take(last + 1 - first).collect();
    if kept.len() == 1 { kept.pop().map(KeywordTerm::Word) } else { Some(KeywordTerm::Phrase(kept)) }
}

#[cfg(test)]
mod tests;
