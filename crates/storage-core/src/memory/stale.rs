//! Which memories a model change makes stale, and how the store signs that change in the audit log.

use super::types::{ChangeContext, Memory};
use crate::EmbeddingSpace;

/// The actor of the audit entries the store writes itself, when a model change marks memories stale.
pub const SYSTEM_ACTOR: &str = "brainstore";

/// The audit context of [`super::MemoryStore::mark_stale`] with `current_model`.
pub fn stale_model_context(current_model: &str) -> ChangeContext {
    ChangeContext::by(SYSTEM_ACTOR).because(format!("the current embedding model is `{current_model}`"))
}

/// Whether [`super::MemoryStore::mark_stale`] with `current_model` marks `memory`: one not yet stale whose
/// embedding another model made.
pub fn stale_under_model(memory: &Memory, current_model: &str) -> bool {
    !memory.stale && memory.embedding_model.as_deref().is_some_and(|model| model != current_model)
}

/// What replacing the memory embedding space does to the memories
/// ([`super::MemoryStore::replace_memory_embedding_space`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceReplacement {
    /// The dimensions change (or none were recorded): every embedding is cleared and its memory is stale.
    pub clear_embeddings: bool,
    /// The new space's model: memories embedded by another one become stale. A space naming no model says
    /// nothing about which model embedded a vector, so it marks none unless the dimensions change.
    pub model: Option<String>,
}

impl SpaceReplacement {
    /// The replacement of `recorded` by `space`.
    pub fn new(recorded: Option<&EmbeddingSpace>, space: &EmbeddingSpace) -> Self {
        SpaceReplacement {
            clear_embeddings: recorded.is_none_or(|recorded| recorded.dimensions != space.dimensions),
            model: space.model.clone(),
        }
    }

    /// Whether it changes `memory`: one with an embedding, when the dimensions change (stale or not, its
    /// vector no longer fits), else one not yet stale embedded by another model than the new space names.
    pub fn changes(&self, memory: &Memory) -> bool {
        memory.embedding.is_some()
            && (self.clear_embeddings
                || (!memory.stale
                    && self.model.as_deref().is_some_and(|model| memory.embedding_model.as_deref() != Some(model))))
    }

    /// The audit context of the change.
    pub fn context(&self) -> ChangeContext {
        ChangeContext::by(SYSTEM_ACTOR).because(format!(
            "the memory embedding space changed to model `{}`{}",
            self.model.as_deref().unwrap_or("unspecified"),
            if self.clear_embeddings { " with other dimensions" } else { "" }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(embedded_by: Option<&str>, stale: bool) -> Memory {
        serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "scope": {"tenant": "t"}, "kind": "fact", "content": "c", "tags": [],
            "importance": 5, "confidence": 1.0, "pinned": false, "status": "active", "tier": "warm",
            "metadata": {}, "embedding": embedded_by.map(|_| vec![1.0, 0.0]), "embedding_model": embedded_by,
            "stale": stale, "version": 1, "related": [], "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "last_accessed_at": "2026-01-01T00:00:00Z", "access_count": 0
        }))
        .expect("a valid memory")
    }

    #[test]
    fn a_replacement_changes_what_no_longer_fits_and_nothing_already_stale_unless_it_clears_vectors() {
        let two = EmbeddingSpace::new(2).expect("2 dimensions");
        let recorded = two.clone().with_model("p", "a");
        let check = |space: &EmbeddingSpace, embedded_by: Option<&str>, stale: bool| {
            SpaceReplacement::new(Some(&recorded), space).changes(&memory(embedded_by, stale))
        };
        let to_b = two.clone().with_model("p", "b");
        let three = EmbeddingSpace::new(3).expect("3 dimensions");
        assert!(check(&to_b, Some("a"), false));
        assert!(!check(&to_b, Some("b"), false));
        assert!(!check(&to_b, Some("a"), true));
        assert!(!check(&two, Some("a"), false), "a space naming no model marks nothing");
        assert!(check(&three, Some("a"), true), "other dimensions clear every vector");
        assert!(!check(&three, None, false), "no vector, nothing to clear");
        assert!(stale_under_model(&memory(Some("a"), false), "b"));
        assert!(!stale_under_model(&memory(Some("a"), true), "b") && !stale_under_model(&memory(None, false), "b"));
    }
}
