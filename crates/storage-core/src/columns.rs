//! `ChunkColumns`: a batch as Chroma's API spells it, one list per field (`ids`, `documents`, `metadatas`,
//! `embeddings`), turned into chunks with ids generated where the caller gave none.

use crate::document::{Chunk, Metadata, ids_or_generated};
use crate::embedding::Embedding;
use crate::error::StorageError;

/// One list per field, each either absent or as long as the others. Field names are Chroma's, so errors
/// name what the caller passed (`metadatas: 2 values for 3 chunks`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChunkColumns {
    /// One id per chunk; absent: one generated per chunk ([`crate::generate_chunk_id`]).
    pub ids: Option<Vec<String>>,
    /// One text per chunk; absent: every text is empty.
    pub documents: Option<Vec<String>>,
    /// One metadata object per chunk (`None` entries are empty objects); absent: all empty.
    pub metadatas: Option<Vec<Option<Metadata>>>,
    /// One embedding per chunk (`None` entries have none); absent: no embeddings.
    pub embeddings: Option<Vec<Option<Embedding>>>,
}

impl ChunkColumns {
    /// How many chunks the columns describe: the length of the first present column. Every present column
    /// must have that length; with no column at all, the batch is refused as saying nothing.
    pub fn len(&self) -> crate::Result<usize> {
        let lengths = [
            ("ids", self.ids.as_ref().map(Vec::len)),
            ("documents", self.documents.as_ref().map(Vec::len)),
            ("metadatas", self.metadatas.as_ref().map(Vec::len)),
            ("embeddings", self.embeddings.as_ref().map(Vec::len)),
        ];
        let mut present = lengths.iter().filter_map(|(name, len)| len.map(|len| (*name, len)));
        let Some((first_name, n_chunks)) = present.next() else {
            return Err(StorageError::invalid(
                "documents",
                "give at least one of ids, documents, metadatas, embeddings",
            ));
        };
        for (name, len) in present {
            if len != n_chunks {
                return Err(StorageError::invalid(
                    name,
                    format!("{len} values for {n_chunks} chunks ({first_name} has {n_chunks}); give one per chunk"),
                ));
            }
        }
        Ok(n_chunks)
    }

    /// Whether no column is present.
    pub fn is_empty(&self) -> bool {
        self.ids.is_none() && self.documents.is_none() && self.metadatas.is_none() && self.embeddings.is_none()
    }

    /// The chunks, in column order, and their ids (the caller's, or generated ones to hand back).
    pub fn into_chunks(self) -> crate::Result<(Vec<String>, Vec<Chunk>)> {
        let n_chunks = self.len()?;
        let ids = ids_or_generated(self.ids, n_chunks)?;
        let mut documents = self.documents.map(Vec::into_iter);
        let mut metadatas = self.metadatas.map(Vec::into_iter);
        let mut embeddings = self.embeddings.map(Vec::into_iter);
        let chunks = ids
            .iter()
            .map(|id| Chunk {
                id: id.clone(),
                text: documents.as_mut().and_then(Iterator::next).unwrap_or_default(),
                metadata: metadatas.as_mut().and_then(Iterator::next).flatten().unwrap_or_default(),
                embedding: embeddings.as_mut().and_then(Iterator::next).flatten(),
            })
            .collect();
        Ok((ids, chunks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_become_chunks_with_generated_ids() {
        let columns = ChunkColumns {
            documents: Some(vec!["a".into(), "b".into()]),
            embeddings: Some(vec![Some(Embedding::new(vec![1.0]).unwrap()), None]),
            ..ChunkColumns::default()
        };
        let (ids, chunks) = columns.into_chunks().unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(chunks[1].id, ids[1]);
        assert_eq!(chunks[1].text, "b");
        assert!(chunks[0].embedding.is_some() && chunks[1].embedding.is_none());
        assert_eq!(chunks[0].metadata, Metadata::new());
    }

    #[test]
    fn a_column_of_another_length_is_named() {
        let columns = ChunkColumns {
            ids: Some(vec!["a".into(), "b".into(), "c".into()]),
            metadatas: Some(vec![None, None]),
            ..ChunkColumns::default()
        };
        let err = columns.into_chunks().unwrap_err().to_string();
        assert_eq!(err, "metadatas: 2 values for 3 chunks (ids has 3); give one per chunk");
        let err = ChunkColumns::default().into_chunks().unwrap_err().to_string();
        assert!(err.starts_with("documents: give at least one of"), "{err}");
    }
}
