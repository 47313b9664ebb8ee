//! Version 7: each collection's BM25 parameters `k1` and `b` (core's `Bm25Params`), defaults 1.2 and 0.75,
//! set with `DocumentStore::set_bm25_params`; the keyword SQL binds them per query.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// Static SQL text of this file. The trait spells `&SchemaManager` without its lifetime; a named `'_` would
// not match it.
#[allow(clippy::disallowed_methods, elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = "ALTER TABLE bs_collections \
                   ADD COLUMN bm25_k1 double precision NOT NULL DEFAULT 1.2 CHECK (bm25_k1 BETWEEN 0 AND 100), \
                   ADD COLUMN bm25_b double precision NOT NULL DEFAULT 0.75 CHECK (bm25_b BETWEEN 0 AND 1)";
        manager.get_connection().execute_raw(Statement::from_string(DbBackend::Postgres, ddl)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let ddl = "ALTER TABLE bs_collections DROP COLUMN bm25_k1, DROP COLUMN bm25_b";
        manager.get_connection().execute_raw(Statement::from_string(DbBackend::Postgres, ddl)).await?;
        Ok(())
    }
}
