//! The agent registry: register (upsert by tenant and name), heartbeat, list.

use sea_orm::{DbErr, QueryResult, Value};
use storage_core::StorageError;
use storage_core::session::{Agent, AgentStatus, NewAgent};

use crate::columns::{get, get_enum, get_json, get_opt_time, get_time, json, micros, now};
use crate::db::{Db, query_all, query_one};

const COLUMNS: &str = "tenant, name, kind, capabilities, status, last_heartbeat_at, metadata, created_at, updated_at";

fn decode(row: &QueryResult) -> Result<Agent, DbErr> {
    Ok(Agent {
        tenant: get(row, "tenant")?,
        name: get(row, "name")?,
        kind: get(row, "kind")?,
        capabilities: get_json(row, "capabilities")?,
        status: get_enum(row, "status")?,
        last_heartbeat_at: get_opt_time(row, "last_heartbeat_at")?,
        metadata: get_json(row, "metadata")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
    })
}

/// Registers or updates an agent: available, heartbeat now; a re-registration keeps `created_at`.
pub(super) async fn register(db: &Db, tenant: &str, agent: NewAgent) -> Result<Agent, StorageError> {
    let err = db.err("register agent");
    let at = micros(now());
    let sql = format!(
        "INSERT INTO agents ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant, name) DO UPDATE SET kind = excluded.kind, capabilities = excluded.capabilities,
             status = excluded.status, last_heartbeat_at = excluded.last_heartbeat_at,
             metadata = excluded.metadata, updated_at = excluded.updated_at
         RETURNING {COLUMNS}"
    );
    let values = vec![
        tenant.into(),
        agent.name.clone().into(),
        agent.kind.into(),
        json(&agent.capabilities).map_err(&err)?.into(),
        AgentStatus::Available.as_str().into(),
        at.into(),
        json(&agent.metadata).map_err(&err)?.into(),
        at.into(),
        at.into(),
    ];
    let txn = db.begin_write().await.map_err(&err)?;
    let registered =
        query_one(&txn, &sql, values, decode).await.map_err(&err)?.ok_or_else(|| err(DbErr::RecordNotInserted))?;
    txn.commit().await.map_err(&err)?;
    Ok(registered)
}

/// Records a heartbeat with the agent's status.
pub(super) async fn heartbeat(db: &Db, tenant: &str, name: &str, status: AgentStatus) -> Result<Agent, StorageError> {
    let err = db.err("agent heartbeat");
    let at = micros(now());
    let sql = format!(
        "UPDATE agents SET status = ?, last_heartbeat_at = ?, updated_at = ? WHERE tenant = ? AND name = ? \
         RETURNING {COLUMNS}"
    );
    let values = vec![status.as_str().into(), at.into(), at.into(), tenant.into(), name.into()];
    let txn = db.begin_write().await.map_err(&err)?;
    let agent = query_one(&txn, &sql, values, decode)
        .await
        .map_err(&err)?
        .ok_or_else(|| StorageError::NotFound { what: format!("agent `{name}` in tenant `{tenant}`") })?;
    txn.commit().await.map_err(&err)?;
    Ok(agent)
}

/// The tenant's agents by name, optionally only those with `status`.
pub(super) async fn list(db: &Db, tenant: &str, status: Option<AgentStatus>) -> Result<Vec<Agent>, StorageError> {
    let mut sql = format!("SELECT {COLUMNS} FROM agents WHERE tenant = ?");
    let mut values: Vec<Value> = vec![tenant.into()];
    if let Some(status) = status {
        sql.push_str(" AND status = ?");
        values.push(status.as_str().into());
    }
    sql.push_str(" ORDER BY name");
    query_all(&db.conn, &sql, values, decode).await.map_err(db.err("list agents"))
}
