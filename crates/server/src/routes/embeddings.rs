//! `POST /v1/embeddings`: OpenAI's embeddings endpoint over the server's configured embedder, so any
//! OpenAI client (brainstore's own `openai` provider included) can embed with the model the store uses.
//!
//! The embedder is handed over by [`with_embedder`]; a server without one answers 503 `not_configured`
//! naming the `embedding:` keys to set. The body is checked field by field, so a wrong type or an empty
//! or oversized `input` gets a 400 that names the field (and the position in `input`).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::{Extension, Json, Router};
use embed::{EmbeddingsRequest, EmbeddingsResponse, hub_model_id};
use serde_json::Value;
use storage_core::{Embedder, json_type_name};

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;

/// The most texts one request may carry: OpenAI's own limit.
pub(crate) const MAX_INPUTS: usize = 2048;

/// The embedder `POST /v1/embeddings` uses, as a request extension.
#[derive(Clone)]
pub(crate) struct ConfiguredEmbedder(Arc<dyn Embedder>);

/// `router` with `embedder` answering `POST /v1/embeddings` (the one `embedding:` configures). Without
/// this, the route answers 503 `not_configured`.
pub fn with_embedder(router: Router, embedder: Arc<dyn Embedder>) -> Router {
    router.layer(Extension(ConfiguredEmbedder(embedder)))
}

/// Embeds `input` (one text or an array of up to 2048) with the server's configured model; the vectors
/// come back in input order. `model`, when given, must be the configured model; `dimensions`, when given,
/// its length; `encoding_format` may only be `float`. `usage` is reported as 0 tokens: the providers do
/// not count them.
#[utoipa::path(post, path = "/v1/embeddings", tag = "embeddings", request_body = EmbeddingsRequest,
    responses(
        (status = 200, description = "One vector per text of `input`, in order", body = EmbeddingsResponse),
        (status = 503, description = "not_configured: the server has no `embedding:` provider (or unavailable: \
            the provider's server failed)")))]
pub(crate) async fn create(
    embedder: Option<Extension<ConfiguredEmbedder>>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<EmbeddingsResponse>> {
    let request = parse_request(body)?;
    let Some(Extension(ConfiguredEmbedder(embedder))) = embedder else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "this server has no embedder: set `embedding.provider` and `embedding.model` in its configuration \
             (docs/embeddings.md) and restart it",
        ));
    };
    let space = embedder.space();
    let served = space.model.clone().unwrap_or_default();
    if !request.model.is_empty() && !served.is_empty() && hub_model_id(&request.model) != hub_model_id(&served) {
        return Err(ApiError::invalid(format!(
            "model: `{}` is not served here; this server embeds with `{served}`",
            request.model
        )));
    }
    if let Some(dimensions) = request.dimensions
        && dimensions != space.dimensions
    {
        return Err(ApiError::invalid(format!(
            "dimensions: {dimensions} was asked for, but `{served}` gives {} dimensions",
            space.dimensions
        )));
    }
    let texts = request.input.texts();
    let vectors = embedder.embed(&texts).await?;
    let model = if served.is_empty() { request.model } else { served };
    Ok(Json(EmbeddingsResponse::new(model, vectors.into_iter().map(storage_core::Embedding::into_vec).collect(), 0)))
}

/// The request in `body`, or a 400 naming the first field that is wrong. `input` is checked here rather
/// than by serde, whose message for an untagged enum names no position.
fn parse_request(body: Value) -> ApiResult<EmbeddingsRequest> {
    let Value::Object(fields) = &body else {
        return Err(ApiError::invalid(format!("the body must be a JSON object, got {}", json_type_name(&body))));
    };
    match fields.get("input") {
        None | Some(Value::Null) => {
            return Err(ApiError::invalid("input: missing; give a string or an array of strings"));
        }
        Some(Value::String(text)) => check_text("input", text)?,
        Some(Value::Array(items)) => {
            if items.is_empty() {
                return Err(ApiError::invalid("input: the array is empty; give at least one text"));
            }
            if items.len() > MAX_INPUTS {
                return Err(ApiError::invalid(format!(
                    "input: {} texts is more than {MAX_INPUTS} per request; send them in several requests",
                    items.len()
                )));
            }
            for (index, item) in items.iter().enumerate() {
                match item {
                    Value::String(text) => check_text(&format!("input[{index}]"), text)?,
                    other => {
                        return Err(ApiError::invalid(format!(
                            "input[{index}]: expected a string, got {} (token arrays are not supported)",
                            json_type_name(other)
                        )));
                    }
                }
            }
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "input: expected a string or an array of strings, got {}",
                json_type_name(other)
            )));
        }
    }
    for (field, expected) in [("model", "a string"), ("encoding_format", "a string"), ("user", "a string")] {
        if let Some(value) = fields.get(field).filter(|value| !value.is_null() && !value.is_string()) {
            return Err(ApiError::invalid(format!("{field}: expected {expected}, got {}", json_type_name(value))));
        }
    }
    if let Some(format) = fields.get("encoding_format").and_then(Value::as_str)
        && format != "float"
    {
        return Err(ApiError::invalid(format!("encoding_format: `{format}` is not supported; only `float` is")));
    }
    if let Some(value) = fields.get("dimensions").filter(|value| !value.is_null())
        && value.as_u64().is_none_or(|dimensions| dimensions == 0 || dimensions > u64::from(u32::MAX))
    {
        return Err(ApiError::invalid(format!("dimensions: expected a positive integer, got {value}")));
    }
    let mut body = body;
    if let Value::Object(fields) = &mut body {
        // OpenAI requires `model`; a client of this server alone may leave it out.
        fields.entry("model").or_insert_with(|| Value::String(String::new()));
        fields.retain(|_, value| !value.is_null());
    }
    serde_json::from_value(body).map_err(|error| ApiError::invalid(format!("the body: {error}")))
}

fn check_text(field: &str, text: &str) -> ApiResult<()> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid(format!("{field}: the text is empty")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refused(body: Value) -> String {
        let error = parse_request(body).expect_err("the body is refused");
        assert_eq!((error.status, error.code), (StatusCode::BAD_REQUEST, "invalid_input"), "{}", error.message);
        error.message
    }

    #[test]
    fn each_bad_field_is_named() {
        assert!(refused(json!({"model": "m"})).starts_with("input: missing"));
        assert!(refused(json!({"input": []})).starts_with("input: the array is empty"));
        assert!(refused(json!({"input": ""})).starts_with("input: the text is empty"));
        assert!(refused(json!({"input": ["a", "  "]})).starts_with("input[1]: the text is empty"));
        assert!(refused(json!({"input": ["a", 7]})).starts_with("input[1]: expected a string, got a number"));
        assert!(refused(json!({"input": {"text": "a"}})).starts_with("input: expected a string or an array"));
        let many = vec![json!("a"); MAX_INPUTS + 1];
        assert!(refused(json!({"input": many})).contains("more than 2048 per request"));
        assert!(refused(json!({"input": "a", "model": 3})).starts_with("model: expected a string, got a number"));
        assert!(refused(json!({"input": "a", "encoding_format": "base64"})).contains("only `float`"));
        assert!(refused(json!({"input": "a", "dimensions": -1})).starts_with("dimensions: expected a positive"));
        assert!(refused(json!(["a"])).starts_with("the body must be a JSON object, got an array"));
    }

    #[test]
    fn good_bodies_become_the_wire_request() {
        let request = parse_request(json!({"input": ["a", "b"], "model": "m", "encoding_format": "float"})).unwrap();
        assert_eq!((request.input.texts(), request.model.as_str()), (vec!["a", "b"], "m"));
        let bare = parse_request(json!({"input": "a", "dimensions": null})).unwrap();
        assert_eq!((bare.input.texts(), bare.model.as_str(), bare.dimensions), (vec!["a"], "", None));
    }
}
