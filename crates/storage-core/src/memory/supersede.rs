//! The rules of a supersede every backend applies: the replacement's tenant, and who holds the key after.

use uuid::Uuid;

use super::types::{Memory, NewMemory};
use crate::StorageError;

/// Refuses a replacement whose scope names another tenant than the memory it supersedes (`tenant`).
pub fn check_supersede_tenant(tenant: &str, replacement: &NewMemory) -> crate::Result<()> {
    if replacement.scope.tenant == tenant {
        return Ok(());
    }
    Err(StorageError::invalid("scope.tenant", format!("must be `{tenant}`, the tenant of the memory it supersedes")))
}

/// Gives `replacement` the key of `old` when it shares `old`'s scope and names no key of its own, because a
/// key is the handle to the current memory of its subject, so after a supersede it finds the replacement.
/// Returns whether the key passes from `old` to `replacement` (then `old` drops it); a replacement with
/// another key keeps it, and `old` keeps its own.
pub fn hand_over_key(old: &Memory, replacement: &mut NewMemory) -> bool {
    if replacement.scope != old.scope {
        return false;
    }
    if replacement.key.is_none() {
        replacement.key.clone_from(&old.key);
    }
    old.key.is_some() && replacement.key == old.key
}

/// The conflict of a replacement whose `key` another memory (`holder`) of its scope already holds.
pub fn key_held_by(key: &str, holder: Uuid) -> StorageError {
    StorageError::Conflict { reason: format!("key `{key}` belongs to memory {holder} in this scope") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::Scope;

    fn old(scope: Scope, key: Option<&str>) -> Memory {
        let new = NewMemory { key: key.map(str::to_owned), ..NewMemory::new(scope, "old") };
        let mut memory: Memory = serde_json::from_value(serde_json::json!({
            "id": Uuid::nil(), "scope": {"tenant": "t"}, "kind": "fact", "content": "old", "tags": [],
            "importance": 5, "confidence": 1.0, "pinned": false, "status": "active", "tier": "warm",
            "metadata": {}, "stale": false, "version": 1, "related": [], "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z", "last_accessed_at": "2026-01-01T00:00:00Z", "access_count": 0
        }))
        .expect("a valid memory");
        memory.scope = new.scope;
        memory.key = new.key;
        memory
    }

    #[test]
    fn the_key_passes_to_a_replacement_of_the_same_scope_unless_it_names_another() {
        let scope = Scope::tenant("t");
        let elsewhere = Scope { agent: Some("a".into()), ..Scope::tenant("t") };
        let check = |old: &Memory, key: Option<&str>, scope: &Scope| {
            let mut new = NewMemory { key: key.map(str::to_owned), ..NewMemory::new(scope.clone(), "new") };
            (hand_over_key(old, &mut new), new.key)
        };
        let keyed = old(scope.clone(), Some("k"));
        assert_eq!(check(&keyed, None, &scope), (true, Some("k".into())));
        assert_eq!(check(&keyed, Some("k"), &scope), (true, Some("k".into())));
        assert_eq!(check(&keyed, Some("other"), &scope), (false, Some("other".into())));
        assert_eq!(check(&keyed, None, &elsewhere), (false, None));
        assert_eq!(check(&old(scope.clone(), None), None, &scope), (false, None));
        let refused = check_supersede_tenant("acme", &NewMemory::new(Scope::tenant("other"), "x"));
        assert_eq!(
            refused.err().map(|error| error.to_string()),
            Some("scope.tenant: must be `acme`, the tenant of the memory it supersedes".to_owned())
        );
    }
}
