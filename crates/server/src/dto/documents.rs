//! Request bodies of the collection and document routes; the responses are core's types and views.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage_core::{Chunk, EmbeddingSpace, FusionMethod, KeywordMatch, SearchMode, StorageError};
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
/// is written atomically; a repeated id keeps its last occurrence.
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
    /// Reads either shape, naming the offending chunk (`chunks[3].embedding: ...`) on error.
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
            .map(|(idx, item)| {
                storage_core::from_json_value::<Chunk>(item).map_err(|e| e.within(&format!("chunks[{idx}]")))
            })
            .collect()
    }
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
    /// Query text (keyword and hybrid modes). Any word matches unless `match` is `all`; `"quoted words"` are a
    /// phrase, `-word` excludes, `or` / `and` between words mean either / both (docs/keyword-search.md).
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
}
