//! `Embedding` (a non-empty vector of finite f32), `EmbeddingSpace`, `Metric`, distances and their scores.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::collection::CollectionName;
use crate::error::StorageError;

/// The most dimensions an embedding may have: pgvector's limit for the `vector` type.
pub const MAX_DIMENSIONS: u32 = 16_000;

/// A validated embedding: 1 to [`MAX_DIMENSIONS`] finite `f32` values.
///
/// NaN and infinities are refused at construction, so no backend ever stores or compares them.
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

/// How vectors are compared. The distance is what pgvector's operator returns; the score maps it to
/// [0, 1], higher is better.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Metric {
    /// Cosine distance `1 - cos(a, b)`, in [0, 2]. Score: `clamp(1 - distance, 0, 1)`.
    #[default]
    Cosine,
    /// Euclidean distance, in [0, ∞). Score: `1 / (1 + distance)`.
    L2,
    /// Negative inner product `-(a · b)`, as pgvector's `<#>` returns it. Score: `clamp(a · b, 0, 1)`,
    /// which equals the cosine score for normalized vectors.
    #[serde(alias = "ip", alias = "dot")]
    InnerProduct,
}

impl Metric {
    /// Every metric, for error messages and help text.
    pub const ALL: [Metric; 3] = [Metric::Cosine, Metric::L2, Metric::InnerProduct];

    /// The metric's name as it appears in config, JSON and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::L2 => "l2",
            Metric::InnerProduct => "inner_product",
        }
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
            Metric::InnerProduct => -distance,
        };
        #[allow(clippy::cast_possible_truncation)] // clamped to [0, 1] first
        let score = score.clamp(0.0, 1.0) as f32;
        score
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Metric {
    type Err = StorageError;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "cosine" => Ok(Metric::Cosine),
            "l2" | "euclidean" => Ok(Metric::L2),
            "inner_product" | "ip" | "dot" => Ok(Metric::InnerProduct),
            _ => Err(StorageError::invalid(
                "metric",
                format!("`{s}` is not a metric; expected cosine, l2 or inner_product"),
            )),
        }
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
        if self.dimensions == 0 || self.dimensions > MAX_DIMENSIONS {
            return Err(StorageError::invalid(
                "dimensions",
                format!("must be between 1 and {MAX_DIMENSIONS}, got {}", self.dimensions),
            ));
        }
        for (field, value) in [("provider", &self.provider), ("model", &self.model)] {
            if let Some(value) = value
                && (value.trim().is_empty() || value.contains('\0') || value.len() > 200)
            {
                return Err(StorageError::invalid(field, "must be 1 to 200 characters without NUL bytes"));
            }
        }
        Ok(())
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
    /// names no provider or model accepts any.
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

    /// Checks one vector against the space: its length, and for cosine that it has a direction.
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
        if self.metric == Metric::Cosine && embedding.is_zero() {
            return Err(StorageError::invalid(
                field,
                "an all-zero vector has no direction, so its cosine distance is undefined",
            ));
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
        check_score(Metric::InnerProduct, -0.5, 0.5);
        check_score(Metric::InnerProduct, -1.0, 1.0);
        check_score(Metric::InnerProduct, -3.0, 1.0);
        check_score(Metric::InnerProduct, 0.7, 0.0);
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
    fn vector_check_names_field_and_refuses_zero_cosine_vectors() {
        let name = CollectionName::default();
        let space = EmbeddingSpace::new(2).unwrap();
        let err = space.check_vector(&name, "embedding", &Embedding::new(vec![1.0, 2.0, 3.0]).unwrap()).unwrap_err();
        assert!(matches!(err, StorageError::DimensionMismatch { stored: 2, given: 3, .. }));
        let err = space.check_vector(&name, "embedding", &Embedding::new(vec![0.0, 0.0]).unwrap()).unwrap_err();
        assert!(err.to_string().starts_with("embedding: "), "{err}");
    }
}
