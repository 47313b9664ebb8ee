//! Version 1: the `bs_collections` registry. Reverting it drops every collection's chunk table too.

use sea_orm::sea_query::{ColumnDef, Expr, Table};
use sea_orm::{ConnectionTrait, DbBackend, EntityTrait, QueryOrder, QuerySelect, Statement};
use sea_orm_migration::prelude::*;
use storage_core::CollectionName;

use crate::entity::prelude::{Collection, CollectionColumn};
use crate::schema::{ChunkTable, drop_chunk_table};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

// The trait spells `&SchemaManager` without its lifetime; a named `'_` would not match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let create = Table::create()
            .table("bs_collections")
            .if_not_exists()
            .col(ColumnDef::new("name").text().not_null().extra("COLLATE \"C\"").primary_key())
            .col(ColumnDef::new("language").text().not_null())
            .col(ColumnDef::new("provider").text().null())
            .col(ColumnDef::new("model").text().null())
            .col(ColumnDef::new("dimensions").integer().null())
            .col(ColumnDef::new("metric").text().null())
            .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null().default(Expr::cust("now()")))
            .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null().default(Expr::cust("now()")))
            .to_owned();
        manager.create_table(create).await
    }

    /// Chunk tables are created by `create_collection`, not by a migration, so reverting the registry
    /// walks it and drops each collection's table first.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let schema_row = db
            .query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, "SELECT current_schema() AS schema", []))
            .await?
            .ok_or_else(|| DbErr::Custom("current_schema() returned no row".to_owned()))?;
        let schema: String = schema_row.try_get("", "schema")?;
        // Only the name: the entity's later columns (BM25 parameters, …) are gone once their migrations
        // are reverted, so selecting the whole row would fail here.
        let names: Vec<String> = Collection::find()
            .select_only()
            .column(CollectionColumn::Name)
            .order_by_asc(CollectionColumn::Name)
            .into_tuple()
            .all(db)
            .await?;
        for name in names {
            let name = CollectionName::new(name).map_err(|error| DbErr::Custom(error.to_string()))?;
            drop_chunk_table(db, &ChunkTable::new(&schema, &name)).await?;
        }
        manager.drop_table(Table::drop().table("bs_collections").if_exists().to_owned()).await
    }
}
