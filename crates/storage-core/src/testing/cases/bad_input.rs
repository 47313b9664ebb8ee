//! Bad input: refused with a clear error naming the field, and nothing written.

use serde_json::json;

use crate::StorageError;
use crate::document::{Chunk, MAX_BATCH_CHUNKS, MAX_ID_BYTES, MAX_TEXT_BYTES, Metadata};
use crate::embedding::Embedding;
use crate::search::{SearchMode, SearchRequest};
use crate::testing::fixtures::{collection, one_hot, vector};
use crate::testing::{StoreFactory, TestResult};

pub async fn nan_and_infinity_never_reach_the_store(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("bad_nan").await;
    let c = collection(&store, "docs").await?;
    for values in [vec![f32::NAN; 8], vec![f32::INFINITY; 8], vec![f32::NEG_INFINITY; 8]] {
        ensure!(Embedding::new(values).is_err(), "non-finite values are refused at construction");
    }
    let parsed: Result<Chunk, _> =
        serde_json::from_value(json!({"id": "x", "text": "t", "embedding": [1e39, 0, 0, 0, 0, 0, 0, 0]}));
    ensure!(parsed.is_err(), "a value that overflows f32 is refused when parsed");
    let err = store
        .upsert(&c, vec![Chunk::new("zero", "t").with_embedding(vector(&[0.0; 8]))])
        .await
        .err()
        .ok_or("a zero vector was accepted for cosine")?;
    ensure!(matches!(err, StorageError::InvalidInput { .. }), "{err}");
    ensure!(store.count(&c, None).await? == 0, "nothing written");
    Ok(())
}

pub async fn nul_bytes_are_refused_and_nothing_is_written(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("bad_nul").await;
    let c = collection(&store, "docs").await?;
    ensure!(Metadata::from_value(json!({"k": "a\u{0}b"})).is_err(), "NUL in a metadata value");
    ensure!(Metadata::from_value(json!({"k\u{0}": "v"})).is_err(), "NUL in a metadata key");
    for (chunk, field) in [(Chunk::new("id\0", "t"), "chunks[0].id"), (Chunk::new("ok", "t\0"), "chunks[0].text")] {
        let err = store.upsert(&c, vec![chunk]).await.err().ok_or("NUL accepted")?;
        ensure!(matches!(&err, StorageError::InvalidInput { field: f, .. } if f == field), "{err}");
    }
    let err = store.search(&c, &SearchRequest::keyword("a\0b")).await.err().ok_or("NUL in a query accepted")?;
    ensure!(matches!(err, StorageError::InvalidInput { .. }), "{err}");
    ensure!(store.count(&c, None).await? == 0, "nothing written");
    Ok(())
}

pub async fn long_text_is_stored_faithfully_up_to_the_limit(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("bad_long_text").await;
    let c = collection(&store, "docs").await?;
    let mut text = String::with_capacity(MAX_TEXT_BYTES);
    let mut n = 0u64;
    while text.len() < MAX_TEXT_BYTES - 40 {
        text.push_str(&format!("w{n} ünï "));
        n += 1;
    }
    text.push_str("finalwordmarker");
    while text.len() < MAX_TEXT_BYTES {
        text.push('.');
    }
    ensure!(text.len() == MAX_TEXT_BYTES, "fixture is exactly at the limit");
    store.upsert(&c, vec![Chunk::new("long", text.clone()).with_embedding(one_hot(0))]).await?;
    let got = store.get(&c, "long").await?.ok_or("missing")?;
    ensure!(got.text == text, "stored faithfully ({} bytes back)", got.text.len());
    let hits = store.search(&c, &SearchRequest::keyword("finalwordmarker")).await?;
    ensure!(hits.len() == 1, "a word at the very end is searchable");
    let too_long = "x".repeat(MAX_TEXT_BYTES + 1);
    let err = store.upsert(&c, vec![Chunk::new("too-long", too_long)]).await.err().ok_or("over-limit text accepted")?;
    ensure!(matches!(err, StorageError::InvalidInput { .. }) && err.to_string().contains("limit"), "{err}");
    ensure!(store.count(&c, None).await? == 1, "only the first chunk");
    Ok(())
}

pub async fn oversized_batch_is_refused(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("bad_oversized_batch").await;
    let c = collection(&store, "docs").await?;
    let batch: Vec<Chunk> = (0..=MAX_BATCH_CHUNKS).map(|i| Chunk::new(i.to_string(), "t")).collect();
    let err = store.upsert(&c, batch).await.err().ok_or("oversized batch accepted")?;
    ensure!(
        matches!(err, StorageError::InvalidInput { .. }) && err.to_string().contains(&MAX_BATCH_CHUNKS.to_string()),
        "{err}"
    );
    ensure!(store.count(&c, None).await? == 0, "nothing written");
    Ok(())
}

pub async fn invalid_search_requests_are_refused(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("bad_search").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("a", "text").with_embedding(one_hot(0))]).await?;
    let cases = [
        (SearchRequest::with_mode(SearchMode::Vector, Some("text".into()), None), "embedding"),
        (SearchRequest::with_mode(SearchMode::Hybrid, Some("text".into()), None), "embedding"),
        (SearchRequest::with_mode(SearchMode::Hybrid, None, Some(one_hot(0))), "text"),
        (SearchRequest::with_mode(SearchMode::Keyword, None, None), "text"),
        (SearchRequest::keyword("text").top_k(0), "top_k"),
        (SearchRequest::keyword("text").top_k(100_000), "top_k"),
        (SearchRequest::keyword("text").min_score(-0.1), "min_score"),
    ];
    for (request, field) in cases {
        let err = store.search(&c, &request).await.err().ok_or_else(|| format!("{request:?} was accepted"))?;
        ensure!(
            matches!(&err, StorageError::InvalidInput { field: f, .. } if f == field),
            "expected an error naming {field}: {err}"
        );
    }
    Ok(())
}

pub async fn bad_ids_are_refused(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("bad_ids").await;
    let c = collection(&store, "docs").await?;
    for id in [String::new(), "i".repeat(MAX_ID_BYTES + 1)] {
        let err = store
            .upsert(&c, vec![Chunk::new("fine", "t"), Chunk::new(id.clone(), "t")])
            .await
            .err()
            .ok_or("bad id accepted")?;
        ensure!(matches!(&err, StorageError::InvalidInput { field, .. } if field == "chunks[1].id"), "{err}");
    }
    store.upsert(&c, vec![Chunk::new("i".repeat(MAX_ID_BYTES), "t")]).await?;
    ensure!(store.count(&c, None).await? == 1, "only the id at the limit was written");
    Ok(())
}
