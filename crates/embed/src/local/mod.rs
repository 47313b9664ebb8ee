//! The `local` provider: sentence-transformers BERT models run in-process on the CPU with candle.

mod bert;
mod files;
mod model;
mod pooling;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use storage_core::{Embedder, Embedding, EmbeddingSpace, check_embeddings};

use self::files::ModelSources;
use self::model::LocalModel;
use crate::config::{EmbeddingConfig, config_error};
use crate::error::{EmbedError, Result};

/// Texts per forward pass unless `embedding.batch_size` says otherwise: sentence-transformers' default.
const DEFAULT_BATCH_SIZE: usize = 32;

/// An embedder running a local model. Cheap to create once the model is loaded: every embedder of the
/// same model folder in a process shares one copy.
#[derive(Debug)]
pub struct LocalEmbedder {
    model: Arc<LocalModel>,
    space: EmbeddingSpace,
    batch_size: usize,
}

impl LocalEmbedder {
    /// Finds the model (configured folder, Hugging Face cache, Hub download) and loads it, or reuses the
    /// copy this process already loaded. Blocking: call it from a blocking thread.
    pub fn load(config: &EmbeddingConfig) -> Result<Self> {
        let folder = ModelSources::from_env(config.model_path.clone()).resolve(&config.model)?;
        Self::load_folder(config, &folder)
    }

    /// Loads the model in `folder` (no lookup) for `config`'s provider and model names.
    pub fn load_folder(config: &EmbeddingConfig, folder: &Path) -> Result<Self> {
        let model = shared_model(folder)?;
        let dimensions = u32::try_from(model.dimensions())
            .map_err(|_| config_error("embedding.model", "the model's vectors are too long"))?;
        if let Some(wanted) = config.dimensions
            && wanted != dimensions
        {
            return Err(config_error(
                "embedding.dimensions",
                format!(
                    "{wanted} was asked for but the local model `{}` gives {dimensions} dimensions (in {})",
                    config.model,
                    model.folder().display()
                ),
            ));
        }
        let space = EmbeddingSpace::new(dimensions)
            .map_err(|error| config_error("embedding.model", error.to_string()))?
            .with_model(config.provider.trim(), config.model.trim());
        Ok(LocalEmbedder { model, space, batch_size: config.batch_size.unwrap_or(DEFAULT_BATCH_SIZE) })
    }

    /// The folder the model was loaded from.
    pub fn folder(&self) -> &Path {
        self.model.folder()
    }

    /// Embeds on the calling thread (blocking); [`Embedder::embed`] runs this on a blocking thread.
    pub fn embed_blocking(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.model.embed(texts, self.batch_size)
    }

    /// Token counts of `texts` after sentence-transformers' tokenization and truncation, special tokens
    /// included: what one forward pass pays for.
    pub fn token_counts(&self, texts: &[&str]) -> Result<Vec<usize>> {
        Ok(self.model.tokenize(texts)?.iter().map(tokenizers::Encoding::len).collect())
    }
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn space(&self) -> &EmbeddingSpace {
        &self.space
    }

    async fn embed(&self, texts: &[&str]) -> storage_core::Result<Vec<Embedding>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let owned: Vec<String> = texts.iter().map(|text| (*text).to_owned()).collect();
        let model = self.model.clone();
        let batch_size = self.batch_size;
        let vectors = tokio::task::spawn_blocking(move || {
            let texts: Vec<&str> = owned.iter().map(String::as_str).collect();
            model.embed(&texts, batch_size)
        })
        .await
        .map_err(|error| EmbedError::Inference { model: self.space.describe(), source: error.into() })??;
        check_embeddings(&format!("local model {}", self.folder().display()), &self.space, texts.len(), vectors)
    }
}

/// The process-wide copy of the model in `folder`, loaded on first use. Keyed by the canonical folder, so
/// two paths to one model share it; the lock is held while loading, so concurrent first users load it once.
fn shared_model(folder: &Path) -> Result<Arc<LocalModel>> {
    static MODELS: Mutex<Option<HashMap<PathBuf, Arc<LocalModel>>>> = Mutex::new(None);
    let key = folder.canonicalize().unwrap_or_else(|_| folder.to_owned());
    let mut models = MODELS.lock().unwrap_or_else(PoisonError::into_inner);
    let models = models.get_or_insert_with(HashMap::new);
    if let Some(model) = models.get(&key) {
        return Ok(model.clone());
    }
    let model = Arc::new(LocalModel::load(&key)?);
    models.insert(key, model.clone());
    Ok(model)
}
