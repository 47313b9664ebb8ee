//! Vector search: order, scores, thresholds, ties, metrics, filtered top_k.

use crate::document::Chunk;
use crate::embedding::Metric;
use crate::filter::Filter;
use crate::search::SearchRequest;
use crate::testing::fixtures::{
    DIM, collection, exact_order, ids, meta, name, one_hot, pseudo_random, space_with_metric, vector,
};
use crate::testing::{StoreFactory, TestResult};
use serde_json::json;

fn one_hot_corpus() -> Vec<Chunk> {
    (0..DIM as usize)
        .map(|axis| Chunk::new(format!("doc-{axis}"), format!("document {axis}")).with_embedding(one_hot(axis)))
        .collect()
}

pub async fn vector_search_orders_one_hot_fixtures_by_similarity(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("vector_order").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, one_hot_corpus()).await?;
    let query = vector(&[0.9, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let hits = store.search(&c, &SearchRequest::vector(query).top_k(8)).await?;
    ensure!(hits.len() == 8, "all 8 documents: {}", hits.len());
    ensure!(hits[0].id == "doc-0" && hits[1].id == "doc-1", "order: {:?}", ids(&hits));
    for pair in hits.windows(2) {
        ensure!(
            pair[0].score >= pair[1].score,
            "scores descend: {:?}",
            hits.iter().map(|h| h.score).collect::<Vec<_>>()
        );
    }
    for hit in &hits {
        ensure!((0.0..=1.0).contains(&hit.score), "score in [0, 1]: {}", hit.score);
        let distance = hit.distance.ok_or("vector hits carry their distance")?;
        ensure!(
            (f64::from(hit.score) - (1.0 - distance).clamp(0.0, 1.0)).abs() < 1e-5,
            "cosine score = 1 - distance: {hit:?}"
        );
        ensure!(!hit.text.is_empty(), "hits carry text");
    }
    ensure!((hits[0].score - 0.993_883_7).abs() < 1e-4, "doc-0 score: {}", hits[0].score);
    Ok(())
}

pub async fn vector_scores_stay_in_unit_range_for_opposite_vectors(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("vector_opposite").await;
    let c = collection(&store, "docs").await?;
    store
        .upsert(
            &c,
            vec![
                Chunk::new("same", "s").with_embedding(one_hot(0)),
                Chunk::new("opposite", "o").with_embedding(vector(&[-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])),
            ],
        )
        .await?;
    let hits = store.search(&c, &SearchRequest::vector(one_hot(0))).await?;
    ensure!(ids(&hits) == ["same", "opposite"], "{:?}", ids(&hits));
    ensure!(
        (hits[0].score - 1.0).abs() < 1e-6 && hits[1].score == 0.0,
        "scores {:?}",
        hits.iter().map(|h| h.score).collect::<Vec<_>>()
    );
    ensure!((hits[1].distance.ok_or("distance")? - 2.0).abs() < 1e-6, "raw distance of the opposite vector is 2");
    Ok(())
}

pub async fn min_score_drops_weaker_hits(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("vector_min_score").await;
    let c = collection(&store, "docs").await?;
    store
        .upsert(
            &c,
            vec![
                Chunk::new("close", "c").with_embedding(vector(&[1.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])),
                Chunk::new("far", "f").with_embedding(vector(&[0.2, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])),
                Chunk::new("orthogonal", "o").with_embedding(one_hot(4)),
            ],
        )
        .await?;
    let all = store.search(&c, &SearchRequest::vector(one_hot(0))).await?;
    ensure!(all.len() == 3, "without min_score every vector is a hit: {all:?}");
    let hits = store.search(&c, &SearchRequest::vector(one_hot(0)).min_score(0.5)).await?;
    ensure!(ids(&hits) == ["close"], "min_score 0.5 keeps only close: {:?}", hits);
    ensure!(hits.iter().all(|h| h.score >= 0.5), "every hit is at least min_score");
    Ok(())
}

pub async fn vector_ties_break_by_id(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("vector_ties").await;
    let c = collection(&store, "docs").await?;
    let tied = ["m", "B", "a", "z", "A"];
    store.upsert(&c, tied.iter().map(|id| Chunk::new(*id, "t").with_embedding(one_hot(3))).collect()).await?;
    let hits = store.search(&c, &SearchRequest::vector(one_hot(3)).top_k(3)).await?;
    ensure!(ids(&hits) == ["A", "B", "a"], "ties by bytewise id: {:?}", ids(&hits));
    Ok(())
}

pub async fn vector_distances_match_the_reference_metric(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("vector_reference").await;
    let c = collection(&store, "docs").await?;
    let chunks: Vec<Chunk> =
        (0..40).map(|i| Chunk::new(format!("r{i:02}"), "t").with_embedding(pseudo_random(100 + i, DIM))).collect();
    store.upsert(&c, chunks.clone()).await?;
    let query = pseudo_random(7, DIM);
    let hits = store.search(&c, &SearchRequest::vector(query.clone()).top_k(40)).await?;
    let expected = exact_order(&chunks, &query, Metric::Cosine);
    ensure!(hits.len() == 40, "all 40: {}", hits.len());
    for (hit, (distance, id)) in hits.iter().zip(&expected) {
        ensure!(&hit.id == id, "order differs from the exact reference at {id}: got {}", hit.id);
        ensure!(
            (hit.distance.ok_or("distance")? - distance).abs() < 1e-5,
            "distance of {id}: {:?} vs {distance}",
            hit.distance
        );
    }
    Ok(())
}

async fn metric_case(factory: &dyn StoreFactory, case: &str, metric: Metric) -> TestResult {
    let store = factory.fresh(case).await;
    let c = name("docs");
    store.create_collection(&c, Some(&space_with_metric(metric))).await?;
    let chunks: Vec<Chunk> =
        (0..30).map(|i| Chunk::new(format!("m{i:02}"), "t").with_embedding(pseudo_random(500 + i, DIM))).collect();
    store.upsert(&c, chunks.clone()).await?;
    let query = pseudo_random(9, DIM);
    let hits = store.search(&c, &SearchRequest::vector(query.clone()).top_k(30)).await?;
    let expected = exact_order(&chunks, &query, metric);
    ensure!(hits.len() == 30, "{metric}: all 30: {}", hits.len());
    for (hit, (distance, id)) in hits.iter().zip(&expected) {
        ensure!(&hit.id == id, "{metric}: order differs at {id}: got {}", hit.id);
        let got = hit.distance.ok_or("distance")?;
        ensure!((got - distance).abs() < 1e-4, "{metric}: distance of {id}: {got} vs {distance}");
        ensure!(
            (hit.score - metric.score(got)).abs() < 1e-5,
            "{metric}: score of {id} is the metric's score: {}",
            hit.score
        );
    }
    Ok(())
}

pub async fn l2_metric_orders_by_euclidean_distance(factory: &dyn StoreFactory) -> TestResult {
    metric_case(factory, "vector_l2", Metric::L2).await
}

pub async fn inner_product_metric_orders_by_dot_product(factory: &dyn StoreFactory) -> TestResult {
    metric_case(factory, "vector_inner_product", Metric::InnerProduct).await
}

pub async fn filtered_vector_search_returns_top_k_when_k_match(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("vector_filtered_top_k").await;
    let c = collection(&store, "docs").await?;
    // 600 chunks, 2% of them in group "rare"; the rare ones point away from the query, so an approximate
    // index that post-filters its nearest candidates would find none of them.
    let chunks: Vec<Chunk> = (0..600u64)
        .map(|i| {
            let rare = i % 50 == 7;
            let embedding = if rare {
                vector(&[-1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2, (i as f32) / 600.0])
            } else {
                pseudo_random(i, DIM)
            };
            Chunk::new(format!("f{i:04}"), "t")
                .with_metadata(meta(json!({"group": if rare { "rare" } else { "common" }})))
                .with_embedding(embedding)
        })
        .collect();
    for batch in chunks.chunks(200) {
        store.upsert(&c, batch.to_vec()).await?;
    }
    let filter = Filter::from_json(&json!({"group": "rare"}))?;
    let hits = store.search(&c, &SearchRequest::vector(one_hot(0)).top_k(10).filter(filter)).await?;
    ensure!(hits.len() == 10, "12 chunks match, top_k 10 must return 10, got {}", hits.len());
    let mut expected: Vec<(f64, String)> = chunks
        .iter()
        .filter(|chunk| chunk.metadata.get("group") == Some(&json!("rare")))
        .map(|chunk| {
            (
                Metric::Cosine.distance(
                    one_hot(0).as_slice(),
                    chunk.embedding.as_ref().map(|e| e.as_slice()).unwrap_or_default(),
                ),
                chunk.id.clone(),
            )
        })
        .collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let expected: Vec<String> = expected.into_iter().take(10).map(|(_, id)| id).collect();
    ensure!(ids(&hits) == expected, "exact filtered top 10: {:?} vs {:?}", ids(&hits), expected);
    Ok(())
}

pub async fn vector_explain_reports_ranks(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("vector_explain").await;
    let c = collection(&store, "docs").await?;
    store.upsert(&c, one_hot_corpus()).await?;
    let query = vector(&[0.9, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let plain = store.search(&c, &SearchRequest::vector(query.clone()).top_k(3)).await?;
    ensure!(plain.iter().all(|h| h.vector.is_none() && h.keyword.is_none()), "no explain unless asked");
    let hits = store.search(&c, &SearchRequest::vector(query).top_k(3).explain(true)).await?;
    for (idx, hit) in hits.iter().enumerate() {
        let leg = hit.vector.ok_or("explain gives the vector leg")?;
        ensure!(leg.rank as usize == idx + 1 && (leg.score - hit.score).abs() < 1e-6, "{hit:?}");
        ensure!(hit.keyword.is_none(), "no keyword leg in vector mode");
    }
    Ok(())
}

pub async fn inner_product_scores_keep_ranking_large_products(factory: &dyn StoreFactory) -> TestResult {
    let store = factory.fresh("vector_inner_product_scores").await;
    let c = name("docs");
    store.create_collection(&c, Some(&space_with_metric(Metric::InnerProduct))).await?;
    let scaled = |factor: f32| vector(&[factor, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    let chunks = vec![
        Chunk::new("ip-3", "alpha three").with_embedding(scaled(3.0)),
        Chunk::new("ip-2", "alpha two").with_embedding(scaled(2.0)),
        Chunk::new("ip-0.5", "alpha half").with_embedding(scaled(0.5)),
        Chunk::new("ip-0", "alpha orthogonal").with_embedding(one_hot(1)),
        Chunk::new("ip-minus-1", "alpha opposite").with_embedding(scaled(-1.0)),
    ];
    store.upsert(&c, chunks).await?;
    let expected = ["ip-3", "ip-2", "ip-0.5", "ip-0", "ip-minus-1"];
    let vector_hits = store.search(&c, &SearchRequest::vector(one_hot(0)).top_k(5)).await?;
    let hybrid_hits = store.search(&c, &SearchRequest::hybrid("alpha", one_hot(0)).top_k(5).explain(true)).await?;
    ensure!(ids(&vector_hits) == expected, "order by inner product: {:?}", ids(&vector_hits));
    let vector_scores: Vec<f32> = vector_hits.iter().map(|hit| hit.score).collect();
    ensure!(vector_scores.windows(2).all(|pair| pair[0] > pair[1]), "scores strictly decrease: {vector_scores:?}");
    for hit in &vector_hits {
        let distance = hit.distance.ok_or("vector hits carry their distance")?;
        ensure!((hit.score - Metric::InnerProduct.score(distance)).abs() < 1e-6, "core's score: {hit:?}");
        ensure!((0.0..=1.0).contains(&hit.score), "in [0, 1]: {hit:?}");
    }
    for id in expected {
        let hybrid = hybrid_hits.iter().find(|hit| hit.id == id).ok_or(format!("{id} in the hybrid hits"))?;
        let vector_hit = vector_hits.iter().find(|hit| hit.id == id).ok_or(format!("{id} in the vector hits"))?;
        let leg = hybrid.vector.as_ref().ok_or(format!("{id}: the vector leg's explain"))?;
        ensure!(
            (leg.score - vector_hit.score).abs() < 1e-6,
            "{id}: the hybrid vector leg scores as vector search: {leg:?}"
        );
    }
    Ok(())
}
