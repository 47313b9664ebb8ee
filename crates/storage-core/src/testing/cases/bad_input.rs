//! Bad input: refused with a clear error naming the field, and nothing written.

use serde_json::json;

use crate::StorageError;
use crate::document::{Chunk, MAX_BATCH_CHUNKS, MAX_ID_BYTES, MAX_TEXT_BYTES, Metadata};
use crate::embedding::{Embedding, Metric};
use crate::search::{SearchMode, SearchRequest};
use crate::testing::fixtures::{DIM, collection, exact_order, name, one_hot, space_with_metric, vector};
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

/// `values` along `axis` of the fixture space, zero elsewhere.
fn along(axis: usize, value: f32) -> Embedding {
    let mut values = vec![0.0; DIM as usize];
    values[axis] = value;
    vector(&values)
}

pub async fn degenerate_vectors_are_refused_where_the_metric_cannot_score_them(
    factory: &dyn StoreFactory,
) -> TestResult {
    let store = factory.fresh("bad_degenerate_vectors").await;
    let huge = vector(&[3e38; DIM as usize]);
    let tiny = vector(&[1e-45; DIM as usize]);
    let zero = vector(&[0.0; DIM as usize]);
    for &metric in Metric::ALL {
        let c = name(&format!("docs_{metric}"));
        store.create_collection(&c, Some(&space_with_metric(metric))).await?;
        let mut refused = vec![huge.clone()];
        let mut accepted = vec![Chunk::new("axis", "t").with_embedding(one_hot(0))];
        if metric.needs_direction() {
            refused.extend([tiny.clone(), zero.clone()]);
        } else {
            accepted.extend([
                Chunk::new("tiny", "t").with_embedding(tiny.clone()),
                Chunk::new("zero", "t").with_embedding(zero.clone()),
            ]);
        }
        for bad in &refused {
            let batch = vec![
                Chunk::new("fine", "t").with_embedding(one_hot(1)),
                Chunk::new("bad", "t").with_embedding(bad.clone()),
            ];
            let err = store
                .upsert(&c, batch)
                .await
                .err()
                .ok_or_else(|| format!("{metric}: {} accepted", bad.as_slice()[0]))?;
            ensure!(
                matches!(&err, StorageError::InvalidInput { field, .. } if field == "chunks[1].embedding"),
                "{metric}: {err}"
            );
            let err = store
                .search(&c, &SearchRequest::vector(bad.clone()))
                .await
                .err()
                .ok_or_else(|| format!("{metric}: {} query accepted", bad.as_slice()[0]))?;
            ensure!(
                matches!(&err, StorageError::InvalidInput { field, .. } if field == "embedding"),
                "{metric}: {err}"
            );
        }
        ensure!(store.count(&c, None).await? == 0, "{metric}: nothing written");
        store.upsert(&c, accepted.clone()).await?;
        let queries =
            if metric.needs_direction() { vec![one_hot(0)] } else { vec![one_hot(0), tiny.clone(), zero.clone()] };
        for query in queries {
            check_against_the_reference(&store, &c, &accepted, &query, metric).await?;
        }
    }
    // Cosine at both bounds: the shortest and the longest vector it takes score as the reference says.
    let c = name("docs_bounds");
    store.create_collection(&c, Some(&space_with_metric(Metric::Cosine))).await?;
    let chunks = vec![
        Chunk::new("short", "t").with_embedding(along(0, 1.1e-19)),
        Chunk::new("long", "t").with_embedding(along(1, 9.2e18)),
        Chunk::new("unit", "t").with_embedding(one_hot(2)),
    ];
    store.upsert(&c, chunks.clone()).await?;
    for query in [one_hot(0), along(0, 1.1e-19), along(1, 9.2e18)] {
        check_against_the_reference(&store, &c, &chunks, &query, Metric::Cosine).await?;
    }
    Ok(())
}

/// A vector search for `query` returns every chunk, in the reference order, with the reference distance
/// and a score in [0, 1].
async fn check_against_the_reference(
    store: &std::sync::Arc<dyn crate::store::DocumentStore>,
    c: &crate::CollectionName,
    chunks: &[Chunk],
    query: &Embedding,
    metric: Metric,
) -> TestResult {
    let hits = store.search(c, &SearchRequest::vector(query.clone()).top_k(10)).await?;
    let expected = exact_order(chunks, query, metric);
    ensure!(
        hits.len() == expected.len(),
        "{metric} {:?}: {} hits, expected {}",
        query.as_slice(),
        hits.len(),
        expected.len()
    );
    for (hit, (distance, _)) in hits.iter().zip(&expected) {
        let got = hit.distance.ok_or("a vector hit carries its distance")?;
        let close = (got - distance).abs() <= 1e-5 * distance.abs().max(1.0);
        ensure!(close, "{metric} {:?}: {} at distance {got}, expected {distance}", query.as_slice(), hit.id);
        ensure!((0.0..=1.0).contains(&hit.score), "{metric}: {} scored {}", hit.id, hit.score);
    }
    let mut got: Vec<&str> = hits.iter().map(|hit| hit.id.as_str()).collect();
    let mut want: Vec<&str> = expected.iter().map(|(_, id)| id.as_str()).collect();
    // Equal distances may come in either order within a backend's precision; compare as sets then.
    got.sort_unstable();
    want.sort_unstable();
    ensure!(got == want, "{metric} {:?}: {got:?}, expected {want:?}", query.as_slice());
    Ok(())
}
