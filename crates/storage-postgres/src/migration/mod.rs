//! The versioned, reversible schema migrations (sea-orm-migration), applied under a PostgreSQL advisory
//! lock so two processes starting together do not race.
//!
//! A migration's version is its 1-based position in [`Migrator::migrations`]. To add one, write
//! `mYYYYMMDD_NNNNNN_verb_object.rs` with `up` and `down`, and append it to the list (never edit a landed
//! one). A migration that changes chunk tables must walk the `bs_collections` registry, because chunk tables
//! are created by `create_collection`, not by a migration.

mod ddl;
mod m20261124_000001_create_collections;
mod m20261125_000002_create_memories;
mod m20261125_000003_create_sessions;
mod m20261125_000004_create_tasks;
mod m20261206_000005_keyword_bm25;
mod m20261207_000006_stage_reembedding;
mod m20261207_000007_collection_bm25_params;
mod m20261207_000008_stage_memory_reembedding;
mod m20261208_000009_index_memories_by_scope;
mod m20261208_000010_make_access_bump_hot;

use sea_orm::sea_query::{Alias, IntoIden};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, DynIden, Statement, TransactionTrait,
};
use sea_orm_migration::{MigrationStatus, MigrationTrait, MigratorTrait};
use storage_core::MigrationInfo;

use crate::config::{PostgresConfig, is_plain_identifier};
use crate::error::{PostgresError, db_cause, sqlstate, sqlx_cause};
use crate::ops::probe::pgvector_version;

/// The advisory lock every schema change takes (`pg_advisory_xact_lock`), one key for the database.
pub(crate) const SCHEMA_LOCK_KEY: i64 = 0x6273_6d69_6772_6174; // "bsmigrat"

/// brainstore's migrations, in order.
pub(crate) struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_create_collections::Migration),
            Box::new(m20261125_000002_create_memories::Migration),
            Box::new(m20261125_000003_create_sessions::Migration),
            Box::new(m20261125_000004_create_tasks::Migration),
            Box::new(m20261206_000005_keyword_bm25::Migration),
            Box::new(m20261207_000006_stage_reembedding::Migration),
            Box::new(m20261207_000007_collection_bm25_params::Migration),
            Box::new(m20261207_000008_stage_memory_reembedding::Migration),
            Box::new(m20261208_000009_index_memories_by_scope::Migration),
            Box::new(m20261208_000010_make_access_bump_hot::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        Alias::new("bs_migrations").into_iden()
    }
}

fn infos(migrations: &[sea_orm_migration::Migration]) -> Vec<MigrationInfo> {
    migrations
        .iter()
        .enumerate()
        .map(|(idx, migration)| MigrationInfo {
            version: u32::try_from(idx + 1).unwrap_or(u32::MAX),
            name: migration.name().to_owned(),
            applied: migration.status() == MigrationStatus::Applied,
        })
        .collect()
}

/// Every migration and whether it is applied, without creating anything.
pub(crate) async fn status(db: &DatabaseConnection) -> Result<Vec<MigrationInfo>, DbErr> {
    Ok(infos(&Migrator::get_migration_with_status_read_only(db).await?))
}

/// Opens a transaction holding the schema lock.
pub(crate) async fn locked(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let txn = db.begin().await?;
    let lock = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [SCHEMA_LOCK_KEY.into()],
    );
    txn.execute_raw(lock).await?;
    Ok(txn)
}

/// Creates `schema` unless it exists (checked first, so a user without CREATE on the database can use an
/// existing schema).
pub(crate) async fn ensure_schema<C: ConnectionTrait>(db: &C, schema: &str) -> Result<(), DbErr> {
    let exists = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS present",
        [schema.into()],
    );
    let present: bool = match db.query_one_raw(exists).await? {
        Some(row) => row.try_get("", "present")?,
        None => false,
    };
    if present {
        return Ok(());
    }
    if !is_plain_identifier(schema, 63) {
        return Err(DbErr::Custom(format!("schema `{}` is not a plain identifier", schema.escape_debug())));
    }
    // Static DDL around a schema name validated as a plain lowercase identifier just above.
    #[allow(clippy::disallowed_methods)]
    let create = Statement::from_string(DbBackend::Postgres, format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""));
    db.execute_raw(create).await.map(|_| ())
}

/// Installs pgvector unless it is there. When this user may not (or the server lacks the package), the
/// error names the statement an administrator must run.
pub(crate) async fn ensure_extension(txn: &DatabaseTransaction, config: &PostgresConfig) -> Result<(), PostgresError> {
    let migrate = |operation: &str| {
        let operation = operation.to_owned();
        move |error: DbErr| PostgresError::Migrate { operation, source: db_cause(error) }
    };
    if pgvector_version(txn).await.map_err(migrate("reading the pgvector version"))?.is_some() {
        return Ok(());
    }
    let public = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'public') AS present",
        [],
    );
    let public_exists = match txn.query_one_raw(public).await.map_err(migrate("looking for schema public"))? {
        Some(row) => row.try_get::<bool>("", "present").map_err(migrate("looking for schema public"))?,
        None => false,
    };
    // In `public` when it exists, so dropping brainstore's schema never drops the extension others use.
    let create = if public_exists {
        "CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public"
    } else {
        "CREATE EXTENSION IF NOT EXISTS vector"
    };
    match txn.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, create, [])).await {
        Ok(_) => Ok(()),
        Err(error) => {
            let code = sqlx_cause(&error).and_then(sqlstate).unwrap_or_default();
            // 42501: not allowed; 0A000 / 58P01: the server does not have the pgvector package.
            if matches!(code.as_str(), "42501" | "0A000" | "58P01") {
                Err(PostgresError::ExtensionMissing {
                    database: config.database.clone(),
                    user: config.user.clone(),
                    source: db_cause(error),
                })
            } else {
                Err(migrate("installing pgvector")(error))
            }
        }
    }
}

/// Applies pending migrations up to version `to` (all for `None`) inside `txn`; returns the ones applied.
pub(crate) async fn up_in(txn: &DatabaseTransaction, to: Option<u32>) -> Result<Vec<MigrationInfo>, DbErr> {
    let before = infos(&Migrator::get_migration_with_status(txn).await?);
    let total = u32::try_from(before.len()).unwrap_or(u32::MAX);
    let target = to.unwrap_or(total);
    if target > total {
        return Err(DbErr::Custom(format!("there are {total} migrations; cannot migrate up to version {target}")));
    }
    let applied = u32::try_from(before.iter().filter(|m| m.applied).count()).unwrap_or(u32::MAX);
    if target > applied {
        Migrator::up(txn, Some(target - applied)).await?;
    }
    let after = infos(&Migrator::get_migration_with_status(txn).await?);
    Ok(after.into_iter().zip(before).filter(|(now, then)| now.applied && !then.applied).map(|(now, _)| now).collect())
}

/// Reverts applied migrations above version `to` inside `txn`, newest first; returns the ones reverted.
/// Down to 0 also drops the migration table, leaving nothing of brainstore in the schema.
pub(crate) async fn down_in(txn: &DatabaseTransaction, to: u32) -> Result<Vec<MigrationInfo>, DbErr> {
    let before = infos(&Migrator::get_migration_with_status(txn).await?);
    let applied = u32::try_from(before.iter().filter(|m| m.applied).count()).unwrap_or(u32::MAX);
    if applied > to {
        Migrator::down(txn, Some(applied - to)).await?;
    }
    let after = infos(&Migrator::get_migration_with_status(txn).await?);
    let mut reverted: Vec<MigrationInfo> =
        after.into_iter().zip(before).filter(|(now, then)| !now.applied && then.applied).map(|(now, _)| now).collect();
    reverted.reverse();
    if to == 0 {
        Migrator::uninstall(txn).await?;
    }
    Ok(reverted)
}
