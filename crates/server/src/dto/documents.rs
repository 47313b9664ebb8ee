//! Request bodies of the collection and document routes; the responses are core's types and views.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage_core::{Chunk, EmbeddingSpace, FusionMethod, KeywordMatch, SearchMode, StorageError, UpsertSummary};
use utoipa::{IntoParams, ToSchema};

/// `POST /collections`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateCollectionBody {
    /// Lowercase letters, digits and `_`, starting with a letter, at most 40 characters.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
    pub(crate) name: String,
    /// The embedding space to record; omit for a keyword-only collection (a later create may add it).
    #[serde(default)]
    pub(crate) embedding: Option<EmbeddingSpace>,
}

/// `DELETE /collections/{collection}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DropResponse {
    /// Whether the collection existed.
    pub(crate) dropped: bool,
}

/// `POST /collections/{collection}/documents`: a JSON array of chunks, or `{"chunks": [...]}`. The batch
/// is written atomically; a repeated id keeps its last occurrence. A chunk without an `id` gets a new one
/// (a UUIDv7), returned in the response's `ids`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum UpsertBody {
    /// The chunks.
    List(Vec<Chunk>),
    /// The chunks, wrapped.
    Wrapped {
        /// The chunks.
        chunks: Vec<Chunk>,
    },
}

impl UpsertBody {
    /// Reads either shape, naming the offending chunk (`chunks[3].embedding: ...`) on error; a chunk
    /// object without an `id` (or with `"id": null`) is given [`storage_core::generate_chunk_id`]'s.
    pub(crate) fn parse(value: Value) -> storage_core::Result<Vec<Chunk>> {
        let items = match value {
            Value::Array(items) => items,
            Value::Object(mut object) => match (object.remove("chunks"), object.keys().next()) {
                (_, Some(extra)) => {
                    return Err(StorageError::invalid(
                        extra.as_str(),
                        "unknown field; the body is [chunk, ...] or {\"chunks\": [...]}",
                    ));
                }
                (Some(Value::Array(items)), None) => items,
                (Some(_), None) => return Err(StorageError::invalid("chunks", "must be an array of chunks")),
                (None, None) => {
                    return Err(StorageError::invalid(
                        "chunks",
                        "missing: the body is [chunk, ...] or {\"chunks\": [...]}",
                    ));
                }
            },
            _ => return Err(StorageError::invalid("body", "must be an array of chunks or {\"chunks\": [...]}")),
        };
        if items.is_empty() {
            return Err(StorageError::invalid("chunks", "must hold at least one chunk"));
        }
        if items.len() > storage_core::MAX_BATCH_CHUNKS {
            return Err(StorageError::invalid(
                "chunks",
                format!("holds {} chunks; the limit per request is {}", items.len(), storage_core::MAX_BATCH_CHUNKS),
            ));
        }
        items
            .into_iter()
            .enumerate()
            .map(|(idx, mut item)| {
                if let Value::Object(object) = &mut item
                    && object.get("id").is_none_or(Value::is_null)
                {
                    object.insert("id".to_owned(), Value::String(storage_core::generate_chunk_id()));
                }
                storage_core::from_json_value::<Chunk>(item).map_err(|e| e.within(&format!("chunks[{idx}]")))
            })
            .collect()
    }
}

/// What `POST /collections/{collection}/documents` did, with the id of every chunk sent.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Upserted {
    /// The counts.
    #[serde(flatten)]
    pub(crate) summary: UpsertSummary,
    /// Each chunk's id, in the order sent: the caller's, or the one generated for a chunk sent without.
    pub(crate) ids: Vec<String>,
}

/// `POST /collections/{collection}/get`: chunks by ids, by filters, or both (the named chunks that match).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GetBody {
    /// Only these ids (at most 10,000); the chunks come back in this order, missing ids absent.
    #[serde(default)]
    pub(crate) ids: Option<Vec<String>>,
    /// Metadata filter (Chroma `where` syntax).
    #[serde(default, rename = "where")]
    pub(crate) filter: Option<Map<String, Value>>,
    /// Text filter (Chroma `where_document` syntax).
    #[serde(default)]
    pub(crate) where_document: Option<Map<String, Value>>,
    /// At most this many chunks, 1 to 10,000 (default 10,000).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10000)]
    pub(crate) limit: Option<usize>,
    /// Skip this many chunks first (of the ids' order, or of id order without ids).
    #[serde(default)]
    pub(crate) offset: usize,
    /// The parts to return: `text` (`documents`), `metadata` (`metadatas`), `embedding` (`embeddings`);
    /// default text and metadata.
    #[serde(default)]
    pub(crate) include: Option<Vec<String>>,
}

/// `DELETE /collections/{collection}/documents`: exactly one of `ids` and `where`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteBody {
    /// Chunk ids.
    #[serde(default)]
    pub(crate) ids: Option<Vec<String>>,
    /// A metadata filter (Chroma `where` syntax); the empty filter `{}` is refused.
    #[serde(default, rename = "where")]
    pub(crate) filter: Option<Map<String, Value>>,
}

/// Fusion settings; each omitted value comes from the server's `search.fusion` configuration.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FusionBody {
    /// `rrf` or `weighted_min_max`.
    #[serde(default)]
    pub(crate) method: Option<FusionMethod>,
    /// The RRF constant (at least 1).
    #[serde(default)]
    #[schema(minimum = 1)]
    pub(crate) rrf_k: Option<u32>,
    /// Weight of the vector leg (≥ 0).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub(crate) vector_weight: Option<f32>,
    /// Weight of the keyword leg (≥ 0).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub(crate) keyword_weight: Option<f32>,
    /// Candidates from the vector leg (1 to 1000; default `max(top_k, 50)`).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000)]
    pub(crate) vector_candidates: Option<usize>,
    /// Candidates from the keyword leg (1 to 1000; default `max(top_k, 50)`).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000)]
    pub(crate) keyword_candidates: Option<usize>,
}

/// `POST /collections/{collection}/query`: one query, as `brainstore search` takes it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryBody {
    /// The mode; default: hybrid with text and embedding, keyword with text only, vector with an embedding only.
    #[serde(default)]
    pub(crate) mode: Option<SearchMode>,
    /// Query text: the keyword query of keyword and hybrid modes, and, without `embedding`, the text the
    /// collection's provider embeds for vector and hybrid modes (docs/embeddings.md). Any word matches unless
    /// `match` is `all`; `"quoted words"` are a phrase, `-word` excludes, `or` / `and` between words mean either
    /// / both (docs/keyword-search.md).
    #[serde(default)]
    pub(crate) text: Option<String>,
    /// How the words of `text` combine where no operator is written: `any` (default, or the server's
    /// `search.match`) matches a chunk holding any of them, ranked by BM25; `all` needs every one
    /// (docs/keyword-search.md).
    #[serde(default, rename = "match")]
    pub(crate) keyword_match: Option<KeywordMatch>,
    /// Query embedding (vector and hybrid modes); its length must match the collection's space.
    #[serde(default)]
    #[schema(min_items = 1)]
    pub(crate) embedding: Option<Vec<f64>>,
    /// Hits to return, 1 to 1000 (default 10, or the server's `search.top_k`).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 1000)]
    pub(crate) top_k: Option<usize>,
    /// Drop hits scoring below this, 0 to 1.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1)]
    pub(crate) min_score: Option<f32>,
    /// Metadata filter (Chroma `where` syntax).
    #[serde(default, rename = "where")]
    pub(crate) filter: Option<Map<String, Value>>,
    /// Text filter (Chroma `where_document` syntax), e.g. `{"$contains": "tokio"}`.
    #[serde(default)]
    pub(crate) where_document: Option<Map<String, Value>>,
    /// Hybrid fusion settings.
    #[serde(default)]
    pub(crate) fusion: Option<FusionBody>,
    /// Return each leg's rank and score, and the matched terms.
    #[serde(default)]
    pub(crate) explain: bool,
    /// `["embeddings"]` returns each hit's stored vector (for max-marginal relevance); `distances` and
    /// `scores` are accepted and change nothing, as every hit carries them.
    #[serde(default)]
    pub(crate) include: Option<Vec<String>>,
}

/// `GET /collections/{collection}/count`.
#[derive(Clone, Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountParams {
    /// Count only chunks matching this metadata filter: Chroma `where` JSON, URL-encoded.
    #[serde(default, rename = "where")]
    #[param(rename = "where")]
    pub(crate) filter: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upsert_takes_an_array_or_a_wrapped_array_and_names_the_bad_chunk() {
        let list = serde_json::json!([{"id": "a", "text": "x"}]);
        assert_eq!(UpsertBody::parse(list).expect("a list").len(), 1);
        let wrapped = serde_json::json!({"chunks": [{"id": "a"}, {"id": "b", "metadata": {"k": 1}}]});
        assert_eq!(UpsertBody::parse(wrapped).expect("wrapped").len(), 2);
        let bad = serde_json::json!([{"id": "a"}, {"id": "b", "embedding": [1.0, "x"]}]);
        let err = UpsertBody::parse(bad).expect_err("a string in an embedding").to_string();
        assert!(err.starts_with("chunks[1].embedding[1]: "), "{err}");
        let typo = serde_json::json!([{"id": "a", "embeddings": [1.0]}]);
        assert!(UpsertBody::parse(typo).expect_err("unknown field").to_string().contains("embeddings"));
        assert!(UpsertBody::parse(serde_json::json!({"chunks": [], "x": 1})).is_err());
        assert!(UpsertBody::parse(serde_json::json!([])).is_err());
        assert!(UpsertBody::parse(serde_json::json!("x")).is_err());
    }

    #[test]
    fn upsert_generates_an_id_for_a_chunk_sent_without_one_and_keeps_a_given_one() {
        let chunks = UpsertBody::parse(serde_json::json!([{"text": "x"}, {"id": null}, {"id": "kept"}])).expect("ids");
        assert_eq!(chunks[2].id, "kept");
        assert_eq!((chunks[0].id.len(), chunks[1].id.len()), (36, 36), "UUIDs: {chunks:?}");
        assert_ne!(chunks[0].id, chunks[1].id);
        let err = UpsertBody::parse(serde_json::json!([{"text": "x"}, {"id": 7}])).expect_err("a numeric id");
        assert!(err.to_string().starts_with("chunks[1].id"), "{err}");
    }
}
