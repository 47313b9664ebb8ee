//! Memories, their metadata side table and keyword index, the append-only audit log, the embedding space.

use super::Migration;
use super::text_index::TextIndex;

/// Content and tags, so recall finds a memory by either with one query.
pub(super) const MEMORY_FTS: TextIndex = TextIndex {
    table: "memory_fts",
    create: "CREATE VIRTUAL TABLE memory_fts USING fts5(content, tags, content='', contentless_delete=1, \
             tokenize='{tokenizer}')",
    drop: "DROP TABLE memory_fts",
    fill: "INSERT INTO memory_fts (rowid, content, tags)
            SELECT pk, content, (SELECT ifnull(group_concat(value, ' '), '') FROM json_each(memories.tags))
            FROM memories",
};

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261124_000004_create_memories",
    up: &[
        // Scope ids are NULL when absent; tags, related ids and metadata are JSON text; the embedding is an
        // f32 blob like a chunk's. Times are application-clock microseconds.
        "CREATE TABLE memories (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            tenant TEXT NOT NULL,
            agent TEXT,
            user_id TEXT,
            conversation TEXT,
            key TEXT,
            kind TEXT NOT NULL,
            content TEXT NOT NULL,
            subject TEXT,
            tags TEXT NOT NULL,
            importance INTEGER NOT NULL CHECK (importance BETWEEN 1 AND 10),
            confidence REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
            pinned INTEGER NOT NULL CHECK (pinned IN (0, 1)),
            source TEXT,
            status TEXT NOT NULL CHECK (status IN ({MemoryStatus})),
            tier TEXT NOT NULL CHECK (tier IN ({MemoryTier})),
            metadata TEXT NOT NULL,
            embedding BLOB,
            embedding_model TEXT,
            stale INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1)),
            version INTEGER NOT NULL CHECK (version >= 1),
            superseded_by TEXT,
            supersedes TEXT,
            related TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            last_accessed_at INTEGER NOT NULL,
            access_count INTEGER NOT NULL DEFAULT 0,
            expires_at INTEGER
        ) STRICT",
        // One key per scope, absent scope ids counting as equal (SQLite's UNIQUE treats NULLs as distinct;
        // '' stands for NULL, and validation refuses empty ids, so it cannot collide with a real one).
        "CREATE UNIQUE INDEX memories_by_scope_key ON memories
            (tenant, coalesce(agent, ''), coalesce(user_id, ''), coalesce(conversation, ''), key)
            WHERE key IS NOT NULL",
        "CREATE INDEX memories_by_created ON memories (tenant, created_at DESC, id)",
        "CREATE INDEX memories_by_access ON memories (tenant, last_accessed_at DESC, id)",
        "CREATE INDEX memories_by_kind ON memories (tenant, kind, status)",
        "CREATE INDEX memories_by_expiry ON memories (tenant, expires_at) WHERE expires_at IS NOT NULL",
        "CREATE INDEX memories_stale ON memories (tenant, created_at, id) WHERE stale = 1",
        // The same shape as chunk_meta, so filter_sql compiles memory filters too.
        metadata_table!("memory_meta", "memory_pk", "memories"),
        "CREATE INDEX memory_meta_by_memory ON memory_meta (memory_pk)",
        "CREATE INDEX memory_meta_by_text ON memory_meta (key, str) WHERE str IS NOT NULL",
        "CREATE INDEX memory_meta_by_number ON memory_meta (key, num) WHERE num IS NOT NULL",
        MEMORY_FTS.create,
        // No foreign key: the history of a forgotten memory stays. `old` and `new` are the memory as JSON.
        "CREATE TABLE memory_audit (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            memory_id TEXT NOT NULL,
            tenant TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ({AuditAction})),
            old TEXT,
            new TEXT,
            actor TEXT NOT NULL,
            reason TEXT,
            at INTEGER NOT NULL
        ) STRICT",
        "CREATE INDEX memory_audit_by_memory ON memory_audit (tenant, memory_id, at)",
        "CREATE TRIGGER memory_audit_no_update BEFORE UPDATE ON memory_audit
            BEGIN SELECT RAISE(ABORT, 'memory_audit is append-only'); END",
        "CREATE TRIGGER memory_audit_no_delete BEFORE DELETE ON memory_audit
            BEGIN SELECT RAISE(ABORT, 'memory_audit is append-only'); END",
        // At most one row: the space every memory embedding belongs to.
        "CREATE TABLE memory_space (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            provider TEXT,
            model TEXT,
            dimensions INTEGER NOT NULL CHECK (dimensions >= 1),
            metric TEXT NOT NULL CHECK (metric IN ({Metric}))
        ) STRICT",
    ],
    down: &[
        "DROP TABLE memory_space",
        "DROP TABLE memory_audit",
        MEMORY_FTS.drop,
        "DROP TABLE memory_meta",
        "DROP TABLE memories",
    ],
    owns_keyword_indexes: false,
};
