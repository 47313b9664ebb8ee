//! brainstore's protocol: what a store of agent knowledge is, independent of any database.
//!
//! - [`DocumentStore`]: the async trait every backend implements, used as `Arc<dyn DocumentStore>`.
//! - [`Embedder`], [`EmbedderResolver`]: text in, vectors out ([`Stores::with_resolver`] embeds what lacks one).
//! - Domain types: [`Chunk`], [`StoredChunk`], [`Metadata`], [`Embedding`], [`EmbeddingSpace`],
//!   [`CollectionName`], [`SearchRequest`], [`SearchHit`], [`GetRequest`], [`HealthReport`].
//! - [`filter`]: Chroma's `where` / `where_document` JSON as a typed AST, and the evaluator that defines it.
//! - [`reembed_collection`]: re-embedding a collection into a new space staged beside the current one.
//! - [`fusion`]: reciprocal rank and weighted min-max fusion for hybrid search.
//! - [`memory`], [`session`], [`task`]: agent memory, conversations and artifacts, and a shared task queue.
//! - [`StorageError`]: every failure, classified by cause, never carrying a password.
//! - [`views`]: what `--json` and the HTTP API show, defined once; `transfer` (feature): ingest, export, copy.
//! - `testing` (feature `testing`): the conformance suite every backend runs against a real database.
//!
//! No database here (no driver, no SQL): backends are `storage-postgres` and `storage-chroma-shim`.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod auto_embed;
mod collection;
mod columns;
mod document;
mod embedder;
mod embedding;
mod error;
pub mod filter;
pub mod fusion;
mod get;
mod health;
mod json;
pub mod keyword;
pub mod memory;
mod reembed;
mod request;
#[cfg(feature = "openapi")]
mod schema;
mod search;
pub mod session;
mod shown;
mod store;
mod stores;
pub mod task;
#[cfg(feature = "testing")]
pub mod testing;
mod text_enum;
#[cfg(feature = "transfer")]
pub mod transfer;
pub mod views;

pub use crate::auto_embed::needs_query_embedding;
pub use crate::collection::{CollectionInfo, CollectionName, MAX_COLLECTION_NAME_LEN, VectorIndexState};
pub use crate::columns::ChunkColumns;
pub use crate::document::{
    Chunk, MAX_BATCH_CHUNKS, MAX_ID_BYTES, MAX_METADATA_BYTES, MAX_TEXT_BYTES, Metadata, StoredChunk, UpsertSummary,
    ValidatedBatch, check_id, check_text, dedup_last_wins, generate_chunk_id, ids_or_generated, json_type_name,
    prepare_batch,
};
pub use crate::embedder::{
    Embedder, EmbedderResolver, check_embedder, check_embeddings, embed_missing, embed_one, embed_query,
};
pub use crate::embedding::{Embedding, EmbeddingSpace, MAX_DIMENSIONS, MAX_SQUARED_NORM, MIN_SQUARED_NORM, Metric};
pub use crate::error::{BoxError, ErrorKind, Result, StorageError, Uninitialized};
pub use crate::filter::{DocumentFilter, Filter};
pub use crate::fusion::{FusionMethod, FusionSettings, LegExplain};
pub use crate::get::{FetchedChunk, GetRequest, Include, MAX_GET_CHUNKS, hit_embeddings};
pub use crate::health::{HealthReport, PoolStatus};
pub use crate::json::from_json_value;
pub use crate::keyword::bm25::Bm25Params;
pub use crate::keyword::{
    ENGLISH_STOP_WORDS, KeywordGroup, KeywordMatch, KeywordQuery, KeywordTerm, TextLanguage, analyze, analyze_word,
    matched_terms, split_words, term_occurrences,
};
pub use crate::reembed::{
    DEFAULT_REEMBED_PAGE, PendingText, ReembedProgress, ReembedSummary, Restaged, StagedVector, check_pending_limit,
    check_staged_space, check_staged_vectors, check_switch, not_staged, reembed_collection, reembed_memories,
};
pub use crate::request::{
    MAX_PAGE_LIMIT, SearchDefaults, SearchInput, check_page_limit, check_range, out_of_range, page_limit,
};
pub use crate::search::{
    DEFAULT_TOP_K, MAX_QUERY_TEXT_BYTES, MAX_TOP_K, SearchHit, SearchMode, SearchRequest, check_query_text,
};
pub use crate::shown::{MAX_SHOWN_CHARS, quoted, shown};
pub use crate::store::{DocumentStore, ListRequest, MAX_LIST_LIMIT, MigrationInfo};
pub use crate::stores::Stores;
