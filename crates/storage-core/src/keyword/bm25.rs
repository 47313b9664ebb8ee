//! BM25 relevance and the keyword score, as every backend computes them (SQLite FTS5's `bm25()`, and the
//! same formula in PostgreSQL SQL), with [`reference_ranking`] as the oracle the conformance suite compares
//! backends with.
//!
//! For a chunk `d` with `|d|` terms in a collection of `N` chunks whose mean length is `avgdl`, summed over
//! the query's scored terms `t` ([`super::KeywordQuery::scored_terms`]; a phrase is one term):
//!
//! ```text
//! idf(t)       = ln((N - n(t) + 0.5) / (n(t) + 0.5)), or 1e-6 where that is ≤ 0
//! relevance(d) = Σ idf(t) · f(t,d) · (k1 + 1) / (f(t,d) + k1 · (1 - b + b · |d| / avgdl))
//! score(d)     = relevance(d) / (relevance(d) + SCORE_HALF)
//! ```
//!
//! `n(t)` counts the chunks of the collection containing `t` (filters do not change it), `f(t,d)` how often
//! `t` occurs in `d` (a phrase: its adjacent, in-order runs). `k1` = 1.2 and `b` = 0.75 are FTS5's values:
//! `bm25()` fixes them, so every backend uses them.
//!
//! The score maps relevance through one fixed curve, so it means the same in every query and every
//! collection of similar size (`min_score` keeps its meaning): 0.5 is a relevance of [`SCORE_HALF`],
//! about one term found in 1% of the chunks occurring once in a chunk of average length.

use super::{KeywordQuery, term_occurrences};

/// Term-frequency saturation.
pub const K1: f64 = 1.2;

/// Length normalisation.
pub const B: f64 = 0.75;

/// The relevance that scores 0.5.
pub const SCORE_HALF: f64 = 4.5;

/// Inverse document frequency of a term found in `containing` of `n_chunks` chunks.
pub fn idf(n_chunks: f64, containing: f64) -> f64 {
    let idf = ((n_chunks - containing + 0.5) / (containing + 0.5)).ln();
    if idf > 0.0 { idf } else { 1e-6 }
}

/// One term's share of a chunk's relevance.
pub fn term_relevance(idf: f64, frequency: f64, chunk_terms: f64, mean_chunk_terms: f64) -> f64 {
    let length_ratio = if mean_chunk_terms > 0.0 { chunk_terms / mean_chunk_terms } else { 1.0 };
    idf * frequency * (K1 + 1.0) / (frequency + K1 * (1.0 - B + B * length_ratio))
}

/// The [0, 1] score of a relevance.
pub fn score(relevance: f64) -> f32 {
    let relevance = relevance.max(0.0);
    crate::fusion::to_unit(relevance / (relevance + SCORE_HALF))
}

/// Core's ranking of `chunks` (`(id, terms)`, terms as [`super::analyze`] returns them) for an analyzed
/// query: the matching chunks with their relevance, best first, ties by id. What backends must reproduce.
pub fn reference_ranking(chunks: &[(String, Vec<String>)], query: &KeywordQuery) -> Vec<(String, f64)> {
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
                    term_relevance(*idf, frequency, terms.len() as f64, mean_terms)
                })
                .sum();
            (id.clone(), relevance)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked
}
