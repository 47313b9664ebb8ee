//! BM25 relevance and the keyword score, as every backend computes them (SQLite FTS5's `bm25()`, and the
//! same formula in PostgreSQL SQL), with [`reference_ranking`] as the oracle the conformance suite compares
//! backends with.
//!
//! For a chunk `d` with `|d|` terms in a collection of `N` chunks whose mean length is `avgdl`, summed over
//! the query's scored terms `t` ([`super::KeywordQuery::scored_terms`]; a phrase is one term):
//!
//! ```text
//! idf(t)       = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5))
//! relevance(d) = Σ idf(t) · f(t,d) · (k1 + 1) / (f(t,d) + k1 · (1 - b + b · |d| / avgdl))
//! score(d)     = relevance(d) / (relevance(d) + SCORE_HALF)
//! ```
//!
//! `n(t)` counts the chunks of the collection containing `t` (filters do not change it), `f(t,d)` how often
//! `t` occurs in `d` (a phrase: its adjacent, in-order runs). `k1` and `b` are the collection's
//! [`Bm25Params`]: by default 1.2 and 0.75, the values SQLite FTS5's `bm25()` fixes.
//!
//! The score maps relevance through one fixed curve, so it means the same in every query and every
//! collection of similar size (`min_score` keeps its meaning): 0.5 is a relevance of [`SCORE_HALF`],
//! about one term found in 1% of the chunks occurring once in a chunk of average length.

use serde::{Deserialize, Serialize};

use super::{KeywordQuery, term_occurrences};

/// The default term-frequency saturation `k1` (FTS5's).
pub const K1: f64 = 1.2;

/// The default length normalisation `b` (FTS5's).
pub const B: f64 = 0.75;

/// The largest `k1` a collection may set: far beyond any useful saturation (the literature uses 0.5 to 3).
pub const MAX_K1: f64 = 100.0;

/// A collection's BM25 parameters.
///
/// `k1` is how quickly repeated occurrences of a term stop adding relevance (0: one occurrence counts as
/// many; larger: counts keep adding longer). `b` is how much a chunk's length normalises its term counts
/// (0: not at all; 1: fully, relative to the collection's mean length).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Bm25Params {
    /// Term-frequency saturation, in [0, [`MAX_K1`]].
    pub k1: f64,
    /// Length normalisation, in [0, 1].
    pub b: f64,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Bm25Params { k1: K1, b: B }
    }
}

impl Bm25Params {
    /// Parameters after [`Bm25Params::validate`].
    pub fn new(k1: f64, b: f64) -> crate::Result<Self> {
        let params = Bm25Params { k1, b };
        params.validate()?;
        Ok(params)
    }

    /// Checks the ranges: `k1` in [0, [`MAX_K1`]], `b` in [0, 1], both finite.
    pub fn validate(&self) -> crate::Result<()> {
        crate::check_range("k1", self.k1, 0.0, MAX_K1)?;
        crate::check_range("b", self.b, 0.0, 1.0)
    }

    /// One term's share of a chunk's relevance.
    pub fn term_relevance(&self, idf: f64, frequency: f64, chunk_terms: f64, mean_chunk_terms: f64) -> f64 {
        let Bm25Params { k1, b } = *self;
        let length_ratio = if mean_chunk_terms > 0.0 { chunk_terms / mean_chunk_terms } else { 1.0 };
        idf * frequency * (k1 + 1.0) / (frequency + k1 * (1.0 - b + b * length_ratio))
    }
}

/// The relevance that scores 0.5.
pub const SCORE_HALF: f64 = 4.5;

/// Inverse document frequency of a term found in `containing` of `n_chunks` chunks: Lucene's, always
/// positive. FTS5's `ln((N - n + 0.5) / (n + 0.5))`, floored at 1e-6, gave a word in half the chunks or more
/// next to no weight, so in a small collection a real match scored about 0 and `min_score` dropped it.
pub fn idf(n_chunks: f64, containing: f64) -> f64 {
    (1.0 + (n_chunks - containing + 0.5) / (containing + 0.5)).ln()
}

/// The [0, 1] score of a relevance.
pub fn score(relevance: f64) -> f32 {
    let relevance = relevance.max(0.0);
    crate::fusion::to_unit(relevance / (relevance + SCORE_HALF))
}

/// Core's ranking of `chunks` (`(id, terms)`, terms as [`super::analyze`] returns them) for an analyzed
/// query under `params`: the matching chunks with their relevance, best first, ties by id. What backends
/// must reproduce.
pub fn reference_ranking(
    chunks: &[(String, Vec<String>)],
    query: &KeywordQuery,
    params: Bm25Params,
) -> Vec<(String, f64)> {
    let n_chunks = chunks.len() as f64;
    let total_terms: usize = chunks.iter().map(|(_, terms)| terms.len()).sum();
    let mean_terms = if chunks.is_empty() { 0.0 } else { total_terms as f64 / n_chunks };
    let scored = query.scored_terms();
    let idfs: Vec<f64> = scored
        .iter()
        .map(|term| idf(n_chunks, chunks.iter().filter(|(_, terms)| term_occurrences(term, terms) > 0).count() as f64))
        .collect();
    let mut ranked: Vec<(String, f64)> = chunks
        .iter()
        .filter(|(_, terms)| query.matches(terms))
        .map(|(id, terms)| {
            let relevance = scored
                .iter()
                .zip(&idfs)
                .map(|(term, idf)| {
                    let frequency = term_occurrences(term, terms) as f64;
                    params.term_relevance(*idf, frequency, terms.len() as f64, mean_terms)
                })
                .sum();
            (id.clone(), relevance)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}
