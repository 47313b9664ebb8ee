//! `SearchRequest`, `SearchMode` and `SearchHit`: one query in, ranked hits out.

use crate::text_enum::string_enum;
use serde::{Deserialize, Serialize};

use crate::collection::CollectionName;
use crate::document::Metadata;
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::error::StorageError;
use crate::filter::{DocumentFilter, Filter};
use crate::fusion::{FusionSettings, LegExplain};
use crate::keyword::{KeywordMatch, KeywordQuery, TextLanguage};

/// The default number of hits.
pub const DEFAULT_TOP_K: usize = 10;

/// The most hits one query may ask for.
pub const MAX_TOP_K: usize = 1_000;

/// The longest keyword query, in bytes.
pub const MAX_QUERY_TEXT_BYTES: usize = 10_000;

/// Checks the text of a query (a chunk search, a recall, a message or artifact search): at most
/// [`MAX_QUERY_TEXT_BYTES`], no NUL.
pub fn check_query_text(field: &str, text: &str) -> crate::Result<()> {
    if text.len() > MAX_QUERY_TEXT_BYTES {
        return Err(StorageError::invalid(field, format!("is longer than {MAX_QUERY_TEXT_BYTES} bytes")));
    }
    if text.contains('\0') {
        return Err(StorageError::invalid(field, "contains a NUL byte"));
    }
    Ok(())
}

string_enum! {
    /// Which index answers a query.
    #[derive(Default)]
    SearchMode as "a search mode" in "mode" {
        /// Nearest neighbours of the query embedding.
        Vector = "vector",
        /// Full-text relevance of the query text.
        Keyword = "keyword" | "bm25" | "fulltext",
        /// Both legs with the same filters, fused (see [`crate::fusion`]).
        #[default]
        Hybrid = "hybrid",
    }
}

impl SearchMode {
    /// The mode a query gets when the caller names none: what its inputs allow, hybrid when it has both
    /// text and an embedding, vector with only an embedding, keyword otherwise (validation then says what
    /// is missing).
    pub fn for_inputs(has_text: bool, has_embedding: bool) -> SearchMode {
        match (has_text, has_embedding) {
            (true, true) => SearchMode::Hybrid,
            (false, true) => SearchMode::Vector,
            _ => SearchMode::Keyword,
        }
    }
}

/// One query. Build it with [`SearchRequest::vector`], [`SearchRequest::keyword`] or
/// [`SearchRequest::hybrid`] and the `with_*` methods.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchRequest {
    /// Which index answers.
    pub mode: SearchMode,
    /// The keyword query (keyword and hybrid modes): words (any of them matches, unless `keyword_match` is
    /// [`KeywordMatch::All`]), `"quoted words"` form a phrase, `or` / `and` between words mean either / both,
    /// `-word` excludes (see [`crate::keyword`]).
    pub text: Option<String>,
    /// Whether juxtaposed keyword words match any (default) or all of them (JSON and the command line: `match`).
    pub keyword_match: KeywordMatch,
    /// The query embedding (vector and hybrid modes).
    pub embedding: Option<Embedding>,
    /// How many hits to return (1 to [`MAX_TOP_K`]).
    pub top_k: usize,
    /// Drop hits scoring below this (in [0, 1]).
    pub min_score: Option<f32>,
    /// Metadata filter, applied before ranking in every leg.
    pub filter: Option<Filter>,
    /// Text filter (Chroma `where_document`), applied before ranking in every leg.
    pub document_filter: Option<DocumentFilter>,
    /// How hybrid legs are fused.
    pub fusion: FusionSettings,
    /// Return each leg's rank and score, and matched terms.
    pub explain: bool,
}

impl SearchRequest {
    fn new(mode: SearchMode, text: Option<String>, embedding: Option<Embedding>) -> Self {
        SearchRequest {
            mode,
            text,
            keyword_match: KeywordMatch::default(),
            embedding,
            top_k: DEFAULT_TOP_K,
            min_score: None,
            filter: None,
            document_filter: None,
            fusion: FusionSettings::default(),
            explain: false,
        }
    }

    /// A vector search.
    pub fn vector(embedding: Embedding) -> Self {
        Self::new(SearchMode::Vector, None, Some(embedding))
    }

    /// A keyword search.
    pub fn keyword(text: impl Into<String>) -> Self {
        Self::new(SearchMode::Keyword, Some(text.into()), None)
    }

    /// A hybrid search.
    pub fn hybrid(text: impl Into<String>, embedding: Embedding) -> Self {
        Self::new(SearchMode::Hybrid, Some(text.into()), Some(embedding))
    }

    /// A request of `mode` with whatever inputs the caller has; [`SearchRequest::validate`] reports what
    /// the mode is missing.
    pub fn with_mode(mode: SearchMode, text: Option<String>, embedding: Option<Embedding>) -> Self {
        Self::new(mode, text, embedding)
    }

    /// Sets `top_k`.
    #[must_use]
    pub fn top_k(mut self, top_k: usize) -> Self {
        self.top_k = top_k;
        self
    }

    /// Sets how juxtaposed keyword words match.
    #[must_use]
    pub fn keyword_match(mut self, keyword_match: KeywordMatch) -> Self {
        self.keyword_match = keyword_match;
        self
    }

    /// The keyword query of this request, parsed in `language` with its match mode.
    pub fn keyword_query(&self, language: TextLanguage) -> KeywordQuery {
        KeywordQuery::parse_with(self.query_text(), language, self.keyword_match)
    }

    /// Sets `min_score`.
    #[must_use]
    pub fn min_score(mut self, min_score: f32) -> Self {
        self.min_score = Some(min_score);
        self
    }

    /// Sets the metadata filter.
    #[must_use]
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Sets the text filter.
    #[must_use]
    pub fn document_filter(mut self, filter: DocumentFilter) -> Self {
        self.document_filter = Some(filter);
        self
    }

    /// Sets the fusion settings.
    #[must_use]
    pub fn fusion(mut self, fusion: FusionSettings) -> Self {
        self.fusion = fusion;
        self
    }

    /// Asks for explanations.
    #[must_use]
    pub fn explain(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    /// The keyword text, present and non-blank for keyword and hybrid requests that passed validation.
    pub fn query_text(&self) -> &str {
        self.text.as_deref().unwrap_or_default()
    }

    /// Checks the request against itself and the collection's embedding space, before any data is read.
    pub fn validate(&self, collection: &CollectionName, space: Option<&EmbeddingSpace>) -> crate::Result<()> {
        self.check(collection, space, false)
    }

    /// [`SearchRequest::validate`] for a request whose query text a store with an embedder
    /// (`Stores::with_resolver`) will embed: a vector or hybrid request may carry text instead of a vector.
    pub fn validate_before_embedding(
        &self,
        collection: &CollectionName,
        space: Option<&EmbeddingSpace>,
    ) -> crate::Result<()> {
        self.check(collection, space, crate::needs_query_embedding(self))
    }

    fn check(
        &self,
        collection: &CollectionName,
        space: Option<&EmbeddingSpace>,
        text_is_embedded: bool,
    ) -> crate::Result<()> {
        crate::check_range("top_k", self.top_k, 1, MAX_TOP_K)?;
        if let Some(min_score) = self.min_score {
            crate::check_range("min_score", min_score, 0.0, 1.0)?;
        }
        let needs_text = matches!(self.mode, SearchMode::Keyword | SearchMode::Hybrid);
        let needs_embedding = matches!(self.mode, SearchMode::Vector | SearchMode::Hybrid);
        if needs_text {
            match self.text.as_deref() {
                None => return Err(StorageError::invalid("text", format!("{} search needs query text", self.mode))),
                Some(text) if text.trim().is_empty() => {
                    return Err(StorageError::invalid(
                        "text",
                        format!("{} search needs non-blank query text", self.mode),
                    ));
                }
                Some(text) => check_query_text("text", text)?,
            }
        }
        if needs_embedding && !text_is_embedded {
            let Some(embedding) = &self.embedding else {
                return Err(StorageError::invalid(
                    "embedding",
                    format!("{} search needs a query embedding; pass one, or use keyword mode", self.mode),
                ));
            };
            let Some(space) = space else {
                return Err(StorageError::missing_space(collection, "embedding"));
            };
            space.check_vector(collection, "embedding", embedding)?;
        }
        if self.mode == SearchMode::Hybrid {
            self.fusion.validate()?;
        }
        if let Some(filter) = &self.filter {
            filter.validate()?;
        }
        if let Some(filter) = &self.document_filter {
            filter.validate()?;
        }
        Ok(())
    }
}

/// One ranked result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The chunk id.
    pub id: String,
    /// The chunk text.
    pub text: String,
    /// The chunk metadata.
    pub metadata: Metadata,
    /// Relevance in [0, 1], higher is better.
    pub score: f32,
    /// The raw distance, for hits the vector index found (vector mode, and hybrid hits from its vector leg).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<f64>,
    /// The vector leg's rank and score (explain only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector: Option<LegExplain>,
    /// The keyword leg's rank and score (explain only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keyword: Option<LegExplain>,
    /// Query terms found in the text, lowercased, in order of first appearance (explain only, keyword legs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_terms: Option<Vec<String>>,
}

impl SearchHit {
    /// A keyword-mode hit at 1-based `rank` with BM25 `relevance`: scored by [`crate::keyword::bm25::score`],
    /// and with `explain` (the user's query and its language) the keyword leg and the matched terms.
    pub fn keyword(
        id: String,
        text: String,
        metadata: Metadata,
        relevance: f64,
        rank: usize,
        explain: Option<(&KeywordQuery, TextLanguage)>,
    ) -> SearchHit {
        let score = crate::keyword::bm25::score(relevance);
        SearchHit {
            matched_terms: explain.map(|(query, language)| crate::keyword::matched_terms(&text, query, language)),
            keyword: explain.map(|_| LegExplain { rank: u32::try_from(rank).unwrap_or(u32::MAX), score }),
            id,
            text,
            metadata,
            score,
            distance: None,
            vector: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedding(values: &[f32]) -> Embedding {
        Embedding::new(values.to_vec()).unwrap()
    }

    #[test]
    fn validation_names_the_missing_input() {
        let name = CollectionName::default();
        let space = EmbeddingSpace::new(2).unwrap();
        let vector_without_embedding = SearchRequest::with_mode(SearchMode::Vector, Some("x".into()), None);
        let err = vector_without_embedding.validate(&name, Some(&space)).unwrap_err().to_string();
        assert!(err.starts_with("embedding: vector search needs a query embedding"), "{err}");
        // A store that embeds query text takes the same request; without text there is nothing to embed.
        assert!(vector_without_embedding.validate_before_embedding(&name, Some(&space)).is_ok());
        let nothing = SearchRequest::with_mode(SearchMode::Vector, None, None);
        assert!(nothing.validate_before_embedding(&name, Some(&space)).is_err());
        let err = SearchRequest::keyword("  ").validate(&name, Some(&space)).unwrap_err().to_string();
        assert!(err.starts_with("text: keyword search needs non-blank"), "{err}");
        let err = SearchRequest::vector(embedding(&[1.0, 0.0, 0.0])).validate(&name, Some(&space)).unwrap_err();
        assert!(matches!(err, StorageError::DimensionMismatch { stored: 2, given: 3, .. }));
        let err = SearchRequest::vector(embedding(&[1.0, 0.0])).validate(&name, None).unwrap_err();
        assert!(matches!(err, StorageError::NotInitialized { .. }));
        let err = SearchRequest::keyword("x").top_k(0).validate(&name, None).unwrap_err().to_string();
        assert!(err.starts_with("top_k:"), "{err}");
        let err = SearchRequest::keyword("x").min_score(1.5).validate(&name, None).unwrap_err().to_string();
        assert!(err.starts_with("min_score:"), "{err}");
        assert!(SearchRequest::keyword("x").validate(&name, None).is_ok());
        assert!(SearchRequest::hybrid("x", embedding(&[1.0, 0.0])).validate(&name, Some(&space)).is_ok());
    }

    #[test]
    fn modes_parse_with_aliases() {
        assert_eq!("bm25".parse::<SearchMode>().unwrap(), SearchMode::Keyword);
        assert!("graph".parse::<SearchMode>().unwrap_err().to_string().contains("vector, keyword or hybrid"));
    }
}
