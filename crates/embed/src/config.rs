//! `EmbeddingConfig`: the `embedding:` section of the configuration, and the provider names it accepts.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use storage_core::EmbeddingSpace;

use crate::error::EmbedError;

/// The model the local provider uses when none is configured.
pub const DEFAULT_LOCAL_MODEL: &str = "all-MiniLM-L6-v2";

/// Which provider embeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// sentence-transformers models run in-process (`local`, alias `sentence-transformers`).
    Local,
    /// An OpenAI-compatible `POST /v1/embeddings` server.
    OpenAi,
    /// Ollama's native `POST /api/embed`.
    Ollama,
}

impl ProviderKind {
    /// Every provider, for messages.
    pub const ALL: [ProviderKind; 3] = [ProviderKind::Local, ProviderKind::OpenAi, ProviderKind::Ollama];

    /// The provider's name in configuration and in a recorded embedding space.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Local => "local",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Ollama => "ollama",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = EmbedError;
    /// `sentence-transformers` names the local provider too: it computes the same vectors, and stores
    /// filled by sentence-transformers record that name.
    fn from_str(name: &str) -> Result<Self, EmbedError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "local" | "sentence-transformers" | "sentence_transformers" => Ok(ProviderKind::Local),
            "openai" => Ok(ProviderKind::OpenAi),
            "ollama" => Ok(ProviderKind::Ollama),
            _ => Err(EmbedError::Config {
                field: "embedding.provider".into(),
                reason: format!("`{name}` is not a provider; expected local, openai or ollama"),
            }),
        }
    }
}

/// The `embedding:` configuration section: which provider, which model, and how to reach it.
///
/// Every field but `provider` and `model` is optional; [`crate::connect`] fills the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingConfig {
    /// `local` (alias `sentence-transformers`), `openai` or `ollama`.
    pub provider: String,
    /// The model: a Hub id or short name for `local` (`all-MiniLM-L6-v2`), the server's model name otherwise.
    pub model: String,
    /// `local` only: a folder holding the model's files, tried before the Hugging Face cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_path: Option<PathBuf>,
    /// `openai` / `ollama`: the server's base URL (`https://api.openai.com/v1`, `http://localhost:11434`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// `openai` / `ollama`: the NAME of the environment variable that holds the API key (never the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// The vector length: asked of the server (`dimensions`) when set; learned from the model otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// Texts per model batch (`local`) or per request (servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// Seconds one request may take before it is retried (servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// How often a request is retried after a 429, a 5xx, a timeout or a refused connection (servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
}

impl EmbeddingConfig {
    /// A configuration for `provider` and `model` with every other value at its default.
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Self {
        EmbeddingConfig { provider: provider.into(), model: model.into(), ..EmbeddingConfig::default() }
    }

    /// The local provider with all-MiniLM-L6-v2.
    pub fn local_default() -> Self {
        EmbeddingConfig::new("local", DEFAULT_LOCAL_MODEL)
    }

    /// This configuration aimed at a recorded space: its provider, model and dimensions replace the
    /// configured ones. The model folder is kept for the same model, the server address and key variable
    /// for the same provider, the limits always.
    #[must_use]
    pub fn for_space(&self, space: &EmbeddingSpace) -> Self {
        let mut config = self.for_model(space.provider.as_deref(), space.model.as_deref());
        config.dimensions = Some(space.dimensions);
        config
    }

    /// This configuration aimed at `provider` and `model` (each kept when `None`), the way
    /// [`EmbeddingConfig::for_space`] aims it; the dimensions are kept only for the same provider and model.
    #[must_use]
    pub fn for_model(&self, provider: Option<&str>, model: Option<&str>) -> Self {
        let mut config = self.clone();
        if let Some(provider) = provider {
            let same_kind = matches!((self.kind(), provider.parse::<ProviderKind>()), (Ok(a), Ok(b)) if a == b);
            if !same_kind {
                config.base_url = None;
                config.api_key_env = None;
                config.dimensions = None;
            }
            provider.clone_into(&mut config.provider);
        }
        if let Some(model) = model {
            if model != self.model {
                // A folder (or a length) configured for another model must not answer for this one.
                config.model_path = None;
                config.dimensions = None;
            }
            model.clone_into(&mut config.model);
        }
        config
    }

    /// The provider, parsed.
    pub fn kind(&self) -> Result<ProviderKind, EmbedError> {
        self.provider.parse()
    }

    /// Checks values that need no network or files.
    pub fn validate(&self) -> Result<ProviderKind, EmbedError> {
        let kind = self.kind()?;
        if self.model.trim().is_empty() {
            return Err(config_error("embedding.model", "must name a model"));
        }
        if self.dimensions == Some(0) {
            return Err(config_error("embedding.dimensions", "must be at least 1"));
        }
        if self.batch_size == Some(0) {
            return Err(config_error("embedding.batch_size", "must be at least 1"));
        }
        if self.timeout_secs == Some(0) {
            return Err(config_error("embedding.timeout_secs", "must be at least 1"));
        }
        if let Some(variable) = &self.api_key_env
            && (variable.is_empty() || variable.contains(['=', '\0']))
        {
            return Err(config_error(
                "embedding.api_key_env",
                "must be the NAME of an environment variable (the key itself goes in that variable)",
            ));
        }
        if kind == ProviderKind::Local && (self.base_url.is_some() || self.api_key_env.is_some()) {
            return Err(config_error(
                "embedding.base_url",
                "the local provider runs in-process; base_url and api_key_env are for openai and ollama",
            ));
        }
        Ok(kind)
    }

    /// The request timeout, 60 s unless configured.
    #[cfg(feature = "http")]
    pub(crate) fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs.unwrap_or(60))
    }
}

pub(crate) fn config_error(field: &str, reason: impl Into<String>) -> EmbedError {
    EmbedError::Config { field: field.to_owned(), reason: reason.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_and_aliases() {
        assert_eq!("local".parse::<ProviderKind>().unwrap(), ProviderKind::Local);
        assert_eq!("sentence-transformers".parse::<ProviderKind>().unwrap(), ProviderKind::Local);
        assert_eq!("OpenAI".parse::<ProviderKind>().unwrap(), ProviderKind::OpenAi);
        assert_eq!("ollama".parse::<ProviderKind>().unwrap(), ProviderKind::Ollama);
        let err = "cohere".parse::<ProviderKind>().unwrap_err().to_string();
        assert_eq!(err, "embedding.provider: `cohere` is not a provider; expected local, openai or ollama");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_naming_the_key() {
        let err = serde_json::from_str::<EmbeddingConfig>(r#"{"provider":"local","model":"m","api_key":"x"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `api_key`"), "{err}");
        let check = |config: EmbeddingConfig, field: &str| {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.starts_with(&format!("{field}: ")), "{err}");
        };
        check(EmbeddingConfig::new("local", " "), "embedding.model");
        check(EmbeddingConfig { dimensions: Some(0), ..EmbeddingConfig::local_default() }, "embedding.dimensions");
        check(EmbeddingConfig { batch_size: Some(0), ..EmbeddingConfig::local_default() }, "embedding.batch_size");
        check(EmbeddingConfig { timeout_secs: Some(0), ..EmbeddingConfig::local_default() }, "embedding.timeout_secs");
        check(
            EmbeddingConfig { api_key_env: Some("sk-abc=1".into()), ..EmbeddingConfig::new("openai", "m") },
            "embedding.api_key_env",
        );
        check(
            EmbeddingConfig { base_url: Some("http://h".into()), ..EmbeddingConfig::local_default() },
            "embedding.base_url",
        );
        assert_eq!(EmbeddingConfig::local_default().validate().unwrap(), ProviderKind::Local);
    }

    #[test]
    fn a_recorded_space_overrides_provider_model_and_dimensions() {
        let config = EmbeddingConfig {
            model_path: Some("/models/minilm".into()),
            batch_size: Some(8),
            ..EmbeddingConfig::local_default()
        };
        let same = config
            .for_space(&EmbeddingSpace::new(384).unwrap().with_model("sentence-transformers", DEFAULT_LOCAL_MODEL));
        assert_eq!(same.provider, "sentence-transformers");
        assert_eq!(same.model_path, config.model_path);
        assert_eq!((same.dimensions, same.batch_size), (Some(384), Some(8)));
        let other = config.for_space(&EmbeddingSpace::new(768).unwrap().with_model("ollama", "nomic-embed-text"));
        assert_eq!(
            (other.provider.as_str(), other.model.as_str(), other.model_path),
            ("ollama", "nomic-embed-text", None)
        );
        let server = EmbeddingConfig {
            base_url: Some("http://127.0.0.1:11434".into()),
            api_key_env: Some("OLLAMA_KEY".into()),
            ..EmbeddingConfig::new("ollama", "nomic-embed-text")
        };
        let local = server.for_space(&EmbeddingSpace::new(384).unwrap().with_model("local", DEFAULT_LOCAL_MODEL));
        assert_eq!((local.base_url, local.api_key_env), (None, None));
        let same = server.for_space(&EmbeddingSpace::new(768).unwrap().with_model("ollama", "all-minilm"));
        assert_eq!(same.base_url.as_deref(), Some("http://127.0.0.1:11434"));
    }
}
