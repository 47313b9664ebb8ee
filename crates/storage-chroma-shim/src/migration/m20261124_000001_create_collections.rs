//! Collections (each with its embedding space and change counter) and store-wide settings.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261124_000001_create_collections",
    up: &[
        // `uid` tells a re-created collection from a dropped one with the same id; `version` counts every
        // committed change, so other processes' in-memory vector indexes know when to reload.
        "CREATE TABLE collections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            uid TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 0,
            provider TEXT,
            model TEXT,
            dimensions INTEGER,
            metric TEXT,
            created_at INTEGER NOT NULL
        ) STRICT",
        "CREATE TABLE store_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
    ],
    down: &["DROP TABLE store_settings", "DROP TABLE collections"],
    owns_keyword_indexes: false,
};
