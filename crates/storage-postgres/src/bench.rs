//! Benchmark support (feature `bench`): the binary COPY bytes the ingest path sends, so the benchmark's
//! `psql \copy` baseline loads exactly the same rows in the same format.

use storage_core::Chunk;

/// `chunks` in PostgreSQL's binary COPY format, columns `(id, text, metadata, embedding, tsv, n_terms)`, the
/// keyword columns in English.
pub fn binary_copy(chunks: &[Chunk]) -> Vec<u8> {
    crate::ops::copy::encode(chunks, storage_core::TextLanguage::English)
}
