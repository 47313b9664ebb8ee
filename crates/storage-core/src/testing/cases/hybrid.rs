//! Hybrid search: fusion equal to core's reference over the backend's own legs, explain, weights.

use std::sync::Arc;

use crate::CollectionName;
use crate::document::Chunk;
use crate::embedding::Embedding;
use crate::fusion::{FusionMethod, FusionSettings, LegCandidate, fuse};
use crate::search::{SearchHit, SearchRequest};
use crate::store::DocumentStore;
use crate::testing::fixtures::{DIM, collection, ids, pseudo_random};
use crate::testing::{StoreFactory, TestResult};

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const WORDS: [&str; 6] = ["python", "rust", "database", "network", "compiler", "garden"];

/// 40 chunks: pseudo-random vectors; texts with varying counts of a few words; some without vectors.
fn corpus() -> Vec<Chunk> {
    (0..40u64)
        .map(|i| {
            let mut text = String::new();
            for (w, word) in WORDS.iter().enumerate() {
                let repeats = (i as usize * (w + 3) + w) % 4;
                for _ in 0..repeats {
                    text.push_str(word);
                    text.push(' ');
                }
            }
            text.push_str("filler words here");
            let chunk = Chunk::new(format!("h{i:02}"), text);
            if i % 9 == 4 { chunk } else { chunk.with_embedding(pseudo_random(1000 + i, DIM)) }
        })
        .collect()
}

async fn setup(factory: &dyn StoreFactory, case: &str) -> BoxResult<(Arc<dyn DocumentStore>, CollectionName)> {
    let store = factory.fresh(case).await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, corpus()).await?;
    Ok((store, c))
}

fn query_vector() -> Embedding {
    pseudo_random(77, DIM)
}

/// Runs each leg on its own, fuses them with core's reference and compares with the backend's hybrid.
async fn check_against_reference(
    store: &Arc<dyn DocumentStore>,
    c: &CollectionName,
    text: &str,
    settings: FusionSettings,
    top_k: usize,
) -> BoxResult<Vec<SearchHit>> {
    check_hybrid_against_its_legs(store, c, &SearchRequest::hybrid(text, query_vector()).top_k(top_k).fusion(settings))
        .await
}

/// Runs the legs of a hybrid `request` on their own (same filters), fuses them with core's reference and
/// compares with the backend's hybrid answer: same ids in the same order, scores and leg ranks.
pub(crate) async fn check_hybrid_against_its_legs(
    store: &Arc<dyn DocumentStore>,
    c: &CollectionName,
    request: &SearchRequest,
) -> BoxResult<Vec<SearchHit>> {
    let (settings, top_k) = (request.fusion, request.top_k);
    let (Some(text), Some(embedding)) = (request.text.as_deref(), request.embedding.as_ref()) else {
        return Err("a hybrid request has text and an embedding".into());
    };
    let filtered = |leg: SearchRequest| SearchRequest {
        filter: request.filter.clone(),
        document_filter: request.document_filter.clone(),
        keyword_match: request.keyword_match,
        ..leg
    };
    let vector_leg = store
        .search(c, &filtered(SearchRequest::vector(embedding.clone()).top_k(settings.vector_depth(top_k))))
        .await?;
    let keyword_leg =
        store.search(c, &filtered(SearchRequest::keyword(text).top_k(settings.keyword_depth(top_k)))).await?;
    let candidates =
        |hits: &[SearchHit]| hits.iter().map(|h| LegCandidate { id: h.id.clone(), score: h.score }).collect::<Vec<_>>();
    let expected = fuse(&candidates(&vector_leg), &candidates(&keyword_leg), &settings, top_k);
    let hits = store.search(c, &request.clone().explain(true)).await?;
    let got_ids = ids(&hits);
    let expected_ids: Vec<String> = expected.iter().map(|h| h.id.clone()).collect();
    ensure!(got_ids == expected_ids, "{text:?} {settings:?}\n  hybrid:    {got_ids:?}\n  reference: {expected_ids:?}");
    for (hit, reference) in hits.iter().zip(&expected) {
        ensure!(
            (hit.score - reference.score).abs() < 1e-4,
            "score of {}: {} vs reference {}",
            hit.id,
            hit.score,
            reference.score
        );
        ensure!(hit.vector.map(|l| l.rank) == reference.vector.map(|l| l.rank), "vector rank of {}", hit.id);
        ensure!(hit.keyword.map(|l| l.rank) == reference.keyword.map(|l| l.rank), "keyword rank of {}", hit.id);
    }
    Ok(hits)
}

pub async fn hybrid_equals_rrf_fusion_of_its_legs(factory: &dyn StoreFactory) -> TestResult {
    let (store, c) = setup(factory, "hybrid_rrf").await?;
    check_against_reference(&store, &c, "python", FusionSettings::default(), 10).await?;
    let shallow = FusionSettings {
        vector_candidates: Some(5),
        keyword_candidates: Some(3),
        rrf_k: 10,
        ..FusionSettings::default()
    };
    check_against_reference(&store, &c, "database", shallow, 6).await?;
    let tilted = FusionSettings { vector_weight: 0.8, keyword_weight: 0.2, ..FusionSettings::default() };
    check_against_reference(&store, &c, "rust compiler", tilted, 15).await?;
    Ok(())
}

pub async fn hybrid_equals_weighted_min_max_fusion_of_its_legs(factory: &dyn StoreFactory) -> TestResult {
    let (store, c) = setup(factory, "hybrid_min_max").await?;
    let settings = FusionSettings { method: FusionMethod::WeightedMinMax, ..FusionSettings::default() };
    check_against_reference(&store, &c, "python", settings, 10).await?;
    let settings = FusionSettings {
        method: FusionMethod::WeightedMinMax,
        vector_weight: 0.3,
        keyword_weight: 0.7,
        keyword_candidates: Some(4),
        ..FusionSettings::default()
    };
    check_against_reference(&store, &c, "network", settings, 8).await?;
    Ok(())
}

pub async fn hybrid_explain_reports_each_legs_rank(factory: &dyn StoreFactory) -> TestResult {
    let (store, c) = setup(factory, "hybrid_explain").await?;
    let hits = check_against_reference(&store, &c, "garden", FusionSettings::default(), 20).await?;
    ensure!(hits.iter().any(|h| h.vector.is_some() && h.keyword.is_some()), "some hit is found by both legs");
    for hit in &hits {
        ensure!(hit.vector.is_some() || hit.keyword.is_some(), "every hit comes from a leg: {hit:?}");
        if hit.keyword.is_some() {
            let terms = hit.matched_terms.as_ref().ok_or("keyword-leg hits carry matched terms")?;
            ensure!(terms.iter().any(|t| t == "garden"), "matched terms of {}: {terms:?}", hit.id);
        }
        ensure!(hit.vector.is_none() || hit.distance.is_some(), "vector-leg hits carry their distance: {hit:?}");
    }
    let plain = store.search(&c, &SearchRequest::hybrid("garden", query_vector())).await?;
    ensure!(
        plain.iter().all(|h| h.vector.is_none() && h.keyword.is_none() && h.matched_terms.is_none()),
        "no explain unless asked"
    );
    Ok(())
}

pub async fn hybrid_weights_change_the_order(factory: &dyn StoreFactory) -> TestResult {
    let (store, c) = setup(factory, "hybrid_weights").await?;
    let vector_only = FusionSettings { vector_weight: 1.0, keyword_weight: 0.0, ..FusionSettings::default() };
    let hits = store.search(&c, &SearchRequest::hybrid("python", query_vector()).top_k(5).fusion(vector_only)).await?;
    let vector_hits = store.search(&c, &SearchRequest::vector(query_vector()).top_k(5)).await?;
    ensure!(
        ids(&hits) == ids(&vector_hits),
        "keyword weight 0 gives the vector order: {:?} vs {:?}",
        ids(&hits),
        ids(&vector_hits)
    );
    let keyword_only = FusionSettings { vector_weight: 0.0, keyword_weight: 1.0, ..FusionSettings::default() };
    let hits = store.search(&c, &SearchRequest::hybrid("python", query_vector()).top_k(5).fusion(keyword_only)).await?;
    let keyword_hits = store.search(&c, &SearchRequest::keyword("python").top_k(5)).await?;
    ensure!(
        ids(&hits) == ids(&keyword_hits),
        "vector weight 0 gives the keyword order: {:?} vs {:?}",
        ids(&hits),
        ids(&keyword_hits)
    );
    Ok(())
}

pub async fn hybrid_finds_chunks_that_only_one_leg_finds(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("hybrid_one_leg").await;
    let c = collection(&store, "docs").await?;
    store
        .upsert(
            &c,
            vec![
                Chunk::new("keyword-only", "the zanzibar archipelago"),
                Chunk::new("vector-only", "nothing relevant").with_embedding(query_vector()),
                Chunk::new("neither", "unrelated text").with_embedding(pseudo_random(3, DIM)),
            ],
        )
        .await?;
    let hits = store.search(&c, &SearchRequest::hybrid("zanzibar", query_vector()).explain(true)).await?;
    let keyword_only =
        hits.iter().find(|h| h.id == "keyword-only").ok_or("the chunk without a vector is found by the keyword leg")?;
    ensure!(keyword_only.vector.is_none() && keyword_only.keyword.map(|l| l.rank) == Some(1), "{keyword_only:?}");
    let vector_only =
        hits.iter().find(|h| h.id == "vector-only").ok_or("the chunk without the word is found by the vector leg")?;
    ensure!(vector_only.keyword.is_none() && vector_only.vector.map(|l| l.rank) == Some(1), "{vector_only:?}");
    Ok(())
}

pub async fn hybrid_min_score_applies_to_the_fused_score(factory: &dyn StoreFactory) -> TestResult {
    let (store, c) = setup(factory, "hybrid_min_score").await?;
    let all = store.search(&c, &SearchRequest::hybrid("python", query_vector()).top_k(40)).await?;
    let threshold = 0.55;
    let kept =
        store.search(&c, &SearchRequest::hybrid("python", query_vector()).top_k(40).min_score(threshold)).await?;
    let expected: Vec<String> = all.iter().filter(|h| h.score >= threshold).map(|h| h.id.clone()).collect();
    ensure!(
        !expected.is_empty() && expected.len() < all.len(),
        "the threshold splits the fixture: {} of {}",
        expected.len(),
        all.len()
    );
    ensure!(ids(&kept) == expected, "{:?} vs {:?}", ids(&kept), expected);
    Ok(())
}
