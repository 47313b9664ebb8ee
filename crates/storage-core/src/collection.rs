//! `CollectionName`, the only dynamic identifier a backend may put into SQL, and `CollectionInfo`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::embedding::EmbeddingSpace;
use crate::keyword::bm25::Bm25Params;

/// The longest collection name. Backends derive table and index names from it, and PostgreSQL identifiers
/// stop at 63 bytes, so the name plus the longest prefix and suffix must stay under that.
pub const MAX_COLLECTION_NAME_LEN: usize = 40;

/// A validated collection name: 1 to 40 characters of lowercase ASCII letters, digits and `_`, starting
/// with a letter.
///
/// Backends interpolate it into table names, so validation here is what keeps SQL injection out of every
/// identifier. The rule is strict on purpose: a name that is valid here is a valid unquoted identifier on
/// every backend, and two names never fold to the same table.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CollectionName(String);

impl CollectionName {
    /// The collection every operation uses when none is named.
    pub const DEFAULT: &'static str = "default";

    /// Validates `name`.
    pub fn new(name: impl Into<String>) -> crate::Result<Self> {
        let name = name.into();
        if let Err(reason) = check_name(&name) {
            return Err(crate::StorageError::invalid("collection", format!("{} {reason}", crate::quoted(&name))));
        }
        Ok(CollectionName(name))
    }

    /// The `default` collection.
    pub fn default_collection() -> Self {
        CollectionName(Self::DEFAULT.to_owned())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".to_owned());
    }
    if name.len() > MAX_COLLECTION_NAME_LEN {
        return Err(format!("is longer than {MAX_COLLECTION_NAME_LEN} characters"));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a lowercase letter".to_owned());
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')) {
        return Err(format!("contains `{}`; use lowercase letters, digits and `_`", bad.escape_debug()));
    }
    Ok(())
}

impl Default for CollectionName {
    fn default() -> Self {
        Self::default_collection()
    }
}

impl fmt::Display for CollectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CollectionName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for CollectionName {
    type Error = crate::StorageError;
    fn try_from(value: &str) -> crate::Result<Self> {
        CollectionName::new(value)
    }
}

impl TryFrom<String> for CollectionName {
    type Error = crate::StorageError;
    fn try_from(value: String) -> crate::Result<Self> {
        CollectionName::new(value)
    }
}

impl<'de> Deserialize<'de> for CollectionName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        CollectionName::new(name).map_err(serde::de::Error::custom)
    }
}

/// What a store knows about one collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectionInfo {
    /// The collection's name.
    pub name: CollectionName,
    /// The recorded embedding space, if one has been set.
    pub embedding_space: Option<EmbeddingSpace>,
    /// How many chunks the collection holds.
    pub count: u64,
    /// How many of them carry an embedding: a vector search (and the vector leg of a hybrid one) can only
    /// find these, so `count - embedded_count` chunks are reachable by keyword only.
    #[serde(default)]
    pub embedded_count: u64,
    /// The state of the collection's approximate vector index.
    #[serde(default)]
    pub vector_index: VectorIndexState,
    /// The BM25 parameters its keyword search ranks with (docs/keyword-search.md).
    #[serde(default)]
    pub bm25: Bm25Params,
}

impl CollectionInfo {
    /// The chunks that carry no embedding, which vector search never returns.
    pub fn unembedded_count(&self) -> u64 {
        self.count.saturating_sub(self.embedded_count)
    }

    /// Says how many chunks vector search cannot find, when some carry no embedding: the health report's
    /// warning, and what a surface says after a vector search that found nothing.
    pub fn unembedded_warning(&self) -> Option<String> {
        let missing = self.unembedded_count();
        (missing > 0).then(|| {
            format!(
                "collection `{}`: {missing} of {} chunks have no embedding, so vector search cannot find them",
                self.name, self.count
            )
        })
    }
}

/// The state of a collection's approximate vector index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VectorIndexState {
    /// The collection has no embedding space, so it has no vectors to index.
    #[default]
    NotNeeded,
    /// The index is in place (or, on the embedded backend, built in memory on the first search).
    Ready,
    /// The index is missing: a bulk load has set it aside, or was interrupted before building it. Vector
    /// searches stay correct but scan every vector (slower) until the load finishes or the store is
    /// initialized again, which builds it.
    Missing,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, ok: bool) {
        assert_eq!(CollectionName::new(name).is_ok(), ok, "{name:?}");
    }

    #[test]
    fn names_follow_the_identifier_rule() {
        check("default", true);
        check("docs_2026", true);
        check("a", true);
        check(&"a".repeat(MAX_COLLECTION_NAME_LEN), true);
        check(&"a".repeat(MAX_COLLECTION_NAME_LEN + 1), false);
        check("", false);
        check("Docs", false);
        check("1docs", false);
        check("_docs", false);
        check("my-docs", false);
        check("docs; drop table x", false);
        check("docs\"", false);
    }

    #[test]
    fn a_long_name_is_cut_short_in_the_error() {
        let err = CollectionName::new("a".repeat(10_000)).unwrap_err().to_string();
        assert!(err.len() < 200 && err.contains("(10000 characters)"), "{err}");
    }

    #[test]
    fn error_names_the_offending_character() {
        let err = CollectionName::new("my-docs").unwrap_err().to_string();
        assert!(err.contains("`-`"), "{err}");
    }
}
