//! What `remember` writes over an existing memory: the rules for an update by key and for a merge into a
//! near-duplicate, written once so every backend stores the same memory.

use chrono::{DateTime, Utc};

use super::types::{Memory, NewMemory};
use crate::document::Metadata;

/// The memory with `new`'s scope and key, rewritten with everything `new` says: the caller named the
/// memory, so the new values (embedding included) replace the old ones. Identity, scope, key, status,
/// supersede links and access statistics stay; `version` + 1 and `updated_at = at`.
pub fn replace_by_key(old: &Memory, new: &NewMemory, at: DateTime<Utc>) -> Memory {
    Memory {
        kind: new.kind.clone(),
        content: new.content.clone(),
        subject: new.subject.clone(),
        tags: new.tags.clone(),
        importance: new.importance,
        confidence: new.confidence,
        pinned: new.pinned,
        source: new.source.clone(),
        tier: new.tier,
        metadata: new.metadata.clone(),
        embedding: new.embedding.clone(),
        embedding_model: new.embedding_model.clone(),
        stale: false,
        related: new.related.clone(),
        expires_at: new.expires_at,
        version: old.version + 1,
        updated_at: at,
        ..old.clone()
    }
}

/// The near-duplicate `old` merged with `new`: `new`'s content, and the union of what both say (tags,
/// related ids and metadata keys, `new` winning on conflicts), the higher importance and confidence,
/// pinned if either is. The embedding stays the old one: it is the anchor later duplicates are compared
/// with, so a chain of near-duplicates cannot drift a memory away from what it first meant.
pub fn merge_duplicate(old: &Memory, new: &NewMemory, at: DateTime<Utc>) -> crate::Result<Memory> {
    let mut metadata = old.metadata.clone().into_map();
    metadata.extend(new.metadata.clone().into_map());
    Ok(Memory {
        content: new.content.clone(),
        subject: new.subject.clone().or_else(|| old.subject.clone()),
        tags: union(&old.tags, &new.tags),
        importance: old.importance.max(new.importance),
        confidence: old.confidence.max(new.confidence),
        pinned: old.pinned || new.pinned,
        source: new.source.clone().or_else(|| old.source.clone()),
        metadata: Metadata::from_map(metadata).map_err(|e| e.within("metadata"))?,
        related: union(&old.related, &new.related),
        expires_at: new.expires_at.or(old.expires_at),
        version: old.version + 1,
        updated_at: at,
        ..old.clone()
    })
}

fn union<T: PartialEq + Clone>(old: &[T], new: &[T]) -> Vec<T> {
    let mut merged = old.to_vec();
    for item in new {
        if !merged.contains(item) {
            merged.push(item.clone());
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::memory::{MemoryStatus, MemoryTier, Scope};

    fn stored() -> Memory {
        let at = Utc::now();
        Memory {
            id: uuid::Uuid::new_v4(),
            scope: Scope::tenant("t"),
            key: None,
            kind: "fact".into(),
            content: "old".into(),
            subject: Some("s".into()),
            tags: vec!["a".into(), "b".into()],
            importance: 7,
            confidence: 0.5,
            pinned: true,
            source: Some("explicit".into()),
            status: MemoryStatus::Active,
            tier: MemoryTier::Hot,
            metadata: Metadata::from_value(json!({"x": 1, "y": 1})).unwrap(),
            embedding: None,
            embedding_model: None,
            stale: false,
            version: 3,
            superseded_by: None,
            supersedes: None,
            related: Vec::new(),
            created_at: at,
            updated_at: at,
            last_accessed_at: at,
            access_count: 4,
            expires_at: None,
        }
    }

    #[test]
    fn a_merge_keeps_the_union_and_the_maxima() {
        let old = stored();
        let mut new = NewMemory::new(Scope::tenant("t"), "new").tags(&["b", "c"]).importance(3);
        new.metadata = Metadata::from_value(json!({"y": 2, "z": 2})).unwrap();
        let at = Utc::now();
        let merged = merge_duplicate(&old, &new, at).unwrap();
        assert_eq!(merged.content, "new");
        assert_eq!(merged.tags, ["a", "b", "c"]);
        assert_eq!((merged.importance, merged.confidence, merged.pinned), (7, 1.0, true));
        assert_eq!(merged.metadata.to_value(), json!({"x": 1, "y": 2, "z": 2}));
        assert_eq!((merged.version, merged.updated_at, merged.access_count), (4, at, 4));
        assert_eq!(merged.subject.as_deref(), Some("s"));
    }

    #[test]
    fn a_key_update_replaces_every_field_but_identity_and_access() {
        let old = stored();
        let new = NewMemory::new(Scope::tenant("t"), "new").tags(&["c"]).importance(3);
        let replaced = replace_by_key(&old, &new, Utc::now());
        assert_eq!((replaced.id, replaced.access_count, replaced.version), (old.id, 4, 4));
        assert_eq!((replaced.tags.as_slice(), replaced.importance, replaced.pinned), (&["c".to_owned()][..], 3, false));
        assert_eq!(replaced.subject, None);
    }
}
