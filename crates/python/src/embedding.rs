//! Embedding providers (crates/embed) for a store opened from Python: the store's default configuration
//! (`open(..., embedding=...)`), and the provider a collection or the memory space is created with
//! (`embedding="local"` or a provider dict). Embedding itself is core's rule (`Stores::with_resolver`):
//! a chunk or memory without a vector, and a vector or hybrid query with text alone, get the recorded
//! provider's vectors.

use std::sync::Arc;

use embed::ConfiguredResolver;
use pyo3::prelude::*;
use serde_json::Value;
use storage_core::{EmbeddingSpace, Metric, StorageError};

use crate::convert::{embedding_space, from_python};

/// The provider configuration a Python `embedding=` argument names: `"local"` (all-MiniLM-L6-v2 in-process),
/// another provider's name, or a dict of `embed::EmbeddingConfig`'s keys (`provider`, `model`, `model_path`,
/// `base_url`, `api_key_env`, `dimensions`, `batch_size`, `timeout_secs`, `max_retries`). The local
/// provider's `model` defaults to all-MiniLM-L6-v2; errors name `embedding.<key>`.
pub(crate) fn embedding_config(object: &Bound<'_, PyAny>) -> Result<embed::EmbeddingConfig, StorageError> {
    let mut value = from_python::<Value>(object, "embedding")?;
    if let Value::String(provider) = value {
        value = serde_json::json!({ "provider": provider });
    }
    let Value::Object(map) = &mut value else {
        return Err(StorageError::invalid(
            "embedding",
            "must be a provider name (\"local\") or a dict of its settings",
        ));
    };
    // The provider first: an unknown one is the error to report, not the model it would need.
    let kind = map.get("provider").and_then(Value::as_str).map(str::parse::<embed::ProviderKind>).transpose()?;
    if kind == Some(embed::ProviderKind::Local) && !map.contains_key("model") {
        map.insert("model".to_owned(), Value::String(embed::DEFAULT_LOCAL_MODEL.to_owned()));
    }
    let config: embed::EmbeddingConfig =
        storage_core::from_json_value(value).map_err(|error| error.within("embedding"))?;
    // `validate` names its fields `embedding.<key>` already.
    config.validate().map_err(StorageError::from)?;
    Ok(config)
}

/// The resolver of a store opened with `embedding` (`None`: the local provider with all-MiniLM-L6-v2, found
/// in the Hugging Face cache): it serves recorded spaces that name a provider, with this configuration's
/// model folder, server address and key variable for the same provider and model.
pub(crate) fn store_resolver(embedding: Option<&Bound<'_, PyAny>>) -> Result<Arc<ConfiguredResolver>, StorageError> {
    let config = match embedding.filter(|object| !object.is_none()) {
        Some(object) => embedding_config(object)?,
        None => embed::EmbeddingConfig::local_default(),
    };
    Ok(Arc::new(ConfiguredResolver::new(config)))
}

/// The embedding space a `dimensions` / `metric` / `provider` / `model` / `embedding` argument set asks
/// to record, checked with the GIL held; [`SpaceRequest::resolve`] connects a provider without it.
pub(crate) enum SpaceRequest {
    /// Nothing to record (a collection that holds text only until a space is given).
    None,
    /// A space given by its parts.
    Given(EmbeddingSpace),
    /// A provider to connect: its model and dimensions make the space.
    Provider { config: embed::EmbeddingConfig, dimensions: Option<u32>, metric: Metric },
}

impl SpaceRequest {
    /// Reads the arguments; `provider` / `model` beside `embedding` are refused (they go inside it).
    pub(crate) fn parse(
        dimensions: Option<u32>,
        metric: Option<&str>,
        provider: Option<String>,
        model: Option<String>,
        embedding: Option<&Bound<'_, PyAny>>,
    ) -> Result<SpaceRequest, StorageError> {
        let Some(embedding) = embedding.filter(|object| !object.is_none()) else {
            let space =
                dimensions.map(|dimensions| embedding_space(dimensions, metric, provider, model)).transpose()?;
            return Ok(space.map_or(SpaceRequest::None, SpaceRequest::Given));
        };
        if provider.is_some() || model.is_some() {
            return Err(StorageError::invalid(
                "provider",
                "give the provider and model inside `embedding`, not beside it",
            ));
        }
        let metric = metric.map(str::parse::<Metric>).transpose()?.unwrap_or_default();
        Ok(SpaceRequest::Provider { config: embedding_config(embedding)?, dimensions, metric })
    }

    /// The space to record. A provider is connected (a local model loads, a server is asked its
    /// dimensions) and kept by `resolver` for its space, so what it records is what embeds; `dimensions`,
    /// when also given, must agree with the provider's.
    pub(crate) async fn resolve(self, resolver: &ConfiguredResolver) -> Result<Option<EmbeddingSpace>, StorageError> {
        let (config, dimensions, metric) = match self {
            SpaceRequest::None => return Ok(None),
            SpaceRequest::Given(space) => return Ok(Some(space)),
            SpaceRequest::Provider { config, dimensions, metric } => (config, dimensions, metric),
        };
        let (_, space) = resolver.connect_kept(&config, metric).await?;
        if let Some(dimensions) = dimensions
            && dimensions != space.dimensions
        {
            return Err(StorageError::invalid(
                "dimensions",
                format!(
                    "is {dimensions}, but {} makes vectors of {} dimensions; leave dimensions out with an embedding provider",
                    space.describe(),
                    space.dimensions
                ),
            ));
        }
        Ok(Some(space))
    }
}
