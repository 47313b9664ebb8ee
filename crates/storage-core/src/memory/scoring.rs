//! Recall ranking: a pure function of a memory's signals, so both backends rank identically and the
//! formula is tested without a database.
//!
//! ```text
//! recency    = 0.5 ^ (hours since last access / half_life_hours)
//! importance = importance / 10, halved while the memory is disputed
//! base       = (w_sem·semantic + w_kw·keyword + w_rec·recency + w_imp·importance)
//!              / (w_sem + w_kw + w_rec + w_imp)
//! score      = clamp(base + (pinned ? pinned_boost : 0), 0, 1)
//! ```
//!
//! A signal no candidate has (no query embedding, or no memory with an embedding; no query text) leaves
//! the denominator too: a recall by text alone is ranked by keyword, recency and importance, and a perfect
//! keyword match can reach the top score instead of losing the semantic weight to a leg that never ran.
//!
//! `semantic` is the score of the memory space's metric against the query embedding (0 without one) and
//! `keyword` the keyword relevance divided by the best keyword candidate's (0 without query text).
//! Defaults: semantic 0.45, keyword 0.15, recency 0.20, importance 0.20, pinned boost 0.10, half-life
//! 72 hours. Ties break by newer `updated_at`, then id.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::query::RecallHit;
use super::types::{Memory, MemoryStatus};
use crate::error::StorageError;
use crate::fusion::normalize_by_max;

/// Weights of the recall score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecallWeights {
    /// Weight of semantic similarity.
    pub semantic: f32,
    /// Weight of keyword relevance.
    pub keyword: f32,
    /// Weight of recency.
    pub recency: f32,
    /// Weight of importance.
    pub importance: f32,
    /// Added to the score of pinned memories.
    pub pinned_boost: f32,
    /// Hours after which recency halves.
    pub half_life_hours: f32,
}

impl Default for RecallWeights {
    fn default() -> Self {
        RecallWeights {
            semantic: 0.45,
            keyword: 0.15,
            recency: 0.20,
            importance: 0.20,
            pinned_boost: 0.10,
            half_life_hours: 72.0,
        }
    }
}

impl RecallWeights {
    /// Checks that weights are finite and non-negative, at least one is positive, and the half-life is positive.
    pub fn validate(&self) -> crate::Result<()> {
        let named = [
            ("weights.semantic", self.semantic),
            ("weights.keyword", self.keyword),
            ("weights.recency", self.recency),
            ("weights.importance", self.importance),
            ("weights.pinned_boost", self.pinned_boost),
        ];
        if let Some((field, value)) = named.iter().find(|(_, v)| !v.is_finite() || *v < 0.0) {
            return Err(StorageError::invalid(*field, format!("must be a number ≥ 0, got {value}")));
        }
        if self.semantic + self.keyword + self.recency + self.importance <= 0.0 {
            return Err(StorageError::invalid(
                "weights",
                "at least one of semantic, keyword, recency, importance must be > 0",
            ));
        }
        if !self.half_life_hours.is_finite() || self.half_life_hours <= 0.0 {
            return Err(StorageError::invalid("weights.half_life_hours", "must be > 0"));
        }
        Ok(())
    }
}

/// Recency in [0, 1]: 1 now, 0.5 after one half-life. Times in the future count as now.
pub fn recency(last_accessed: DateTime<Utc>, now: DateTime<Utc>, half_life_hours: f32) -> f32 {
    #[allow(clippy::cast_precision_loss)] // milliseconds since an access fit an f64 for any realistic age
    let hours = ((now - last_accessed).num_milliseconds().max(0) as f64) / 3_600_000.0;
    to_f32(0.5f64.powf(hours / f64::from(half_life_hours)))
}

/// The importance signal in [0, 1].
pub fn importance_signal(importance: u8, status: MemoryStatus) -> f32 {
    let base = f32::from(importance.min(10)) / 10.0;
    if status == MemoryStatus::Disputed { base * 0.5 } else { base }
}

/// The signals of one memory for one query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Signals {
    /// Cosine score against the query embedding, 0 without one.
    pub semantic: f32,
    /// Normalised keyword relevance, 0 without query text.
    pub keyword: f32,
    /// See [`recency`].
    pub recency: f32,
    /// See [`importance_signal`].
    pub importance: f32,
    /// Whether the memory is pinned.
    pub pinned: bool,
}

/// The recall score in [0, 1] (formula in the module doc), every signal present.
pub fn score(signals: &Signals, weights: &RecallWeights) -> f32 {
    score_present(signals, weights, Present { semantic: true, keyword: true })
}

/// Which query-dependent signals a recall had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Present {
    /// Some candidate has a semantic score.
    pub semantic: bool,
    /// Some candidate has a keyword relevance.
    pub keyword: bool,
}

/// The recall score in [0, 1], without the weights of absent signals in the denominator.
pub fn score_present(signals: &Signals, weights: &RecallWeights, present: Present) -> f32 {
    let weight = |w: f32, on: bool| if on { w } else { 0.0 };
    let total = weight(weights.semantic, present.semantic)
        + weight(weights.keyword, present.keyword)
        + weights.recency
        + weights.importance;
    if total <= 0.0 {
        return if signals.pinned { weights.pinned_boost.clamp(0.0, 1.0) } else { 0.0 };
    }
    let base = (weights.semantic * signals.semantic
        + weights.keyword * signals.keyword
        + weights.recency * signals.recency
        + weights.importance * signals.importance)
        / total;
    let boost = if signals.pinned { weights.pinned_boost } else { 0.0 };
    (base + boost).clamp(0.0, 1.0)
}

/// A recall candidate as a backend found it.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The memory.
    pub memory: Memory,
    /// Its score (the memory space's metric) against the query embedding, if the semantic leg found it.
    pub semantic: Option<f32>,
    /// Its raw keyword relevance, if the keyword leg found it.
    pub keyword_raw: Option<f64>,
}

/// Ranks candidates (each memory once) and keeps the best `limit`. Backends find candidates; this decides
/// the order.
pub fn rank(candidates: Vec<Candidate>, weights: &RecallWeights, now: DateTime<Utc>, limit: usize) -> Vec<RecallHit> {
    let present = Present {
        semantic: candidates.iter().any(|c| c.semantic.is_some()),
        keyword: candidates.iter().any(|c| c.keyword_raw.is_some()),
    };
    let raw: Vec<f64> = candidates.iter().map(|c| c.keyword_raw.unwrap_or(0.0)).collect();
    let keyword = normalize_by_max(&raw);
    let mut hits: Vec<RecallHit> = candidates
        .into_iter()
        .zip(keyword)
        .map(|(candidate, keyword)| {
            let memory = candidate.memory;
            let signals = Signals {
                semantic: candidate.semantic.unwrap_or(0.0).clamp(0.0, 1.0),
                keyword,
                recency: recency(memory.last_accessed_at, now, weights.half_life_hours),
                importance: importance_signal(memory.importance, memory.status),
                pinned: memory.pinned,
            };
            RecallHit {
                score: score_present(&signals, weights, present),
                semantic: signals.semantic,
                keyword,
                recency: signals.recency,
                memory,
            }
        })
        .collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.memory.updated_at.cmp(&a.memory.updated_at))
            .then_with(|| a.memory.id.cmp(&b.memory.id))
    });
    hits.truncate(limit);
    hits
}

fn to_f32(value: f64) -> f32 {
    #[allow(clippy::cast_possible_truncation)] // values in [0, 1]
    let value = value.clamp(0.0, 1.0) as f32;
    value
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn signals(semantic: f32, recency: f32) -> Signals {
        Signals { semantic, keyword: 0.0, recency, importance: 0.5, pinned: false }
    }

    #[test]
    fn recency_halves_every_half_life() {
        let now = Utc::now();
        assert!((recency(now, now, 72.0) - 1.0).abs() < 1e-6);
        assert!((recency(now - Duration::hours(72), now, 72.0) - 0.5).abs() < 1e-6);
        assert!((recency(now - Duration::hours(144), now, 72.0) - 0.25).abs() < 1e-6);
        assert!((recency(now + Duration::hours(5), now, 72.0) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn importance_is_halved_while_disputed() {
        assert!((importance_signal(8, MemoryStatus::Active) - 0.8).abs() < 1e-6);
        assert!((importance_signal(8, MemoryStatus::Disputed) - 0.4).abs() < 1e-6);
    }

    #[test]
    fn score_is_the_weighted_mean_plus_the_pinned_boost() {
        let w = RecallWeights::default();
        let s = Signals { semantic: 1.0, keyword: 1.0, recency: 1.0, importance: 1.0, pinned: false };
        assert!((score(&s, &w) - 1.0).abs() < 1e-6);
        let s = Signals { semantic: 0.5, keyword: 0.0, recency: 0.0, importance: 0.0, pinned: true };
        assert!((score(&s, &w) - (0.45 * 0.5 + 0.10)).abs() < 1e-6);
        let s = Signals { semantic: 1.0, keyword: 1.0, recency: 1.0, importance: 1.0, pinned: true };
        assert_eq!(score(&s, &w), 1.0, "clamped");
    }

    #[test]
    fn a_recall_without_a_semantic_signal_can_reach_the_top_score() {
        let w = RecallWeights::default();
        let s = Signals { semantic: 0.0, keyword: 1.0, recency: 1.0, importance: 1.0, pinned: false };
        assert!(score(&s, &w) < 0.6, "with the semantic weight in the denominator");
        let text_only = Present { semantic: false, keyword: true };
        assert!((score_present(&s, &w, text_only) - 1.0).abs() < 1e-6);
        let half = Signals { keyword: 0.5, ..s };
        let expected = (0.15 * 0.5 + 0.20 + 0.20) / (0.15 + 0.20 + 0.20);
        assert!((score_present(&half, &w, text_only) - expected).abs() < 1e-6);
    }

    #[test]
    fn changing_weights_flips_recent_against_similar() {
        let old_similar = signals(0.95, 0.1);
        let recent_weak = signals(0.30, 1.0);
        let w = RecallWeights::default();
        assert!(score(&old_similar, &w) > score(&recent_weak, &w));
        let recency_heavy = RecallWeights { semantic: 0.1, recency: 0.8, ..w };
        assert!(score(&old_similar, &recency_heavy) < score(&recent_weak, &recency_heavy));
    }

    #[test]
    fn weights_are_validated() {
        assert!(RecallWeights::default().validate().is_ok());
        assert!(RecallWeights { semantic: -1.0, ..RecallWeights::default() }.validate().is_err());
        let zero =
            RecallWeights { semantic: 0.0, keyword: 0.0, recency: 0.0, importance: 0.0, ..RecallWeights::default() };
        assert!(zero.validate().is_err());
        assert!(RecallWeights { half_life_hours: 0.0, ..RecallWeights::default() }.validate().is_err());
    }
}
