//! The agent registry: register (upsert by tenant and name, available, heartbeat now), heartbeats and
//! listing by name.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use storage_core::StorageError;
use storage_core::session::{Agent, AgentStatus, NewAgent};

use super::row::{AGENT_COLUMNS, agent};
use crate::failure::OpResult;
use crate::ops::Sql;
use crate::rows::{query_all, query_one};

/// Registers or updates an agent: kind, capabilities and metadata replaced, status `available`, heartbeat now.
pub(super) async fn register(
    db: &DatabaseConnection,
    tenant: &str,
    new: NewAgent,
    now: DateTime<Utc>,
) -> OpResult<Agent> {
    let mut sql = Sql::new();
    sql.push("INSERT INTO bs_agents AS g (tenant, name, kind, capabilities, status, last_heartbeat_at, metadata, ");
    sql.push("created_at, updated_at) VALUES (").bind(tenant).push(", ").bind(new.name.as_str()).push(", ");
    sql.bind(new.kind.as_str()).push(", ").bind(new.capabilities.clone()).push("::text[], ");
    sql.bind(AgentStatus::Available.as_str()).push(", ").bind(now).push(", ").bind(new.metadata.to_value());
    sql.push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT (tenant, name) DO UPDATE SET kind = EXCLUDED.kind, ");
    sql.push("capabilities = EXCLUDED.capabilities, status = EXCLUDED.status, last_heartbeat_at = EXCLUDED.last_heartbeat_at, ");
    sql.push("metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at RETURNING ").push(AGENT_COLUMNS);
    query_one(db, sql, agent).await?.ok_or_else(|| StorageError::backend("register_agent", "no row returned").into())
}

/// Records a heartbeat and status.
pub(super) async fn heartbeat(
    db: &DatabaseConnection,
    tenant: &str,
    name: &str,
    status: AgentStatus,
    now: DateTime<Utc>,
) -> OpResult<Agent> {
    let mut sql = Sql::new();
    sql.push("UPDATE bs_agents AS g SET status = ").bind(status.as_str()).push(", last_heartbeat_at = ").bind(now);
    sql.push(", updated_at = ").bind(now).push(" WHERE g.tenant = ").bind(tenant).push(" AND g.name = ").bind(name);
    sql.push(" RETURNING ").push(AGENT_COLUMNS);
    query_one(db, sql, agent)
        .await?
        .ok_or_else(|| StorageError::NotFound { what: format!("agent `{name}` in tenant `{tenant}`") }.into())
}

/// Agents of the tenant by name, optionally of one status.
pub(super) async fn list(db: &DatabaseConnection, tenant: &str, status: Option<AgentStatus>) -> OpResult<Vec<Agent>> {
    let mut sql = Sql::new();
    sql.push("SELECT ").push(AGENT_COLUMNS).push(" FROM bs_agents AS g WHERE g.tenant = ").bind(tenant);
    if let Some(status) = status {
        sql.push(" AND g.status = ").bind(status.as_str());
    }
    sql.push(" ORDER BY g.name");
    query_all(db, sql, agent).await
}
