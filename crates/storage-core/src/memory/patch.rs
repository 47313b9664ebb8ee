//! `MemoryPatch`: the fields of a memory a caller gave, written over a `NewMemory`; and the successor rule
//! a supersede that names only what changes starts from (`NewMemory::succeeding`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::types::{Memory, MemoryTier, NewMemory, Scope};
use crate::{Embedding, Metadata};

/// The fields a caller gave; `None` / empty / `false` means "not given", so [`MemoryPatch::apply`] leaves
/// that field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryPatch {
    /// The handle unique within the scope.
    pub key: Option<String>,
    /// The kind.
    pub kind: Option<String>,
    /// The tags, replacing the old ones when any are given.
    pub tags: Vec<String>,
    /// 1 to 10.
    pub importance: Option<u8>,
    /// 0 to 1.
    pub confidence: Option<f32>,
    /// What the memory is about.
    pub subject: Option<String>,
    /// Where it came from.
    pub source: Option<String>,
    /// Pin it (a patch never unpins).
    pub pinned: bool,
    /// The tier.
    pub tier: Option<MemoryTier>,
    /// The embedding and the model that produced it, always together.
    pub embedding: Option<(Embedding, String)>,
    /// The metadata, replacing the old one.
    pub metadata: Option<Metadata>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Related memory ids, replacing the old ones when any are given.
    pub related: Vec<Uuid>,
}

impl MemoryPatch {
    /// Whether no field was given.
    pub fn is_empty(&self) -> bool {
        *self == MemoryPatch::default()
    }

    /// Writes every given field over `memory`, leaving the others as they are.
    pub fn apply(self, memory: &mut NewMemory) {
        let MemoryPatch {
            key,
            kind,
            tags,
            importance,
            confidence,
            subject,
            source,
            pinned,
            tier,
            embedding,
            metadata,
            expires_at,
            related,
        } = self;
        memory.key = key.or(memory.key.take());
        memory.kind = kind.unwrap_or(std::mem::take(&mut memory.kind));
        if !tags.is_empty() {
            memory.tags = tags;
        }
        memory.importance = importance.unwrap_or(memory.importance);
        memory.confidence = confidence.unwrap_or(memory.confidence);
        memory.subject = subject.or(memory.subject.take());
        memory.source = source.or(memory.source.take());
        memory.pinned |= pinned;
        memory.tier = tier.unwrap_or(memory.tier);
        if let Some((vector, model)) = embedding {
            memory.embedding = Some(vector);
            memory.embedding_model = Some(model);
        }
        memory.metadata = metadata.unwrap_or(std::mem::take(&mut memory.metadata));
        memory.expires_at = expires_at.or(memory.expires_at);
        if !related.is_empty() {
            memory.related = related;
        }
    }
}

impl NewMemory {
    /// The successor of `old` holding `content`: `scope`'s tenant, its agent, user and conversation where
    /// given (else `old`'s), and `old`'s other fields — but neither its embedding, which described the old
    /// content, nor its tier (a successor starts warm).
    pub fn succeeding(old: &Memory, scope: Scope, content: impl Into<String>) -> NewMemory {
        let scope = Scope {
            tenant: scope.tenant,
            agent: scope.agent.or_else(|| old.scope.agent.clone()),
            user: scope.user.or_else(|| old.scope.user.clone()),
            conversation: scope.conversation.or_else(|| old.scope.conversation.clone()),
        };
        NewMemory {
            key: old.key.clone(),
            kind: old.kind.clone(),
            subject: old.subject.clone(),
            tags: old.tags.clone(),
            importance: old.importance,
            confidence: old.confidence,
            pinned: old.pinned,
            source: old.source.clone(),
            tier: MemoryTier::Warm,
            metadata: old.metadata.clone(),
            related: old.related.clone(),
            expires_at: old.expires_at,
            ..NewMemory::new(scope, content)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_writes_only_what_it_gives_and_a_successor_keeps_the_old_fields_but_its_vector_and_tier() {
        let scope = Scope { tenant: "t".into(), agent: Some("a".into()), user: None, conversation: None };
        let mut old_new = NewMemory::new(scope.clone(), "old");
        old_new.subject = Some("s".into());
        let patch = MemoryPatch { importance: Some(9), tags: vec!["x".into()], ..MemoryPatch::default() };
        assert!(!patch.is_empty() && MemoryPatch::default().is_empty());
        patch.apply(&mut old_new);
        assert_eq!(
            (old_new.importance, old_new.tags.clone(), old_new.subject.clone()),
            (9, vec!["x".into()], Some("s".into()))
        );

        let old: Memory = serde_json::from_value(serde_json::json!({
            "id": Uuid::nil(), "scope": {"tenant": "t", "agent": "a", "user": "u"}, "kind": "decision",
            "content": "old", "tags": ["x"], "importance": 9, "confidence": 0.5, "pinned": true,
            "status": "active", "tier": "hot", "metadata": {}, "embedding": [1.0], "embedding_model": "m",
            "stale": false, "version": 1, "related": [], "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "last_accessed_at": "2026-01-01T00:00:00Z", "access_count": 0
        }))
        .unwrap();
        let given = Scope { tenant: "t".into(), agent: None, user: Some("v".into()), conversation: None };
        let next = NewMemory::succeeding(&old, given, "new");
        assert_eq!(
            (next.kind.as_str(), next.importance, next.pinned, next.tier),
            ("decision", 9, true, MemoryTier::Warm)
        );
        assert_eq!((next.scope.agent.as_deref(), next.scope.user.as_deref()), (Some("a"), Some("v")));
        assert!(next.embedding.is_none() && next.embedding_model.is_none());
    }
}
