//! Version 6: staged re-embedding (`ops/reembed.rs`). `bs_staged_spaces` holds the space a collection is
//! being re-embedded into; `bs_staged_vectors` its rows' new vectors, untyped `vector` so any dimension
//! fits, each with the revision (the row's `updated_at` in microseconds) it was computed from. The chunk
//! table's typed column and HNSW index are rebuilt once, at the switch.

use sea_orm_migration::prelude::*;

use super::ddl::ddl_migration;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

fn statements() -> Vec<String> {
    vec![
        "CREATE TABLE bs_staged_spaces (\
            collection text COLLATE \"C\" PRIMARY KEY REFERENCES bs_collections (name) ON DELETE CASCADE, \
            provider text, \
            model text, \
            dimensions integer NOT NULL, \
            metric text NOT NULL, \
            created_at timestamptz NOT NULL DEFAULT now())"
            .to_owned(),
        "CREATE TABLE bs_staged_vectors (\
            collection text COLLATE \"C\" NOT NULL REFERENCES bs_staged_spaces (collection) ON DELETE CASCADE, \
            id text COLLATE \"C\" NOT NULL, \
            revision bigint NOT NULL, \
            embedding vector NOT NULL, \
            PRIMARY KEY (collection, id))"
            .to_owned(),
    ]
}

ddl_migration!(down: ["bs_staged_vectors", "bs_staged_spaces"]);
