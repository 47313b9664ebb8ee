//! Each collection's BM25 parameters `k1` and `b` (core's `Bm25Params`), defaults 1.2 and 0.75, which the
//! keyword leg passes to the `bs_bm25` ranking function.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261207_000009_collection_bm25_params",
    up: &[
        "ALTER TABLE collections ADD COLUMN bm25_k1 REAL NOT NULL DEFAULT 1.2 CHECK (bm25_k1 BETWEEN 0 AND 100)",
        "ALTER TABLE collections ADD COLUMN bm25_b REAL NOT NULL DEFAULT 0.75 CHECK (bm25_b BETWEEN 0 AND 1)",
    ],
    down: &["ALTER TABLE collections DROP COLUMN bm25_b", "ALTER TABLE collections DROP COLUMN bm25_k1"],
    owns_keyword_indexes: false,
};
