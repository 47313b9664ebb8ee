//! PostgreSQL + pgvector backend of brainstore: [`PostgresStore`] implements `storage_core::DocumentStore`.
//!
//! - [`PostgresConfig`]: connection, pool, TLS, text-search and HNSW settings (serde, validated), with
//!   `DATABASE_URL` parsing and a [`Password`] that never prints.
//! - [`PostgresStore::connect`] retries transient failures; `initialize` installs pgvector if allowed and
//!   applies versioned, reversible migrations under an advisory lock.
//! - Each collection is a table with a `vector(N)` column (HNSW, `halfvec` above 2000 dimensions), a
//!   weighted `tsvector` (GIN) and `jsonb` metadata (GIN); hybrid search is one SQL statement.
//! - [`PostgresError`] covers config, connect and migrate; it converts into `storage_core::StorageError`.
//!
//! - [`compose`]: a docker compose project for a local server (`brainstore compose`).
//!
//! It is not a general PostgreSQL client: only brainstore's tables, in the configured schema.
#![forbid(unsafe_code)]

#[cfg(feature = "bench")]
pub mod bench;
mod clock;
pub mod compose;
mod config;
mod connection;
mod entity;
mod error;
mod failure;
mod filter_sql;
mod health;
mod held;
mod memory;
mod migration;
mod ops;
mod rows;
mod schema;
mod segments;
mod session;
mod store;
mod task;
#[cfg(feature = "testing")]
pub mod testing;

pub use crate::config::{BUILT_IN_LANGUAGES, IterativeScan, Password, PostgresConfig, SslMode};
pub use crate::error::{PostgresError, Result};
pub use crate::schema::{SUMMARY_KEYS, TITLE_KEYS};
pub use crate::store::PostgresStore;
