//! `Chunk`, `StoredChunk`, `Metadata`, `UpsertSummary`, and the batch checks every backend runs before
//! writing: validation, size limits and last-wins de-duplication.

use std::collections::HashMap;
use std::ops::Deref;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::collection::CollectionName;
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::error::StorageError;

/// The longest chunk id, in bytes.
pub const MAX_ID_BYTES: usize = 512;

/// The longest chunk text, in bytes. Chunks are meant to be small; the cap keeps every backend's full-text
/// index able to hold the whole text (PostgreSQL's tsvector stops at 1 MiB of lexemes).
pub const MAX_TEXT_BYTES: usize = 1_000_000;

/// The largest metadata object, in bytes of compact JSON.
pub const MAX_METADATA_BYTES: usize = 256 * 1024;

/// The most chunks one upsert may carry. Larger inputs are split by the caller (the CLI batches files).
pub const MAX_BATCH_CHUNKS: usize = 10_000;

/// A chunk's metadata: a JSON object with no NUL character in any key or string.
///
/// PostgreSQL's `jsonb` and `text` cannot hold NUL, so it is refused everywhere rather than stored by one
/// backend and refused by the other.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Metadata(Map<String, Value>);

impl Metadata {
    /// An empty object.
    pub fn new() -> Self {
        Metadata(Map::new())
    }

    /// Validates a JSON object.
    pub fn from_map(map: Map<String, Value>) -> crate::Result<Self> {
        check_no_nul(&map, "metadata")?;
        let size = serde_json::to_vec(&map).map_err(|e| StorageError::invalid("metadata", e.to_string()))?.len();
        if size > MAX_METADATA_BYTES {
            return Err(StorageError::invalid(
                "metadata",
                format!("is {size} bytes of JSON; the limit is {MAX_METADATA_BYTES}"),
            ));
        }
        Ok(Metadata(map))
    }

    /// Validates any JSON value, refusing everything but an object (`null` becomes an empty object).
    pub fn from_value(value: Value) -> crate::Result<Self> {
        match value {
            Value::Object(map) => Metadata::from_map(map),
            Value::Null => Ok(Metadata::new()),
            other => {
                Err(StorageError::invalid("metadata", format!("must be a JSON object, got {}", json_type_name(&other))))
            }
        }
    }

    /// Metadata a store wrote, read back from it: only its shape is checked (an object; `null` is an empty
    /// object). Its content passed [`Metadata::from_map`] on the way in, and scanning every string for NUL
    /// and re-serialising it to measure its size again cost more client time per hit than the query did.
    pub fn from_stored(value: Value) -> crate::Result<Self> {
        match value {
            Value::Object(map) => Ok(Metadata(map)),
            Value::Null => Ok(Metadata::new()),
            other => Err(StorageError::invalid("metadata", format!("stored metadata is {}", json_type_name(&other)))),
        }
    }

    /// The object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The object, by value.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// The object as a JSON value.
    pub fn to_value(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

impl Deref for Metadata {
    type Target = Map<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl TryFrom<Value> for Metadata {
    type Error = StorageError;
    fn try_from(value: Value) -> crate::Result<Self> {
        Metadata::from_value(value)
    }
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Metadata::from_value(value).map_err(|e| e.into_serde("metadata"))
    }
}

/// The JSON type of a value, as messages name it.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_no_nul(map: &Map<String, Value>, path: &str) -> crate::Result<()> {
    for (key, value) in map {
        let here = format!("{path}.{key}");
        if key.contains('\0') {
            return Err(StorageError::invalid(path, "a key contains a NUL byte, which no backend can store"));
        }
        check_json_no_nul(value, &here)?;
    }
    Ok(())
}

/// Checks that no string or key anywhere in `value` holds a NUL byte, which PostgreSQL's `jsonb` refuses and
/// so no backend stores; the error names the path to it (`payload.notes[2]`).
pub(crate) fn check_json_no_nul(value: &Value, path: &str) -> crate::Result<()> {
    match value {
        Value::String(s) if s.contains('\0') => {
            Err(StorageError::invalid(path, "contains a NUL byte, which no backend can store"))
        }
        Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(idx, item)| check_json_no_nul(item, &format!("{path}[{idx}]")))
        }
        Value::Object(map) => check_no_nul(map, path),
        _ => Ok(()),
    }
}

/// One piece of knowledge to store: an id, its text, metadata and an optional embedding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Chunk {
    /// Unique within a collection; an upsert with an existing id replaces that chunk.
    pub id: String,
    /// The text, searched by keyword search and returned with hits (`null` reads as empty).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub text: String,
    /// A JSON object, searched by filters.
    #[serde(default)]
    pub metadata: Metadata,
    /// The vector, searched by vector search. Its length must match the collection's embedding space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Embedding>,
}

/// A string field where `null` means empty, as in a JSON-lines file that writes every field.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

impl Chunk {
    /// A chunk with empty metadata and no embedding.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Chunk { id: id.into(), text: text.into(), metadata: Metadata::new(), embedding: None }
    }

    /// Sets the metadata.
    #[must_use]
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Sets the embedding.
    #[must_use]
    pub fn with_embedding(mut self, embedding: Embedding) -> Self {
        self.embedding = Some(embedding);
        self
    }

    /// Checks the id and text. Metadata and embedding are checked by their own constructors.
    pub fn validate(&self) -> crate::Result<()> {
        check_id(&self.id, "id")?;
        check_text(&self.text, "text")
    }
}

/// Checks a chunk id: 1 to [`MAX_ID_BYTES`] bytes, no NUL.
pub fn check_id(id: &str, field: &str) -> crate::Result<()> {
    if id.is_empty() {
        return Err(StorageError::invalid(field, "must not be empty"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(StorageError::invalid(field, format!("is {} bytes; the limit is {MAX_ID_BYTES}", id.len())));
    }
    if id.contains('\0') {
        return Err(StorageError::invalid(field, "contains a NUL byte, which no backend can store"));
    }
    Ok(())
}

/// A new chunk id, for chunks a caller sends without one: a UUIDv7 in lowercase hyphenated form
/// (`0190a6c4-…`, 36 bytes).
///
/// Version 7 puts the creation time (milliseconds) in the leading bits and the uuid crate keeps ids from one
/// process increasing within a millisecond, so the bytewise id order that listing and paging use is the
/// order chunks were added in, and new ids land at the right edge of the id B-tree instead of at random
/// pages (as v4's would). 74 random bits keep ids from different processes apart.
pub fn generate_chunk_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The ids of a batch of `n_chunks` chunks: `ids` when given (one per chunk), freshly generated ones
/// ([`generate_chunk_id`]) when not. Surfaces that let a caller omit ids (the Python package, HTTP) call it
/// and return the ids to the caller.
pub fn ids_or_generated(ids: Option<Vec<String>>, n_chunks: usize) -> crate::Result<Vec<String>> {
    match ids {
        Some(ids) if ids.len() != n_chunks => Err(StorageError::invalid(
            "ids",
            format!("{} ids were given for {n_chunks} chunks; give one id per chunk, or none", ids.len()),
        )),
        Some(ids) => Ok(ids),
        None => Ok((0..n_chunks).map(|_| generate_chunk_id()).collect()),
    }
}

/// Checks a chunk text: at most [`MAX_TEXT_BYTES`] bytes, no NUL.
pub fn check_text(text: &str, field: &str) -> crate::Result<()> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(StorageError::invalid(
            field,
            format!("is {} bytes; the limit is {MAX_TEXT_BYTES} (split long documents into chunks)", text.len()),
        ));
    }
    if let Some(at) = text.find('\0') {
        return Err(StorageError::invalid(
            field,
            format!("contains a NUL byte at byte {at}, which no backend can store; strip it before ingesting"),
        ));
    }
    Ok(())
}

/// A chunk as the store holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredChunk {
    /// The chunk's id.
    pub id: String,
    /// The text.
    pub text: String,
    /// The metadata.
    pub metadata: Metadata,
    /// The embedding, if the chunk has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Embedding>,
    /// When the chunk was first written.
    pub created_at: DateTime<Utc>,
    /// When the chunk was last written.
    pub updated_at: DateTime<Utc>,
}

impl StoredChunk {
    /// The chunk without its timestamps, as it would be upserted again.
    pub fn into_chunk(self) -> Chunk {
        Chunk { id: self.id, text: self.text, metadata: self.metadata, embedding: self.embedding }
    }
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpsertSummary {
    /// Chunks whose id was new to the collection.
    pub inserted: u64,
    /// Chunks that replaced an existing chunk with the same id.
    pub updated: u64,
    /// Chunks dropped because a later chunk in the same batch had the same id.
    pub duplicates_in_batch: u64,
}

impl UpsertSummary {
    /// Chunks written.
    pub fn written(&self) -> u64 {
        self.inserted + self.updated
    }

    /// Adds another batch's counts.
    pub fn add(&mut self, other: UpsertSummary) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.duplicates_in_batch += other.duplicates_in_batch;
    }
}

/// A batch that passed every check and holds each id once: what a backend writes, in one transaction.
#[derive(Debug)]
pub struct ValidatedBatch {
    /// The chunks to write, each id once, in the order of their last occurrence.
    pub chunks: Vec<Chunk>,
    /// How many earlier duplicates were dropped.
    pub duplicates_in_batch: u64,
}

/// Validates a batch and de-duplicates it (the last occurrence of an id wins), before anything is written.
///
/// Every chunk is checked, so one bad chunk refuses the whole batch and the error names it
/// (`chunks[3].embedding`). A chunk with an embedding needs the collection to have an embedding space of
/// the same length.
pub fn prepare_batch(
    collection: &CollectionName,
    space: Option<&EmbeddingSpace>,
    chunks: Vec<Chunk>,
) -> crate::Result<ValidatedBatch> {
    if chunks.len() > MAX_BATCH_CHUNKS {
        return Err(StorageError::invalid(
            "chunks",
            format!("a batch holds at most {MAX_BATCH_CHUNKS} chunks, this one has {}; split it", chunks.len()),
        ));
    }
    for (idx, chunk) in chunks.iter().enumerate() {
        let field = format!("chunks[{idx}]");
        chunk.validate().map_err(|e| e.within(&field))?;
        if let Some(embedding) = &chunk.embedding {
            let Some(space) = space else {
                return Err(StorageError::missing_space(collection, &format!("{field}.embedding")));
            };
            space.check_vector(collection, &format!("{field}.embedding"), embedding)?;
        }
    }
    Ok(dedup_last_wins(chunks))
}

/// Keeps the last occurrence of every id, in the order those last occurrences appear.
pub fn dedup_last_wins(chunks: Vec<Chunk>) -> ValidatedBatch {
    let total = chunks.len();
    let mut last_index: HashMap<&str, usize> = HashMap::with_capacity(total);
    for (idx, chunk) in chunks.iter().enumerate() {
        last_index.insert(chunk.id.as_str(), idx);
    }
    if last_index.len() == total {
        return ValidatedBatch { chunks, duplicates_in_batch: 0 };
    }
    let keep: Vec<bool> = {
        let mut keep = vec![false; total];
        for idx in last_index.values() {
            keep[*idx] = true;
        }
        keep
    };
    let chunks: Vec<Chunk> = chunks.into_iter().zip(keep).filter_map(|(chunk, keep)| keep.then_some(chunk)).collect();
    let duplicates_in_batch = (total - chunks.len()) as u64;
    ValidatedBatch { chunks, duplicates_in_batch }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn meta(value: Value) -> Metadata {
        Metadata::from_value(value).unwrap()
    }

    #[test]
    fn metadata_must_be_an_object_without_nul() {
        assert!(Metadata::from_value(json!({"a": 1})).is_ok());
        assert_eq!(Metadata::from_value(Value::Null).unwrap(), Metadata::new());
        let err = Metadata::from_value(json!([1])).unwrap_err().to_string();
        assert_eq!(err, "metadata: must be a JSON object, got an array");
        let err = Metadata::from_value(json!({"a": {"b": ["x", "y\u{0}"]}})).unwrap_err().to_string();
        assert!(err.starts_with("metadata.a.b[1]: "), "{err}");
        let big = "x".repeat(MAX_METADATA_BYTES);
        assert!(Metadata::from_value(json!({ "big": big })).is_err());
    }

    #[test]
    fn dedup_keeps_the_last_occurrence() {
        let chunks = vec![
            Chunk::new("a", "a_first").with_metadata(meta(json!({"n": 1}))),
            Chunk::new("b", "b"),
            Chunk::new("a", "a_last").with_metadata(meta(json!({"n": 99}))),
        ];
        let batch = dedup_last_wins(chunks);
        assert_eq!(batch.duplicates_in_batch, 1);
        let ids: Vec<&str> = batch.chunks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(batch.chunks[1].text, "a_last");
        assert_eq!(batch.chunks[1].metadata, meta(json!({"n": 99})));
    }

    #[test]
    fn batch_errors_name_the_chunk_and_field() {
        let name = CollectionName::default();
        let space = EmbeddingSpace::new(2).unwrap();
        let chunks = vec![Chunk::new("ok", "fine"), Chunk::new("", "no id")];
        let err = prepare_batch(&name, Some(&space), chunks).unwrap_err().to_string();
        assert_eq!(err, "chunks[1].id: must not be empty");

        let chunks = vec![Chunk::new("nul", "a\0b")];
        let err = prepare_batch(&name, Some(&space), chunks).unwrap_err().to_string();
        assert!(err.starts_with("chunks[0].text: contains a NUL byte"), "{err}");

        let chunks = vec![Chunk::new("v", "t").with_embedding(Embedding::new(vec![1.0, 2.0, 3.0]).unwrap())];
        let err = prepare_batch(&name, Some(&space), chunks).unwrap_err();
        assert!(matches!(err, StorageError::DimensionMismatch { stored: 2, given: 3, .. }), "{err}");

        let chunks = vec![Chunk::new("v", "t").with_embedding(Embedding::new(vec![1.0, 2.0]).unwrap())];
        let err = prepare_batch(&name, None, chunks).unwrap_err();
        assert!(matches!(err, StorageError::NotInitialized { .. }), "{err}");

        let too_many = (0..=MAX_BATCH_CHUNKS).map(|i| Chunk::new(i.to_string(), "")).collect();
        assert!(prepare_batch(&name, Some(&space), too_many).is_err());
    }

    #[test]
    fn generated_ids_are_uuid_v7_unique_and_increasing() {
        let ids = ids_or_generated(None, 5_000).unwrap();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "bytewise increasing");
        let parsed = uuid::Uuid::parse_str(&ids[0]).unwrap();
        assert_eq!(parsed.get_version_num(), 7);
        assert!(check_id(&ids[0], "id").is_ok());
        let given = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(ids_or_generated(Some(given.clone()), 2).unwrap(), given);
        let err = ids_or_generated(Some(given), 3).unwrap_err().to_string();
        assert_eq!(err, "ids: 2 ids were given for 3 chunks; give one id per chunk, or none");
    }

    #[test]
    fn text_limits_are_enforced() {
        assert!(check_text(&"x".repeat(MAX_TEXT_BYTES), "text").is_ok());
        assert!(check_text(&"x".repeat(MAX_TEXT_BYTES + 1), "text").is_err());
        assert!(check_id(&"i".repeat(MAX_ID_BYTES + 1), "id").is_err());
    }
}
