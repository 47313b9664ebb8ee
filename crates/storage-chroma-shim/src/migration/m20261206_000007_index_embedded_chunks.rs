//! A partial index of the chunks that carry an embedding, so a collection's embedded count (status,
//! `CollectionInfo`) is read from a small index rather than from every row's embedding.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261206_000007_index_embedded_chunks",
    up: &["CREATE INDEX chunks_embedded ON chunks (collection_id) WHERE embedding IS NOT NULL"],
    down: &["DROP INDEX chunks_embedded"],
    owns_keyword_indexes: false,
};
