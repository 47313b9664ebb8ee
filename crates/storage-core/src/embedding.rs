//! `Embedding` (a non-empty vector of finite f32), `EmbeddingSpace`, `Metric`, distances and their scores.

use crate::text_enum::string_enum;
use serde::{Deserialize, Serialize};

use crate::collection::CollectionName;
use crate::error::StorageError;

/// The most dimensions an embedding may have: pgvector's limit for the `vector` type.
pub const MAX_DIMENSIONS: u32 = 16_000;

/// The largest squared Euclidean norm a vector may have: a quarter of `f32::MAX` (about 8.5e37, a norm of
/// about 9.2e18). pgvector computes distances in `f32`; below this bound every one of them stays finite,
/// since a squared difference is at most four times the larger squared norm and an inner product at most
/// the larger squared norm.
pub const MAX_SQUARED_NORM: f64 = f32::MAX as f64 / 4.0;

/// The smallest squared Euclidean norm a vector needs under a metric that needs a direction (cosine):
/// the smallest normal `f32`, about 1.2e-38 (a norm of about 1.1e-19). Below it the squared norm that
/// pgvector computes in `f32` is zero or loses its precision, and the cosine distance is undefined or wrong.
pub const MIN_SQUARED_NORM: f64 = f32::MIN_POSITIVE as f64;

/// A validated embedding: 1 to [`MAX_DIMENSIONS`] finite `f32` values.
///
/// NaN and infinities are refused at construction, so no backend ever stores or compares them. Whether
/// the vector's length suits a collection is the space's check ([`EmbeddingSpace::check_vector`]): every
/// metric refuses a squared norm above [`MAX_SQUARED_NORM`], and cosine refuses one below
/// [`MIN_SQUARED_NORM`] (the zero vector included).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// Validates `values`. The error's field is the index of the first bad value (`[7]`).
    pub fn new(values: Vec<f32>) -> crate::Result<Self> {
        if values.is_empty() {
            return Err(StorageError::invalid("", "an embedding needs at least one value"));
        }
        if values.len() > MAX_DIMENSIONS as usize {
            return Err(StorageError::invalid(
                "",
                format!("an embedding has at most {MAX_DIMENSIONS} values, this one has {}", values.len()),
            ));
        }
        if let Some((idx, bad)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(StorageError::invalid(format!("[{idx}]"), format!("{bad} is not a finite number")));
        }
        Ok(Embedding(values))
    }

    /// Parses an embedding from f64 values (as JSON numbers arrive), refusing values that do not fit in
    /// an `f32` instead of letting them turn into infinity.
    pub fn from_f64(values: &[f64]) -> crate::Result<Self> {
        let mut out = Vec::with_capacity(values.len());
        for (idx, value) in values.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation)] // checked right below: a value that overflows is refused
            let narrowed = *value as f32;
            if value.is_finite() && !narrowed.is_finite() {
                return Err(StorageError::invalid(format!("[{idx}]"), format!("{value} does not fit in an f32")));
            }
            out.push(narrowed);
        }
        Embedding::new(out)
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        &self.0
    }

    /// The values, by value.
    pub fn into_vec(self) -> Vec<f32> {
        self.0
    }

    /// Number of dimensions.
    pub fn dimensions(&self) -> u32 {
        u32::try_from(self.0.len()).expect("length is bounded by MAX_DIMENSIONS at construction")
    }

    /// Whether every value is zero; such a vector has no direction, so its cosine distance is undefined.
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|v| *v == 0.0)
    }

    /// The squared Euclidean norm, computed in f64 (exact enough that neither bound is misjudged).
    pub fn squared_norm(&self) -> f64 {
        self.0.iter().map(|v| f64::from(*v) * f64::from(*v)).sum()
    }
}

impl TryFrom<Vec<f32>> for Embedding {
    type Error = StorageError;
    fn try_from(values: Vec<f32>) -> crate::Result<Self> {
        Embedding::new(values)
    }
}

impl<'de> Deserialize<'de> for Embedding {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let values = Vec::<f64>::deserialize(deserializer)?;
        Embedding::from_f64(&values).map_err(|e| e.into_serde(""))
    }
}

string_enum! {
/// How vectors are compared. The distance is what pgvector's operator returns; the score maps it to
/// [0, 1], higher is better, and never ranks two hits differently from their distances.
///
/// Every metric takes vectors whose squared norm is at most [`MAX_SQUARED_NORM`]. Only cosine
/// [needs a direction](Metric::needs_direction), so only cosine refuses the zero vector and vectors whose
/// squared norm is below [`MIN_SQUARED_NORM`]: under L2 the zero vector is the origin, at a well-defined
/// distance from every vector, and under inner product its product with every vector is 0.
#[derive(Default)]
    Metric as "a metric" in "metric" {
    /// Cosine distance `1 - cos(a, b)`, in [0, 2]. Score: `clamp(1 - distance, 0, 1)`.
    #[default]
    Cosine = "cosine",
    /// Euclidean distance, in [0, ∞). Score: `1 / (1 + distance)`.
    L2 = "l2" | "euclidean",
    /// Negative inner product `-(a · b)`, as pgvector's `<#>` returns it. Score, with `p = a · b` and
    /// ε = [`Metric::INNER_PRODUCT_EPSILON`] (0.01): `ε / (1 − p)` for `p ≤ 0`, `ε + (1 − 2ε)·p` for
    /// `0 ≤ p ≤ 1`, `1 − ε / p` for `p ≥ 1`.
    ///
    /// It increases strictly with `p` over all of ℝ, so hits at products 3 and 2 score 0.9967 and 0.995
    /// (a clamp to [0, 1] scored both 1.0), and stays distinct in `f32` up to `|p| ≈ 10⁵`. For normalized
    /// vectors `p` is the cosine, and the score is within ε of the cosine score (0.99 for identical vectors,
    /// 0.5 at cosine 0.5), so `min_score` thresholds and memory dedup thresholds mean what they mean for
    /// cosine. No strictly increasing map can equal the cosine score exactly, which is 0 for every negative
    /// cosine. A logistic was rejected: it rounds to 1.0 in `f32` from `p ≈ 17` and scores identical
    /// normalized vectors 0.73.
    #[serde(alias = "ip", alias = "dot")]
    InnerProduct = "inner_product" | "ip" | "dot",
}
}

impl Metric {
    /// How far the inner-product score may stray from the cosine score for normalized vectors; see
    /// [`Metric::InnerProduct`].
    pub const INNER_PRODUCT_EPSILON: f64 = 0.01;

    /// Whether the metric compares directions, so a vector without a usable one (zero, or too short for
    /// `f32`) has no distance: cosine only.
    pub fn needs_direction(self) -> bool {
        matches!(self, Metric::Cosine)
    }

    /// The distance between two vectors of equal length, computed in f64 so every backend that computes
    /// it in Rust agrees to the last digit.
    pub fn distance(self, a: &[f32], b: &[f32]) -> f64 {
        debug_assert_eq!(a.len(), b.len(), "dimension checks happen before distances");
        match self {
            Metric::Cosine => {
                let (mut dot, mut norm_a, mut norm_b) = (0.0f64, 0.0f64, 0.0f64);
                for (x, y) in a.iter().zip(b) {
                    let (x, y) = (f64::from(*x), f64::from(*y));
                    dot += x * y;
                    norm_a += x * x;
                    norm_b += y * y;
                }
                let denominator = (norm_a * norm_b).sqrt();
                if denominator == 0.0 { 1.0 } else { 1.0 - dot / denominator }
            }
            Metric::L2 => a
                .iter()
                .zip(b)
                .map(|(x, y)| {
                    let d = f64::from(*x) - f64::from(*y);
                    d * d
                })
                .sum::<f64>()
                .sqrt(),
            Metric::InnerProduct => -a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>(),
        }
    }

    /// Maps a distance of this metric to a score in [0, 1], higher is better.
    pub fn score(self, distance: f64) -> f32 {
        let score = match self {
            Metric::Cosine => 1.0 - distance,
            Metric::L2 => 1.0 / (1.0 + distance.max(0.0)),
            Metric::InnerProduct => {
                let (product, epsilon) = (-distance, Self::INNER_PRODUCT_EPSILON);
                if product <= 0.0 {
                    epsilon / (1.0 - product)
                } else if product <= 1.0 {
                    epsilon + (1.0 - 2.0 * epsilon) * product
                } else {
                    1.0 - epsilon / product
                }
            }
        };
        #[allow(clippy::cast_possible_truncation)] // clamped to [0, 1] first
        let score = score.clamp(0.0, 1.0) as f32;
        score
    }
}

/// What produced a collection's embeddings. Recorded once per collection; every write and query is
/// checked against it before any data is touched.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EmbeddingSpace {
    /// The embedding provider (`openai`, `ollama`, ...), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The model name, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The vector length.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 16000))]
    pub dimensions: u32,
    /// How vectors are compared (default cosine).
    #[serde(default)]
    pub metric: Metric,
}

impl EmbeddingSpace {
    /// A space of `dimensions` with the cosine metric and no provider or model recorded.
    pub fn new(dimensions: u32) -> crate::Result<Self> {
        let space = EmbeddingSpace { provider: None, model: None, dimensions, metric: Metric::Cosine };
        space.validate()?;
        Ok(space)
    }

    /// Records the provider and model.
    #[must_use]
    pub fn with_model(mut self, provider: impl Into<String>, model: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self.model = Some(model.into());
        self
    }

    /// Sets the metric.
    #[must_use]
    pub fn with_metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// Checks the space's own values.
    pub fn validate(&self) -> crate::Result<()> {
        crate::check_range("dimensions", self.dimensions, 1, MAX_DIMENSIONS)?;
        for (field, value) in [("provider", &self.provider), ("model", &self.model)] {
            if let Some(value) = value
                && (value.trim().is_empty() || value.contains('\0') || value.len() > 200)
            {
                return Err(StorageError::invalid(field, "must be 1 to 200 characters without NUL bytes"));
            }
        }
        Ok(())
    }

    /// Whether the space names the provider and model that embed into it, so text can be embedded.
    pub fn names_provider(&self) -> bool {
        self.provider.is_some() && self.model.is_some()
    }

    /// `provider/model (metric)`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "{}/{} ({}, {} dimensions)",
            self.provider.as_deref().unwrap_or("unspecified"),
            self.model.as_deref().unwrap_or("unspecified"),
            self.metric,
            self.dimensions
        )
    }

    /// Checks that `given` may be used with a collection whose recorded space is `self`.
    ///
    /// Dimensions must be equal ([`StorageError::DimensionMismatch`]). The metric must be equal, and a
    /// provider or model that both sides name must be equal ([`StorageError::ModelMismatch`]): the same
    /// dimension from a different model gives silently wrong results, so it is refused too. A side that
    /// names no provider or model accepts any; recording a space ([`EmbeddingSpace::completed_by`]) then
    /// fills in what the recorded side left unspecified.
    pub fn check_compatible(&self, collection: &CollectionName, given: &EmbeddingSpace) -> crate::Result<()> {
        if self.dimensions != given.dimensions {
            return Err(StorageError::DimensionMismatch {
                collection: collection.to_string(),
                stored: self.dimensions,
                given: given.dimensions,
                remedy: None,
            });
        }
        let named_differently = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a != b);
        if self.metric != given.metric
            || named_differently(&self.provider, &given.provider)
            || named_differently(&self.model, &given.model)
        {
            return Err(StorageError::ModelMismatch {
                collection: collection.to_string(),
                stored: self.describe(),
                given: given.describe(),
            });
        }
        Ok(())
    }

    /// What to record when `given` is offered to a collection (or the memory store) whose recorded space
    /// is `self`: refuses an incompatible `given` as [`EmbeddingSpace::check_compatible`] does, and returns
    /// the space completed with the provider and model that `given` names and `self` left unspecified, or
    /// `None` when `given` adds nothing. So a provider or model is recorded the first time one is given, and
    /// a different one given later is refused with [`StorageError::ModelMismatch`].
    pub fn completed_by(&self, collection: &CollectionName, given: &EmbeddingSpace) -> crate::Result<Option<Self>> {
        self.check_compatible(collection, given)?;
        let mut completed = self.clone();
        if completed.provider.is_none() {
            completed.provider.clone_from(&given.provider);
        }
        if completed.model.is_none() {
            completed.model.clone_from(&given.model);
        }
        Ok((completed != *self).then_some(completed))
    }

    /// Checks one vector against the space, as every write and query does (chunks, search queries,
    /// memories, recall queries): its length, a squared norm of at most [`MAX_SQUARED_NORM`], and under a
    /// metric that [needs a direction](Metric::needs_direction) one of at least [`MIN_SQUARED_NORM`].
    /// `field` names the vector in the error (`chunks[3].embedding`, `embedding`).
    pub fn check_vector(&self, collection: &CollectionName, field: &str, embedding: &Embedding) -> crate::Result<()> {
        if embedding.dimensions() != self.dimensions {
            return Err(StorageError::DimensionMismatch {
                collection: collection.to_string(),
                stored: self.dimensions,
                given: embedding.dimensions(),
                remedy: Some(format!("{field} must have {} values", self.dimensions)),
            });
        }
        let squared_norm = embedding.squared_norm();
        if squared_norm > MAX_SQUARED_NORM {
            return Err(StorageError::invalid(
                field,
                format!(
                    "its squared norm {squared_norm:.3e} is above {MAX_SQUARED_NORM:.3e}, so its distances would \
                     overflow f32; scale the vector down"
                ),
            ));
        }
        if self.metric.needs_direction() && squared_norm < MIN_SQUARED_NORM {
            let reason = if embedding.is_zero() {
                format!("an all-zero vector has no direction, so its {} distance is undefined", self.metric)
            } else {
                format!(
                    "its squared norm {squared_norm:.3e} is below {MIN_SQUARED_NORM:.3e}, the smallest normal f32, \
                     so its {} distance cannot be computed in f32; scale the vector up",
                    self.metric
                )
            };
            return Err(StorageError::invalid(field, reason));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_refuses_nan_inf_empty_and_overflow() {
        assert!(Embedding::new(vec![0.1, 0.2]).is_ok());
        let err = Embedding::new(vec![0.1, f32::NAN]).unwrap_err().to_string();
        assert_eq!(err, "[1]: NaN is not a finite number");
        assert!(Embedding::new(vec![f32::INFINITY]).is_err());
        assert!(Embedding::new(vec![]).is_err());
        assert!(Embedding::new(vec![0.0; MAX_DIMENSIONS as usize + 1]).is_err());
        let err = Embedding::from_f64(&[0.5, 1e39]).unwrap_err().to_string();
        assert!(err.starts_with("[1]: "), "{err}");
    }

    #[test]
    fn embedding_deserializes_with_validation() {
        let ok: Embedding = serde_json::from_str("[1, 0.5, -2]").unwrap();
        assert_eq!(ok.as_slice(), &[1.0, 0.5, -2.0]);
        assert!(serde_json::from_str::<Embedding>("[1e40]").is_err());
        assert!(serde_json::from_str::<Embedding>("[]").is_err());
    }

    fn check_score(metric: Metric, distance: f64, expected: f32) {
        let score = metric.score(distance);
        assert!((score - expected).abs() < 1e-6, "{metric} {distance} -> {score}, expected {expected}");
    }

    #[test]
    fn scores_are_in_unit_range_and_higher_is_better() {
        check_score(Metric::Cosine, 0.0, 1.0);
        check_score(Metric::Cosine, 0.5, 0.5);
        check_score(Metric::Cosine, 1.0, 0.0);
        check_score(Metric::Cosine, 1.5, 0.0);
        check_score(Metric::Cosine, -0.0000001, 1.0);
        check_score(Metric::L2, 0.0, 1.0);
        check_score(Metric::L2, 1.0, 0.5);
        check_score(Metric::InnerProduct, 0.0, 0.01);
        check_score(Metric::InnerProduct, -0.5, 0.5);
        check_score(Metric::InnerProduct, -0.92, 0.9116);
        check_score(Metric::InnerProduct, -1.0, 0.99);
        check_score(Metric::InnerProduct, -2.0, 0.995);
        check_score(Metric::InnerProduct, -4.0, 0.9975);
        check_score(Metric::InnerProduct, 1.0, 0.005);
    }

    #[test]
    fn inner_product_scores_increase_strictly_with_the_product() {
        let products = [-1e6, -50.0, -3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 2.0, 3.0, 17.0, 50.0, 1e3, 1e5];
        let scores: Vec<f32> = products.iter().map(|product| Metric::InnerProduct.score(-product)).collect();
        for (pair, products) in scores.windows(2).zip(products.windows(2)) {
            assert!(pair[0] < pair[1], "products {products:?} scored {pair:?}");
        }
        assert!(scores.iter().all(|score| (0.0..=1.0).contains(score)), "{scores:?}");
    }

    #[test]
    fn distances_match_pgvector_definitions() {
        let (a, b) = ([1.0f32, 0.0], [0.0f32, 1.0]);
        assert!((Metric::Cosine.distance(&a, &b) - 1.0).abs() < 1e-12);
        assert!((Metric::Cosine.distance(&a, &a)).abs() < 1e-12);
        assert!((Metric::L2.distance(&a, &b) - 2f64.sqrt()).abs() < 1e-12);
        assert!((Metric::InnerProduct.distance(&a, &[0.5, 3.0]) + 0.5).abs() < 1e-12);
    }

    #[test]
    fn compatibility_refuses_other_dimensions_models_and_metrics() {
        let name = CollectionName::default();
        let stored = EmbeddingSpace::new(384).unwrap().with_model("openai", "m1");
        assert!(stored.check_compatible(&name, &stored.clone()).is_ok());
        assert!(stored.check_compatible(&name, &EmbeddingSpace::new(384).unwrap()).is_ok());
        let err = stored.check_compatible(&name, &EmbeddingSpace::new(768).unwrap()).unwrap_err();
        assert!(matches!(err, StorageError::DimensionMismatch { stored: 384, given: 768, .. }));
        let err =
            stored.check_compatible(&name, &EmbeddingSpace::new(384).unwrap().with_model("openai", "m2")).unwrap_err();
        assert!(matches!(err, StorageError::ModelMismatch { .. }), "{err}");
        let err =
            stored.check_compatible(&name, &EmbeddingSpace::new(384).unwrap().with_metric(Metric::L2)).unwrap_err();
        assert!(matches!(err, StorageError::ModelMismatch { .. }), "{err}");
    }

    #[test]
    fn a_provider_and_model_are_recorded_the_first_time_they_are_given() {
        let name = CollectionName::default();
        let bare = EmbeddingSpace::new(384).unwrap();
        let named = bare.clone().with_model("p", "m");
        assert_eq!(bare.completed_by(&name, &named).unwrap(), Some(named.clone()));
        assert_eq!(bare.completed_by(&name, &bare).unwrap(), None);
        assert_eq!(named.completed_by(&name, &bare).unwrap(), None, "a space naming nothing changes nothing");
        assert_eq!(named.completed_by(&name, &named).unwrap(), None);
        let provider_only = EmbeddingSpace { provider: Some("p".into()), ..bare.clone() };
        assert_eq!(provider_only.completed_by(&name, &named).unwrap(), Some(named.clone()));
        let err = named.completed_by(&name, &bare.clone().with_model("p", "other")).unwrap_err().to_string();
        assert!(
            err.contains("p/m (cosine, 384 dimensions)") && err.contains("p/other (cosine, 384 dimensions)"),
            "{err}"
        );
        assert!(bare.completed_by(&name, &EmbeddingSpace::new(768).unwrap()).is_err());
    }

    #[test]
    fn vector_check_bounds_the_norm_and_needs_a_direction_only_for_cosine() {
        let name = CollectionName::default();
        let check = |metric: Metric, values: Vec<f32>| {
            EmbeddingSpace::new(3).unwrap().with_metric(metric).check_vector(
                &name,
                "embedding",
                &Embedding::new(values).unwrap(),
            )
        };
        for &metric in Metric::ALL {
            let err = check(metric, vec![3e38; 3]).unwrap_err().to_string();
            assert!(err.starts_with("embedding: its squared norm 2.700e77 is above 8.507e37"), "{metric}: {err}");
            assert!(check(metric, vec![9.2e18, 0.0, 0.0]).is_ok(), "{metric}: just under the upper bound");
            assert!(check(metric, vec![9.3e18, 0.0, 0.0]).is_err(), "{metric}: just over the upper bound");
            assert!(check(metric, vec![1.1e-19, 0.0, 0.0]).is_ok(), "{metric}: just over the lower bound");
        }
        for values in [vec![1e-45; 3], vec![1e-25; 3], vec![1e-19 / 2.0, 0.0, 0.0]] {
            let err = check(Metric::Cosine, values.clone()).unwrap_err().to_string();
            assert!(err.starts_with("embedding: its squared norm") && err.contains("scale the vector up"), "{err}");
            assert!(check(Metric::L2, values.clone()).is_ok() && check(Metric::InnerProduct, values).is_ok());
        }
        assert!(check(Metric::Cosine, vec![0.0; 3]).unwrap_err().to_string().contains("all-zero"));
        assert!(check(Metric::L2, vec![0.0; 3]).is_ok() && check(Metric::InnerProduct, vec![0.0; 3]).is_ok());
    }

    #[test]
    fn vector_check_names_field_and_refuses_zero_cosine_vectors() {
        let name = CollectionName::default();
        let space = EmbeddingSpace::new(2).unwrap();
        let err = space.check_vector(&name, "embedding", &Embedding::new(vec![1.0, 2.0, 3.0]).unwrap()).unwrap_err();
        assert!(matches!(err, StorageError::DimensionMismatch { stored: 2, given: 3, .. }));
        let err = space.check_vector(&name, "embedding", &Embedding::new(vec![0.0, 0.0]).unwrap()).unwrap_err();
        assert!(err.to_string().starts_with("embedding: "), "{err}");
    }
}
