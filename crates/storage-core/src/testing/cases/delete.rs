//! Deletes by id and by filter.

use std::collections::BTreeSet;

use serde_json::json;

use crate::StorageError;
use crate::document::Chunk;
use crate::search::SearchRequest;
use crate::store::ListRequest;
use crate::testing::fixtures::{collection, corpus, expected_ids, filter, filters, meta, name, one_hot};
use crate::testing::{StoreFactory, TestResult};

pub async fn delete_ids_returns_how_many_existed(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("delete_ids").await;
    let c = collection(&store, "docs").await?;
    store
        .upsert(&c, vec![Chunk::new("a", "x").with_embedding(one_hot(0)), Chunk::new("b", "y"), Chunk::new("c", "z")])
        .await?;
    let deleted = store.delete_ids(&c, &["a".into(), "missing".into(), "a".into()]).await?;
    ensure!(deleted == 1, "deleted {deleted}");
    ensure!(store.get(&c, "a").await?.is_none() && store.count(&c, None).await? == 2, "a is gone, b and c stay");
    let hits = store.search(&c, &SearchRequest::vector(one_hot(0))).await?;
    ensure!(hits.iter().all(|h| h.id != "a"), "deleted chunk leaves the vector index");
    let hits = store.search(&c, &SearchRequest::keyword("x")).await?;
    ensure!(hits.is_empty(), "deleted chunk leaves the keyword index: {hits:?}");
    Ok(())
}

pub async fn delete_ids_with_no_ids_touches_nothing(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("delete_no_ids").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("a", "x"), Chunk::new("b", "y")]).await?;
    ensure!(store.delete_ids(&c, &[]).await? == 0, "no ids → 0");
    ensure!(store.count(&c, None).await? == 2, "nothing deleted");
    ensure!(store.delete_ids(&name("never_created"), &[]).await? == 0, "no ids → 0 without looking at the store");
    Ok(())
}

pub async fn delete_where_matches_the_reference(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("delete_where").await;
    let c = collection(&store, "docs").await?;
    let corpus = corpus();
    for json in filters() {
        store.upsert(&c, corpus.clone()).await?;
        let f = filter(&json);
        let expected = expected_ids(&corpus, &f);
        let deleted = store.delete_where(&c, &f).await.map_err(|e| format!("filter {json}: {e}"))?;
        ensure!(deleted == expected.len() as u64, "filter {json}: deleted {deleted}, expected {}", expected.len());
        let remaining: BTreeSet<String> =
            store.list(&c, &ListRequest::first(100)).await?.into_iter().map(|c| c.id).collect();
        let all: BTreeSet<String> = corpus.iter().map(|c| c.id.clone()).collect();
        let expected_remaining: BTreeSet<String> = all.difference(&expected).cloned().collect();
        ensure!(remaining == expected_remaining, "filter {json}: remaining {remaining:?}");
    }
    Ok(())
}

pub async fn prefix_delete_removes_everything_under_a_folder(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("delete_prefix").await;
    let c = collection(&store, "docs").await?;
    let sources =
        [("a", "/docs/a.md"), ("b", "/docs/sub/b.md"), ("c", "/docsx/c.md"), ("d", "/src/docs/d.md"), ("e", "/docs")];
    store
        .upsert(
            &c,
            sources
                .iter()
                .map(|(id, source)| Chunk::new(*id, "t").with_metadata(meta(json!({"source": source}))))
                .collect(),
        )
        .await?;
    store.upsert(&c, vec![Chunk::new("no-source", "t")]).await?;
    let deleted = store.delete_where(&c, &filter(&json!({"source": {"$prefix": "/docs/"}}))).await?;
    ensure!(deleted == 2, "deleted {deleted}");
    let remaining: BTreeSet<String> =
        store.list(&c, &ListRequest::first(10)).await?.into_iter().map(|c| c.id).collect();
    ensure!(remaining == ["c", "d", "e", "no-source"].map(String::from).into(), "remaining {remaining:?}");
    Ok(())
}

pub async fn delete_filters_matching_everything_by_shape_are_refused(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("delete_match_all_filter").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, vec![Chunk::new("a", "x").with_metadata(meta(json!({"k": 1}))), Chunk::new("b", "y")]).await?;
    let match_all = [
        json!({}),
        json!({"$and": [{}]}),
        json!({"$or": [{}]}),
        json!({"$or": [{"k": 2}, {"$and": [{}]}]}),
        json!({"$or": [{"k": 1}, {"k": {"$ne": 1}}]}),
        json!({"$or": [{"k": {"$exists": true}}, {"k": {"$exists": false}}]}),
        json!({"$not": {"$and": [{"k": 1}, {"$not": {"k": 1}}]}}),
    ];
    for json in match_all {
        let err = store.delete_where(&c, &filter(&json)).await.err().ok_or_else(|| format!("{json} was accepted"))?;
        ensure!(
            matches!(&err, StorageError::InvalidInput { field, .. } if field == "where"),
            "{json}: the error names `where`: {err}"
        );
        ensure!(err.to_string().contains("every row"), "{json}: the message says why: {err}");
        ensure!(store.count(&c, None).await? == 2, "{json}: nothing deleted");
    }
    ensure!(store.delete_where(&c, &filter(&json!({"k": {"$exists": true}}))).await? == 1, "a real filter deletes");
    Ok(())
}
