//! Upsert: counts, replacement, last-wins de-duplication, atomicity.

use crate::StorageError;
use crate::document::Chunk;
use crate::embedding::Metric;
use crate::search::SearchRequest;
use crate::testing::fixtures::{DIM, collection, exact_order, ids, meta, name, one_hot, pseudo_random, vector};
use crate::testing::{StoreFactory, TestResult};
use serde_json::json;

pub async fn upsert_returns_inserted_and_updated_counts(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("upsert_counts").await;
    let c = collection(&store, "docs").await?;
    let first = store
        .upsert(
            &c,
            vec![Chunk::new("a", "one").with_embedding(one_hot(0)), Chunk::new("b", "two"), Chunk::new("c", "three")],
        )
        .await?;
    ensure!(first.inserted == 3 && first.updated == 0, "first batch: {first:?}");
    let second = store.upsert(&c, vec![Chunk::new("c", "three again"), Chunk::new("d", "four")]).await?;
    ensure!(second.inserted == 1 && second.updated == 1, "second batch: {second:?}");
    ensure!(store.count(&c, None).await? == 4, "count after two batches");
    Ok(())
}

pub async fn upsert_replaces_text_metadata_and_embedding(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("upsert_replaces").await;
    let c = collection(&store, "docs").await?;
    store
        .upsert(
            &c,
            vec![
                Chunk::new("a", "old text")
                    .with_metadata(meta(json!({"v": 1, "gone": true})))
                    .with_embedding(one_hot(0)),
            ],
        )
        .await?;
    store
        .upsert(&c, vec![Chunk::new("a", "new text").with_metadata(meta(json!({"v": 2}))).with_embedding(one_hot(3))])
        .await?;
    let got = store.get(&c, "a").await?.ok_or("chunk a is missing")?;
    ensure!(got.text == "new text", "text: {:?}", got.text);
    ensure!(got.metadata == meta(json!({"v": 2})), "metadata is replaced, not merged: {:?}", got.metadata);
    ensure!(
        got.embedding.as_ref().map(|e| e.as_slice().to_vec()) == Some(one_hot(3).into_vec()),
        "embedding: {:?}",
        got.embedding
    );
    // Replacing an embedding with none removes it.
    store.upsert(&c, vec![Chunk::new("a", "no vector")]).await?;
    let got = store.get(&c, "a").await?.ok_or("chunk a is missing")?;
    ensure!(got.embedding.is_none(), "embedding should be gone: {:?}", got.embedding);
    Ok(())
}

pub async fn duplicate_ids_in_a_batch_keep_the_last_occurrence(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("upsert_dedup").await;
    let c = collection(&store, "docs").await?;
    let summary = store
        .upsert(
            &c,
            vec![
                Chunk::new("a", "a_first").with_metadata(meta(json!({"n": 1}))).with_embedding(one_hot(0)),
                Chunk::new("b", "b").with_metadata(meta(json!({"n": 2}))),
                Chunk::new("a", "a_last").with_metadata(meta(json!({"n": 99}))).with_embedding(one_hot(5)),
            ],
        )
        .await?;
    ensure!(summary.inserted == 2 && summary.updated == 0 && summary.duplicates_in_batch == 1, "{summary:?}");
    ensure!(store.count(&c, None).await? == 2, "count");
    let a = store.get(&c, "a").await?.ok_or("a missing")?;
    ensure!(a.text == "a_last" && a.metadata == meta(json!({"n": 99})), "last occurrence wins: {a:?}");
    ensure!(a.embedding.map(|e| e.into_vec()) == Some(one_hot(5).into_vec()), "last embedding wins");
    Ok(())
}

pub async fn batch_with_one_bad_chunk_writes_nothing(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("upsert_atomic").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("keep", "original").with_embedding(one_hot(1))]).await?;

    let wrong_length = vector(&[1.0, 2.0, 3.0]);
    let batch = vec![
        Chunk::new("new1", "would be new").with_embedding(one_hot(2)),
        Chunk::new("keep", "would overwrite").with_embedding(one_hot(3)),
        Chunk::new("bad", "wrong dimensions").with_embedding(wrong_length),
    ];
    let err =
        store.upsert(&c, batch).await.err().ok_or("a batch with a 3-d vector in an 8-d collection was accepted")?;
    ensure!(matches!(err, StorageError::DimensionMismatch { stored: DIM, given: 3, .. }), "error: {err}");

    let nul = vec![Chunk::new("new2", "fine"), Chunk::new("nul", "bad\0text")];
    let err = store.upsert(&c, nul).await.err().ok_or("a batch with a NUL byte was accepted")?;
    ensure!(err.to_string().contains("chunks[1].text"), "error names the chunk: {err}");

    ensure!(store.count(&c, None).await? == 1, "nothing of the failed batches was written");
    let keep = store.get(&c, "keep").await?.ok_or("keep missing")?;
    ensure!(keep.text == "original", "existing chunk untouched: {:?}", keep.text);
    ensure!(store.get(&c, "new1").await?.is_none(), "new1 must not exist");
    Ok(())
}

pub async fn empty_batch_writes_nothing(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("upsert_empty").await;
    let c = collection(&store, "docs").await?;
    let summary = store.upsert(&c, Vec::new()).await?;
    ensure!(summary.written() == 0, "{summary:?}");
    ensure!(store.count(&c, None).await? == 0, "count");
    Ok(())
}

pub async fn chunks_without_embeddings_are_stored_and_keyword_searchable(factory: &dyn StoreFactory) -> TestResult {
    use crate::search::SearchRequest;
    let store = factory.fresh("upsert_text_only").await;
    let c = collection(&store, "docs").await?;
    store
        .upsert(
            &c,
            vec![Chunk::new("text-only", "zebra crossing"), Chunk::new("vec", "lion").with_embedding(one_hot(0))],
        )
        .await?;
    ensure!(store.count(&c, None).await? == 2, "count includes chunks without embeddings");
    let got = store.get(&c, "text-only").await?.ok_or("missing")?;
    ensure!(got.embedding.is_none(), "no embedding");
    let hits = store.search(&c, &SearchRequest::vector(one_hot(0)).top_k(10)).await?;
    ensure!(hits.iter().all(|h| h.id != "text-only"), "vector search skips chunks without embeddings");
    let hits = store.search(&c, &SearchRequest::keyword("zebra")).await?;
    ensure!(hits.len() == 1 && hits[0].id == "text-only", "keyword search finds it: {hits:?}");
    Ok(())
}

pub async fn upsert_keeps_created_at_and_advances_updated_at(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("upsert_timestamps").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("a", "v1")]).await?;
    let first = store.get(&c, "a").await?.ok_or("missing")?;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    store.upsert(&c, vec![Chunk::new("a", "v2")]).await?;
    let second = store.get(&c, "a").await?.ok_or("missing")?;
    ensure!(second.created_at == first.created_at, "created_at kept: {} vs {}", first.created_at, second.created_at);
    ensure!(second.updated_at > first.updated_at, "updated_at advanced: {} vs {}", first.updated_at, second.updated_at);
    ensure!(first.updated_at >= first.created_at, "updated_at ≥ created_at");
    Ok(())
}

pub async fn metadata_and_text_round_trip_exactly(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("upsert_round_trip").await;
    let c = collection(&store, "docs").await?;
    let metadata = meta(json!({
        "int": 42, "negative": -7, "float": 0.1, "big": 18_446_744_073_709_551_615u64, "tiny": 1e-300,
        "bool": true, "null": null, "string": "héllo 🌍 مرحبا", "empty": "", "array": [1, "two", [3], {"four": 4}],
        "object": {"nested": {"deep": [true, false]}}, "": "empty key", "quote\"key": "it's",
    }));
    let text = "Ünïcödé 🚀 text\twith\ttabs\nand newlines, RTL مرحبا and CJK 漢字; 'quotes' \"double\" \\ backslash";
    let embedding = pseudo_random(7, DIM);
    store
        .upsert(
            &c,
            vec![
                Chunk::new("id with spaces/and:symbols?é", text)
                    .with_metadata(metadata.clone())
                    .with_embedding(embedding.clone()),
            ],
        )
        .await?;
    let got = store.get(&c, "id with spaces/and:symbols?é").await?.ok_or("missing")?;
    ensure!(got.text == text, "text: {:?}", got.text);
    ensure!(got.metadata == metadata, "metadata: {:?}\nexpected {:?}", got.metadata, metadata);
    let stored = got.embedding.ok_or("embedding missing")?;
    for (a, b) in stored.as_slice().iter().zip(embedding.as_slice()) {
        ensure!((a - b).abs() <= 1e-6, "embedding differs: {stored:?} vs {embedding:?}");
    }
    Ok(())
}

pub async fn bulk_load_keeps_every_batch_searchable_and_exact(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("upsert_bulk_load").await;
    let nowhere = name("nowhere");
    ensure!(
        matches!(store.begin_bulk_load(&nowhere).await, Err(StorageError::NotInitialized { .. })),
        "a bulk load of a missing collection is refused"
    );
    store.finish_bulk_load(&nowhere).await?;
    let c = collection(&store, "docs").await?;
    store.begin_bulk_load(&c).await?;
    let chunks: Vec<Chunk> = (0..660)
        .map(|i| Chunk::new(format!("b{i:03}"), format!("bulk text {i}")).with_embedding(pseudo_random(2_000 + i, DIM)))
        .collect();
    // 250, 250 and 160: large batches (PostgreSQL's COPY path) and a small one (its multi-row insert).
    for batch in chunks.chunks(250) {
        store.upsert(&c, batch.to_vec()).await?;
    }
    let query = pseudo_random(77, DIM);
    let expected: Vec<String> =
        exact_order(&chunks, &query, Metric::Cosine).into_iter().take(10).map(|(_, id)| id).collect();
    let during = store.search(&c, &SearchRequest::vector(query.clone()).top_k(10)).await?;
    ensure!(ids(&during) == expected, "exact top 10 during the load: {:?} vs {expected:?}", ids(&during));
    store.finish_bulk_load(&c).await?;
    store.finish_bulk_load(&c).await?;
    ensure!(store.count(&c, None).await? == 660, "every batch is in");
    for i in [0, 330, 659] {
        let chunk = &chunks[i];
        let own = chunk.embedding.clone().ok_or("fixture chunks carry embeddings")?;
        let hits = store.search(&c, &SearchRequest::vector(own).top_k(1)).await?;
        ensure!(ids(&hits) == [chunk.id.clone()], "after the load {} finds itself: {:?}", chunk.id, ids(&hits));
    }
    let keyword = store.search(&c, &SearchRequest::keyword("bulk 330")).await?;
    ensure!(ids(&keyword).first().map(String::as_str) == Some("b330"), "keyword after the load: {:?}", ids(&keyword));
    // A second load into the filled collection adds to it.
    store.begin_bulk_load(&c).await?;
    store.upsert(&c, vec![Chunk::new("late", "late text").with_embedding(one_hot(2))]).await?;
    store.finish_bulk_load(&c).await?;
    let hits = store.search(&c, &SearchRequest::vector(one_hot(2)).top_k(1)).await?;
    ensure!(ids(&hits) == ["late"], "the second load's chunk is found: {:?}", ids(&hits));
    Ok(())
}
