//! Embedding providers for brainstore, behind storage-core's [`storage_core::Embedder`] trait.
//!
//! - `local` (feature `local`, the default): sentence-transformers BERT models (all-MiniLM-L6-v2 first) run
//!   in-process with candle, pure Rust, giving sentence-transformers' vectors ([`LocalEmbedder`]).
//! - `openai` (feature `openai`): any OpenAI-compatible `POST /v1/embeddings` server; `ollama` (feature
//!   `ollama`): Ollama's `POST /api/embed` ([`RemoteEmbedder`]).
//!
//! [`connect`] builds an embedder from an [`EmbeddingConfig`] (the `embedding:` config section);
//! [`ConfiguredResolver`] turns a collection's recorded `EmbeddingSpace` into its embedder.
//! [`EmbeddingsRequest`] / [`EmbeddingsResponse`] are the OpenAI wire shapes, for servers too.
//! Errors are [`EmbedError`], converted into `StorageError` with the model or server named.
//! This crate stores nothing: the stores call it through core's `embed_missing` and `embed_query`.
#![forbid(unsafe_code)]

mod config;
mod error;
mod factory;
#[cfg(feature = "http")]
mod http;
#[cfg(feature = "local")]
mod local;
#[cfg(any(feature = "openai", feature = "ollama"))]
mod remote;
mod wire;

pub use crate::config::{DEFAULT_LOCAL_MODEL, EmbeddingConfig, ProviderKind};
pub use crate::error::{EmbedError, Result};
pub use crate::factory::{ConfiguredResolver, connect, hub_model_id};
#[cfg(feature = "local")]
pub use crate::local::LocalEmbedder;
#[cfg(any(feature = "openai", feature = "ollama"))]
pub use crate::remote::RemoteEmbedder;
pub use crate::wire::{EmbeddingData, EmbeddingsInput, EmbeddingsRequest, EmbeddingsResponse, EmbeddingsUsage};
