//! Indexes memories by user and by agent within a tenant. Without them a recall or a dedup check scoped to
//! one user read every memory of the tenant through the tenant-only indexes to find the user's, so its cost
//! grew with the whole tenant: on 10,000 memories of 10 users, the rows of one user's semantic leg took
//! 25 ms to read through `memories_by_access`, and 4.5 ms through `memories_by_user`.

use super::Migration;

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261207_000012_index_memories_by_scope",
    up: &[
        // `user_id = ?` implies `user_id IS NOT NULL`, so SQLite uses the partial indexes for scoped queries
        // and tenant-wide memories do not fill them.
        "CREATE INDEX memories_by_user ON memories (tenant, user_id, conversation) WHERE user_id IS NOT NULL",
        "CREATE INDEX memories_by_agent ON memories (tenant, agent) WHERE agent IS NOT NULL",
    ],
    down: &["DROP INDEX memories_by_agent", "DROP INDEX memories_by_user"],
    owns_keyword_indexes: false,
};
