//! A `bs_memories` row: its column list, decoding into core's `Memory`, and the SQL fragments every
//! memory statement shares (scope predicates, the keyword column).

use sea_orm::QueryResult;
use storage_core::StorageError;
use storage_core::memory::{Memory, MemoryStatus, MemoryTier, Scope};

use crate::failure::decode_error;
use crate::ops::{Sql, embedding_from, metadata_from};

/// Every column of a memory, from `bs_memories AS m`. The embedding is read as an untyped `vector`: replacing
/// the memory space retypes the column (`vector(N)`), and PostgreSQL refuses to run a statement that a pooled
/// connection prepared before the retyping when its result type changed ("cached plan must not change result
/// type"); without the dimension in the result type, no retyping changes it.
pub(super) const COLUMNS: &str = "m.id, m.tenant, m.agent_id, m.user_id, m.conversation_id, m.key, m.kind, \
     m.content, m.subject, m.tags, m.importance, m.confidence, m.pinned, m.source, m.status, m.tier, m.metadata, \
     m.embedding::vector AS embedding, m.embedding_model, m.stale, m.version, m.superseded_by, m.supersedes, m.related, m.created_at, \
     m.updated_at, m.last_accessed_at, m.access_count, m.expires_at";

/// Decodes one memory.
pub(super) fn decode(row: &QueryResult) -> Result<Memory, StorageError> {
    let get = decode_error("a memory");
    let status: String = row.try_get("", "status").map_err(&get)?;
    let tier: String = row.try_get("", "tier").map_err(&get)?;
    let importance: i16 = row.try_get("", "importance").map_err(&get)?;
    let version: i32 = row.try_get("", "version").map_err(&get)?;
    let access_count: i64 = row.try_get("", "access_count").map_err(&get)?;
    Ok(Memory {
        id: row.try_get("", "id").map_err(&get)?,
        scope: Scope {
            tenant: row.try_get("", "tenant").map_err(&get)?,
            agent: row.try_get("", "agent_id").map_err(&get)?,
            user: row.try_get("", "user_id").map_err(&get)?,
            conversation: row.try_get("", "conversation_id").map_err(&get)?,
        },
        key: row.try_get("", "key").map_err(&get)?,
        kind: row.try_get("", "kind").map_err(&get)?,
        content: row.try_get("", "content").map_err(&get)?,
        subject: row.try_get("", "subject").map_err(&get)?,
        tags: row.try_get("", "tags").map_err(&get)?,
        importance: u8::try_from(importance).unwrap_or(0),
        confidence: row.try_get("", "confidence").map_err(&get)?,
        pinned: row.try_get("", "pinned").map_err(&get)?,
        source: row.try_get("", "source").map_err(&get)?,
        status: status.parse::<MemoryStatus>()?,
        tier: tier.parse::<MemoryTier>()?,
        metadata: metadata_from(row.try_get("", "metadata").map_err(&get)?)?,
        embedding: embedding_from(row.try_get("", "embedding").map_err(&get)?)?,
        embedding_model: row.try_get("", "embedding_model").map_err(&get)?,
        stale: row.try_get("", "stale").map_err(&get)?,
        version: u32::try_from(version).unwrap_or(0),
        superseded_by: row.try_get("", "superseded_by").map_err(&get)?,
        supersedes: row.try_get("", "supersedes").map_err(&get)?,
        related: row.try_get("", "related").map_err(&get)?,
        created_at: row.try_get("", "created_at").map_err(&get)?,
        updated_at: row.try_get("", "updated_at").map_err(&get)?,
        last_accessed_at: row.try_get("", "last_accessed_at").map_err(&get)?,
        access_count: u64::try_from(access_count).unwrap_or(0),
        expires_at: row.try_get("", "expires_at").map_err(&get)?,
    })
}

fn scope_ids(scope: &Scope) -> [(&'static str, &Option<String>); 3] {
    [
        (" AND m.agent_id", &scope.agent),
        (" AND m.user_id", &scope.user),
        (" AND m.conversation_id", &scope.conversation),
    ]
}

/// `m.tenant = … AND m.agent_id = … / IS NULL …`: exactly this scope (keys and dedup are per scope).
/// Equality and `IS NULL`, not `IS NOT DISTINCT FROM`, so the scope indexes serve it.
pub(super) fn push_exact_scope(sql: &mut Sql, scope: &Scope) {
    sql.push("m.tenant = ").bind(scope.tenant.as_str());
    for (column, value) in scope_ids(scope) {
        sql.push(column);
        match value {
            Some(value) => sql.push(" = ").bind(value.as_str()),
            None => sql.push(" IS NULL"),
        };
    }
}

/// `m.tenant = … [AND m.agent_id = …]`: the memories a query for `scope` sees (core's `Scope::contains`:
/// ids the query leaves out match anything).
pub(super) fn push_within_scope(sql: &mut Sql, scope: &Scope) {
    sql.push("m.tenant = ").bind(scope.tenant.as_str());
    for (column, value) in scope_ids(scope) {
        if let Some(value) = value {
            sql.push(column).push(" = ").bind(value.as_str());
        }
    }
}

/// The keyword column's value: content (weight A) and tags (weight B) in the text-search `language`.
pub(super) fn push_tsv(sql: &mut Sql, language: &str, content: &str, tags: &[String]) {
    sql.push("setweight(to_tsvector(").bind(language).push("::regconfig, ").bind(content).push("), 'A') || ");
    sql.push("setweight(to_tsvector(").bind(language).push("::regconfig, array_to_string(").bind(tags.to_vec());
    sql.push("::text[], ' ')), 'B')");
}
