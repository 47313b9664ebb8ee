//! The metadata side table filters run on: one row per top-level key and per scalar array element.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261124_000003_create_metadata_index",
    up: &[
        // elem: 0 for the key's value, 1 for a scalar element of an array value. kind: see filter_sql::kind.
        metadata_table!("chunk_meta", "chunk_pk", "chunks"),
        "CREATE INDEX chunk_meta_by_chunk ON chunk_meta (chunk_pk)",
        // Partial indexes: each row is a string or a number (or neither), so each index holds only its kind,
        // and `str = ?` / `num > ?` imply the `IS NOT NULL`, which lets the planner use them.
        "CREATE INDEX chunk_meta_by_text ON chunk_meta (key, str) WHERE str IS NOT NULL",
        "CREATE INDEX chunk_meta_by_number ON chunk_meta (key, num) WHERE num IS NOT NULL",
        "INSERT INTO chunk_meta (chunk_pk, key, elem, kind, num, str)
            SELECT c.pk, j.key, 0,
                CASE j.type WHEN 'null' THEN 0 WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'integer' THEN 2
                    WHEN 'real' THEN 2 WHEN 'text' THEN 3 WHEN 'array' THEN 4 ELSE 5 END,
                CASE j.type WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 WHEN 'integer' THEN j.value
                    WHEN 'real' THEN j.value ELSE NULL END,
                CASE j.type WHEN 'text' THEN j.value ELSE NULL END
            FROM chunks c, json_each(c.metadata) j",
        "INSERT INTO chunk_meta (chunk_pk, key, elem, kind, num, str)
            SELECT c.pk, j.key, 1,
                CASE e.type WHEN 'true' THEN 1 WHEN 'false' THEN 1 WHEN 'text' THEN 3 ELSE 2 END,
                CASE e.type WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 WHEN 'text' THEN NULL ELSE e.value END,
                CASE e.type WHEN 'text' THEN e.value ELSE NULL END
            FROM chunks c, json_each(c.metadata) j, json_each(j.value) e
            WHERE j.type = 'array' AND e.type IN ('true', 'false', 'integer', 'real', 'text')",
    ],
    down: &["DROP TABLE chunk_meta"],
    owns_keyword_indexes: false,
};
