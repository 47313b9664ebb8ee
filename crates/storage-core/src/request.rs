//! The rules every surface applies to what a caller sent, written once: search defaults and mode inference,
//! the checks a query passes before any store is asked, and page sizes.

use std::fmt::Display;

use serde::{Deserialize, Serialize};

use crate::embedding::{Embedding, EmbeddingSpace};
use crate::error::StorageError;
use crate::filter::{DocumentFilter, Filter};
use crate::fusion::FusionSettings;
use crate::keyword::KeywordMatch;
use crate::search::{DEFAULT_TOP_K, MAX_TOP_K, SearchMode, SearchRequest};

/// The most items one page of a list (memories, sessions, messages, tasks...) returns.
pub const MAX_PAGE_LIMIT: usize = 1_000;

/// Why `value` lies outside `min..=max`, in the one wording every range error uses (`must be between 1 and
/// 1000, got 0`); `None` when it lies inside. For errors that are not [`StorageError`]s (backend settings).
/// NaN lies outside every range.
pub fn out_of_range<T: PartialOrd + Display>(value: T, min: T, max: T) -> Option<String> {
    (!(&min..=&max).contains(&&value)).then(|| format!("must be between {min} and {max}, got {value}"))
}

/// Checks a value a caller chose (a page size, `top_k`, dimensions, a lease...) against `min..=max`.
pub fn check_range<T: PartialOrd + Display>(field: &str, value: T, min: T, max: T) -> crate::Result<()> {
    out_of_range(value, min, max).map_or(Ok(()), |reason| Err(StorageError::invalid(field, reason)))
}

/// Checks a page size (`limit`, `candidates`...): 1 to [`MAX_PAGE_LIMIT`].
pub fn check_page_limit(field: &str, limit: usize) -> crate::Result<()> {
    check_range(field, limit, 1, MAX_PAGE_LIMIT)
}

/// A page size a caller may leave out: `default` when absent, else checked as `limit`.
pub fn page_limit(limit: Option<usize>, default: usize) -> crate::Result<usize> {
    let limit = limit.unwrap_or(default);
    check_page_limit("limit", limit)?;
    Ok(limit)
}

impl SearchMode {
    /// The mode a query's inputs allow when nothing names one: text and an embedding mean hybrid, an
    /// embedding alone vector, anything else keyword.
    pub fn infer(has_text: bool, has_embedding: bool) -> SearchMode {
        match (has_text, has_embedding) {
            (true, true) => SearchMode::Hybrid,
            (false, true) => SearchMode::Vector,
            _ => SearchMode::Keyword,
        }
    }
}

/// What a caller asked of one query; what it left out comes from the [`SearchDefaults`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchInput {
    /// The mode, when the caller named one.
    pub mode: Option<SearchMode>,
    /// The keyword query.
    pub text: Option<String>,
    /// How the keyword query's words combine, when the caller said.
    pub keyword_match: Option<KeywordMatch>,
    /// The query embedding.
    pub embedding: Option<Embedding>,
    /// How many hits.
    pub top_k: Option<usize>,
    /// Drop hits scoring below this.
    pub min_score: Option<f32>,
    /// Metadata filter.
    pub filter: Option<Filter>,
    /// Text filter.
    pub document_filter: Option<DocumentFilter>,
    /// Fusion settings, whole.
    pub fusion: Option<FusionSettings>,
    /// Return each leg's rank and score, and the matched terms.
    pub explain: bool,
}

/// What a search uses for each setting its caller left out: the `search:` section of the configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchDefaults {
    /// The mode when the query names none; `None` infers it from the inputs (text and embedding: hybrid).
    pub mode: Option<SearchMode>,
    /// Hits when the query does not say.
    pub top_k: usize,
    /// How keyword query words combine when the query does not say (`match: any` or `all`).
    #[serde(rename = "match")]
    pub keyword_match: KeywordMatch,
    /// Drop hits below this score when the query does not say.
    pub min_score: Option<f32>,
    /// How hybrid legs are fused.
    pub fusion: FusionSettings,
}

impl Default for SearchDefaults {
    fn default() -> Self {
        SearchDefaults {
            mode: None,
            top_k: DEFAULT_TOP_K,
            keyword_match: KeywordMatch::default(),
            min_score: None,
            fusion: FusionSettings::default(),
        }
    }
}

impl SearchDefaults {
    /// Checks ranges; the error names the key within the section (`top_k`, `fusion.rrf_k`).
    pub fn validate(&self) -> crate::Result<()> {
        check_range("top_k", self.top_k, 1, MAX_TOP_K)?;
        if let Some(min_score) = self.min_score {
            check_range("min_score", min_score, 0.0, 1.0)?;
        }
        self.fusion.validate()
    }

    /// The request `input` asks for, each gap filled from these defaults; the mode is the input's, else
    /// the defaults', else [`SearchMode::infer`]. It is checked against everything that does not need the
    /// collection (an embedding against a space of its own length), so a bad query is refused before any
    /// store is asked; the store checks the rest against the collection's space. A vector or hybrid query
    /// may give text alone, for a store that embeds it (`Stores::with_resolver`).
    pub fn request(&self, input: SearchInput) -> crate::Result<SearchRequest> {
        let inferred = SearchMode::infer(input.text.is_some(), input.embedding.is_some());
        let mode = input.mode.or(self.mode).unwrap_or(inferred);
        let mut request = SearchRequest::with_mode(mode, input.text, input.embedding)
            .top_k(input.top_k.unwrap_or(self.top_k))
            .fusion(input.fusion.unwrap_or(self.fusion))
            .keyword_match(input.keyword_match.unwrap_or(self.keyword_match))
            .explain(input.explain);
        request.min_score = input.min_score.or(self.min_score);
        request.filter = input.filter;
        request.document_filter = input.document_filter;
        let own_space = request.embedding.as_ref().map(|e| EmbeddingSpace::new(e.dimensions())).transpose()?;
        request.validate_before_embedding(&crate::CollectionName::default(), own_space.as_ref())?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedding() -> Embedding {
        Embedding::new(vec![1.0, 0.0]).unwrap()
    }

    #[test]
    fn the_mode_is_the_callers_then_the_defaults_then_what_the_inputs_allow() {
        let defaults = SearchDefaults::default();
        let both = SearchInput { text: Some("q".into()), embedding: Some(embedding()), ..SearchInput::default() };
        assert_eq!(defaults.request(both.clone()).unwrap().mode, SearchMode::Hybrid);
        let vector = SearchInput { embedding: Some(embedding()), ..SearchInput::default() };
        assert_eq!(defaults.request(vector).unwrap().mode, SearchMode::Vector);
        let keyword = SearchInput { text: Some("q".into()), ..SearchInput::default() };
        assert_eq!(defaults.request(keyword).unwrap().mode, SearchMode::Keyword);
        let configured = SearchDefaults { mode: Some(SearchMode::Keyword), ..SearchDefaults::default() };
        assert_eq!(configured.request(both.clone()).unwrap().mode, SearchMode::Keyword);
        let named = SearchInput { mode: Some(SearchMode::Vector), ..both };
        assert_eq!(configured.request(named).unwrap().mode, SearchMode::Vector);
    }

    #[test]
    fn gaps_come_from_the_defaults_and_bad_values_are_refused_before_any_store() {
        let defaults = SearchDefaults { top_k: 7, min_score: Some(0.25), ..SearchDefaults::default() };
        let request = defaults.request(SearchInput { text: Some("q".into()), ..SearchInput::default() }).unwrap();
        assert_eq!((request.top_k, request.min_score), (7, Some(0.25)));
        let err = defaults.request(SearchInput { top_k: Some(0), text: Some("q".into()), ..SearchInput::default() });
        assert!(err.unwrap_err().to_string().starts_with("top_k: "));
        let err = defaults.request(SearchInput::default()).unwrap_err().to_string();
        assert!(err.starts_with("text: keyword search needs query text"), "{err}");
        let zero = SearchInput { embedding: Some(Embedding::new(vec![0.0, 0.0]).unwrap()), ..SearchInput::default() };
        assert!(defaults.request(zero).unwrap_err().to_string().starts_with("embedding: "));
    }

    #[test]
    fn the_keyword_match_is_the_callers_then_the_defaults() {
        let text = || SearchInput { text: Some("q".into()), ..SearchInput::default() };
        assert_eq!(SearchDefaults::default().request(text()).unwrap().keyword_match, KeywordMatch::Any);
        let all = SearchDefaults { keyword_match: KeywordMatch::All, ..SearchDefaults::default() };
        assert_eq!(all.request(text()).unwrap().keyword_match, KeywordMatch::All);
        let any = SearchInput { keyword_match: Some(KeywordMatch::Any), ..text() };
        assert_eq!(all.request(any).unwrap().keyword_match, KeywordMatch::Any);
        let config: SearchDefaults = serde_json::from_str(r#"{"match": "all"}"#).unwrap();
        assert_eq!(config.keyword_match, KeywordMatch::All);
    }

    #[test]
    fn page_limits_are_one_to_a_thousand() {
        assert_eq!(page_limit(None, 50).unwrap(), 50);
        assert_eq!(page_limit(Some(1000), 50).unwrap(), 1000);
        let err = page_limit(Some(0), 50).unwrap_err().to_string();
        assert_eq!(err, "limit: must be between 1 and 1000, got 0");
        assert!(check_page_limit("candidates", 1001).unwrap_err().to_string().starts_with("candidates: "));
    }

    #[test]
    fn a_range_includes_both_ends_and_excludes_nan() {
        assert!(check_range("b", 0.0, 0.0, 1.0).is_ok() && check_range("b", 1.0, 0.0, 1.0).is_ok());
        assert_eq!(check_range("b", 1.5, 0.0, 1.0).unwrap_err().to_string(), "b: must be between 0 and 1, got 1.5");
        assert_eq!(out_of_range(f32::NAN, 0.0, 1.0).as_deref(), Some("must be between 0 and 1, got NaN"));
        assert_eq!(out_of_range(f64::INFINITY, 0.0, 100.0).as_deref(), Some("must be between 0 and 100, got inf"));
        assert_eq!(out_of_range(0u32, 1, 64).as_deref(), Some("must be between 1 and 64, got 0"));
    }
}
