//! Keyword search: matching, relevance, query syntax, stemming, explain.

use crate::document::Chunk;
use crate::search::SearchRequest;
use crate::testing::fixtures::{collection, id_set, ids};
use crate::testing::{StoreFactory, TestResult};

fn corpus() -> Vec<Chunk> {
    [
        ("py-guide", "Python python python: a guide to packaging Python libraries"),
        (
            "py-mention",
            "A long survey of databases, caches, queues and streams that mentions python once among many other words",
        ),
        ("rust-db", "Rust database drivers and connection pools"),
        ("py-db", "Python database access with connection pools"),
        ("runner", "The runner runs every morning; running is healthy"),
        ("ml", "Machine learning pipelines: learning rates and machine maintenance"),
        ("ml-phrase", "An introduction to machine learning"),
        ("snake", "Python the snake is not a programming language"),
        ("caps", "SHOUTING ABOUT KUBERNETES CLUSTERS"),
    ]
    .into_iter()
    .map(|(id, text)| Chunk::new(id, text))
    .collect()
}

async fn search(
    factory: &dyn StoreFactory,
    case: &str,
    query: &str,
) -> Result<Vec<crate::SearchHit>, Box<dyn std::error::Error + Send + Sync>> {
    let store = factory.fresh(case).await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, corpus()).await?;
    Ok(store.search(&c, &SearchRequest::keyword(query).top_k(20)).await?)
}

fn set(items: &[&str]) -> std::collections::BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub async fn keyword_search_finds_only_matching_chunks(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_matching", "kubernetes").await?;
    ensure!(ids(&hits) == ["caps"], "{:?}", ids(&hits));
    ensure!((hits[0].score - 1.0).abs() < 1e-6, "the best keyword hit scores 1: {}", hits[0].score);
    ensure!(hits[0].distance.is_none(), "keyword hits have no distance");
    let hits = search(factory, "keyword_matching_none", "nonexistentword").await?;
    ensure!(hits.is_empty(), "no match gives no hits: {hits:?}");
    Ok(())
}

pub async fn keyword_relevance_prefers_more_occurrences(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_relevance", "python").await?;
    ensure!(id_set(&hits) == set(&["py-guide", "py-mention", "py-db", "snake"]), "{:?}", ids(&hits));
    ensure!(hits[0].id == "py-guide", "four occurrences rank first: {:?}", ids(&hits));
    for pair in hits.windows(2) {
        ensure!(pair[0].score >= pair[1].score, "scores descend");
    }
    ensure!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)), "scores in [0, 1]");
    ensure!(hits.last().map(|h| h.score < 1.0) == Some(true), "weaker hits score below the best");
    Ok(())
}

pub async fn keyword_words_are_anded(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_and", "python database").await?;
    ensure!(id_set(&hits) == set(&["py-db", "py-mention"]), "only chunks with both words (stemmed): {:?}", ids(&hits));
    Ok(())
}

pub async fn keyword_search_stems_english_words(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_stemming", "run").await?;
    ensure!(ids(&hits) == ["runner"], "`run` matches runs/running: {:?}", ids(&hits));
    let hits = search(factory, "keyword_stemming_plural", "pool").await?;
    ensure!(id_set(&hits) == set(&["rust-db", "py-db"]), "`pool` matches pools: {:?}", ids(&hits));
    Ok(())
}

pub async fn keyword_phrases_or_and_exclusion(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_phrase", "\"machine learning\"").await?;
    ensure!(id_set(&hits) == set(&["ml", "ml-phrase"]), "phrase: {:?}", ids(&hits));
    let hits = search(factory, "keyword_phrase_order", "\"learning machine\"").await?;
    ensure!(hits.is_empty(), "a phrase keeps its word order: {:?}", ids(&hits));
    let hits = search(factory, "keyword_or", "kubernetes or snake").await?;
    ensure!(id_set(&hits) == set(&["caps", "snake"]), "or: {:?}", ids(&hits));
    let hits = search(factory, "keyword_not", "python -snake -database").await?;
    ensure!(id_set(&hits) == set(&["py-guide"]), "exclusion: {:?}", ids(&hits));
    Ok(())
}

pub async fn keyword_search_ignores_case(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_case", "Kubernetes CLUSTERS").await?;
    ensure!(ids(&hits) == ["caps"], "{:?}", ids(&hits));
    Ok(())
}

pub async fn keyword_explain_returns_matched_terms_and_ranks(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("keyword_explain").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, corpus()).await?;
    let hits = store.search(&c, &SearchRequest::keyword("database pools").explain(true)).await?;
    ensure!(id_set(&hits) == set(&["rust-db", "py-db"]), "{:?}", ids(&hits));
    for (idx, hit) in hits.iter().enumerate() {
        let leg = hit.keyword.ok_or("explain gives the keyword leg")?;
        ensure!(leg.rank as usize == idx + 1 && (leg.score - hit.score).abs() < 1e-6, "{hit:?}");
        let terms = hit.matched_terms.as_ref().ok_or("explain gives matched terms")?;
        ensure!(terms.iter().any(|t| t == "database") && terms.iter().any(|t| t == "pools"), "matched terms {terms:?}");
        ensure!(terms.iter().all(|t| t.chars().all(|ch| !ch.is_uppercase())), "terms are lowercased: {terms:?}");
    }
    let plain = store.search(&c, &SearchRequest::keyword("database")).await?;
    ensure!(plain.iter().all(|h| h.matched_terms.is_none() && h.keyword.is_none()), "no explain unless asked");
    Ok(())
}

pub async fn keyword_queries_with_syntax_characters_never_fail(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("keyword_syntax").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, corpus()).await?;
    for query in [
        "\"unbalanced quote",
        "python*",
        "NEAR(python database)",
        "lang:python",
        "a AND OR NOT",
        "(python",
        "python)",
        "'; DROP TABLE x; --",
        "!!!",
        "&|!<->",
        "-",
        "\"\"",
        "^python",
        "col:val:",
        "{python}",
        "python:*",
        "the and of",
        "über café",
        "😀",
        "\\",
        "+python +database",
    ] {
        let hits = store
            .search(&c, &SearchRequest::keyword(query))
            .await
            .map_err(|e| format!("query {query:?} failed: {e}"))?;
        ensure!(hits.iter().all(|h| (0.0..=1.0).contains(&h.score)), "query {query:?}: scores in range");
    }
    let hits = store.search(&c, &SearchRequest::keyword("python*")).await?;
    ensure!(
        !hits.is_empty() && hits.iter().all(|h| h.text.to_lowercase().contains("python")),
        "syntax characters are treated as separators: {:?}",
        ids(&hits)
    );
    Ok(())
}
