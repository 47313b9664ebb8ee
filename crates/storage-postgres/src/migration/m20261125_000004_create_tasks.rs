//! Version 4: the shared task queue `bs_tasks`.
//!
//! `UNIQUE (tenant, dedup_key)` makes enqueue idempotent (NULL keys never collide). The claim index covers
//! the claim order — highest priority, then oldest, then id — over the tasks a claim can take (pending, or
//! running with a lease that may have expired). A task is running exactly when it holds a lease.

use sea_orm_migration::prelude::*;
use storage_core::task::TaskStatus;

use super::ddl::{check_one_of, ddl_migration, literal, literal_list};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

fn statements() -> Vec<String> {
    let statuses: Vec<&'static str> = TaskStatus::ALL.iter().map(|s| s.as_str()).collect();
    let running = literal(TaskStatus::Running.as_str());
    let claimable = literal_list(&[TaskStatus::Pending.as_str(), TaskStatus::Running.as_str()]);
    vec![
        format!(
            "CREATE TABLE bs_tasks (\
                id uuid PRIMARY KEY, \
                tenant text NOT NULL, \
                session_id text COLLATE \"C\", \
                kind text NOT NULL, \
                payload jsonb NOT NULL, \
                priority integer NOT NULL DEFAULT 0, \
                target_agent text, \
                dedup_key text, \
                status text NOT NULL {status_check}, \
                attempts integer NOT NULL DEFAULT 0 CONSTRAINT bs_tasks_attempts_check CHECK (attempts >= 0), \
                max_attempts integer NOT NULL CONSTRAINT bs_tasks_max_attempts_check CHECK (max_attempts BETWEEN 1 AND 100), \
                retry_backoff_ms bigint NOT NULL CONSTRAINT bs_tasks_retry_backoff_ms_check CHECK (retry_backoff_ms >= 0), \
                not_before timestamptz NOT NULL, \
                claimed_by text, \
                lease_id uuid, \
                lease_expires_at timestamptz, \
                result jsonb, \
                last_error text, \
                created_at timestamptz NOT NULL, \
                updated_at timestamptz NOT NULL, \
                finished_at timestamptz, \
                CONSTRAINT bs_tasks_dedup_key UNIQUE (tenant, dedup_key), \
                CONSTRAINT bs_tasks_lease_check CHECK \
                    ((status = {running}) = (lease_id IS NOT NULL AND lease_expires_at IS NOT NULL)), \
                CONSTRAINT bs_tasks_session_fkey FOREIGN KEY (tenant, session_id) \
                    REFERENCES bs_sessions (tenant, id) ON DELETE SET NULL (session_id))",
            status_check = check_one_of("bs_tasks_status_check", "status", &statuses),
        ),
        format!(
            "CREATE INDEX bs_tasks_claim ON bs_tasks (tenant, priority DESC, created_at, id) \
                WHERE status IN ({claimable})"
        ),
        "CREATE INDEX bs_tasks_recent ON bs_tasks (tenant, created_at DESC, id)".to_owned(),
        "CREATE INDEX bs_tasks_session ON bs_tasks (tenant, session_id, status) WHERE session_id IS NOT NULL"
            .to_owned(),
    ]
}

ddl_migration!(down: ["bs_tasks"]);
