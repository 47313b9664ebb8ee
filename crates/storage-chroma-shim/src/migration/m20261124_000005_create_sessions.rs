//! Sessions, their messages and artifacts (each with a keyword index) and the agent registry.

use super::Migration;
use super::text_index::TextIndex;

pub(super) const MESSAGE_FTS: TextIndex = TextIndex {
    table: "message_fts",
    create: "CREATE VIRTUAL TABLE message_fts USING fts5(content, content='', contentless_delete=1, \
             tokenize='{tokenizer}')",
    drop: "DROP TABLE message_fts",
    fill: "INSERT INTO message_fts (rowid, content) SELECT pk, content FROM messages",
};

pub(super) const ARTIFACT_FTS: TextIndex = TextIndex {
    table: "artifact_fts",
    create: "CREATE VIRTUAL TABLE artifact_fts USING fts5(name, content, content='', contentless_delete=1, \
             tokenize='{tokenizer}')",
    drop: "DROP TABLE artifact_fts",
    fill: "INSERT INTO artifact_fts (rowid, name, content) SELECT pk, name, content FROM artifacts",
};

pub(super) const MIGRATION: Migration = Migration {
    name: "m20261124_000005_create_sessions",
    up: &[
        // Counts are not stored: they are counted at read time, so they cannot drift (a seed system's
        // counters did). Participants and metadata are JSON text.
        "CREATE TABLE sessions (
            pk INTEGER PRIMARY KEY,
            tenant TEXT NOT NULL,
            id TEXT NOT NULL,
            title TEXT NOT NULL,
            participants TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ({SessionStatus})),
            metadata TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_activity_at INTEGER NOT NULL,
            completed_at INTEGER,
            UNIQUE (tenant, id)
        ) STRICT",
        "CREATE INDEX sessions_by_activity ON sessions (tenant, last_activity_at DESC, id)",
        // AUTOINCREMENT never reuses a pk (it was the message's `seq` until migration 11 numbered each session).
        "CREATE TABLE messages (
            pk INTEGER PRIMARY KEY AUTOINCREMENT,
            session_pk INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
            id TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ({MessageRole})),
            content TEXT NOT NULL,
            format TEXT NOT NULL,
            metadata TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            UNIQUE (session_pk, id)
        ) STRICT",
        "CREATE INDEX messages_by_session ON messages (session_pk)",
        MESSAGE_FTS.create,
        // Artifact ids are unique per session, not globally (a seed system's global ids collided).
        "CREATE TABLE artifacts (
            pk INTEGER PRIMARY KEY,
            session_pk INTEGER NOT NULL REFERENCES sessions(pk) ON DELETE CASCADE,
            id TEXT NOT NULL,
            task_id TEXT,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            content TEXT NOT NULL,
            format TEXT NOT NULL,
            metadata TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (session_pk, id)
        ) STRICT",
        "CREATE INDEX artifacts_by_created ON artifacts (session_pk, created_at DESC)",
        ARTIFACT_FTS.create,
        "CREATE TABLE agents (
            tenant TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            capabilities TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ({AgentStatus})),
            last_heartbeat_at INTEGER,
            metadata TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (tenant, name)
        ) STRICT",
    ],
    down: &[
        "DROP TABLE agents",
        ARTIFACT_FTS.drop,
        "DROP TABLE artifacts",
        MESSAGE_FTS.drop,
        "DROP TABLE messages",
        "DROP TABLE sessions",
    ],
    owns_keyword_indexes: false,
};
