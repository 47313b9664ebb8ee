//! Filters: every fixture filter, on count, list, every search mode and text filters, against core's
//! reference evaluator.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::CollectionName;
use crate::document::Chunk;
use crate::filter::DocumentFilter;
use crate::search::SearchRequest;
use crate::store::{DocumentStore, ListRequest};
use crate::testing::fixtures::{
    AWKWARD_KEY, AWKWARD_VALUE, DIM, collection, corpus, expected_ids, filter, filters, id_set, meta, one_hot,
    pseudo_random,
};
use crate::testing::{StoreFactory, TestResult};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

async fn setup(
    factory: &dyn StoreFactory,
    case: &str,
) -> BoxResult<(Arc<dyn DocumentStore>, CollectionName, Vec<Chunk>)> {
    let store = factory.fresh(case).await;
    let c = collection(&store, "docs").await?;
    let corpus = corpus();
    store.upsert(&c, corpus.clone()).await?;
    Ok((store, c, corpus))
}

/// Runs `search` for every fixture filter and compares the hit ids with the reference.
async fn check_every_filter(
    factory: &dyn StoreFactory,
    case: &str,
    make_request: impl Fn() -> SearchRequest,
) -> TestResult {
    let (store, c, corpus) = setup(factory, case).await?;
    for json in filters() {
        let f = filter(&json);
        let expected = expected_ids(&corpus, &f);
        let hits =
            store.search(&c, &make_request().top_k(100).filter(f)).await.map_err(|e| format!("filter {json}: {e}"))?;
        ensure!(id_set(&hits) == expected, "filter {json}\n  got:      {:?}\n  expected: {expected:?}", id_set(&hits));
    }
    Ok(())
}

pub async fn filtered_count_matches_the_reference(factory: &dyn StoreFactory) -> TestResult {
    let (store, c, corpus) = setup(factory, "filter_count").await?;
    for json in filters() {
        let f = filter(&json);
        let expected = expected_ids(&corpus, &f).len() as u64;
        let got = store.count(&c, Some(&f)).await.map_err(|e| format!("filter {json}: {e}"))?;
        ensure!(got == expected, "filter {json}: count {got}, expected {expected}");
    }
    Ok(())
}

pub async fn filtered_vector_search_matches_the_reference(factory: &dyn StoreFactory) -> TestResult {
    check_every_filter(factory, "filter_vector", || SearchRequest::vector(pseudo_random(4242, DIM))).await
}

pub async fn filtered_keyword_search_matches_the_reference(factory: &dyn StoreFactory) -> TestResult {
    check_every_filter(factory, "filter_keyword", || SearchRequest::keyword("alpha")).await
}

pub async fn filtered_hybrid_search_matches_the_reference(factory: &dyn StoreFactory) -> TestResult {
    check_every_filter(factory, "filter_hybrid", || SearchRequest::hybrid("alpha", pseudo_random(4242, DIM))).await
}

pub async fn filtered_list_matches_the_reference(factory: &dyn StoreFactory) -> TestResult {
    let (store, c, corpus) = setup(factory, "filter_list").await?;
    for json in filters() {
        let f = filter(&json);
        let expected = expected_ids(&corpus, &f);
        let request = ListRequest { after_id: None, limit: 100, filter: Some(f) };
        let got: BTreeSet<String> = store
            .list(&c, &request)
            .await
            .map_err(|e| format!("filter {json}: {e}"))?
            .into_iter()
            .map(|c| c.id)
            .collect();
        ensure!(got == expected, "filter {json}\n  got:      {got:?}\n  expected: {expected:?}");
    }
    Ok(())
}

pub async fn numeric_comparison_ignores_values_that_are_not_numbers(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("filter_type_strict").await;
    let c = collection(&store, "docs").await?;
    let values: Vec<(&str, Value)> = vec![
        ("number", json!(5)),
        ("float", json!(4.5)),
        ("na", json!("N/A")),
        ("numeric-string", json!("7")),
        ("bool", json!(true)),
        ("array", json!([9])),
        ("object", json!({"v": 9})),
        ("null", json!(null)),
    ];
    let chunks: Vec<Chunk> = values
        .iter()
        .enumerate()
        .map(|(idx, (id, value))| {
            Chunk::new(*id, "alpha").with_metadata(meta(json!({"rating": value}))).with_embedding(one_hot(idx))
        })
        .collect();
    store.upsert(&c, chunks).await?;
    let f = filter(&json!({"rating": {"$gt": 3}}));
    ensure!(store.count(&c, Some(&f)).await? == 2, "only the two numbers are greater than 3");
    let hits = store.search(&c, &SearchRequest::vector(one_hot(0)).filter(f.clone())).await?;
    ensure!(id_set(&hits) == ["float", "number"].map(String::from).into(), "vector: {:?}", id_set(&hits));
    let hits = store.search(&c, &SearchRequest::keyword("alpha").filter(f)).await?;
    ensure!(id_set(&hits) == ["float", "number"].map(String::from).into(), "keyword: {:?}", id_set(&hits));
    Ok(())
}

pub async fn nin_and_ne_match_chunks_missing_the_key(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("filter_missing_key").await;
    let c = collection(&store, "docs").await?;
    store
        .upsert(
            &c,
            vec![
                Chunk::new("py", "alpha").with_metadata(meta(json!({"lang": "python"}))),
                Chunk::new("rs", "alpha").with_metadata(meta(json!({"lang": "rust"}))),
                Chunk::new("none", "alpha"),
            ],
        )
        .await?;
    for (json, expected) in [
        (json!({"lang": {"$nin": ["python"]}}), vec!["none", "rs"]),
        (json!({"lang": {"$ne": "python"}}), vec!["none", "rs"]),
        (json!({"lang": {"$in": ["python"]}}), vec!["py"]),
        (json!({"lang": {"$exists": false}}), vec!["none"]),
    ] {
        let hits = store.search(&c, &SearchRequest::keyword("alpha").filter(filter(&json))).await?;
        let expected: BTreeSet<String> = expected.into_iter().map(String::from).collect();
        ensure!(id_set(&hits) == expected, "{json}: {:?}", id_set(&hits));
        ensure!(store.count(&c, Some(&filter(&json))).await? == expected.len() as u64, "{json}: count");
    }
    Ok(())
}

pub async fn document_filters_match_the_reference_in_every_mode(factory: &dyn StoreFactory) -> TestResult {
    let (store, c, corpus) = setup(factory, "filter_document").await?;
    let document_filters = [
        json!({"$contains": "python"}),
        json!({"$contains": "Python"}),
        json!({"$not_contains": "python"}),
        json!({"$contains": "métadonnées"}),
        json!({"$contains": "%"}),
        json!({"$contains": "_"}),
        json!({"$or": [{"$contains": "rust"}, {"$contains": "go "}]}),
        json!({"$and": [{"$contains": "alpha"}, {"$not_contains": "numbers"}]}),
    ];
    for json in document_filters {
        let f = DocumentFilter::from_json(&json)?;
        let expected: BTreeSet<String> =
            corpus.iter().filter(|chunk| f.matches(&chunk.text)).map(|chunk| chunk.id.clone()).collect();
        for request in [
            SearchRequest::vector(pseudo_random(1, DIM)),
            SearchRequest::keyword("alpha"),
            SearchRequest::hybrid("alpha", pseudo_random(1, DIM)),
        ] {
            let mode = request.mode;
            let hits = store.search(&c, &request.top_k(100).document_filter(f.clone())).await?;
            ensure!(id_set(&hits) == expected, "{mode} with {json}: {:?} vs {expected:?}", id_set(&hits));
        }
        let combined = filter(&json!({"lang": "python"}));
        let expected_both: BTreeSet<String> = corpus
            .iter()
            .filter(|chunk| f.matches(&chunk.text) && combined.matches(chunk.metadata.as_map()))
            .map(|chunk| chunk.id.clone())
            .collect();
        let hits = store
            .search(&c, &SearchRequest::keyword("alpha").top_k(100).document_filter(f.clone()).filter(combined))
            .await?;
        ensure!(id_set(&hits) == expected_both, "{json} with a metadata filter: {:?}", id_set(&hits));
    }
    Ok(())
}

pub async fn filter_keys_and_values_are_matched_literally(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("filter_literal").await;
    let c = collection(&store, "docs").await?;
    let awkward = ["'", "\"", ";", "--", "$1", "?", "\\", "' OR '1'='1", "%", "_", "a.b", "[0]", "{}", "$.x", "é"];
    let chunks: Vec<Chunk> = awkward
        .iter()
        .enumerate()
        .map(|(idx, s)| Chunk::new(format!("k{idx:02}"), "alpha").with_metadata(meta(json!({ *s: *s, "v": *s }))))
        .chain([Chunk::new("plain", "alpha").with_metadata(meta(json!({ AWKWARD_KEY: AWKWARD_VALUE, "v": "plain" })))])
        .collect();
    store.upsert(&c, chunks).await?;
    for (idx, s) in awkward.iter().enumerate() {
        let mut filters = vec![json!({"v": *s}), json!({"v": {"$in": [*s]}})];
        // A key starting with `$` is an operator in Chroma's syntax, so `$1` and `$.x` are tested as values only.
        if !s.starts_with('$') {
            filters.extend([json!({ *s: *s }), json!({ *s: {"$exists": true} })]);
        }
        for json in filters {
            let got = id_set(&store.search(&c, &SearchRequest::keyword("alpha").filter(filter(&json))).await?);
            let expected: BTreeSet<String> = [format!("k{idx:02}")].into();
            ensure!(got == expected, "{json}: {got:?}");
        }
    }
    let got = store.count(&c, Some(&filter(&json!({ AWKWARD_KEY: AWKWARD_VALUE })))).await?;
    ensure!(got == 1, "awkward key and value: {got}");
    let got = store.count(&c, Some(&filter(&json!({"v": {"$prefix": "%"}})))).await?;
    ensure!(got == 1, "$prefix treats % literally: {got}");
    let got = store.count(&c, Some(&filter(&json!({"v": {"$contains": "_"}})))).await?;
    ensure!(got == 1, "$contains treats _ literally: {got}");
    ensure!(store.count(&c, None).await? == awkward.len() as u64 + 1, "no row was harmed");
    Ok(())
}
