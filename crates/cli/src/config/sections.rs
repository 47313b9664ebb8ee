//! The cli's own configuration sections (`backend`, `ingest`, `embedding`, `tenant`, `memory`); the backends, core (`search`) and the server own theirs.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use embed::{DEFAULT_LOCAL_MODEL, EmbeddingConfig, ProviderKind};
use serde::{Deserialize, Serialize};
use storage_core::memory::DEFAULT_DEDUP_THRESHOLD;
use storage_core::memory::scoring::RecallWeights;
use storage_core::{EmbeddingSpace, MAX_BATCH_CHUNKS, Metric, StorageError};

use crate::error::{CliError, Result};

/// Which backend a store lives on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum BackendKind {
    /// One local folder, no server (alias `chroma`).
    #[default]
    Embedded,
    /// PostgreSQL + pgvector.
    Postgres,
}

/// The valid names, for messages and help.
pub(crate) const BACKEND_NAMES: &str = "embedded (alias chroma), postgres";

impl BackendKind {
    /// The canonical name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            BackendKind::Embedded => "embedded",
            BackendKind::Postgres => "postgres",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BackendKind {
    type Err = String;
    fn from_str(name: &str) -> std::result::Result<Self, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "embedded" | "chroma" => Ok(BackendKind::Embedded),
            "postgres" | "postgresql" => Ok(BackendKind::Postgres),
            _ => Err(format!("`{name}` is not a backend; valid backends: {BACKEND_NAMES}")),
        }
    }
}

impl<'de> Deserialize<'de> for BackendKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for BackendKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The default rows per ingest batch.
pub(crate) const DEFAULT_BATCH_SIZE: usize = 500;

/// `ingest:` defaults for `ingest` and `import`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct IngestSection {
    /// Rows per atomic batch.
    pub(crate) batch_size: usize,
}

impl Default for IngestSection {
    fn default() -> Self {
        IngestSection { batch_size: DEFAULT_BATCH_SIZE }
    }
}

impl IngestSection {
    /// Checks the batch size, naming the key.
    pub(crate) fn validate(&self) -> Result<()> {
        check_batch_size(self.batch_size).map_err(|reason| CliError::Config(format!("ingest.batch_size: {reason}")))
    }
}

/// Checks a batch size against core's per-upsert limit.
pub(crate) fn check_batch_size(size: usize) -> std::result::Result<(), String> {
    storage_core::out_of_range(size, 1, MAX_BATCH_CHUNKS).map_or(Ok(()), Err)
}

/// `embedding:` — the provider that embeds text (the `embed` crate's `EmbeddingConfig`, every key
/// optional here), and the space `init` records when `--dimensions`, `--provider`, `--model` or `--metric`
/// are not given.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct EmbeddingSection {
    /// The embedding provider: `local` (the default), `openai` or `ollama`.
    pub(crate) provider: Option<String>,
    /// The model (`all-MiniLM-L6-v2` for `local` by default).
    pub(crate) model: Option<String>,
    /// `local`: a folder with the model's files, tried before the Hugging Face cache.
    pub(crate) model_path: Option<PathBuf>,
    /// `openai` / `ollama`: the server's base URL.
    pub(crate) base_url: Option<String>,
    /// `openai` / `ollama`: the NAME of the environment variable holding the API key.
    pub(crate) api_key_env: Option<String>,
    /// The vector length.
    pub(crate) dimensions: Option<u32>,
    /// How vectors are compared.
    pub(crate) metric: Option<Metric>,
    /// Texts per model batch (`local`) or per request (servers).
    pub(crate) batch_size: Option<usize>,
    /// Seconds per request (servers).
    pub(crate) timeout_secs: Option<u64>,
    /// Retries after a 429, a 5xx or a timeout (servers).
    pub(crate) max_retries: Option<u32>,
}

impl EmbeddingSection {
    /// Checks the values that are set, naming the key.
    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(dimensions) = self.dimensions {
            let mut space = EmbeddingSpace::new(dimensions).map_err(|e| config_error("embedding", &e))?;
            space.provider.clone_from(&self.provider);
            space.model.clone_from(&self.model);
            space.validate().map_err(|e| config_error("embedding", &e))?;
        }
        self.provider_config().validate().map_err(|e| CliError::Config(e.to_string()))?;
        Ok(())
    }

    /// Whether a provider is configured (rather than the default).
    pub(crate) fn is_configured(&self) -> bool {
        self.provider.is_some() || self.model.is_some()
    }

    /// The `embed` crate's configuration: the local provider and all-MiniLM-L6-v2 unless set.
    pub(crate) fn provider_config(&self) -> EmbeddingConfig {
        EmbeddingConfig {
            provider: self.provider.clone().unwrap_or_else(|| ProviderKind::Local.as_str().to_owned()),
            model: self.model.clone().unwrap_or_else(|| DEFAULT_LOCAL_MODEL.to_owned()),
            model_path: self.model_path.clone(),
            base_url: self.base_url.clone(),
            api_key_env: self.api_key_env.clone(),
            dimensions: self.dimensions,
            batch_size: self.batch_size,
            timeout_secs: self.timeout_secs,
            max_retries: self.max_retries,
        }
    }
}

fn config_error(section: &str, error: &StorageError) -> CliError {
    CliError::Config(format!("{section}.{error}"))
}

/// The tenant when neither `--tenant` nor `tenant:` says otherwise.
pub(crate) const DEFAULT_TENANT: &str = "default";

/// [`DEFAULT_TENANT`], for serde.
pub(crate) fn default_tenant() -> String {
    DEFAULT_TENANT.to_owned()
}

/// Checks the `tenant` key with core's identifier rule.
pub(crate) fn check_tenant(tenant: &str) -> Result<()> {
    storage_core::session::check_identifier("tenant", tenant).map_err(|e| CliError::Config(e.to_string()))
}

/// `memory:` — defaults of `brainstore memory remember` and `recall`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct MemorySection {
    /// Similarity at or above which `remember` updates a near-duplicate instead of inserting.
    pub(crate) dedup_threshold: f32,
    /// Recall ranking weights (core's `RecallWeights`, which denies unknown keys too).
    pub(crate) weights: RecallWeights,
}

impl Default for MemorySection {
    fn default() -> Self {
        MemorySection { dedup_threshold: DEFAULT_DEDUP_THRESHOLD, weights: RecallWeights::default() }
    }
}

impl MemorySection {
    /// Checks the threshold and the weights, naming the key.
    pub(crate) fn validate(&self) -> Result<()> {
        storage_core::memory::check_dedup_threshold(self.dedup_threshold)
            .map_err(|e| CliError::Config(format!("memory.{e}")))?;
        self.weights.validate().map_err(|e| CliError::Config(format!("memory.{e}")))
    }
}
