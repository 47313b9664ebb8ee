//! Binary `COPY` of a batch into a per-session staging table: PostgreSQL's binary COPY format encoded by
//! hand (sqlx has no COPY encoder), including pgvector's binary `vector` and `jsonb` version 1.

use sqlx::PgConnection;
use storage_core::{Chunk, TextLanguage};

use super::keyword_sql::KeywordColumns;

/// The staging table: temporary, emptied at every commit, created once per session.
pub(crate) const STAGING_TABLE: &str = "pg_temp.bs_upsert_staging";

const STAGING_EXISTS: &str = "SELECT to_regclass('pg_temp.bs_upsert_staging') IS NOT NULL";
const CREATE_STAGING: &str = "CREATE TEMP TABLE IF NOT EXISTS bs_upsert_staging \
     (id text COLLATE \"C\" NOT NULL, \"text\" text NOT NULL, metadata jsonb NOT NULL, embedding vector, \
     tsv tsvector NOT NULL, n_terms integer NOT NULL) \
     ON COMMIT DELETE ROWS";
const COPY_IN: &str =
    "COPY pg_temp.bs_upsert_staging (id, \"text\", metadata, embedding, tsv, n_terms) FROM STDIN WITH (FORMAT binary)";

/// Bytes sent per `CopyData` message.
const SEND_CHUNK: usize = 1 << 20;

/// The 19-byte header of binary COPY: signature, flags, header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

fn field(buffer: &mut Vec<u8>, bytes: &[u8]) {
    let length = i32::try_from(bytes.len()).expect("core caps texts at 1 MB and metadata at 256 KiB");
    buffer.extend_from_slice(&length.to_be_bytes());
    buffer.extend_from_slice(bytes);
}

/// Encodes chunks as binary COPY rows `(id, text, metadata, embedding, tsv, n_terms)`, header and trailer
/// included; the keyword columns hold core's terms of the text in `language`.
pub(crate) fn encode(chunks: &[Chunk], language: TextLanguage) -> Vec<u8> {
    let estimate: usize = chunks
        .iter()
        .map(|c| 32 + c.id.len() + c.text.len() + 64 + c.embedding.as_ref().map_or(0, |e| 4 + 4 * e.as_slice().len()))
        .sum();
    let mut buffer = Vec::with_capacity(HEADER.len() + estimate + 2);
    buffer.extend_from_slice(HEADER);
    for chunk in chunks {
        buffer.extend_from_slice(&6i16.to_be_bytes());
        field(&mut buffer, chunk.id.as_bytes());
        field(&mut buffer, chunk.text.as_bytes());
        // jsonb binary format: version 1, then the JSON text.
        let mut jsonb = vec![1u8];
        serde_json::to_writer(&mut jsonb, &chunk.metadata).expect("a JSON object always serialises");
        field(&mut buffer, &jsonb);
        match &chunk.embedding {
            None => buffer.extend_from_slice(&(-1i32).to_be_bytes()),
            Some(embedding) => {
                // pgvector binary format: u16 dimensions, u16 unused, then big-endian f32 values.
                let values = embedding.as_slice();
                let mut vector = Vec::with_capacity(4 + 4 * values.len());
                let dimensions = u16::try_from(values.len()).expect("pgvector dimensions fit in u16 (core caps them)");
                vector.extend_from_slice(&dimensions.to_be_bytes());
                vector.extend_from_slice(&0u16.to_be_bytes());
                for value in values {
                    vector.extend_from_slice(&value.to_be_bytes());
                }
                field(&mut buffer, &vector);
            }
        }
        let keyword = KeywordColumns::new(&chunk.text, language);
        field(&mut buffer, &keyword.binary());
        field(&mut buffer, &keyword.n_terms.to_be_bytes());
    }
    buffer.extend_from_slice(&(-1i16).to_be_bytes());
    buffer
}

/// Creates the session's staging table if needed and copies `chunks` into it (inside the caller's
/// transaction, so the rows vanish at its end).
pub(crate) async fn copy_to_staging(
    connection: &mut PgConnection,
    chunks: &[Chunk],
    language: TextLanguage,
) -> Result<u64, sqlx::Error> {
    let exists: bool = sqlx::query_scalar(STAGING_EXISTS).fetch_one(&mut *connection).await?;
    if !exists {
        sqlx::query(CREATE_STAGING).execute(&mut *connection).await?;
    }
    let data = encode(chunks, language);
    let mut copy = connection.copy_in_raw(COPY_IN).await?;
    for piece in data.chunks(SEND_CHUNK) {
        if let Err(error) = copy.send(piece).await {
            let _aborted = copy.abort("brainstore could not send the batch").await;
            return Err(error);
        }
    }
    copy.finish().await
}

#[cfg(test)]
mod tests {
    use storage_core::{Embedding, Metadata};

    use super::*;

    #[test]
    fn encodes_header_rows_nulls_and_trailer() {
        let chunks = vec![
            Chunk::new("a", "x")
                .with_metadata(Metadata::from_value(serde_json::json!({"k": 1})).unwrap())
                .with_embedding(Embedding::new(vec![1.0, -2.0]).unwrap()),
            Chunk::new("b", ""),
        ];
        let bytes = encode(&chunks, TextLanguage::English);
        assert!(bytes.starts_with(b"PGCOPY\n\xff\r\n\0"));
        assert_eq!(&bytes[bytes.len() - 2..], &[0xff, 0xff]);
        let row = &bytes[HEADER.len()..];
        assert_eq!(&row[..2], &6i16.to_be_bytes());
        assert_eq!(&row[2..6], &1i32.to_be_bytes());
        assert_eq!(row[6], b'a');
        // The second row: embedding NULL (length -1), an empty tsvector (0 entries) and 0 terms, then the trailer.
        let tail =
            [(-1i32).to_be_bytes(), 4i32.to_be_bytes(), 0i32.to_be_bytes(), 4i32.to_be_bytes(), 0i32.to_be_bytes()]
                .concat();
        assert_eq!(&bytes[bytes.len() - 2 - tail.len()..bytes.len() - 2], tail.as_slice());
        let vector = [0u8, 2, 0, 0, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0];
        assert!(bytes.windows(vector.len()).any(|w| w == vector), "pgvector binary vector");
    }
}
