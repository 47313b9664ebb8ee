//! Request and response bodies of the collection and document routes, with their OpenAPI schemas.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use storage_core::{
    Chunk, CollectionInfo, Embedding, EmbeddingSpace, Metadata, Metric, SearchHit, SearchMode, StorageError,
    StoredChunk, UpsertSummary,
};
use utoipa::{IntoParams, ToSchema};

/// How vectors are compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum MetricName {
    /// Cosine distance; score `1 - distance`.
    #[default]
    Cosine,
    /// Euclidean distance; score `1 / (1 + distance)`.
    L2,
    /// Negative inner product; score `clamp(a · b, 0, 1)`.
    InnerProduct,
}

impl From<Metric> for MetricName {
    fn from(metric: Metric) -> Self {
        match metric {
            Metric::Cosine => MetricName::Cosine,
            Metric::L2 => MetricName::L2,
            Metric::InnerProduct => MetricName::InnerProduct,
        }
    }
}

impl From<MetricName> for Metric {
    fn from(metric: MetricName) -> Self {
        match metric {
            MetricName::Cosine => Metric::Cosine,
            MetricName::L2 => Metric::L2,
            MetricName::InnerProduct => Metric::InnerProduct,
        }
    }
}

/// An embedding space: what produced a collection's (or the memories') embeddings.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceBody {
    /// The embedding provider (`openai`, `ollama`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) provider: Option<String>,
    /// The model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) model: Option<String>,
    /// The vector length.
    #[schema(minimum = 1, maximum = 16000)]
    pub(crate) dimensions: u32,
    /// How vectors are compared (default cosine).
    #[serde(default)]
    pub(crate) metric: MetricName,
}

impl From<EmbeddingSpace> for SpaceBody {
    fn from(space: EmbeddingSpace) -> Self {
        SpaceBody {
            provider: space.provider,
            model: space.model,
            dimensions: space.dimensions,
            metric: space.metric.into(),
        }
    }
}

impl SpaceBody {
    /// Core's space, validated.
    pub(crate) fn into_space(self) -> storage_core::Result<EmbeddingSpace> {
        let space = EmbeddingSpace {
            provider: self.provider,
            model: self.model,
            dimensions: self.dimensions,
            metric: self.metric.into(),
        };
        space.validate().map_err(|e| e.within("embedding"))?;
        Ok(space)
    }
}

/// A collection with its embedding space and count.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CollectionView {
    /// Its name.
    pub(crate) name: String,
    /// The recorded embedding space; null for a keyword-only collection.
    pub(crate) embedding_space: Option<SpaceBody>,
    /// Chunks in it.
    pub(crate) count: u64,
}

impl From<CollectionInfo> for CollectionView {
    fn from(info: CollectionInfo) -> Self {
        CollectionView {
            name: info.name.to_string(),
            embedding_space: info.embedding_space.map(SpaceBody::from),
            count: info.count,
        }
    }
}

/// `GET /collections`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CollectionsResponse {
    /// Every collection, by name.
    pub(crate) collections: Vec<CollectionView>,
}

/// `POST /collections`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateCollectionBody {
    /// Lowercase letters, digits and `_`, starting with a letter, at most 40 characters.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,39}$")]
    pub(crate) name: String,
    /// The embedding space to record; omit for a keyword-only collection (a later create may add it).
    #[serde(default)]
    pub(crate) embedding: Option<SpaceBody>,
}

/// `DELETE /collections/{collection}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DropResponse {
    /// Whether the collection existed.
    pub(crate) dropped: bool,
}

/// One chunk to upsert.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChunkBody {
    /// Unique within the collection: an existing id is replaced.
    pub(crate) id: String,
    /// The text, searched by keyword search.
    #[serde(default)]
    pub(crate) text: String,
    /// A JSON object, searched by filters.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub(crate) metadata: Metadata,
    /// The vector; its length must match the collection's embedding space.
    #[serde(default)]
    #[schema(value_type = Option<Vec<f32>>)]
    pub(crate) embedding: Option<Embedding>,
}

impl From<ChunkBody> for Chunk {
    fn from(body: ChunkBody) -> Self {
        Chunk { id: body.id, text: body.text, metadata: body.metadata, embedding: body.embedding }
    }
}

/// `POST /collections/{collection}/documents`: a JSON array of chunks, or `{"chunks": [...]}`. The batch
/// is written atomically; a repeated id keeps its last occurrence.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub(crate) enum UpsertBody {
    /// The chunks.
    List(Vec<ChunkBody>),
    /// The chunks, wrapped.
    Wrapped {
        /// The chunks.
        chunks: Vec<ChunkBody>,
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
                serde_json::from_value::<ChunkBody>(item)
                    .map(Chunk::from)
                    .map_err(|e| StorageError::invalid(format!("chunks[{idx}]"), e.to_string()))
            })
            .collect()
    }
}

/// What an upsert did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct UpsertResponse {
    /// Chunks whose id was new.
    pub(crate) inserted: u64,
    /// Chunks that replaced one with the same id.
    pub(crate) updated: u64,
    /// Chunks dropped because a later chunk of the batch had the same id.
    pub(crate) duplicates_in_batch: u64,
}

impl From<UpsertSummary> for UpsertResponse {
    fn from(summary: UpsertSummary) -> Self {
        UpsertResponse {
            inserted: summary.inserted,
            updated: summary.updated,
            duplicates_in_batch: summary.duplicates_in_batch,
        }
    }
}

/// A stored chunk, as `brainstore get --json` prints it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChunkView {
    /// Its id.
    pub(crate) id: String,
    /// Its text.
    pub(crate) text: String,
    /// Its metadata.
    pub(crate) metadata: Map<String, Value>,
    /// Its embedding, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) embedding: Option<Vec<f32>>,
    /// When it was first written.
    pub(crate) created_at: DateTime<Utc>,
    /// When it was last written.
    pub(crate) updated_at: DateTime<Utc>,
}

impl From<StoredChunk> for ChunkView {
    fn from(chunk: StoredChunk) -> Self {
        ChunkView {
            id: chunk.id,
            text: chunk.text,
            metadata: chunk.metadata.into_map(),
            embedding: chunk.embedding.map(Embedding::into_vec),
            created_at: chunk.created_at,
            updated_at: chunk.updated_at,
        }
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

/// How many chunks went.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct DeleteResponse {
    /// Chunks deleted.
    pub(crate) deleted: u64,
}

/// Which index answers a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ModeName {
    /// Nearest neighbours of `embedding`.
    Vector,
    /// Full-text relevance of `text`.
    Keyword,
    /// Both, fused.
    Hybrid,
}

impl From<ModeName> for SearchMode {
    fn from(mode: ModeName) -> Self {
        match mode {
            ModeName::Vector => SearchMode::Vector,
            ModeName::Keyword => SearchMode::Keyword,
            ModeName::Hybrid => SearchMode::Hybrid,
        }
    }
}

impl From<SearchMode> for ModeName {
    fn from(mode: SearchMode) -> Self {
        match mode {
            SearchMode::Vector => ModeName::Vector,
            SearchMode::Keyword => ModeName::Keyword,
            SearchMode::Hybrid => ModeName::Hybrid,
        }
    }
}

/// How the two legs of a hybrid query are fused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FusionMethodName {
    /// Reciprocal rank fusion with constant `rrf_k`.
    Rrf,
    /// Weighted sum of min-max normalised leg scores.
    WeightedMinMax,
}

/// Fusion settings; each omitted value comes from the server's `search.fusion` configuration.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FusionBody {
    /// `rrf` or `weighted_min_max`.
    #[serde(default)]
    pub(crate) method: Option<FusionMethodName>,
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
    pub(crate) mode: Option<ModeName>,
    /// Query text (keyword and hybrid modes).
    #[serde(default)]
    pub(crate) text: Option<String>,
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

/// One hit, as `brainstore search --json` prints it: leg details only with `explain`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct HitBody {
    /// Chunk id.
    pub(crate) id: String,
    /// Chunk text.
    pub(crate) text: String,
    /// Chunk metadata.
    pub(crate) metadata: Map<String, Value>,
    /// Relevance in [0, 1], higher is better.
    pub(crate) score: f32,
    /// Raw vector distance, for hits the vector leg found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) distance: Option<f64>,
    /// Rank in the vector leg (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) vector_rank: Option<u32>,
    /// Score in the vector leg (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) vector_score: Option<f32>,
    /// Rank in the keyword leg (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) keyword_rank: Option<u32>,
    /// Score in the keyword leg (explain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) keyword_score: Option<f32>,
    /// Query terms found in the text (explain, keyword legs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) matched_terms: Option<Vec<String>>,
}

impl From<SearchHit> for HitBody {
    fn from(hit: SearchHit) -> Self {
        HitBody {
            id: hit.id,
            text: hit.text,
            metadata: hit.metadata.into_map(),
            score: hit.score,
            distance: hit.distance,
            vector_rank: hit.vector.map(|leg| leg.rank),
            vector_score: hit.vector.map(|leg| leg.score),
            keyword_rank: hit.keyword.map(|leg| leg.rank),
            keyword_score: hit.keyword.map(|leg| leg.score),
            matched_terms: hit.matched_terms,
        }
    }
}

/// A query's answer: the shape of `brainstore search --json`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SearchResponse {
    /// The mode that ran.
    pub(crate) mode: ModeName,
    /// Time in the store, in milliseconds.
    pub(crate) took_ms: f64,
    /// Hits, best first (score descending, then id).
    pub(crate) results: Vec<HitBody>,
}

impl SearchResponse {
    /// The answer of a query in `mode` that found `hits` in `took_ms` (rounded to microseconds, as the
    /// command line prints it).
    pub(crate) fn new(mode: SearchMode, took_ms: f64, hits: Vec<SearchHit>) -> Self {
        SearchResponse {
            mode: mode.into(),
            took_ms: (took_ms * 1000.0).round() / 1000.0,
            results: hits.into_iter().map(HitBody::from).collect(),
        }
    }
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

/// A count.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CountResponse {
    /// Chunks counted.
    pub(crate) count: u64,
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
        assert!(err.starts_with("chunks[1]:"), "{err}");
        let typo = serde_json::json!([{"id": "a", "embeddings": [1.0]}]);
        assert!(UpsertBody::parse(typo).expect_err("unknown field").to_string().contains("embeddings"));
        assert!(UpsertBody::parse(serde_json::json!({"chunks": [], "x": 1})).is_err());
        assert!(UpsertBody::parse(serde_json::json!([])).is_err());
        assert!(UpsertBody::parse(serde_json::json!("x")).is_err());
    }

    #[test]
    fn a_search_response_flattens_the_legs_and_omits_what_explain_did_not_ask_for() {
        let hit = storage_core::SearchHit {
            id: "a".into(),
            text: "t".into(),
            metadata: Metadata::new(),
            score: 0.5,
            distance: Some(0.5),
            vector: Some(storage_core::LegExplain { rank: 1, score: 0.5 }),
            keyword: Some(storage_core::LegExplain { rank: 2, score: 0.25 }),
            matched_terms: Some(vec!["t".into()]),
        };
        let plain =
            storage_core::SearchHit { distance: None, vector: None, keyword: None, matched_terms: None, ..hit.clone() };
        let explained = serde_json::to_value(SearchResponse::new(SearchMode::Hybrid, 1.5, vec![hit])).expect("json");
        let result = &explained["results"][0];
        assert_eq!((result["vector_rank"].clone(), result["vector_score"].clone()), (1.into(), 0.5.into()));
        assert_eq!((result["keyword_rank"].clone(), result["keyword_score"].clone()), (2.into(), 0.25.into()));
        assert_eq!(result["matched_terms"], serde_json::json!(["t"]));
        let bare = serde_json::to_value(SearchResponse::new(SearchMode::Hybrid, 1.5, vec![plain])).expect("json");
        let keys: Vec<&String> = bare["results"][0].as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["id", "metadata", "score", "text"]); // serde_json sorts keys
        assert_eq!((bare["mode"].clone(), bare["took_ms"].clone()), ("hybrid".into(), 1.5.into()));
    }
}
