//! Version 9: `bs_memories_by_user (tenant, user_id, conversation_id)` and `bs_memories_by_agent (tenant,
//! agent_id)`, without a status predicate. Recall and the dedup check bind the status as a parameter, so once
//! PostgreSQL switches a prepared statement to its generic plan it cannot prove the `status = 'active'`
//! predicate of `bs_memories_active_scope`; without these indexes a user's recall then walked the HNSW index
//! of the whole tenant, filtering (23 ms against 4 ms at 10,000 memories of 10 users, `cargo xtask bench pg`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: [&str; 2] = [
    "CREATE INDEX bs_memories_by_user ON bs_memories (tenant, user_id, conversation_id)",
    "CREATE INDEX bs_memories_by_agent ON bs_memories (tenant, agent_id)",
];

const DOWN: [&str; 2] = ["DROP INDEX bs_memories_by_agent", "DROP INDEX bs_memories_by_user"];

// The trait spells `&SchemaManager` without its lifetime; a named `'_` would not match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl::run(manager, &UP.map(str::to_owned)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl::run(manager, &DOWN.map(str::to_owned)).await
    }
}
