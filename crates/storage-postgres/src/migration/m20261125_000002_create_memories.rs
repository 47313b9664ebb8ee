//! Version 2: agent memory — `bs_memories`, its append-only audit log `bs_memory_log` and the recorded
//! memory embedding space `bs_memory_space`.
//!
//! The `embedding` column is an untyped `vector` until the memory embedding space is recorded; then
//! `memory::space` types it `vector(N)` and builds its HNSW index (the dimensions are not known here). The
//! keyword column `tsv` (content weight A, tags weight B) is written by every statement that changes
//! content or tags, in the configured text-search language. The audit log has no foreign key, so history
//! survives deletes.

use sea_orm_migration::prelude::*;
use storage_core::memory::{AuditAction, MemoryStatus, MemoryTier};

use super::ddl::{check_one_of, ddl_migration, literal};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

fn statements() -> Vec<String> {
    let statuses: Vec<&'static str> = MemoryStatus::ALL.iter().map(|s| s.as_str()).collect();
    let tiers: Vec<&'static str> = MemoryTier::ALL.iter().map(|t| t.as_str()).collect();
    let actions: Vec<&'static str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    let active = literal(MemoryStatus::Active.as_str());
    vec![
        "CREATE TABLE bs_memory_space (\
            id smallint PRIMARY KEY DEFAULT 1 CONSTRAINT bs_memory_space_single_row CHECK (id = 1), \
            provider text, \
            model text, \
            dimensions integer NOT NULL CONSTRAINT bs_memory_space_dimensions_check CHECK (dimensions > 0), \
            metric text NOT NULL, \
            updated_at timestamptz NOT NULL)"
            .to_owned(),
        format!(
            "CREATE TABLE bs_memories (\
                id uuid PRIMARY KEY, \
                tenant text NOT NULL, \
                agent_id text, \
                user_id text, \
                conversation_id text, \
                key text, \
                kind text NOT NULL, \
                content text NOT NULL, \
                subject text, \
                tags text[] NOT NULL DEFAULT '{{}}', \
                importance smallint NOT NULL CONSTRAINT bs_memories_importance_check CHECK (importance BETWEEN 1 AND 10), \
                confidence real NOT NULL CONSTRAINT bs_memories_confidence_check CHECK (confidence >= 0 AND confidence <= 1), \
                pinned boolean NOT NULL DEFAULT false, \
                source text, \
                status text NOT NULL {status_check}, \
                tier text NOT NULL {tier_check}, \
                metadata jsonb NOT NULL DEFAULT '{{}}', \
                embedding vector, \
                embedding_model text, \
                stale boolean NOT NULL DEFAULT false, \
                version integer NOT NULL DEFAULT 1 CONSTRAINT bs_memories_version_check CHECK (version >= 1), \
                superseded_by uuid, \
                supersedes uuid, \
                related uuid[] NOT NULL DEFAULT '{{}}', \
                created_at timestamptz NOT NULL, \
                updated_at timestamptz NOT NULL, \
                last_accessed_at timestamptz NOT NULL, \
                access_count bigint NOT NULL DEFAULT 0 CONSTRAINT bs_memories_access_count_check CHECK (access_count >= 0), \
                expires_at timestamptz, \
                tsv tsvector NOT NULL)",
            status_check = check_one_of("bs_memories_status_check", "status", &statuses),
            tier_check = check_one_of("bs_memories_tier_check", "tier", &tiers),
        ),
        // "remember X as K": one key per scope; absent scope ids are equal to each other.
        "CREATE UNIQUE INDEX bs_memories_scope_key ON bs_memories \
            (tenant, agent_id, user_id, conversation_id, key) NULLS NOT DISTINCT WHERE key IS NOT NULL"
            .to_owned(),
        // Dedup candidates and scoped recall: active memories per scope and kind.
        format!(
            "CREATE INDEX bs_memories_active_scope ON bs_memories \
                (tenant, agent_id, user_id, conversation_id, kind) WHERE status = {active}"
        ),
        // Recall without a query: the most recently used active memories.
        format!(
            "CREATE INDEX bs_memories_active_recent ON bs_memories (tenant, last_accessed_at DESC) \
                WHERE status = {active}"
        ),
        "CREATE INDEX bs_memories_list ON bs_memories (tenant, created_at DESC, id)".to_owned(),
        "CREATE INDEX bs_memories_expiry ON bs_memories (tenant, expires_at) WHERE expires_at IS NOT NULL".to_owned(),
        "CREATE INDEX bs_memories_stale ON bs_memories (tenant, created_at, id) WHERE stale".to_owned(),
        "CREATE INDEX bs_memories_tags ON bs_memories USING gin (tags)".to_owned(),
        "CREATE INDEX bs_memories_tsv ON bs_memories USING gin (tsv)".to_owned(),
        "CREATE INDEX bs_memories_metadata ON bs_memories USING gin (metadata)".to_owned(),
        format!(
            "CREATE TABLE bs_memory_log (\
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
                memory_id uuid NOT NULL, \
                tenant text NOT NULL, \
                action text NOT NULL {action_check}, \
                old jsonb, \
                new jsonb, \
                actor text NOT NULL, \
                reason text, \
                at timestamptz NOT NULL)",
            action_check = check_one_of("bs_memory_log_action_check", "action", &actions),
        ),
        "CREATE INDEX bs_memory_log_memory ON bs_memory_log (tenant, memory_id, seq)".to_owned(),
    ]
}

ddl_migration!(down: ["bs_memory_log", "bs_memories", "bs_memory_space"]);
