//! Point reads, counts and id-ordered listing.

use crate::document::Chunk;
use crate::store::ListRequest;
use crate::testing::fixtures::{collection, corpus, expected_ids, filter, one_hot};
use crate::testing::{StoreFactory, TestResult};
use serde_json::json;

pub async fn get_of_a_missing_id_returns_none(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("get_missing").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("present", "x")]).await?;
    ensure!(store.get(&c, "absent").await?.is_none(), "absent id");
    ensure!(store.get(&c, "PRESENT").await?.is_none(), "ids are case-sensitive");
    ensure!(store.get(&c, "present").await?.is_some(), "present id");
    Ok(())
}

pub async fn count_counts_every_chunk(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("count_all").await;
    let c = collection(&store, "docs").await?;
    ensure!(store.count(&c, None).await? == 0, "empty collection");
    let chunks: Vec<Chunk> =
        (0..250).map(|i| Chunk::new(format!("id-{i}"), "text").with_embedding(one_hot(i))).collect();
    store.upsert(&c, chunks).await?;
    ensure!(store.count(&c, None).await? == 250, "after 250");
    ensure!(store.count(&c, Some(&crate::Filter::all())).await? == 250, "the empty filter counts everything");
    Ok(())
}

pub async fn list_pages_through_every_chunk_in_bytewise_id_order(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("list_order").await;
    let c = collection(&store, "docs").await?;
    let ids = ["b", "B", "a", "A", "10", "9", "é", "e", "z", "_", "a b", "ab", "Ω"];
    store
        .upsert(
            &c,
            ids.iter().map(|id| Chunk::new(*id, format!("text {id}")).with_embedding(one_hot(id.len()))).collect(),
        )
        .await?;
    let mut expected: Vec<&str> = ids.to_vec();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));

    let mut seen = Vec::new();
    let mut request = ListRequest::first(4);
    loop {
        let page = store.list(&c, &request).await?;
        ensure!(page.len() <= 4, "page larger than the limit: {}", page.len());
        ensure!(page.iter().all(|chunk| chunk.embedding.is_some()), "list includes embeddings");
        let Some(last) = page.last() else { break };
        request = request.clone().after(last.id.clone());
        seen.extend(page.into_iter().map(|chunk| chunk.id));
    }
    ensure!(seen == expected, "listed {seen:?}\nexpected {expected:?}");
    Ok(())
}

pub async fn list_with_a_filter_returns_only_matching_chunks(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("list_filter").await;
    let c = collection(&store, "docs").await?;
    let corpus = corpus();
    store.upsert(&c, corpus.clone()).await?;
    let f = filter(&json!({"lang": {"$in": ["python", "rust"]}}));
    let request = ListRequest { after_id: None, limit: 100, filter: Some(f.clone()) };
    let listed: std::collections::BTreeSet<String> =
        store.list(&c, &request).await?.into_iter().map(|c| c.id).collect();
    ensure!(listed == expected_ids(&corpus, &f), "listed {listed:?}");
    Ok(())
}
