//! `Embedder` (text in, vectors out) and `EmbedderResolver` (a recorded `EmbeddingSpace` to its embedder),
//! plus the rules every surface applies with them: which chunks get embedded, and what a provider's answer
//! must look like.
//!
//! Core knows no model runtime and no HTTP client: the providers live in the `embed` crate.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::collection::CollectionName;
use crate::document::Chunk;
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::error::StorageError;
use crate::search::{SearchMode, SearchRequest};

/// Turns texts into vectors of one [`EmbeddingSpace`]: a local model, or a server that embeds.
///
/// Used as `Arc<dyn Embedder>`; one embedder serves every task of a process, so a local model is loaded once.
#[async_trait]
pub trait Embedder: Send + Sync + fmt::Debug + 'static {
    /// The space of the vectors this embedder returns: provider, model, dimensions and metric.
    fn space(&self) -> &EmbeddingSpace;

    /// Embeds `texts`, returning one embedding per text in the same order (an empty slice gives an empty
    /// vector). The embedder splits a large slice into batches its model or server accepts.
    async fn embed(&self, texts: &[&str]) -> crate::Result<Vec<Embedding>>;
}

/// Finds the embedder for a recorded [`EmbeddingSpace`] (provider + model + dimensions), so a store can embed
/// what arrives without a vector in the space it recorded, the same way on every surface.
///
/// The `embed` crate implements it from configuration (`embed::ConfiguredResolver`).
#[async_trait]
pub trait EmbedderResolver: Send + Sync + fmt::Debug + 'static {
    /// The embedder whose [`Embedder::space`] is compatible with `space`
    /// ([`EmbeddingSpace::check_compatible`]).
    ///
    /// A space that names no provider cannot be embedded into: that is [`StorageError::NotInitialized`].
    async fn resolve(&self, space: &EmbeddingSpace) -> crate::Result<Arc<dyn Embedder>>;
}

/// Checks a provider's answer for `expected` texts against `space`: one vector per text, each of the space's
/// length. `source` names the provider and server in the error (`openai at api.openai.com:443`).
pub fn check_embeddings(
    source: &str,
    space: &EmbeddingSpace,
    expected: usize,
    vectors: Vec<Vec<f32>>,
) -> crate::Result<Vec<Embedding>> {
    if vectors.len() != expected {
        return Err(StorageError::backend(
            format!("embedding with {source}"),
            format!("{expected} texts were sent but {} vectors came back", vectors.len()),
        ));
    }
    vectors
        .into_iter()
        .enumerate()
        .map(|(index, values)| {
            if values.len() != space.dimensions as usize {
                return Err(StorageError::backend(
                    format!("embedding with {source}"),
                    format!(
                        "vector {index} has {} dimensions but {} has {}",
                        values.len(),
                        space.describe(),
                        space.dimensions
                    ),
                ));
            }
            Embedding::new(values).map_err(|error| {
                StorageError::backend(format!("embedding with {source}"), format!("vector {index}: {error}"))
            })
        })
        .collect()
}

/// Checks that `embedder` produces vectors of the recorded `space`: the same dimensions, and the same
/// provider and model where both name one. The metric is the collection's choice, not the embedder's.
pub fn check_embedder(
    collection: &CollectionName,
    space: &EmbeddingSpace,
    embedder: &dyn Embedder,
) -> crate::Result<()> {
    let produced = EmbeddingSpace { metric: space.metric, ..embedder.space().clone() };
    space.check_compatible(collection, &produced)
}

/// Embeds every chunk of `chunks` that has no vector, with `embedder`, into the collection's recorded `space`.
///
/// A caller's vector wins and is left alone (the store still checks it). The embedder's space must be
/// compatible with the recorded one. Returns how many chunks were embedded.
pub async fn embed_missing(
    embedder: &dyn Embedder,
    collection: &CollectionName,
    space: &EmbeddingSpace,
    chunks: &mut [Chunk],
) -> crate::Result<usize> {
    let missing: Vec<usize> = (0..chunks.len()).filter(|&index| chunks[index].embedding.is_none()).collect();
    if missing.is_empty() {
        return Ok(0);
    }
    check_embedder(collection, space, embedder)?;
    let texts: Vec<&str> = missing.iter().map(|&index| chunks[index].text.as_str()).collect();
    let vectors = embedder.embed(&texts).await?;
    if vectors.len() != missing.len() {
        return Err(StorageError::backend(
            format!("embedding with {}", embedder.space().describe()),
            format!("{} texts were sent but {} vectors came back", missing.len(), vectors.len()),
        ));
    }
    for (index, vector) in missing.iter().zip(vectors) {
        chunks[*index].embedding = Some(vector);
    }
    Ok(missing.len())
}

/// Gives a vector or hybrid `request` that carries query text but no vector the embedding of that text.
/// Returns whether it embedded; keyword requests and requests with a vector are left alone.
pub async fn embed_query(
    embedder: &dyn Embedder,
    collection: &CollectionName,
    space: &EmbeddingSpace,
    request: &mut SearchRequest,
) -> crate::Result<bool> {
    if request.mode == SearchMode::Keyword || request.embedding.is_some() {
        return Ok(false);
    }
    let Some(text) = request.text.as_deref() else {
        return Ok(false);
    };
    check_embedder(collection, space, embedder)?;
    request.embedding = Some(embed_one(embedder, text).await?);
    Ok(true)
}

/// The embedding of one `text`.
pub async fn embed_one(embedder: &dyn Embedder, text: &str) -> crate::Result<Embedding> {
    embedder.embed(&[text]).await?.pop().ok_or_else(|| {
        StorageError::backend(
            format!("embedding with {}", embedder.space().describe()),
            "1 text was sent but no vector came back",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real (if tiny) embedder: the vector counts the text's vowels and consonants, so every expected
    /// value below is derived from the fixture text.
    #[derive(Debug)]
    struct LetterCounts(EmbeddingSpace);

    #[async_trait]
    impl Embedder for LetterCounts {
        fn space(&self) -> &EmbeddingSpace {
            &self.0
        }
        async fn embed(&self, texts: &[&str]) -> crate::Result<Vec<Embedding>> {
            let vectors = texts
                .iter()
                .map(|text| {
                    let vowels = text.chars().filter(|c| "aeiou".contains(*c)).count() as f32;
                    let others = text.chars().filter(|c| c.is_alphabetic() && !"aeiou".contains(*c)).count() as f32;
                    vec![vowels + 1.0, others + 1.0]
                })
                .collect();
            check_embeddings("letter counts", &self.0, texts.len(), vectors)
        }
    }

    fn letter_counts() -> LetterCounts {
        LetterCounts(EmbeddingSpace::new(2).unwrap().with_model("test", "letters"))
    }

    #[tokio::test]
    async fn only_chunks_without_a_vector_are_embedded() {
        let embedder = letter_counts();
        let given = Embedding::new(vec![9.0, 9.0]).unwrap();
        let mut chunks =
            vec![Chunk::new("a", "aa b"), Chunk::new("b", "xyz").with_embedding(given.clone()), Chunk::new("c", "")];
        let name = CollectionName::default();
        let embedded = embed_missing(&embedder, &name, embedder.space(), &mut chunks).await.unwrap();
        assert_eq!(embedded, 2);
        assert_eq!(chunks[0].embedding.as_ref().unwrap().as_slice(), &[3.0, 2.0]);
        assert_eq!(chunks[1].embedding.as_ref(), Some(&given));
        assert_eq!(chunks[2].embedding.as_ref().unwrap().as_slice(), &[1.0, 1.0]);
    }

    #[tokio::test]
    async fn an_embedder_of_another_model_is_refused_naming_both() {
        let embedder = letter_counts();
        let recorded = EmbeddingSpace::new(2).unwrap().with_model("test", "other");
        let mut chunks = vec![Chunk::new("a", "text")];
        let err = embed_missing(&embedder, &CollectionName::default(), &recorded, &mut chunks).await.unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StorageError::ModelMismatch { .. }), "{text}");
        assert!(text.contains("test/other") && text.contains("test/letters"), "{text}");
        assert!(chunks[0].embedding.is_none());
        // The metric is the collection's: an L2 collection takes the same model's vectors.
        let l2 = embedder.space().clone().with_metric(crate::Metric::L2);
        assert_eq!(embed_missing(&embedder, &CollectionName::default(), &l2, &mut chunks).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn query_text_is_embedded_for_vector_and_hybrid_only() {
        let embedder = letter_counts();
        let name = CollectionName::default();
        let mut keyword = SearchRequest::keyword("aei");
        assert!(!embed_query(&embedder, &name, embedder.space(), &mut keyword).await.unwrap());
        assert!(keyword.embedding.is_none());
        let mut hybrid = SearchRequest::keyword("aei");
        hybrid.mode = SearchMode::Hybrid;
        assert!(embed_query(&embedder, &name, embedder.space(), &mut hybrid).await.unwrap());
        assert_eq!(hybrid.embedding.unwrap().as_slice(), &[4.0, 1.0]);
        let given = Embedding::new(vec![5.0, 5.0]).unwrap();
        let mut vector = SearchRequest::vector(given.clone());
        vector.text = Some("aei".into());
        assert!(!embed_query(&embedder, &name, embedder.space(), &mut vector).await.unwrap());
        assert_eq!(vector.embedding, Some(given));
    }

    #[test]
    fn answers_with_the_wrong_count_or_length_name_both_numbers() {
        let space = EmbeddingSpace::new(3).unwrap().with_model("openai", "m");
        let err = check_embeddings("openai at h:1", &space, 2, vec![vec![1.0, 2.0, 3.0]]).unwrap_err().to_string();
        assert!(err.contains("openai at h:1") && err.contains("2 texts") && err.contains("1 vectors"), "{err}");
        let err = check_embeddings("openai at h:1", &space, 1, vec![vec![1.0, 2.0]]).unwrap_err().to_string();
        assert!(err.contains("2 dimensions") && err.contains("has 3"), "{err}");
        let err = check_embeddings("s", &space, 1, vec![vec![1.0, f32::NAN, 0.0]]).unwrap_err().to_string();
        assert!(err.contains("vector 0: [1]: NaN"), "{err}");
        assert_eq!(check_embeddings("s", &space, 1, vec![vec![1.0, 2.0, 3.0]]).unwrap().len(), 1);
    }
}
