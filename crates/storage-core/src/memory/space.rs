//! The rules of the memory embedding space and of memory writes that every backend applies: a memory
//! vector against the recorded space, a change of space, model names and the dedup threshold.

use crate::collection::CollectionName;
use crate::embedding::{Embedding, EmbeddingSpace};
use crate::error::StorageError;

/// The name mismatch errors give the memory embedding space (`in collection \`memories\``).
pub(crate) fn memories() -> CollectionName {
    CollectionName::new("memories").expect("`memories` is a valid collection name")
}

/// Checks a memory or query embedding (`field`) against the recorded memory embedding space: one must be
/// recorded, and the vector must fit it.
pub fn check_memory_embedding(space: Option<&EmbeddingSpace>, field: &str, embedding: &Embedding) -> crate::Result<()> {
    let space = space.ok_or_else(StorageError::missing_memory_space)?;
    space.check_vector(&memories(), field, embedding)
}

/// What to record when `given` is offered over the `stored` memory embedding space
/// ([`EmbeddingSpace::completed_by`]): a different space is refused (switching is
/// `replace_memory_embedding_space`), a provider or model given for the first time completes the stored
/// space (`Some`), and the same space again changes nothing (`None`).
pub fn memory_space_change(stored: &EmbeddingSpace, given: &EmbeddingSpace) -> crate::Result<Option<EmbeddingSpace>> {
    stored.completed_by(&memories(), given)
}

/// Checks an embedding model's name (`model`, `embedding_model`): 1 to 500 bytes without NUL, like every
/// short label of a memory.
pub fn check_model_name(field: &str, model: &str) -> crate::Result<()> {
    check_label(field, model)
}

/// Checks a short label of a memory (key, subject, source, model name): 1 to 500 bytes without NUL.
pub(crate) fn check_label(field: &str, value: &str) -> crate::Result<()> {
    if value.is_empty() || value.len() > 500 || value.contains('\0') {
        return Err(StorageError::invalid(field, "must be 1 to 500 bytes without NUL"));
    }
    Ok(())
}

/// Checks a dedup threshold: a similarity from 0 to 1.
pub fn check_dedup_threshold(threshold: f32) -> crate::Result<()> {
    crate::check_range("dedup_threshold", threshold, 0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_vector_needs_a_recorded_space_that_fits() {
        let vector = Embedding::new(vec![1.0, 0.0]).unwrap();
        let err = check_memory_embedding(None, "embedding", &vector).unwrap_err();
        assert_eq!(err.to_string(), StorageError::missing_memory_space().to_string());
        let space = EmbeddingSpace::new(3).unwrap();
        let err = check_memory_embedding(Some(&space), "embedding", &vector).unwrap_err();
        assert!(matches!(err, StorageError::DimensionMismatch { stored: 3, given: 2, .. }), "{err}");
    }

    #[test]
    fn names_and_thresholds_are_checked_with_one_message() {
        assert!(check_model_name("model", "all-MiniLM-L6-v2").is_ok());
        assert_eq!(check_model_name("model", "").unwrap_err().to_string(), "model: must be 1 to 500 bytes without NUL");
        assert!(check_dedup_threshold(0.92).is_ok());
        assert_eq!(
            check_dedup_threshold(1.5).unwrap_err().to_string(),
            "dedup_threshold: must be between 0 and 1, got 1.5"
        );
        assert!(check_dedup_threshold(f32::NAN).is_err());
    }
}
