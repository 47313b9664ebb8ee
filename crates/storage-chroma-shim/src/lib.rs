//! brainstore's embedded default backend: a Chroma-like local store in one folder, no server.
//!
//! - [`EmbeddedStore`] implements `storage_core::DocumentStore` on SQLite (through sea-orm, WAL mode):
//!   chunks and metadata in tables, keyword search in per-collection FTS5 indexes with BM25, vector search
//!   in an in-memory index rebuilt from the database and kept in step across processes; memory recall
//!   scores the memories' vectors from such an index too.
//! - [`EmbeddedConfig`] says where the data dir is and how to search; [`EmbeddedError`] covers config,
//!   open and migration failures and converts into `StorageError`.
//!
//! It is not a server and holds no background threads: several processes may open the same data dir,
//! readers never block each other and a second writer waits for the busy timeout. Behaviour is defined by
//! `storage-core` and checked by its conformance suite.

// The FTS5 auxiliary function `bs_bm25` needs SQLite's C API; only its registration and calls are unsafe.
#[allow(unsafe_code)]
mod bm25_rank;
mod columns;
mod config;
mod db;
mod error;
mod filter_sql;
mod fts5_query;
mod health;
mod index_cache;
mod memory;
mod migration;
mod ops;
mod reader;
mod schema;
mod session;
mod store;
mod task;
mod vector_index;
mod vector_kernels;

pub use crate::config::{DB_FILE_NAME, EmbeddedConfig};
pub use crate::error::EmbeddedError;
pub use crate::store::EmbeddedStore;

/// The README's library example, compiled and run as a doctest so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
