//! Staged re-embedding of the memory space (`memory/restage.rs`): the space every memory is being
//! re-embedded into (one row, like `memory_space`), and the memories' new vectors beside their current
//! ones until the switch.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261207_000010_stage_memory_reembedding",
    up: &[
        "CREATE TABLE memory_staged_space (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            provider TEXT,
            model TEXT,
            dimensions INTEGER NOT NULL,
            metric TEXT NOT NULL,
            created_at INTEGER NOT NULL
        ) STRICT",
        // `revision` is the memory's `updated_at` when its content was read: a vector counts while they match.
        "CREATE TABLE memory_staged_vectors (
            memory_pk INTEGER PRIMARY KEY REFERENCES memories(pk) ON DELETE CASCADE,
            space_id INTEGER NOT NULL DEFAULT 1 REFERENCES memory_staged_space(id) ON DELETE CASCADE,
            revision INTEGER NOT NULL,
            embedding BLOB NOT NULL
        ) STRICT",
    ],
    down: &["DROP TABLE memory_staged_vectors", "DROP TABLE memory_staged_space"],
    owns_keyword_indexes: false,
};
