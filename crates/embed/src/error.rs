//! `EmbedError`: every failure of a provider, with the model or server named, mapped into `StorageError`.

use std::path::PathBuf;

use storage_core::{BoxError, StorageError};

/// `Result` with [`EmbedError`] as the default error type.
pub type Result<T, E = EmbedError> = std::result::Result<T, E>;

/// What can go wrong while configuring, loading or calling an embedding provider.
///
/// Servers are named `host:port`, never by a URL that could carry credentials; API keys appear nowhere.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// A configuration value is not acceptable. `field` is the config key (`embedding.base_url`).
    #[error("{field}: {reason}")]
    Config {
        /// The config key.
        field: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The provider names a feature this build left out.
    #[error(
        "embedding provider `{provider}` is not compiled into this build (cargo feature `{feature}` of crate `embed`)"
    )]
    NotCompiled {
        /// The configured provider.
        provider: String,
        /// The cargo feature that brings it.
        feature: &'static str,
    },

    /// The model's files were found nowhere. The message names all three ways to provide them.
    #[error(
        "embedding model `{model}` was not found: set `embedding.model_path` to a folder with its files \
         (config.json, tokenizer.json, model.safetensors), or put it in the Hugging Face cache \
         (looked in {cache}), or let brainstore download it from the Hub ({download})",
        cache = .cache.display()
    )]
    ModelNotFound {
        /// The Hub id (`sentence-transformers/all-MiniLM-L6-v2`).
        model: String,
        /// The Hugging Face cache folder that was searched.
        cache: PathBuf,
        /// Why the download did not happen or failed.
        download: String,
    },

    /// A model folder exists but a file in it is missing or unreadable.
    #[error("model file {}: {reason}", path.display())]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// The model failed while embedding.
    #[error("local model `{model}` failed: {source}")]
    Inference {
        /// The model.
        model: String,
        /// The runtime's error.
        #[source]
        source: BoxError,
    },

    /// An API key variable that the configuration names is not set.
    #[error(
        "embedding.api_key_env: the environment variable `{variable}` is not set; set it to the API key of {server}"
    )]
    MissingKey {
        /// The variable's name (never its value).
        variable: String,
        /// `host:port` of the server the key is for.
        server: String,
    },

    /// The server answered with an error status that retrying does not fix.
    #[error("{provider} server {server} answered {status}: {message}")]
    Status {
        /// The provider (`openai`, `ollama`).
        provider: &'static str,
        /// `host:port`.
        server: String,
        /// The HTTP status.
        status: u16,
        /// The server's error message, shortened.
        message: String,
    },

    /// The server could not be reached, kept failing with a retryable status, or timed out, after retries.
    #[error("{provider} server {server} is unavailable after {attempts} attempt(s): {source}")]
    Unavailable {
        /// The provider (`openai`, `ollama`).
        provider: &'static str,
        /// `host:port`.
        server: String,
        /// How many requests were sent.
        attempts: u32,
        /// The last cause.
        #[source]
        source: BoxError,
    },

    /// The server's answer is not what the protocol promises (wrong count or dimensions, bad JSON).
    #[error("{provider} server {server} sent a bad answer: {reason}")]
    BadResponse {
        /// The provider (`openai`, `ollama`).
        provider: &'static str,
        /// `host:port`.
        server: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl From<EmbedError> for StorageError {
    fn from(error: EmbedError) -> Self {
        match error {
            EmbedError::Config { field, reason } => StorageError::InvalidInput { field, reason },
            error @ (EmbedError::NotCompiled { .. }
            | EmbedError::ModelNotFound { .. }
            | EmbedError::MissingKey { .. }) => StorageError::invalid(config_field(&error), error.to_string()),
            EmbedError::Unavailable { provider, server, attempts, source } => {
                StorageError::Unavailable { target: format!("{provider} server {server}"), attempts, source }
            }
            error @ EmbedError::ModelFile { .. } => StorageError::invalid("embedding.model_path", error.to_string()),
            error @ (EmbedError::Inference { .. } | EmbedError::Status { .. } | EmbedError::BadResponse { .. }) => {
                StorageError::backend("embedding", error)
            }
        }
    }
}

/// The config key a setup error is about, so the CLI's message points at it.
fn config_field(error: &EmbedError) -> &'static str {
    match error {
        EmbedError::NotCompiled { .. } => "embedding.provider",
        EmbedError::MissingKey { .. } => "embedding.api_key_env",
        _ => "embedding.model",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_errors_are_invalid_input_and_server_errors_keep_their_kind() {
        let missing = EmbedError::ModelNotFound {
            model: "org/m".into(),
            cache: PathBuf::from("/hf/hub"),
            download: "HF_HUB_OFFLINE is set".into(),
        };
        let text = missing.to_string();
        assert!(text.contains("embedding.model_path") && text.contains("/hf/hub") && text.contains("Hub"), "{text}");
        let storage = StorageError::from(missing);
        assert!(storage.is_invalid_input(), "{storage}");
        assert!(storage.to_string().starts_with("embedding.model: "), "{storage}");

        let down = EmbedError::Unavailable {
            provider: "openai",
            server: "127.0.0.1:9".into(),
            attempts: 3,
            source: "connection refused".into(),
        };
        let storage = StorageError::from(down);
        assert!(storage.is_unavailable(), "{storage}");
        assert!(storage.to_string().contains("openai server 127.0.0.1:9"), "{storage}");

        let status =
            EmbedError::Status { provider: "ollama", server: "h:1".into(), status: 404, message: "no model".into() };
        let storage = StorageError::from(status);
        assert!(matches!(storage, StorageError::Backend { .. }));
        assert!(storage.to_string().contains("ollama server h:1 answered 404: no model"), "{storage}");
    }
}
