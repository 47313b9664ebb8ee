//! Chunks (text, metadata JSON, f32 embedding blob), and the per-collection FTS5 keyword indexes over them.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261124_000002_create_chunks",
    up: &["CREATE TABLE chunks (
            pk INTEGER PRIMARY KEY,
            collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            text TEXT NOT NULL,
            metadata TEXT NOT NULL,
            embedding BLOB,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (collection_id, id)
        ) STRICT"],
    down: &["DROP TABLE chunks"],
    owns_keyword_indexes: true,
};
