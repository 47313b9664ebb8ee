//! Version 10: every recall's access bump (`access_count`, `last_accessed_at`) becomes a HOT update. It drops
//! `bs_memories_active_recent (tenant, last_accessed_at DESC)` and gives `bs_memories` a fillfactor of 80.
//!
//! While an index covered `last_accessed_at`, PostgreSQL could not update a bumped row in place: each bump wrote a new
//! entry in every index of the row, the HNSW index included (22.8 ms and 13,346 buffers for one bump of 10 memories
//! after `cargo xtask bench pg`, beside 4 to 5 ms for the candidates, and ~16% of updates HOT). With no index on either
//! column, the new row version goes on the same page when the page has room, and no index is touched. A memory with a
//! 384-d inline embedding takes about 1.8 kB, four to a page: fillfactor 90 leaves 819 bytes, too little for another
//! version (21% of the 2,000 row updates of 200 bumps were HOT at 10,000 memories, and the table grew by half within
//! 8,000 row updates); 80 keeps three to a page and 2.9 kB free, and every one was HOT, for a heap a third larger.
//! Larger rows (up to 1,024 dimensions are stored inline) fit fewer to a page and may still miss the room; smaller ones
//! have more than enough. `ALTER TABLE … SET (fillfactor)` only shapes pages written afterwards: on an existing table
//! the bumps become HOT as rows move to pages written since (60%, 83%, then 93% of three rounds of 2,000 row updates on
//! a table filled before the change), or at once after `VACUUM FULL bs_memories`, which a migration cannot run inside
//! its transaction.
//!
//! The cost moves to queryless recall, whose recency leg orders by `last_accessed_at`. A user's or an agent's queryless
//! recall reads the scope's rows through `bs_memories_by_user` / `bs_memories_by_agent` and keeps the newest with a
//! top-N heap sort (1,000 rows: the same plan its generic prepared plan used before). A tenant-wide one now reads and
//! top-N sorts every memory of the tenant (a sequential scan of 10,000 rows, 9 to 22 ms on a loaded 2-core machine,
//! against 5 to 9 ms when its custom plan could walk the dropped index). That trade is right: every recall bumps, a
//! queryless tenant-wide recall is the rare case, its importance leg already scanned the tenant, and recall binds its
//! statuses as a parameter, so once a prepared statement switched to its generic plan it could not prove the dropped
//! index's `status = 'active'` predicate and scanned anyway.

use sea_orm_migration::prelude::*;
use storage_core::memory::MemoryStatus;

use super::ddl::literal;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

fn up_statements() -> Vec<String> {
    vec!["DROP INDEX bs_memories_active_recent".to_owned(), "ALTER TABLE bs_memories SET (fillfactor = 80)".to_owned()]
}

/// Restores version 9 exactly: the index as version 2 created it, and no storage parameter.
fn down_statements() -> Vec<String> {
    let active = literal(MemoryStatus::Active.as_str());
    vec![
        "ALTER TABLE bs_memories RESET (fillfactor)".to_owned(),
        format!(
            "CREATE INDEX bs_memories_active_recent ON bs_memories (tenant, last_accessed_at DESC) \
                WHERE status = {active}"
        ),
    ]
}

// The trait spells `&SchemaManager` without its lifetime; a named `'_` would not match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl::run(manager, &up_statements()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        super::ddl::run(manager, &down_statements()).await
    }
}
