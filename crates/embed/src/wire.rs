//! The OpenAI `/v1/embeddings` request and response bodies (serde), shared by the `openai` provider and any
//! server that answers in that shape, such as `brainstore serve` (feature `openapi` adds their schemas).

use serde::{Deserialize, Serialize};

/// `POST /v1/embeddings` request body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingsRequest {
    /// The texts: one string or an array of strings.
    pub input: EmbeddingsInput,
    /// The model to embed with.
    pub model: String,
    /// Asks models that can shorten their vectors (`text-embedding-3-*`) for this many dimensions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// `float` (the default); `base64` is not supported by brainstore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<String>,
    /// An end-user id some servers log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// The `input` of a request: OpenAI accepts one string or an array of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum EmbeddingsInput {
    /// One text.
    One(String),
    /// Several texts, embedded in order.
    Many(Vec<String>),
}

impl EmbeddingsInput {
    /// The texts, in order.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            EmbeddingsInput::One(text) => vec![text.as_str()],
            EmbeddingsInput::Many(texts) => texts.iter().map(String::as_str).collect(),
        }
    }
}

/// `POST /v1/embeddings` response body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingsResponse {
    /// Always `list`.
    #[serde(default = "list")]
    pub object: String,
    /// One entry per input text; `index` says which.
    pub data: Vec<EmbeddingData>,
    /// The model that embedded.
    #[serde(default)]
    pub model: String,
    /// Token counts, when the server reports them.
    #[serde(default)]
    pub usage: Option<EmbeddingsUsage>,
}

impl EmbeddingsResponse {
    /// A response carrying `vectors` in input order.
    pub fn new(model: impl Into<String>, vectors: Vec<Vec<f32>>, prompt_tokens: u64) -> Self {
        let data = vectors
            .into_iter()
            .enumerate()
            .map(|(index, embedding)| EmbeddingData { object: "embedding".into(), index, embedding })
            .collect();
        EmbeddingsResponse {
            object: list(),
            data,
            model: model.into(),
            usage: Some(EmbeddingsUsage { prompt_tokens, total_tokens: prompt_tokens }),
        }
    }

    /// The vectors in input order (servers may answer out of order; `index` decides), or why not: an index
    /// out of range or given twice.
    pub fn into_vectors(self) -> Result<Vec<Vec<f32>>, String> {
        let count = self.data.len();
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; count];
        for item in self.data {
            let slot = vectors
                .get_mut(item.index)
                .ok_or_else(|| format!("index {} is out of range for {count} vectors", item.index))?;
            if slot.replace(item.embedding).is_some() {
                return Err(format!("index {} appears twice", item.index));
            }
        }
        Ok(vectors.into_iter().flatten().collect())
    }
}

fn list() -> String {
    "list".into()
}

/// One vector of a response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingData {
    /// Always `embedding`.
    #[serde(default)]
    pub object: String,
    /// The position of the text in the request's `input`.
    pub index: usize,
    /// The vector.
    pub embedding: Vec<f32>,
}

/// Token counts of a response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbeddingsUsage {
    /// Tokens in the input.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Tokens billed.
    #[serde(default)]
    pub total_tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_one_string_or_many() {
        let one: EmbeddingsRequest = serde_json::from_str(r#"{"input":"hi","model":"m"}"#).unwrap();
        assert_eq!(one.input.texts(), ["hi"]);
        let many: EmbeddingsRequest =
            serde_json::from_str(r#"{"input":["a","b"],"model":"m","dimensions":8}"#).unwrap();
        assert_eq!((many.input.texts(), many.dimensions), (vec!["a", "b"], Some(8)));
        let json = serde_json::to_value(&many).unwrap();
        assert_eq!(json, serde_json::json!({"input":["a","b"],"model":"m","dimensions":8}));
    }

    #[test]
    fn vectors_come_back_in_index_order_and_bad_indexes_are_named() {
        let body = r#"{"object":"list","model":"m","data":[
            {"object":"embedding","index":1,"embedding":[2.0]},{"object":"embedding","index":0,"embedding":[1.0]}]}"#;
        let response: EmbeddingsResponse = serde_json::from_str(body).unwrap();
        assert_eq!(response.into_vectors().unwrap(), [vec![1.0], vec![2.0]]);
        let twice = EmbeddingsResponse {
            data: vec![
                EmbeddingData { object: String::new(), index: 0, embedding: vec![1.0] },
                EmbeddingData { object: String::new(), index: 0, embedding: vec![1.0] },
            ],
            ..EmbeddingsResponse::new("m", vec![], 0)
        };
        assert_eq!(twice.into_vectors().unwrap_err(), "index 0 appears twice");
        let round_trip = EmbeddingsResponse::new("m", vec![vec![0.5, 0.25]], 3);
        let json = serde_json::to_string(&round_trip).unwrap();
        assert_eq!(serde_json::from_str::<EmbeddingsResponse>(&json).unwrap(), round_trip);
    }
}
