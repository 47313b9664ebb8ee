//! Reading many chunks in one call (by ids, filters or both, with `include`), generated ids, and
//! `delete_all`.

use std::collections::BTreeSet;

use serde_json::json;

use crate::document::{Chunk, ids_or_generated};
use crate::error::StorageError;
use crate::filter::DocumentFilter;
use crate::get::{GetRequest, Include, hit_embeddings};
use crate::search::SearchRequest;
use crate::store::ListRequest;
use crate::testing::fixtures::{collection, corpus, filter, filters, ids, meta, one_hot, space};
use crate::testing::{StoreFactory, TestResult};

fn fetched_ids(chunks: &[crate::get::FetchedChunk]) -> Vec<String> {
    chunks.iter().map(|chunk| chunk.id.clone()).collect()
}

pub async fn get_many_returns_requested_ids_in_request_order_without_missing(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("get_many_order").await;
    let c = collection(&store, "docs").await?;
    let chunks = vec![
        Chunk::new("a", "text a").with_metadata(meta(json!({"n": 1}))).with_embedding(one_hot(0)),
        Chunk::new("b", "text b").with_embedding(one_hot(1)),
        Chunk::new("c", "text c").with_metadata(meta(json!({"n": 3}))),
    ];
    store.upsert(&c, chunks.clone()).await?;
    let got = store.get_many(&c, &GetRequest::ids(["c", "missing", "a", "c", ".", ".."])).await?;
    ensure!(fetched_ids(&got) == ["c", "a"], "request order, each once, missing absent: {:?}", fetched_ids(&got));
    ensure!(got[0].text.as_deref() == Some("text c"), "text by default: {:?}", got[0]);
    ensure!(got[1].metadata.as_ref() == Some(&chunks[0].metadata), "metadata by default: {:?}", got[1]);
    ensure!(got.iter().all(|chunk| chunk.embedding.is_none()), "no vectors unless asked for");
    ensure!(store.get_many(&c, &GetRequest::ids(Vec::<String>::new())).await?.is_empty(), "no ids, no chunks");
    let paged = store.get_many(&c, &GetRequest::ids(["b", "c", "a"]).offset(1).limit(1)).await?;
    ensure!(fetched_ids(&paged) == ["c"], "offset and limit follow the request order: {:?}", fetched_ids(&paged));
    Ok(())
}

pub async fn get_many_returns_only_the_included_parts(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("get_many_include").await;
    let c = collection(&store, "docs").await?;
    let chunk = Chunk::new("a", "the text").with_metadata(meta(json!({"k": "v"}))).with_embedding(one_hot(2));
    store.upsert(&c, vec![chunk.clone(), Chunk::new("plain", "no vector")]).await?;
    let request = GetRequest::ids(["a", "plain"]);

    let all = store.get_many(&c, &request.clone().include(Include::ALL)).await?;
    ensure!(all[0].text.as_deref() == Some("the text"), "text: {:?}", all[0]);
    ensure!(all[0].metadata.as_ref() == Some(&chunk.metadata), "metadata: {:?}", all[0]);
    ensure!(all[0].embedding == chunk.embedding, "the stored vector: {:?}", all[0].embedding);
    ensure!(all[1].embedding.is_none(), "a chunk without a vector has none: {:?}", all[1]);

    let nothing = store.get_many(&c, &request.clone().include(Include::NOTHING)).await?;
    ensure!(fetched_ids(&nothing) == ["a", "plain"], "ids always: {:?}", fetched_ids(&nothing));
    ensure!(
        nothing.iter().all(|chunk| chunk.text.is_none() && chunk.metadata.is_none() && chunk.embedding.is_none()),
        "nothing else: {nothing:?}"
    );
    let stored = store.get(&c, "a").await?.ok_or("a is stored")?;
    ensure!(nothing[0].created_at == stored.created_at, "timestamps always: {:?}", nothing[0]);

    let vectors_only = Include { text: false, metadata: false, embedding: true };
    let got = store.get_many(&c, &request.include(vectors_only)).await?;
    ensure!(got[0].embedding == chunk.embedding && got[0].text.is_none(), "only the vector: {:?}", got[0]);
    Ok(())
}

pub async fn hit_embeddings_are_the_stored_vectors_of_the_hits(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("hit_embeddings").await;
    let c = collection(&store, "docs").await?;
    let chunks: Vec<Chunk> =
        (0..4).map(|n| Chunk::new(format!("v{n}"), format!("alpha text {n}")).with_embedding(one_hot(n))).collect();
    store.upsert(&c, chunks.clone()).await?;
    store.upsert(&c, vec![Chunk::new("plain", "alpha without a vector")]).await?;
    for request in [SearchRequest::vector(one_hot(1)).top_k(3), SearchRequest::keyword("alpha").top_k(10)] {
        let mode = request.mode;
        let hits = store.search(&c, &request).await?;
        ensure!(!hits.is_empty(), "{mode}: the query finds hits");
        let vectors = hit_embeddings(store.as_ref(), &c, &hits).await?;
        for hit in &hits {
            let stored = chunks.iter().find(|chunk| chunk.id == hit.id).and_then(|chunk| chunk.embedding.as_ref());
            ensure!(
                vectors.get(&hit.id) == stored,
                "{mode} hit {}: {:?}, stored {stored:?}",
                hit.id,
                vectors.get(&hit.id)
            );
        }
        ensure!(vectors.len() == hits.iter().filter(|hit| hit.id != "plain").count(), "{mode}: only the hits");
    }
    ensure!(hit_embeddings(store.as_ref(), &c, &[]).await?.is_empty(), "no hits, no read");
    Ok(())
}

pub async fn get_many_by_filter_pages_in_id_order_like_the_reference(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("get_many_filter").await;
    let c = collection(&store, "docs").await?;
    let corpus = corpus();
    store.upsert(&c, corpus.clone()).await?;
    for json in filters() {
        let f = filter(&json);
        let expected: Vec<String> = crate::testing::fixtures::expected_ids(&corpus, &f).into_iter().collect();
        let mut seen = Vec::new();
        for page in 0.. {
            let request = GetRequest::filter(f.clone()).limit(3).offset(page * 3);
            let got = store.get_many(&c, &request).await?;
            ensure!(got.len() <= 3, "{json}: a page holds at most the limit: {}", got.len());
            if got.is_empty() {
                break;
            }
            seen.extend(fetched_ids(&got));
        }
        ensure!(seen == expected, "{json}: pages {seen:?}\nexpected {expected:?}");
    }
    let document = DocumentFilter::from_json(&json!({"$contains": "python"}))?;
    let expected: Vec<String> =
        corpus.iter().filter(|chunk| document.matches(&chunk.text)).map(|chunk| chunk.id.clone()).collect();
    let request = GetRequest { document_filter: Some(document), ..GetRequest::default() };
    let got = store.get_many(&c, &request).await?;
    ensure!(fetched_ids(&got) == expected, "where_document: {:?} vs {expected:?}", fetched_ids(&got));
    let everything = store.get_many(&c, &GetRequest::default()).await?;
    ensure!(everything.len() == corpus.len(), "no filter reads every chunk: {}", everything.len());
    Ok(())
}

pub async fn get_many_with_ids_and_a_filter_returns_the_named_chunks_that_match(
    factory: &dyn StoreFactory,
) -> TestResult {
    let store = factory.fresh("get_many_ids_filter").await;
    let c = collection(&store, "docs").await?;
    let corpus = corpus();
    store.upsert(&c, corpus.clone()).await?;
    let f = filter(&json!({"lang": "python"}));
    let named = ["c13", "c02", "c01", "c04", "c09"];
    let matching = crate::testing::fixtures::expected_ids(&corpus, &f);
    let expected: Vec<&str> = named.iter().copied().filter(|id| matching.contains(*id)).collect();
    let request = GetRequest { filter: Some(f), ..GetRequest::ids(named) };
    let got = store.get_many(&c, &request).await?;
    ensure!(fetched_ids(&got) == expected, "{:?} vs {expected:?}", fetched_ids(&got));
    Ok(())
}

pub async fn generated_ids_are_stored_and_list_in_creation_order(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("generated_ids").await;
    let c = collection(&store, "docs").await?;
    let mut generated = Vec::new();
    for batch in 0..3 {
        let ids = ids_or_generated(None, 100)?;
        let chunks = ids.iter().map(|id| Chunk::new(id.clone(), format!("batch {batch}"))).collect();
        store.upsert(&c, chunks).await?;
        generated.extend(ids);
    }
    let unique: BTreeSet<&String> = generated.iter().collect();
    ensure!(unique.len() == 300, "300 distinct ids: {}", unique.len());
    let listed: Vec<String> =
        store.list(&c, &ListRequest::first(1_000)).await?.into_iter().map(|chunk| chunk.id).collect();
    ensure!(listed == generated, "bytewise id order is creation order");
    let got = store.get_many(&c, &GetRequest::ids(generated.iter().rev().cloned())).await?;
    ensure!(got.len() == 300 && got[0].id == generated[299], "every generated id reads back");
    Ok(())
}

pub async fn delete_all_empties_the_collection_and_keeps_its_space(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("delete_all").await;
    let c = collection(&store, "docs").await?;
    let other = collection(&store, "other").await?;
    let chunks: Vec<Chunk> =
        (0..5).map(|i| Chunk::new(format!("d{i}"), format!("alpha {i}")).with_embedding(one_hot(i))).collect();
    store.upsert(&c, chunks.clone()).await?;
    store.upsert(&other, chunks).await?;
    ensure!(store.delete_all(&c).await? == 5, "returns how many were deleted");
    ensure!(store.count(&c, None).await? == 0, "nothing left");
    ensure!(store.embedding_space(&c).await? == Some(space()), "the space stays");
    ensure!(store.search(&c, &SearchRequest::vector(one_hot(0))).await?.is_empty(), "no stale vector hits");
    ensure!(store.search(&c, &SearchRequest::keyword("alpha")).await?.is_empty(), "no stale keyword hits");
    ensure!(store.count(&other, None).await? == 5, "other collections are untouched");
    store.upsert(&c, vec![Chunk::new("new", "alpha again").with_embedding(one_hot(3))]).await?;
    let hits = store.search(&c, &SearchRequest::hybrid("alpha", one_hot(3))).await?;
    ensure!(ids(&hits) == ["new"], "writes and searches go on: {:?}", ids(&hits));
    ensure!(store.delete_all(&c).await? == 1 && store.delete_all(&c).await? == 0, "an empty collection: 0");
    let missing = crate::testing::fixtures::name("missing");
    let err = store.delete_all(&missing).await.err().ok_or("a missing collection was emptied")?;
    ensure!(matches!(err, StorageError::NotInitialized { .. }), "missing collection: {err}");
    Ok(())
}

pub async fn invalid_get_requests_are_refused(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("get_many_invalid").await;
    let c = collection(&store, "docs").await?;
    let err = store.get_many(&c, &GetRequest::ids(["a"]).limit(0)).await.err().ok_or("limit 0 was accepted")?;
    ensure!(err.to_string().starts_with("limit:"), "names the limit: {err}");
    let err = store.get_many(&c, &GetRequest::ids(["a", ""])).await.err().ok_or("an empty id was accepted")?;
    ensure!(err.to_string().starts_with("ids[1]:"), "names the id: {err}");
    let missing = crate::testing::fixtures::name("missing");
    let err = store.get_many(&missing, &GetRequest::default()).await.err().ok_or("a missing collection")?;
    ensure!(matches!(err, StorageError::NotInitialized { .. }), "missing collection: {err}");
    Ok(())
}
