//! Staged re-embedding: the space a collection is being re-embedded into, and its rows' new vectors,
//! kept beside the current ones until the switch (`ops/reembed.rs`).

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261207_000008_stage_reembedding",
    up: &[
        "CREATE TABLE staged_spaces (
            collection_id INTEGER PRIMARY KEY REFERENCES collections(id) ON DELETE CASCADE,
            provider TEXT,
            model TEXT,
            dimensions INTEGER NOT NULL,
            metric TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT",
        // `revision` is the chunk's `updated_at` when its text was read: a vector counts while they match.
        "CREATE TABLE staged_vectors (
            chunk_pk INTEGER PRIMARY KEY REFERENCES chunks(pk) ON DELETE CASCADE,
            collection_id INTEGER NOT NULL REFERENCES staged_spaces(collection_id) ON DELETE CASCADE,
            revision INTEGER NOT NULL,
            embedding BLOB NOT NULL
        ) STRICT",
        "CREATE INDEX staged_vectors_collection ON staged_vectors (collection_id)",
    ],
    down: &["DROP TABLE staged_vectors", "DROP TABLE staged_spaces"],
    owns_keyword_indexes: false,
};
