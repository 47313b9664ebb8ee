//! Memory rows: columns, decoding, and writes that keep the metadata side table and keyword index in step.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};
use storage_core::memory::{Memory, Scope};
use uuid::Uuid;

use crate::columns::{
    get, get_embedding, get_enum, get_json, get_opt_time, get_opt_uuid, get_time, get_u64, get_uuid, json, micros,
};
use crate::db::{placeholders, query_all, stmt};
use crate::filter_sql::{MetaTable, SqlCondition, meta_rows};
use crate::vector_index::to_blob;

/// Memory metadata, in a side table shaped like `chunk_meta`.
pub(super) const MEMORY_META: MetaTable = MetaTable { row_pk: "c.pk", table: "memory_meta", owner: "memory_pk" };

/// The columns a memory is written with, in `values` order.
const WRITE_COLUMNS: [&str; 29] = [
    "id",
    "tenant",
    "agent",
    "user_id",
    "conversation",
    "key",
    "kind",
    "content",
    "subject",
    "tags",
    "importance",
    "confidence",
    "pinned",
    "source",
    "status",
    "tier",
    "metadata",
    "embedding",
    "embedding_model",
    "stale",
    "version",
    "superseded_by",
    "supersedes",
    "related",
    "created_at",
    "updated_at",
    "last_accessed_at",
    "access_count",
    "expires_at",
];

/// Every column `decode` reads, on alias `c`.
pub(super) const COLUMNS: &str = "c.pk, c.id, c.tenant, c.agent, c.user_id, c.conversation, c.key, c.kind, \
    c.content, c.subject, c.tags, c.importance, c.confidence, c.pinned, c.source, c.status, c.tier, c.metadata, \
    c.embedding, c.embedding_model, c.stale, c.version, c.superseded_by, c.supersedes, c.related, c.created_at, \
    c.updated_at, c.last_accessed_at, c.access_count, c.expires_at";

/// A memory and its row's primary key.
#[derive(Clone, Debug)]
pub(super) struct StoredMemory {
    pub(super) pk: i64,
    pub(super) memory: Memory,
}

/// A row selected with [`COLUMNS`].
pub(super) fn decode(row: &QueryResult) -> Result<StoredMemory, DbErr> {
    let importance: i64 = get(row, "importance")?;
    let confidence: f64 = get(row, "confidence")?;
    let version: i64 = get(row, "version")?;
    #[allow(clippy::cast_possible_truncation)] // written from an f32
    let confidence = confidence as f32;
    let memory = Memory {
        id: get_uuid(row, "id")?,
        scope: Scope {
            tenant: get(row, "tenant")?,
            agent: get(row, "agent")?,
            user: get(row, "user_id")?,
            conversation: get(row, "conversation")?,
        },
        key: get(row, "key")?,
        kind: get(row, "kind")?,
        content: get(row, "content")?,
        subject: get(row, "subject")?,
        tags: get_json(row, "tags")?,
        importance: u8::try_from(importance).map_err(|e| DbErr::Type(format!("importance: {e}")))?,
        confidence,
        pinned: get::<i64>(row, "pinned")? != 0,
        source: get(row, "source")?,
        status: get_enum(row, "status")?,
        tier: get_enum(row, "tier")?,
        metadata: get_json(row, "metadata")?,
        embedding: get_embedding(row, "embedding")?,
        embedding_model: get(row, "embedding_model")?,
        stale: get::<i64>(row, "stale")? != 0,
        version: u32::try_from(version).map_err(|e| DbErr::Type(format!("version: {e}")))?,
        superseded_by: get_opt_uuid(row, "superseded_by")?,
        supersedes: get_opt_uuid(row, "supersedes")?,
        related: get_json(row, "related")?,
        created_at: get_time(row, "created_at")?,
        updated_at: get_time(row, "updated_at")?,
        last_accessed_at: get_time(row, "last_accessed_at")?,
        access_count: get_u64(row, "access_count")?,
        expires_at: get_opt_time(row, "expires_at")?,
    };
    Ok(StoredMemory { pk: get(row, "pk")?, memory })
}

fn values(memory: &Memory) -> Result<Vec<Value>, DbErr> {
    Ok(vec![
        memory.id.to_string().into(),
        memory.scope.tenant.clone().into(),
        memory.scope.agent.clone().into(),
        memory.scope.user.clone().into(),
        memory.scope.conversation.clone().into(),
        memory.key.clone().into(),
        memory.kind.clone().into(),
        memory.content.clone().into(),
        memory.subject.clone().into(),
        json(&memory.tags)?.into(),
        i64::from(memory.importance).into(),
        f64::from(memory.confidence).into(),
        i64::from(memory.pinned).into(),
        memory.source.clone().into(),
        memory.status.as_str().into(),
        memory.tier.as_str().into(),
        json(&memory.metadata)?.into(),
        memory.embedding.as_ref().map(|e| to_blob(e.as_slice())).into(),
        memory.embedding_model.clone().into(),
        i64::from(memory.stale).into(),
        i64::from(memory.version).into(),
        memory.superseded_by.map(|id| id.to_string()).into(),
        memory.supersedes.map(|id| id.to_string()).into(),
        json(&memory.related)?.into(),
        micros(memory.created_at).into(),
        micros(memory.updated_at).into(),
        micros(memory.last_accessed_at).into(),
        i64::try_from(memory.access_count).unwrap_or(i64::MAX).into(),
        memory.expires_at.map(micros).into(),
    ])
}

/// Inserts a memory with its metadata rows and keyword entry; returns its pk.
pub(super) async fn insert(conn: &impl ConnectionTrait, memory: &Memory) -> Result<i64, DbErr> {
    let sql = format!(
        "INSERT INTO memories ({}) VALUES ({}) RETURNING pk",
        WRITE_COLUMNS.join(", "),
        placeholders(WRITE_COLUMNS.len())
    );
    let row = conn.query_one_raw(stmt(&sql, values(memory)?)).await?.ok_or(DbErr::RecordNotInserted)?;
    let pk: i64 = row.try_get_by_index(0)?;
    write_side_rows(conn, pk, memory).await?;
    Ok(pk)
}

/// Rewrites every column of the memory at `pk` (stored as `old`) with `memory`, and its metadata rows and
/// keyword entry when what they hold changed: marking 10,000 memories stale re-tokenized every content for
/// nothing and took 6 s.
pub(super) async fn update(conn: &impl ConnectionTrait, pk: i64, old: &Memory, memory: &Memory) -> Result<(), DbErr> {
    let assignments: Vec<String> = WRITE_COLUMNS.iter().map(|column| format!("{column} = ?")).collect();
    let sql = format!("UPDATE memories SET {} WHERE pk = ?", assignments.join(", "));
    let mut values = values(memory)?;
    values.push(pk.into());
    conn.execute_raw(stmt(&sql, values)).await?;
    if old.content == memory.content && old.tags == memory.tags && old.metadata == memory.metadata {
        return Ok(());
    }
    delete_side_rows(conn, pk).await?;
    write_side_rows(conn, pk, memory).await
}

/// Deletes the memory at `pk` (its metadata rows go by cascade) and its keyword entry.
pub(super) async fn delete(conn: &impl ConnectionTrait, pk: i64) -> Result<(), DbErr> {
    conn.execute_raw(stmt("DELETE FROM memory_fts WHERE rowid = ?", vec![pk.into()])).await?;
    conn.execute_raw(stmt("DELETE FROM memories WHERE pk = ?", vec![pk.into()])).await?;
    Ok(())
}

async fn delete_side_rows(conn: &impl ConnectionTrait, pk: i64) -> Result<(), DbErr> {
    conn.execute_raw(stmt("DELETE FROM memory_meta WHERE memory_pk = ?", vec![pk.into()])).await?;
    conn.execute_raw(stmt("DELETE FROM memory_fts WHERE rowid = ?", vec![pk.into()])).await?;
    Ok(())
}

async fn write_side_rows(conn: &impl ConnectionTrait, pk: i64, memory: &Memory) -> Result<(), DbErr> {
    let rows = meta_rows(memory.metadata.as_map());
    // 6 values per row: far below SQLite's variable limit for any metadata under its size limit per batch.
    for part in rows.chunks(200) {
        let mut values: Vec<Value> = Vec::with_capacity(part.len() * 6);
        for (key, elem, kind, num, text) in part {
            values.extend([
                pk.into(),
                key.clone().into(),
                (*elem).into(),
                (*kind).into(),
                (*num).into(),
                text.clone().into(),
            ]);
        }
        let rows_sql = vec!["(?, ?, ?, ?, ?, ?)"; part.len()].join(", ");
        let sql = format!("INSERT INTO memory_meta (memory_pk, key, elem, kind, num, str) VALUES {rows_sql}");
        conn.execute_raw(stmt(&sql, values)).await?;
    }
    conn.execute_raw(stmt(
        "INSERT INTO memory_fts (rowid, content, tags) VALUES (?, ?, ?)",
        vec![pk.into(), memory.content.clone().into(), memory.tags.join(" ").into()],
    ))
    .await?;
    Ok(())
}

/// Memories matching `condition` (SQL on alias `c`), then `tail` (`ORDER BY ...`, `LIMIT ?`), with the
/// bound `values` of both.
pub(super) async fn select(
    conn: &impl ConnectionTrait,
    condition: &str,
    tail: &str,
    values: Vec<Value>,
) -> Result<Vec<StoredMemory>, DbErr> {
    let sql = format!("SELECT {COLUMNS} FROM memories c WHERE {condition} {tail}");
    query_all(conn, &sql, values, decode).await
}

/// The memory `id` of `tenant`.
pub(super) async fn by_id(conn: &impl ConnectionTrait, tenant: &str, id: Uuid) -> Result<Option<StoredMemory>, DbErr> {
    let found = select(conn, "c.tenant = ? AND c.id = ?", "", vec![tenant.into(), id.to_string().into()]).await?;
    Ok(found.into_iter().next())
}

/// The memory of exactly `scope` (absent ids equal) with `key`.
pub(super) async fn by_key(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    key: &str,
) -> Result<Option<StoredMemory>, DbErr> {
    // The same expressions as the unique index, so SQLite looks the key up in it.
    let condition = "c.tenant = ? AND coalesce(c.agent, '') = ? AND coalesce(c.user_id, '') = ? \
                     AND coalesce(c.conversation, '') = ? AND c.key = ?";
    let mut values = exact_scope_values(scope);
    values.push(key.into());
    Ok(select(conn, condition, "", values).await?.into_iter().next())
}

/// `tenant, agent, user, conversation` bound for a `coalesce(x, '') = ?` exact-scope test.
pub(super) fn exact_scope_values(scope: &Scope) -> Vec<Value> {
    let id = |value: &Option<String>| Value::from(value.clone().unwrap_or_default());
    vec![scope.tenant.clone().into(), id(&scope.agent), id(&scope.user), id(&scope.conversation)]
}

/// "Stored under `scope` or a narrower scope" on alias `c`: the tenant, and each id the scope names.
pub(super) fn scope_condition(scope: &Scope) -> SqlCondition {
    let mut condition =
        SqlCondition { sql: "c.tenant = ?".to_owned(), values: vec![scope.tenant.clone().into()], selective: false };
    for (column, value) in [("agent", &scope.agent), ("user_id", &scope.user), ("conversation", &scope.conversation)] {
        if let Some(value) = value {
            condition.sql.push_str(&format!(" AND c.{column} = ?"));
            condition.values.push(value.clone().into());
        }
    }
    condition
}

/// Memories by pk.
pub(super) async fn by_pks(conn: &impl ConnectionTrait, pks: &[i64]) -> Result<HashMap<i64, StoredMemory>, DbErr> {
    let mut found = HashMap::with_capacity(pks.len());
    for part in pks.chunks(500) {
        let condition = format!("c.pk IN ({})", placeholders(part.len()));
        let values = part.iter().map(|pk| Value::from(*pk)).collect();
        for stored in select(conn, &condition, "", values).await? {
            found.insert(stored.pk, stored);
        }
    }
    Ok(found)
}
