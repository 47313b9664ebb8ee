//! Version 8: staged re-embedding of the memory space (`memory/restage.rs`). `bs_memory_staged_space`
//! holds the space every memory is being re-embedded into (one row, like `bs_memory_space`);
//! `bs_memory_staged_vectors` the memories' new vectors, untyped `vector` so any dimension fits, each with
//! the revision (the memory's `updated_at` in microseconds) it was computed from. The memory table's typed
//! column and HNSW index are rebuilt once, at the switch.

use sea_orm_migration::prelude::*;

use super::ddl::ddl_migration;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

fn statements() -> Vec<String> {
    vec![
        "CREATE TABLE bs_memory_staged_space (\
            id smallint PRIMARY KEY DEFAULT 1 CONSTRAINT bs_memory_staged_space_single_row CHECK (id = 1), \
            provider text, \
            model text, \
            dimensions integer NOT NULL, \
            metric text NOT NULL, \
            created_at timestamptz NOT NULL DEFAULT now())"
            .to_owned(),
        "CREATE TABLE bs_memory_staged_vectors (\
            memory_id uuid PRIMARY KEY REFERENCES bs_memories (id) ON DELETE CASCADE, \
            space_id smallint NOT NULL DEFAULT 1 REFERENCES bs_memory_staged_space (id) ON DELETE CASCADE, \
            revision bigint NOT NULL, \
            embedding vector NOT NULL)"
            .to_owned(),
    ]
}

ddl_migration!(down: ["bs_memory_staged_vectors", "bs_memory_staged_space"]);
