//! Logs every change to a memory's embedding, so a process's in-memory memory vectors (`memory/vectors.rs`)
//! see the writes of every process, by whatever path: triggers cannot be bypassed by a write the Rust code
//! forgot to report.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261208_000013_log_memory_vector_changes",
    up: &[
        // One row per changed memory, newest last; its largest `seq` is the memory vectors' version.
        // AUTOINCREMENT, so a `seq` is never reused after pruning and a cache at version V needs exactly the
        // rows above V.
        "CREATE TABLE memory_vector_changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            memory_pk INTEGER NOT NULL
        ) STRICT",
        // Tells this log from one dropped and created again (a migration down and up in another process),
        // whose `seq` starts over.
        "CREATE TABLE memory_vector_log (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            uid TEXT NOT NULL
        ) STRICT",
        "INSERT INTO memory_vector_log (id, uid) VALUES (1, lower(hex(randomblob(16))))",
        // The last 10,000 changes are kept: a cache further behind than that reloads every vector anyway.
        // Stale flags, tenants and scopes are not logged: recall reads them from the table on every call, and
        // the cache holds vectors alone, keyed by pk.
        "CREATE TRIGGER memory_vector_inserted AFTER INSERT ON memories BEGIN
            INSERT INTO memory_vector_changes (memory_pk) VALUES (NEW.pk);
            DELETE FROM memory_vector_changes
                WHERE seq <= (SELECT max(seq) FROM memory_vector_changes) - 10000;
        END",
        "CREATE TRIGGER memory_vector_updated AFTER UPDATE OF embedding ON memories
            WHEN OLD.embedding IS NOT NEW.embedding BEGIN
            INSERT INTO memory_vector_changes (memory_pk) VALUES (NEW.pk);
            DELETE FROM memory_vector_changes
                WHERE seq <= (SELECT max(seq) FROM memory_vector_changes) - 10000;
        END",
        "CREATE TRIGGER memory_vector_deleted AFTER DELETE ON memories BEGIN
            INSERT INTO memory_vector_changes (memory_pk) VALUES (OLD.pk);
            DELETE FROM memory_vector_changes
                WHERE seq <= (SELECT max(seq) FROM memory_vector_changes) - 10000;
        END",
    ],
    down: &[
        "DROP TRIGGER memory_vector_deleted",
        "DROP TRIGGER memory_vector_updated",
        "DROP TRIGGER memory_vector_inserted",
        "DROP TABLE memory_vector_log",
        "DROP TABLE memory_vector_changes",
    ],
    owns_keyword_indexes: false,
};
