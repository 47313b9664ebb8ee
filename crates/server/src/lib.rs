//! brainstore's HTTP API: every protocol of one store (`storage_core::Stores`) over axum, with an OpenAPI
//! 3.1 document generated from the same route list.
//!
//! - [`router`]: the routes and their middleware (bearer auth, body limit, timeout, JSON errors, request
//!   ids and tracing) over a `Stores` bundle, the `search:` defaults and a [`ServerConfig`].
//! - [`serve`]: runs a router on a listener until a shutdown signal ([`shutdown_signal`]), with a
//!   header-read timeout and a connection limit.
//! - [`openapi`]: the document `GET /openapi.json` serves (committed as `docs/openapi.json`).
//! - [`with_embedder`]: the embedder `POST /v1/embeddings` (OpenAI's shape) answers with.
//! - [`ServerConfig`]: the `server:` configuration section, and the rule that a non-loopback bind needs a
//!   [`BearerToken`].
//!
//! This crate opens no store and reads no configuration file: the `brainstore serve` command does both
//! and calls it. Every error is `{"error": {"code", "message"}}`; see `docs/http-api.md`.
#![forbid(unsafe_code)]

mod app;
mod auth;
mod config;
mod dto;
mod error;
mod extract;
mod guard;
mod listen;
mod openapi;
mod routes;
mod state;
#[cfg(test)]
mod tests;

pub use crate::app::{openapi, router};
pub use crate::config::{BearerToken, DEFAULT_BIND, MIN_TOKEN_LEN, ServerConfig};
pub use crate::error::ServerError;
pub use crate::listen::{serve, shutdown_signal};
pub use crate::routes::embeddings::with_embedder;
