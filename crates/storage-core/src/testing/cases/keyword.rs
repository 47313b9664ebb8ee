//! Keyword search: matching, relevance, query syntax, stemming, explain. The ranking itself is held to
//! core's BM25 reference in `keyword_ranking.rs`.

use crate::document::Chunk;
use crate::keyword::KeywordMatch;
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
    search_with(factory, case, SearchRequest::keyword(query)).await
}

async fn search_with(
    factory: &dyn StoreFactory,
    case: &str,
    request: SearchRequest,
) -> Result<Vec<crate::SearchHit>, Box<dyn std::error::Error + Send + Sync>> {
    let store = factory.fresh(case).await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, corpus()).await?;
    Ok(store.search(&c, &request.top_k(20)).await?)
}

fn set(items: &[&str]) -> std::collections::BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub async fn keyword_search_finds_only_matching_chunks(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_matching", "kubernetes").await?;
    ensure!(ids(&hits) == ["caps"], "{:?}", ids(&hits));
    ensure!(hits[0].score > 0.0 && hits[0].score < 1.0, "a BM25 score in (0, 1): {}", hits[0].score);
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

pub async fn keyword_any_word_matches_by_default_and_more_words_rank_first(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_any", "python database").await?;
    let expected = set(&["py-guide", "py-mention", "rust-db", "py-db", "snake"]);
    ensure!(id_set(&hits) == expected, "chunks with either word (stemmed): {:?}", ids(&hits));
    let place = |id: &str| ids(&hits).iter().position(|x| x == id);
    ensure!(place("py-db") < place("rust-db") && place("py-db") < place("snake"), "both words first: {:?}", ids(&hits));
    Ok(())
}

pub async fn keyword_match_all_and_explicit_and_require_every_word(factory: &dyn StoreFactory) -> TestResult {
    let all = SearchRequest::keyword("python database").keyword_match(KeywordMatch::All);
    let hits = search_with(factory, "keyword_match_all", all).await?;
    ensure!(id_set(&hits) == set(&["py-db", "py-mention"]), "only chunks with both words (stemmed): {:?}", ids(&hits));
    let hits = search(factory, "keyword_explicit_and", "python and database").await?;
    ensure!(id_set(&hits) == set(&["py-db", "py-mention"]), "`and` binds its words: {:?}", ids(&hits));
    let hits = search(factory, "keyword_and_or", "python and database or kubernetes").await?;
    ensure!(id_set(&hits) == set(&["py-db", "py-mention", "caps"]), "`and` binds tighter than `or`: {:?}", ids(&hits));
    Ok(())
}

pub async fn keyword_questions_find_chunks_without_every_word(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("keyword_questions").await;
    let c = collection(&store, "docs").await?;
    let mut chunks = corpus();
    chunks.extend([
        Chunk::new("backups", "Backup schedule: the database is backed up nightly at 02:00 and weekly in full."),
        Chunk::new("billing", "Invoices are sent to customers on the first business day of each month."),
    ]);
    store.upsert(&c, chunks).await?;
    for (question, answer) in [("how often are backups taken", "backups"), ("when do we bill customers", "billing")] {
        let hits = store.search(&c, &SearchRequest::keyword(question)).await?;
        ensure!(hits.first().map(|h| h.id.as_str()) == Some(answer), "{question:?} → {:?}", ids(&hits));
        let all = SearchRequest::keyword(question).keyword_match(KeywordMatch::All);
        ensure!(store.search(&c, &all).await?.is_empty(), "{question:?} with match all finds nothing");
    }
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
    let hits = search(factory, "keyword_phrase_any", "\"machine learning\" kubernetes").await?;
    ensure!(id_set(&hits) == set(&["ml", "ml-phrase", "caps"]), "a phrase or a word: {:?}", ids(&hits));
    let hits = search(factory, "keyword_not_any", "kubernetes machine -learning").await?;
    ensure!(id_set(&hits) == set(&["caps"]), "an exclusion applies to every word: {:?}", ids(&hits));
    Ok(())
}

pub async fn keyword_search_ignores_case(factory: &dyn StoreFactory) -> TestResult {
    let hits = search(factory, "keyword_case", "KUBERNETES Clusters").await?;
    ensure!(ids(&hits) == ["caps"], "{:?}", ids(&hits));
    Ok(())
}

pub async fn keyword_explain_returns_matched_terms_and_ranks(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("keyword_explain").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, corpus()).await?;
    let request = SearchRequest::keyword("database and pools").explain(true);
    let hits = store.search(&c, &request).await?;
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
