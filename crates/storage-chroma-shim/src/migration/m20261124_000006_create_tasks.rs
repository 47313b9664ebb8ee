//! The task queue: one table, claimed in priority order under SQLite's write lock.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261124_000006_create_tasks",
    up: &[
        // `id` is a UUIDv7, so "then by id" after equal creation times is enqueue order. `session_id` names
        // a session of the same tenant (checked on enqueue); tasks keep no foreign key so a queue can be
        // used without sessions. Several tasks without a dedup key are allowed: UNIQUE treats NULLs as
        // distinct.
        "CREATE TABLE tasks (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            tenant TEXT NOT NULL,
            session_id TEXT,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            priority INTEGER NOT NULL,
            target_agent TEXT,
            dedup_key TEXT,
            status TEXT NOT NULL CHECK (status IN ({TaskStatus})),
            attempts INTEGER NOT NULL CHECK (attempts >= 0),
            max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
            retry_backoff_ms INTEGER NOT NULL CHECK (retry_backoff_ms >= 0),
            not_before INTEGER NOT NULL,
            claimed_by TEXT,
            lease_id TEXT,
            lease_expires_at INTEGER,
            result TEXT,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            finished_at INTEGER,
            UNIQUE (tenant, dedup_key)
        ) STRICT",
        // The claim order within each status: highest priority, then oldest, then id.
        "CREATE INDEX tasks_claim_order ON tasks (tenant, status, priority DESC, created_at, id)",
        "CREATE INDEX tasks_by_created ON tasks (tenant, created_at DESC, id DESC)",
        "CREATE INDEX tasks_by_session ON tasks (tenant, session_id, status) WHERE session_id IS NOT NULL",
    ],
    down: &["DROP TABLE tasks"],
    owns_keyword_indexes: false,
};
