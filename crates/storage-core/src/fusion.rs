//! Hybrid fusion: reciprocal rank fusion and weighted min-max fusion of a vector leg and a keyword leg,
//! plus the score normalisation both use. Ties always break by id (ascending, bytewise).
//!
//! # Reciprocal rank fusion
//!
//! With 1-based ranks `r_v(d)` and `r_k(d)` of document `d` in the vector and keyword legs, weights
//! `w_v`, `w_k` and constant `k` (default 60):
//!
//! ```text
//! rrf(d)   = w_v / (k + r_v(d)) + w_k / (k + r_k(d))      (a leg that did not return d adds 0)
//! score(d) = rrf(d) / (w_v / (k + 1) + w_k / (k + 1))
//! ```
//!
//! The score is the fused value over its best possible value, so it lies in [0, 1] and equals 1 only for
//! a document ranked first by every weighted leg that returned candidates. It does not depend on the other
//! hits, so `min_score` means the same thing in every query.
//!
//! # Hits found by one leg
//!
//! A leg that returned no candidate at all (no query term occurs in the collection, or no chunk has an
//! embedding) leaves both the numerator and the denominator: the hybrid search is then ranked and scored by
//! the leg that answered, and its best hit scores 1. When both legs returned candidates, a hit only one
//! leg found scores at most that leg's share of the weights (`w_v / (w_v + w_k)`, 0.5 with the default
//! weights): the other leg did not confirm it. That is deliberate, and the same in both fusion methods.
//! Dividing by the best fused score of the query instead would always give 1 to the top hit, even a weak
//! one-leg hit, and `min_score` would stop meaning the same thing across queries.
//!
//! # Weighted min-max fusion
//!
//! Each leg's scores are rescaled to [0, 1] over that leg's candidates (`(s - min) / (max - min)`, or 1
//! when all are equal), then `score(d) = (w_v · v(d) + w_k · k(d)) / (w_v + w_k)`, with 0 for a leg that
//! did not return `d`, and without the weight of a leg that returned nothing (as above).

use serde::{Deserialize, Serialize};

use crate::error::StorageError;

/// The default RRF constant.
pub const DEFAULT_RRF_K: u32 = 60;

/// The default number of candidates each leg contributes to fusion, when it is larger than `top_k`.
pub const DEFAULT_CANDIDATES: usize = 50;

/// The most candidates a leg may contribute.
pub const MAX_CANDIDATES: usize = 1_000;

/// How the two legs of a hybrid search are combined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FusionMethod {
    /// Reciprocal rank fusion with constant `rrf_k`.
    #[default]
    Rrf,
    /// Weighted sum of min-max normalised leg scores.
    WeightedMinMax,
}

/// Fusion settings of a hybrid search. Unknown keys are refused, so a typo in a configuration file or a
/// request body is an error rather than a silent default.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FusionSettings {
    /// How legs are combined.
    pub method: FusionMethod,
    /// The RRF constant `k` (default 60).
    pub rrf_k: u32,
    /// Weight of the vector leg (default 0.5).
    pub vector_weight: f32,
    /// Weight of the keyword leg (default 0.5).
    pub keyword_weight: f32,
    /// Candidates taken from the vector leg; `None` means `max(top_k, 50)`.
    pub vector_candidates: Option<usize>,
    /// Candidates taken from the keyword leg; `None` means `max(top_k, 50)`.
    pub keyword_candidates: Option<usize>,
}

impl Default for FusionSettings {
    fn default() -> Self {
        FusionSettings {
            method: FusionMethod::default(),
            rrf_k: DEFAULT_RRF_K,
            vector_weight: 0.5,
            keyword_weight: 0.5,
            vector_candidates: None,
            keyword_candidates: None,
        }
    }
}

impl FusionSettings {
    /// Checks weights, `k` and candidate depths.
    pub fn validate(&self) -> crate::Result<()> {
        for (field, weight) in
            [("fusion.vector_weight", self.vector_weight), ("fusion.keyword_weight", self.keyword_weight)]
        {
            if !weight.is_finite() || weight < 0.0 {
                return Err(StorageError::invalid(field, format!("must be a number ≥ 0, got {weight}")));
            }
        }
        if self.vector_weight + self.keyword_weight <= 0.0 {
            return Err(StorageError::invalid("fusion", "at least one leg weight must be greater than 0"));
        }
        if self.rrf_k == 0 {
            return Err(StorageError::invalid("fusion.rrf_k", "must be at least 1"));
        }
        for (field, depth) in [
            ("fusion.vector_candidates", self.vector_candidates),
            ("fusion.keyword_candidates", self.keyword_candidates),
        ] {
            if let Some(depth) = depth {
                crate::check_range(field, depth, 1, MAX_CANDIDATES)?;
            }
        }
        Ok(())
    }

    /// Candidates the vector leg contributes for a query asking for `top_k` hits.
    pub fn vector_depth(&self, top_k: usize) -> usize {
        self.vector_candidates.unwrap_or_else(|| top_k.max(DEFAULT_CANDIDATES))
    }

    /// Candidates the keyword leg contributes for a query asking for `top_k` hits.
    pub fn keyword_depth(&self, top_k: usize) -> usize {
        self.keyword_candidates.unwrap_or_else(|| top_k.max(DEFAULT_CANDIDATES))
    }
}

/// One candidate of one leg, in the leg's rank order.
#[derive(Clone, Debug, PartialEq)]
pub struct LegCandidate {
    /// The chunk id.
    pub id: String,
    /// The leg's own score in [0, 1].
    pub score: f32,
}

/// A document's place in one leg: its 1-based rank and the leg's score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LegExplain {
    /// 1-based rank within the leg.
    pub rank: u32,
    /// The leg's score in [0, 1].
    pub score: f32,
}

/// A fused result.
#[derive(Clone, Debug, PartialEq)]
pub struct FusedHit {
    /// The chunk id.
    pub id: String,
    /// The fused score in [0, 1].
    pub score: f32,
    /// Where the vector leg ranked it, if it did.
    pub vector: Option<LegExplain>,
    /// Where the keyword leg ranked it, if it did.
    pub keyword: Option<LegExplain>,
}

/// Fuses two legs (each already in rank order, each id at most once) and returns the best `top_k`,
/// ordered by fused score descending, then id ascending.
pub fn fuse(
    vector_leg: &[LegCandidate],
    keyword_leg: &[LegCandidate],
    settings: &FusionSettings,
    top_k: usize,
) -> Vec<FusedHit> {
    let mut hits: std::collections::BTreeMap<&str, FusedHit> = std::collections::BTreeMap::new();
    let explain = |leg: &[LegCandidate]| -> Vec<LegExplain> {
        leg.iter()
            .enumerate()
            .map(|(idx, c)| LegExplain { rank: u32::try_from(idx + 1).unwrap_or(u32::MAX), score: c.score })
            .collect()
    };
    for (candidate, place) in vector_leg.iter().zip(explain(vector_leg)) {
        hits.entry(&candidate.id).or_insert_with(|| empty_hit(&candidate.id)).vector = Some(place);
    }
    for (candidate, place) in keyword_leg.iter().zip(explain(keyword_leg)) {
        hits.entry(&candidate.id).or_insert_with(|| empty_hit(&candidate.id)).keyword = Some(place);
    }
    let (vw, kw) = active_weights(vector_leg, keyword_leg, settings);
    let mut fused: Vec<FusedHit> = match settings.method {
        FusionMethod::Rrf => {
            let k = f64::from(settings.rrf_k);
            let best = vw / (k + 1.0) + kw / (k + 1.0);
            hits.into_values()
                .map(|mut hit| {
                    let part = |leg: Option<LegExplain>, w: f64| leg.map_or(0.0, |l| w / (k + f64::from(l.rank)));
                    let fused = part(hit.vector, vw) + part(hit.keyword, kw);
                    hit.score = if best > 0.0 { to_unit((fused / best).min(1.0)) } else { 0.0 };
                    hit
                })
                .collect()
        }
        FusionMethod::WeightedMinMax => {
            let vector_range = score_range(vector_leg);
            let keyword_range = score_range(keyword_leg);
            hits.into_values()
                .map(|mut hit| {
                    let part = |leg: Option<LegExplain>, range: (f32, f32), w: f64| {
                        leg.map_or(0.0, |l| w * f64::from(min_max(l.score, range)))
                    };
                    let total = part(hit.vector, vector_range, vw) + part(hit.keyword, keyword_range, kw);
                    hit.score = if vw + kw > 0.0 { to_unit(total / (vw + kw)) } else { 0.0 };
                    hit
                })
                .collect()
        }
    };
    sort_by_score_then_id(&mut fused, |h| h.score, |h| &h.id);
    fused.truncate(top_k);
    fused
}

/// The leg weights, with 0 for a leg that returned no candidate (see "Hits found by one leg").
pub fn active_weights(
    vector_leg: &[LegCandidate],
    keyword_leg: &[LegCandidate],
    settings: &FusionSettings,
) -> (f64, f64) {
    let weight = |leg: &[LegCandidate], w: f32| if leg.is_empty() { 0.0 } else { f64::from(w) };
    (weight(vector_leg, settings.vector_weight), weight(keyword_leg, settings.keyword_weight))
}

fn empty_hit(id: &str) -> FusedHit {
    FusedHit { id: id.to_owned(), score: 0.0, vector: None, keyword: None }
}

fn score_range(leg: &[LegCandidate]) -> (f32, f32) {
    leg.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), c| (lo.min(c.score), hi.max(c.score)))
}

/// Min-max normalisation of one score within `(min, max)`; 1 when the range is empty.
pub fn min_max(score: f32, (min, max): (f32, f32)) -> f32 {
    if max > min { ((score - min) / (max - min)).clamp(0.0, 1.0) } else { 1.0 }
}

/// Divides each raw relevance by the largest one, so the best hit scores 1; all zeros (or negatives) give 0.
/// Used for keyword legs, whose raw scores (BM25, `ts_rank_cd`) have no fixed range.
pub fn normalize_by_max(raw: &[f64]) -> Vec<f32> {
    let max = raw.iter().copied().fold(0.0f64, f64::max);
    raw.iter().map(|r| if max > 0.0 { to_unit(r / max) } else { 0.0 }).collect()
}

pub(crate) fn to_unit(value: f64) -> f32 {
    #[allow(clippy::cast_possible_truncation)] // clamped to [0, 1] first
    let value = value.clamp(0.0, 1.0) as f32;
    value
}

/// Sorts by score descending, then id ascending (bytewise): the deterministic order of every result list.
pub fn sort_by_score_then_id<T>(items: &mut [T], score: impl Fn(&T) -> f32, id: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| score(b).total_cmp(&score(a)).then_with(|| id(a).as_bytes().cmp(id(b).as_bytes())));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(ids: &[&str]) -> Vec<LegCandidate> {
        ids.iter().map(|id| LegCandidate { id: (*id).to_owned(), score: 1.0 }).collect()
    }

    fn ids(hits: &[FusedHit]) -> Vec<&str> {
        hits.iter().map(|h| h.id.as_str()).collect()
    }

    #[test]
    fn rrf_k60_equal_weights_matches_the_worked_example() {
        let settings = FusionSettings::default();
        let hits = fuse(&leg(&["c1", "c2", "c3"]), &leg(&["c2", "c4", "c5"]), &settings, 3);
        assert_eq!(ids(&hits), ["c2", "c1", "c4"]);
        let best = 1.0 / 61.0;
        let expected = [(0.5 / 62.0 + 0.5 / 61.0) / best, (0.5 / 61.0) / best, (0.5 / 62.0) / best];
        for (hit, expected) in hits.iter().zip(expected) {
            assert!((f64::from(hit.score) - expected).abs() < 1e-6, "{} {} {}", hit.id, hit.score, expected);
        }
        assert_eq!(hits[0].vector, Some(LegExplain { rank: 2, score: 1.0 }));
        assert_eq!(hits[0].keyword, Some(LegExplain { rank: 1, score: 1.0 }));
        assert_eq!(hits[2].vector, None);
    }

    #[test]
    fn rrf_ties_break_by_id_and_rank_one_everywhere_scores_one() {
        let hits = fuse(&leg(&["b"]), &leg(&["a"]), &FusionSettings::default(), 10);
        assert_eq!(ids(&hits), ["a", "b"]);
        assert!((hits[0].score - 0.5).abs() < 1e-6);
        let hits = fuse(&leg(&["a"]), &leg(&["a"]), &FusionSettings::default(), 10);
        assert!((hits[0].score - 1.0).abs() < 1e-6);
    }

    #[test]
    fn rrf_weights_tilt_the_order() {
        let settings = FusionSettings { vector_weight: 0.9, keyword_weight: 0.1, ..FusionSettings::default() };
        let hits = fuse(&leg(&["v1", "v2"]), &leg(&["k1", "k2"]), &settings, 4);
        assert_eq!(ids(&hits), ["v1", "v2", "k1", "k2"]);
        let settings = FusionSettings { vector_weight: 0.0, keyword_weight: 1.0, ..FusionSettings::default() };
        let hits = fuse(&leg(&["v1"]), &leg(&["k1"]), &settings, 4);
        assert_eq!(ids(&hits), ["k1", "v1"]);
        assert_eq!(hits[1].score, 0.0);
    }

    #[test]
    fn weighted_min_max_rescales_each_leg() {
        let settings = FusionSettings { method: FusionMethod::WeightedMinMax, ..FusionSettings::default() };
        let vector = vec![LegCandidate { id: "a".into(), score: 0.9 }, LegCandidate { id: "b".into(), score: 0.6 }];
        let keyword = vec![LegCandidate { id: "b".into(), score: 1.0 }, LegCandidate { id: "c".into(), score: 0.5 }];
        let hits = fuse(&vector, &keyword, &settings, 3);
        // a: 0.5·1 + 0 = 0.5; b: 0.5·0 + 0.5·1 = 0.5; c: 0 + 0.5·0 = 0 → a and b tie, a first by id.
        assert_eq!(ids(&hits), ["a", "b", "c"]);
        assert!((hits[0].score - 0.5).abs() < 1e-6 && (hits[1].score - 0.5).abs() < 1e-6);
        assert_eq!(hits[2].score, 0.0);
    }

    #[test]
    fn normalize_by_max_matches_the_seed() {
        assert_eq!(normalize_by_max(&[0.8, 0.4]), [1.0, 0.5]);
        assert_eq!(normalize_by_max(&[10.0, 5.0, 2.5]), [1.0, 0.5, 0.25]);
        assert_eq!(normalize_by_max(&[0.0]), [0.0]);
        assert!(normalize_by_max(&[]).is_empty());
    }

    #[test]
    fn settings_validation() {
        assert!(FusionSettings::default().validate().is_ok());
        let bad = FusionSettings { vector_weight: -1.0, ..FusionSettings::default() };
        assert!(bad.validate().unwrap_err().to_string().starts_with("fusion.vector_weight"));
        let bad = FusionSettings { vector_weight: 0.0, keyword_weight: 0.0, ..FusionSettings::default() };
        assert!(bad.validate().is_err());
        let bad = FusionSettings { rrf_k: 0, ..FusionSettings::default() };
        assert!(bad.validate().is_err());
        let bad = FusionSettings { keyword_candidates: Some(0), ..FusionSettings::default() };
        assert!(bad.validate().is_err());
        assert_eq!(FusionSettings::default().vector_depth(10), 50);
        assert_eq!(FusionSettings::default().vector_depth(80), 80);
    }
}
