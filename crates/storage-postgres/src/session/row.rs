//! Column lists of the session tables and decoding of their rows into core's types.

use sea_orm::QueryResult;
use storage_core::StorageError;
use storage_core::session::{Agent, AgentStatus, Artifact, Message, MessageRole, Session, SessionStatus};

use crate::failure::decode_error;
use crate::ops::metadata_from;

/// Every column of a session, from `bs_sessions AS s`.
pub(super) const SESSION_COLUMNS: &str = "s.tenant, s.id, s.title, s.participants, s.status, s.metadata, \
     s.created_at, s.last_activity_at, s.completed_at, s.message_count, s.artifact_count, s.task_count";

/// Every column of a message, from `bs_messages AS m`.
pub(super) const MESSAGE_COLUMNS: &str =
    "m.session_id, m.id, m.seq, m.role, m.content, m.format, m.metadata, m.created_at";

/// Every column of an artifact, from `bs_artifacts AS a`.
pub(super) const ARTIFACT_COLUMNS: &str =
    "a.session_id, a.id, a.task_id, a.kind, a.name, a.content, a.format, a.metadata, a.created_at, a.updated_at";

/// Every column of an agent, from `bs_agents AS g`.
pub(super) const AGENT_COLUMNS: &str =
    "g.tenant, g.name, g.kind, g.capabilities, g.status, g.last_heartbeat_at, g.metadata, g.created_at, g.updated_at";

fn count(row: &QueryResult, column: &str) -> Result<u64, StorageError> {
    let n: i64 = row.try_get("", column).map_err(decode_error("a session"))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Decodes a session.
pub(super) fn session(row: &QueryResult) -> Result<Session, StorageError> {
    let get = decode_error("a session");
    let status: String = row.try_get("", "status").map_err(&get)?;
    Ok(Session {
        id: row.try_get("", "id").map_err(&get)?,
        tenant: row.try_get("", "tenant").map_err(&get)?,
        title: row.try_get("", "title").map_err(&get)?,
        participants: row.try_get("", "participants").map_err(&get)?,
        status: status.parse::<SessionStatus>()?,
        metadata: metadata_from(row.try_get("", "metadata").map_err(&get)?)?,
        created_at: row.try_get("", "created_at").map_err(&get)?,
        last_activity_at: row.try_get("", "last_activity_at").map_err(&get)?,
        completed_at: row.try_get("", "completed_at").map_err(&get)?,
        message_count: count(row, "message_count")?,
        artifact_count: count(row, "artifact_count")?,
        task_count: count(row, "task_count")?,
    })
}

/// Decodes a message.
pub(super) fn message(row: &QueryResult) -> Result<Message, StorageError> {
    let get = decode_error("a message");
    let role: String = row.try_get("", "role").map_err(&get)?;
    Ok(Message {
        session_id: row.try_get("", "session_id").map_err(&get)?,
        id: row.try_get("", "id").map_err(&get)?,
        seq: row.try_get("", "seq").map_err(&get)?,
        role: role.parse::<MessageRole>()?,
        content: row.try_get("", "content").map_err(&get)?,
        format: row.try_get("", "format").map_err(&get)?,
        metadata: metadata_from(row.try_get("", "metadata").map_err(&get)?)?,
        created_at: row.try_get("", "created_at").map_err(&get)?,
    })
}

/// Decodes an artifact.
pub(super) fn artifact(row: &QueryResult) -> Result<Artifact, StorageError> {
    let get = decode_error("an artifact");
    Ok(Artifact {
        session_id: row.try_get("", "session_id").map_err(&get)?,
        id: row.try_get("", "id").map_err(&get)?,
        task_id: row.try_get("", "task_id").map_err(&get)?,
        kind: row.try_get("", "kind").map_err(&get)?,
        name: row.try_get("", "name").map_err(&get)?,
        content: row.try_get("", "content").map_err(&get)?,
        format: row.try_get("", "format").map_err(&get)?,
        metadata: metadata_from(row.try_get("", "metadata").map_err(&get)?)?,
        created_at: row.try_get("", "created_at").map_err(&get)?,
        updated_at: row.try_get("", "updated_at").map_err(&get)?,
    })
}

/// Decodes an agent.
pub(super) fn agent(row: &QueryResult) -> Result<Agent, StorageError> {
    let get = decode_error("an agent");
    let status: String = row.try_get("", "status").map_err(&get)?;
    Ok(Agent {
        tenant: row.try_get("", "tenant").map_err(&get)?,
        name: row.try_get("", "name").map_err(&get)?,
        kind: row.try_get("", "kind").map_err(&get)?,
        capabilities: row.try_get("", "capabilities").map_err(&get)?,
        status: status.parse::<AgentStatus>()?,
        last_heartbeat_at: row.try_get("", "last_heartbeat_at").map_err(&get)?,
        metadata: metadata_from(row.try_get("", "metadata").map_err(&get)?)?,
        created_at: row.try_get("", "created_at").map_err(&get)?,
        updated_at: row.try_get("", "updated_at").map_err(&get)?,
    })
}
