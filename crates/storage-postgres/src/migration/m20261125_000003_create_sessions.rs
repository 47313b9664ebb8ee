//! Version 3: collaborative sessions — `bs_sessions`, `bs_messages`, `bs_artifacts` with their full-text
//! segment tables, and the agent registry `bs_agents` (seed A's schema with its defects fixed).
//!
//! Everything is keyed by tenant: message and artifact ids are unique per session, not globally. Message
//! `seq` is gap-free per session (assigned under the session's row lock). Counts are kept in the same
//! transaction as the row they count and only when a row is really added, so they are exact. Long contents
//! are indexed as `tsvector` segments (`segments/`), because one `tsvector` cannot exceed 1 MB. Times are
//! `timestamptz` written from the application clock.

use sea_orm_migration::prelude::*;
use storage_core::session::{AgentStatus, MessageRole, SessionStatus};

use super::ddl::{check_one_of, ddl_migration, literal};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

fn statements() -> Vec<String> {
    let statuses: Vec<&'static str> = SessionStatus::ALL.iter().map(|s| s.as_str()).collect();
    let roles: Vec<&'static str> = MessageRole::ALL.iter().map(|r| r.as_str()).collect();
    let agent_statuses: Vec<&'static str> = AgentStatus::ALL.iter().map(|s| s.as_str()).collect();
    let completed = literal(SessionStatus::Completed.as_str());
    vec![
        format!(
            "CREATE TABLE bs_sessions (\
                tenant text NOT NULL, \
                id text COLLATE \"C\" NOT NULL, \
                title text NOT NULL, \
                participants text[] NOT NULL DEFAULT '{{}}', \
                status text NOT NULL {status_check}, \
                metadata jsonb NOT NULL DEFAULT '{{}}', \
                created_at timestamptz NOT NULL, \
                last_activity_at timestamptz NOT NULL, \
                completed_at timestamptz, \
                message_count bigint NOT NULL DEFAULT 0 CONSTRAINT bs_sessions_message_count_check CHECK (message_count >= 0), \
                artifact_count bigint NOT NULL DEFAULT 0 CONSTRAINT bs_sessions_artifact_count_check CHECK (artifact_count >= 0), \
                task_count bigint NOT NULL DEFAULT 0 CONSTRAINT bs_sessions_task_count_check CHECK (task_count >= 0), \
                PRIMARY KEY (tenant, id), \
                CONSTRAINT bs_sessions_completed_at_check CHECK ((status = {completed}) = (completed_at IS NOT NULL)))",
            status_check = check_one_of("bs_sessions_status_check", "status", &statuses),
        ),
        "CREATE INDEX bs_sessions_activity ON bs_sessions (tenant, last_activity_at DESC, id)".to_owned(),
        "CREATE INDEX bs_sessions_status_activity ON bs_sessions (tenant, status, last_activity_at DESC, id)"
            .to_owned(),
        "CREATE INDEX bs_sessions_participants ON bs_sessions USING gin (participants)".to_owned(),
        format!(
            "CREATE TABLE bs_messages (\
                tenant text NOT NULL, \
                session_id text COLLATE \"C\" NOT NULL, \
                seq bigint NOT NULL CONSTRAINT bs_messages_seq_check CHECK (seq > 0), \
                id text COLLATE \"C\" NOT NULL, \
                role text NOT NULL {role_check}, \
                content text NOT NULL, \
                format text NOT NULL, \
                metadata jsonb NOT NULL DEFAULT '{{}}', \
                created_at timestamptz NOT NULL, \
                PRIMARY KEY (tenant, session_id, seq), \
                CONSTRAINT bs_messages_id_key UNIQUE (tenant, session_id, id), \
                CONSTRAINT bs_messages_session_fkey FOREIGN KEY (tenant, session_id) \
                    REFERENCES bs_sessions (tenant, id) ON DELETE CASCADE)",
            role_check = check_one_of("bs_messages_role_check", "role", &roles),
        ),
        "CREATE TABLE bs_message_segments (\
            tenant text NOT NULL, \
            session_id text COLLATE \"C\" NOT NULL, \
            seq bigint NOT NULL, \
            segment integer NOT NULL, \
            tsv tsvector NOT NULL, \
            PRIMARY KEY (tenant, session_id, seq, segment), \
            CONSTRAINT bs_message_segments_message_fkey FOREIGN KEY (tenant, session_id, seq) \
                REFERENCES bs_messages (tenant, session_id, seq) ON DELETE CASCADE)"
            .to_owned(),
        "CREATE INDEX bs_message_segments_tsv ON bs_message_segments USING gin (tsv)".to_owned(),
        "CREATE TABLE bs_artifacts (\
            tenant text NOT NULL, \
            session_id text COLLATE \"C\" NOT NULL, \
            id text COLLATE \"C\" NOT NULL, \
            task_id text, \
            kind text NOT NULL, \
            name text NOT NULL, \
            content text NOT NULL, \
            format text NOT NULL, \
            metadata jsonb NOT NULL DEFAULT '{}', \
            created_at timestamptz NOT NULL, \
            updated_at timestamptz NOT NULL, \
            PRIMARY KEY (tenant, session_id, id), \
            CONSTRAINT bs_artifacts_session_fkey FOREIGN KEY (tenant, session_id) \
                REFERENCES bs_sessions (tenant, id) ON DELETE CASCADE)"
            .to_owned(),
        "CREATE INDEX bs_artifacts_recent ON bs_artifacts (tenant, session_id, created_at DESC, id)".to_owned(),
        "CREATE INDEX bs_artifacts_task ON bs_artifacts (tenant, task_id) WHERE task_id IS NOT NULL".to_owned(),
        "CREATE TABLE bs_artifact_segments (\
            tenant text NOT NULL, \
            session_id text COLLATE \"C\" NOT NULL, \
            artifact_id text COLLATE \"C\" NOT NULL, \
            segment integer NOT NULL, \
            tsv tsvector NOT NULL, \
            PRIMARY KEY (tenant, session_id, artifact_id, segment), \
            CONSTRAINT bs_artifact_segments_artifact_fkey FOREIGN KEY (tenant, session_id, artifact_id) \
                REFERENCES bs_artifacts (tenant, session_id, id) ON DELETE CASCADE)"
            .to_owned(),
        "CREATE INDEX bs_artifact_segments_tsv ON bs_artifact_segments USING gin (tsv)".to_owned(),
        format!(
            "CREATE TABLE bs_agents (\
                tenant text NOT NULL, \
                name text COLLATE \"C\" NOT NULL, \
                kind text NOT NULL, \
                capabilities text[] NOT NULL DEFAULT '{{}}', \
                status text NOT NULL {status_check}, \
                last_heartbeat_at timestamptz, \
                metadata jsonb NOT NULL DEFAULT '{{}}', \
                created_at timestamptz NOT NULL, \
                updated_at timestamptz NOT NULL, \
                PRIMARY KEY (tenant, name))",
            status_check = check_one_of("bs_agents_status_check", "status", &agent_statuses),
        ),
        "CREATE INDEX bs_agents_status ON bs_agents (tenant, status, name)".to_owned(),
    ]
}

ddl_migration!(down: [
    "bs_agents",
    "bs_artifact_segments",
    "bs_artifacts",
    "bs_message_segments",
    "bs_messages",
    "bs_sessions",
]);
