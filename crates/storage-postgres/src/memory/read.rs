//! Reading memories: by id or key (plain reads: only a recall counts as an access), pages newest first,
//! and stale memories oldest first.

use sea_orm::DatabaseConnection;
use storage_core::memory::{ListMemories, Memory, Scope};
use uuid::Uuid;

use super::row::{COLUMNS, decode, push_exact_scope, push_within_scope};
use crate::failure::OpResult;
use crate::ops::Sql;
use crate::rows::{query_all, query_one};

/// The one memory `select` picks.
async fn get_one(db: &DatabaseConnection, select: &(dyn Fn(&mut Sql) + Sync)) -> OpResult<Option<Memory>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_memories AS m WHERE ");
    select(&mut sql);
    query_one(db, sql, decode).await
}

/// One memory by id.
pub(super) async fn get(db: &DatabaseConnection, tenant: &str, id: Uuid) -> OpResult<Option<Memory>> {
    let select = |sql: &mut Sql| {
        sql.push("m.tenant = ").bind(tenant).push(" AND m.id = ").bind(id);
    };
    get_one(db, &select).await
}

/// One memory by scope and key.
pub(super) async fn get_by_key(db: &DatabaseConnection, scope: &Scope, key: &str) -> OpResult<Option<Memory>> {
    let select = |sql: &mut Sql| {
        push_exact_scope(sql, scope);
        sql.push(" AND m.key = ").bind(key);
    };
    get_one(db, &select).await
}

/// A page of memories, newest first, then id.
pub(super) async fn list(db: &DatabaseConnection, request: &ListMemories) -> OpResult<Vec<Memory>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_memories AS m WHERE ");
    push_within_scope(&mut sql, &request.scope);
    if !request.kinds.is_empty() {
        sql.push(" AND m.kind = ANY(").bind(request.kinds.clone()).push("::text[])");
    }
    if !request.statuses.is_empty() {
        let statuses: Vec<String> = request.statuses.iter().map(|s| s.as_str().to_owned()).collect();
        sql.push(" AND m.status = ANY(").bind(statuses).push("::text[])");
    }
    sql.push(" ORDER BY m.created_at DESC, m.id LIMIT ").bind(i64::try_from(request.limit).unwrap_or(i64::MAX));
    sql.push(" OFFSET ").bind(i64::try_from(request.offset).unwrap_or(i64::MAX));
    query_all(db, sql, decode).await
}

/// Up to `limit` stale memories of the tenant, oldest first.
pub(super) async fn stale(db: &DatabaseConnection, tenant: &str, limit: usize) -> OpResult<Vec<Memory>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(COLUMNS).push(" FROM bs_memories AS m WHERE m.tenant = ").bind(tenant);
    sql.push(" AND m.stale ORDER BY m.created_at, m.id LIMIT ").bind(i64::try_from(limit).unwrap_or(i64::MAX));
    query_all(db, sql, decode).await
}
