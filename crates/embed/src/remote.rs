//! The `openai` and `ollama` providers: texts split into requests within the server's limits, sent in
//! order, each answer checked for its vector count and length.

use std::ops::Range;

use async_trait::async_trait;
use storage_core::{Embedder, Embedding, EmbeddingSpace, check_embeddings};

use crate::config::{EmbeddingConfig, config_error};
use crate::error::Result;
use crate::http::Endpoint;

/// Texts per request unless `embedding.batch_size` says otherwise (OpenAI accepts up to 2,048).
const DEFAULT_BATCH_SIZE: usize = 128;

/// The most text bytes one request carries. OpenAI takes at most 300,000 tokens per request and a token
/// covers at least one byte, so this stays under the limit whatever the language; a longer single text
/// goes alone and the server judges it.
const MAX_REQUEST_BYTES: usize = 240_000;

/// The text used to learn a model's dimensions when the configuration does not give them.
const PROBE_TEXT: &str = "dimension probe";

/// Which wire protocol a server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `POST {base_url}/embeddings`, the OpenAI shape ([`crate::EmbeddingsRequest`]).
    #[cfg(feature = "openai")]
    OpenAi,
    /// Ollama's `POST {base_url}/api/embed`.
    #[cfg(feature = "ollama")]
    Ollama,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "openai")]
            Protocol::OpenAi => "openai",
            #[cfg(feature = "ollama")]
            Protocol::Ollama => "ollama",
        }
    }
}

/// Ollama's `POST /api/embed` body.
#[cfg(feature = "ollama")]
#[derive(Debug, serde::Serialize)]
struct OllamaRequest<'a> {
    model: &'a str,
    input: &'a [&'a str],
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<u32>,
}

/// Ollama's `POST /api/embed` answer.
#[cfg(feature = "ollama")]
#[derive(Debug, serde::Deserialize)]
struct OllamaResponse {
    embeddings: Vec<Vec<f32>>,
}

/// An embedder backed by an embedding server.
#[derive(Debug)]
pub struct RemoteEmbedder {
    protocol: Protocol,
    endpoint: Endpoint,
    model: String,
    /// Sent as `dimensions` when configured, for models that can shorten their vectors.
    requested_dimensions: Option<u32>,
    space: EmbeddingSpace,
    batch_size: usize,
}

impl RemoteEmbedder {
    /// Connects to the configured server. Without `embedding.dimensions`, one probe text is embedded to
    /// learn the model's dimensions (which also proves the server, model and key work).
    pub(crate) async fn connect(protocol: Protocol, config: &EmbeddingConfig) -> Result<Self> {
        let endpoint = match protocol {
            #[cfg(feature = "openai")]
            Protocol::OpenAi => {
                Endpoint::new("openai", config, "https://api.openai.com/v1", Some("OPENAI_API_KEY"), "embeddings")?
            }
            #[cfg(feature = "ollama")]
            Protocol::Ollama => Endpoint::new("ollama", config, "http://localhost:11434", None, "api/embed")?,
        };
        let mut embedder = RemoteEmbedder {
            protocol,
            endpoint,
            model: config.model.trim().to_owned(),
            requested_dimensions: config.dimensions,
            space: EmbeddingSpace::new(config.dimensions.unwrap_or(1))
                .map_err(|error| config_error("embedding.dimensions", error.to_string()))?
                .with_model(config.provider.trim(), config.model.trim()),
            batch_size: config.batch_size.unwrap_or(DEFAULT_BATCH_SIZE),
        };
        if config.dimensions.is_none() {
            let probe = embedder.request(&[PROBE_TEXT]).await?;
            let length = probe.first().map_or(0, Vec::len);
            embedder.space.dimensions = u32::try_from(length).unwrap_or(0);
            embedder
                .space
                .validate()
                .map_err(|error| embedder.endpoint.bad_response(format!("the probe vector: {error}")))?;
        }
        Ok(embedder)
    }

    /// One request for `texts`, returning the raw vectors.
    async fn request(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        match self.protocol {
            #[cfg(feature = "openai")]
            Protocol::OpenAi => {
                let body = crate::wire::EmbeddingsRequest {
                    input: crate::wire::EmbeddingsInput::Many(texts.iter().map(|text| (*text).to_owned()).collect()),
                    model: self.model.clone(),
                    dimensions: self.requested_dimensions,
                    encoding_format: None,
                    user: None,
                };
                let response: crate::wire::EmbeddingsResponse = self.endpoint.post(&body).await?;
                response.into_vectors().map_err(|reason| self.endpoint.bad_response(reason))
            }
            #[cfg(feature = "ollama")]
            Protocol::Ollama => {
                let body = OllamaRequest { model: &self.model, input: texts, dimensions: self.requested_dimensions };
                let response: OllamaResponse = self.endpoint.post(&body).await?;
                Ok(response.embeddings)
            }
        }
    }
}

#[async_trait]
impl Embedder for RemoteEmbedder {
    fn space(&self) -> &EmbeddingSpace {
        &self.space
    }

    async fn embed(&self, texts: &[&str]) -> storage_core::Result<Vec<Embedding>> {
        let source = format!("{} server {}", self.protocol.name(), self.endpoint.server());
        let mut out = Vec::with_capacity(texts.len());
        for range in plan_requests(texts, self.batch_size, MAX_REQUEST_BYTES) {
            let batch = &texts[range];
            let vectors = self.request(batch).await?;
            out.extend(check_embeddings(&source, &self.space, batch.len(), vectors)?);
        }
        Ok(out)
    }
}

/// Splits `texts` into consecutive ranges of at most `batch_size` texts and `max_bytes` bytes (a longer
/// text goes alone).
fn plan_requests(texts: &[&str], batch_size: usize, max_bytes: usize) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, text) in texts.iter().enumerate() {
        if index > start && (index - start == batch_size || bytes + text.len() > max_bytes) {
            ranges.push(start..index);
            (start, bytes) = (index, 0);
        }
        bytes += text.len();
    }
    if start < texts.len() {
        ranges.push(start..texts.len());
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_respect_count_and_byte_limits() {
        assert_eq!(plan_requests(&[], 2, 10), Vec::<Range<usize>>::new());
        assert_eq!(plan_requests(&["a", "b", "c"], 2, 10), [0..2, 2..3]);
        assert_eq!(plan_requests(&["aaaa", "bbbb", "cccc"], 10, 8), [0..2, 2..3]);
        // A text over the byte limit is sent alone rather than dropped.
        assert_eq!(plan_requests(&["a", "x".repeat(20).as_str(), "b"], 10, 8), [0..1, 1..2, 2..3]);
    }
}
