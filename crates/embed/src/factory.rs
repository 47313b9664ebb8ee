//! `connect` (configuration → embedder) and `ConfiguredResolver` (a recorded embedding space → embedder).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use storage_core::{Embedder, EmbedderResolver, EmbeddingSpace, Metric, StorageError, Uninitialized};

use crate::config::{EmbeddingConfig, ProviderKind};
use crate::error::{EmbedError, Result};

/// The Hub id a model name stands for: `all-MiniLM-L6-v2` is `sentence-transformers/all-MiniLM-L6-v2`.
pub fn hub_model_id(model: &str) -> String {
    let model = model.trim();
    if model.contains('/') { model.to_owned() } else { format!("sentence-transformers/{model}") }
}

/// Builds the embedder `config` describes: loads a local model (once per process), or connects to a server
/// (learning the dimensions with one probe request when `dimensions` is not configured).
pub async fn connect(config: &EmbeddingConfig) -> Result<Arc<dyn Embedder>> {
    match config.validate()? {
        ProviderKind::Local => connect_local(config).await,
        #[cfg(feature = "openai")]
        ProviderKind::OpenAi => {
            Ok(Arc::new(crate::remote::RemoteEmbedder::connect(crate::remote::Protocol::OpenAi, config).await?))
        }
        #[cfg(feature = "ollama")]
        ProviderKind::Ollama => {
            Ok(Arc::new(crate::remote::RemoteEmbedder::connect(crate::remote::Protocol::Ollama, config).await?))
        }
        #[allow(unreachable_patterns)] // reachable only in builds without some provider
        kind => Err(EmbedError::NotCompiled { provider: config.provider.clone(), feature: kind.as_str() }),
    }
}

#[cfg(feature = "local")]
async fn connect_local(config: &EmbeddingConfig) -> Result<Arc<dyn Embedder>> {
    let config = config.clone();
    // Finding, maybe downloading, and loading the model blocks for a while.
    let embedder = tokio::task::spawn_blocking(move || crate::local::LocalEmbedder::load(&config))
        .await
        .map_err(|error| EmbedError::Inference { model: "local model loader".into(), source: error.into() })??;
    Ok(Arc::new(embedder))
}

#[cfg(not(feature = "local"))]
async fn connect_local(config: &EmbeddingConfig) -> Result<Arc<dyn Embedder>> {
    Err(EmbedError::NotCompiled { provider: config.provider.clone(), feature: "local" })
}

/// Resolves recorded embedding spaces with one base configuration: the space's provider, model and
/// dimensions win; the configured model folder, server address, key variable and limits fill the rest.
/// Each space is connected once; later calls share the embedder.
#[derive(Debug)]
pub struct ConfiguredResolver {
    config: EmbeddingConfig,
    embedders: tokio::sync::Mutex<HashMap<EmbeddingSpace, Arc<dyn Embedder>>>,
}

impl ConfiguredResolver {
    /// A resolver over `config` (the `embedding:` section; its provider and model serve spaces that name
    /// the same ones).
    pub fn new(config: EmbeddingConfig) -> Self {
        ConfiguredResolver { config, embedders: tokio::sync::Mutex::new(HashMap::new()) }
    }

    /// The configuration a space resolves with.
    pub fn config_for(&self, space: &EmbeddingSpace) -> EmbeddingConfig {
        self.config.for_space(space)
    }

    /// The space `provider` and `model` embed into (the configured ones when `None`), learned from the
    /// model itself (or the server's answer): what `init --provider P --model M` records without
    /// `--dimensions`. The embedder is kept, so the first text embedded into that space loads nothing.
    pub async fn learn_space(
        &self,
        provider: Option<&str>,
        model: Option<&str>,
        metric: Metric,
    ) -> storage_core::Result<EmbeddingSpace> {
        let (_, space) = self.connect_kept(&self.config.for_model(provider, model), metric).await?;
        Ok(space)
    }

    /// Connects the provider `config` describes (its own address, key variable or model folder, not this
    /// resolver's) and keeps it for the space it embeds into, which is returned with it: later resolutions
    /// of that space use this embedder. What a binding's `create_collection(embedding=...)` records.
    pub async fn connect_kept(
        &self,
        config: &EmbeddingConfig,
        metric: Metric,
    ) -> storage_core::Result<(Arc<dyn Embedder>, EmbeddingSpace)> {
        let embedder = connect(config).await?;
        let space = embedder.space().clone().with_metric(metric);
        self.embedders.lock().await.insert(space.clone(), embedder.clone());
        Ok((embedder, space))
    }
}

#[async_trait]
impl EmbedderResolver for ConfiguredResolver {
    async fn resolve(&self, space: &EmbeddingSpace) -> storage_core::Result<Arc<dyn Embedder>> {
        if space.provider.is_none() || space.model.is_none() {
            return Err(StorageError::NotInitialized {
                what: Uninitialized::EmbeddingProvider { space: space.describe() },
                detail: Some("the space records no provider and model, and the data carries no vectors".into()),
            });
        }
        // Held across the connect, so concurrent first uses of a space connect once.
        let mut embedders = self.embedders.lock().await;
        if let Some(embedder) = embedders.get(space) {
            return Ok(embedder.clone());
        }
        let embedder = connect(&self.config_for(space)).await.map_err(|error| cannot_build(space, error))?;
        embedders.insert(space.clone(), embedder.clone());
        Ok(embedder)
    }
}

/// A recorded provider that cannot be built from this configuration (no model files, no key, a provider
/// left out of the build, a bad value) is a store that is not set up to embed: `NotInitialized`, with the
/// cause as the detail, so every surface adds its own remedy. A server that is down stays `Unavailable`.
fn cannot_build(space: &EmbeddingSpace, error: EmbedError) -> StorageError {
    match error {
        error @ (EmbedError::Config { .. }
        | EmbedError::NotCompiled { .. }
        | EmbedError::ModelNotFound { .. }
        | EmbedError::MissingKey { .. }
        | EmbedError::ModelFile { .. }) => StorageError::NotInitialized {
            what: Uninitialized::EmbeddingProvider { space: space.describe() },
            detail: Some(error.to_string()),
        },
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_sentence_transformers_models() {
        assert_eq!(hub_model_id("all-MiniLM-L6-v2"), "sentence-transformers/all-MiniLM-L6-v2");
        assert_eq!(hub_model_id("BAAI/bge-small-en-v1.5"), "BAAI/bge-small-en-v1.5");
    }

    #[tokio::test]
    async fn a_space_without_a_provider_cannot_be_resolved() {
        let resolver = ConfiguredResolver::new(EmbeddingConfig::local_default());
        let err = resolver.resolve(&EmbeddingSpace::new(3).unwrap()).await.unwrap_err();
        assert!(err.is_incompatible_state(), "{err}");
        assert!(err.to_string().contains("records no provider and model"), "{err}");
    }

    #[tokio::test]
    async fn a_recorded_provider_that_cannot_be_built_is_an_uninitialized_provider_naming_the_key() {
        let resolver = ConfiguredResolver::new(EmbeddingConfig::local_default());
        let space = EmbeddingSpace::new(3).unwrap().with_model("cohere", "embed-v3");
        let err = resolver.resolve(&space).await.unwrap_err();
        assert!(matches!(err, StorageError::NotInitialized { what: Uninitialized::EmbeddingProvider { .. }, .. }));
        assert!(err.to_string().contains("embedding.provider: `cohere` is not a provider"), "{err}");
    }
}
