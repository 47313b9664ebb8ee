//! Fixtures whose answers are obvious: one-hot vectors, a corpus with awkward metadata, and filters
//! covering every operator.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::collection::CollectionName;
use crate::document::{Chunk, Metadata};
use crate::embedding::{Embedding, EmbeddingSpace, Metric};
use crate::filter::{FieldOp, Filter, MAX_FILTER_DEPTH, MAX_FILTER_NODES, MAX_FILTER_VALUES, Scalar};
use crate::search::SearchHit;
use crate::store::DocumentStore;

/// Dimensions of every fixture vector.
pub const DIM: u32 = 8;

/// The fixture embedding space: 8 dimensions, cosine, provider `test`, model `one-hot-8`.
pub fn space() -> EmbeddingSpace {
    EmbeddingSpace::new(DIM).expect("8 is a valid dimension").with_model("test", "one-hot-8")
}

/// The fixture space with another metric.
pub fn space_with_metric(metric: Metric) -> EmbeddingSpace {
    space().with_metric(metric)
}

/// A validated embedding from literal values.
pub fn vector(values: &[f32]) -> Embedding {
    Embedding::new(values.to_vec()).expect("fixture vectors are finite and non-empty")
}

/// The unit vector along axis `axis` of an 8-dimensional space.
pub fn one_hot(axis: usize) -> Embedding {
    let mut values = vec![0.0; DIM as usize];
    values[axis % DIM as usize] = 1.0;
    vector(&values)
}

/// A deterministic pseudo-random unit-ish vector (a small LCG), so fixtures need no RNG crate.
pub fn pseudo_random(seed: u64, dimensions: u32) -> Embedding {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    let values: Vec<f32> = (0..dimensions)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            // Keep 24 high bits: an exact f32 in [-1, 1).
            #[allow(clippy::cast_precision_loss)]
            let unit = (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0;
            unit
        })
        .collect();
    vector(&values)
}

/// Metadata from a JSON object literal.
pub fn meta(value: Value) -> Metadata {
    Metadata::from_value(value).expect("fixture metadata is a valid object")
}

/// A collection name for a fixture.
pub fn name(name: &str) -> CollectionName {
    CollectionName::new(name).expect("fixture collection names are valid")
}

/// Creates `collection` with the fixture space and returns its name.
pub async fn collection(store: &Arc<dyn DocumentStore>, collection: &str) -> crate::Result<CollectionName> {
    let collection = name(collection);
    store.create_collection(&collection, Some(&space())).await?;
    Ok(collection)
}

/// The ids of hits, in order.
pub fn ids(hits: &[SearchHit]) -> Vec<String> {
    hits.iter().map(|h| h.id.clone()).collect()
}

/// Every embedded chunk as `(distance to query, id)`, nearest first, ties by id: the exact reference order
/// a vector search is held to.
pub fn exact_order(chunks: &[Chunk], query: &Embedding, metric: Metric) -> Vec<(f64, String)> {
    let mut order: Vec<(f64, String)> = chunks
        .iter()
        .filter_map(|chunk| {
            chunk.embedding.as_ref().map(|e| (metric.distance(query.as_slice(), e.as_slice()), chunk.id.clone()))
        })
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    order
}

/// The ids of hits, as a set.
pub fn id_set(hits: &[SearchHit]) -> BTreeSet<String> {
    hits.iter().map(|h| h.id.clone()).collect()
}

/// The key with every character SQL and JSON paths treat specially.
pub const AWKWARD_KEY: &str = "it's \"quoted\"; --$1 \\ key.with.dots";

/// The value with every character SQL treats specially.
pub const AWKWARD_VALUE: &str = "py'; DROP TABLE chunks; -- $1 \\";

/// The filter corpus: 20 chunks. Every text contains `alpha`, so a keyword search for it matches all;
/// metadata mixes numbers, numeric strings, booleans, arrays, paths, missing keys and awkward keys.
pub fn corpus() -> Vec<Chunk> {
    let rows: Vec<(&str, &str, Value)> = vec![
        (
            "c01",
            "alpha python packaging guide",
            json!({"lang": "python", "year": 2020, "tags": ["db", "web"], "source": "/docs/a.md", "draft": false, "score": 0.9, "rating": 5}),
        ),
        (
            "c02",
            "alpha rust ownership explained",
            json!({"lang": "rust", "year": 2021, "tags": ["systems"], "source": "/docs/sub/b.md", "draft": true, "score": 0.4, "rating": "N/A"}),
        ),
        (
            "c03",
            "alpha go concurrency patterns",
            json!({"lang": "go", "year": 2019, "tags": ["web", 7], "source": "/src/main.go", "score": 0.51, "rating": 3}),
        ),
        (
            "c04",
            "alpha python asyncio tutorial",
            json!({"lang": "python", "year": "2020", "tags": [], "source": "/docs/sub/deeper/c.md", "draft": false, "rating": true}),
        ),
        (
            "c05",
            "alpha database indexing notes",
            json!({"lang": "sql", "year": 2020.0, "tags": ["db"], "source": "/docsx/d.md", "score": 0.5, "rating": [4]}),
        ),
        (
            "c06",
            "alpha Python typing deep dive",
            json!({"lang": "Python", "year": 2022, "source": "/docs/e.md", "draft": true, "rating": 4.5}),
        ),
        (
            "c07",
            "alpha rust async runtime internals",
            json!({"lang": "rust", "year": 2018, "tags": ["systems", "db"], "draft": false, "score": 0.75}),
        ),
        ("c08", "alpha notes without year", json!({"lang": "text", "tags": "db", "source": "docs/relative.md"})),
        ("c09", "alpha empty metadata", json!({})),
        ("c10", "alpha null year", json!({"year": null, "lang": "python", "nested": {"a": 1}})),
        ("c11", "alpha awkward key", json!({ AWKWARD_KEY: "x", "lang": AWKWARD_VALUE })),
        ("c12", "alpha awkward lookalike", json!({"it's": "x", "lang": "py"})),
        (
            "c13",
            "alpha web scraping with python",
            json!({"lang": "python", "year": 2023, "tags": ["web"], "source": "/docs/sub/f.md", "score": 0.2}),
        ),
        ("c14", "alpha negative numbers", json!({"year": -5, "score": -0.5, "rating": 0})),
        ("c15", "alpha big numbers", json!({"year": 1e300, "rating": 18_446_744_073_709_551_615u64})),
        (
            "c16",
            "alpha unicode métadonnées",
            json!({"lang": "français", "source": "/docs/é/ü.md", "tags": ["ünïcode"]}),
        ),
        ("c17", "alpha booleans as strings", json!({"draft": "true", "lang": "go", "year": 2021})),
        (
            "c18",
            "alpha go generics",
            json!({"lang": "go", "year": 2022, "tags": ["systems", "web"], "source": "/docs/g.md", "draft": false, "score": 1.0}),
        ),
        ("c19", "alpha rust macros", json!({"lang": "rust", "year": 2019.5, "source": "/docs/sub/h.md", "score": 0.0})),
        (
            "c20",
            "alpha mixed array tags",
            json!({"tags": ["db", 7, true, {"k": "v"}, ["nested"]], "year": 2020, "lang": "mixed"}),
        ),
    ];
    rows.into_iter()
        .enumerate()
        .map(|(idx, (id, text, metadata))| {
            Chunk::new(id, text).with_metadata(meta(metadata)).with_embedding(pseudo_random(idx as u64 + 1, DIM))
        })
        .collect()
}

/// Filters covering every operator, nesting, type strictness, missing keys and awkward keys.
pub fn filters() -> Vec<Value> {
    vec![
        json!({"lang": "python"}),
        json!({"lang": {"$eq": "rust"}}),
        json!({"lang": "Python"}),
        json!({"lang": {"$ne": "python"}}),
        json!({"year": 2020}),
        json!({"year": "2020"}),
        json!({"year": {"$ne": 2020}}),
        json!({"year": {"$gt": 2020}}),
        json!({"year": {"$gte": 2020}}),
        json!({"year": {"$lt": 2020}}),
        json!({"year": {"$lte": 2019.5}}),
        json!({"year": {"$gt": 2019, "$lt": 2022}}),
        json!({"score": {"$gt": 0.5}}),
        json!({"score": {"$lte": 0}}),
        json!({"rating": {"$gte": 3}}),
        json!({"rating": {"$gt": 1e19}}),
        json!({"year": {"$in": [2019, 2021, "2020"]}}),
        json!({"lang": {"$in": ["python", "go"]}}),
        json!({"lang": {"$nin": ["python", "rust"]}}),
        json!({"year": {"$exists": true}}),
        json!({"year": {"$exists": false}}),
        json!({"nested": {"$exists": true}}),
        json!({"tags": {"$contains": "db"}}),
        json!({"tags": {"$contains": 7}}),
        json!({"tags": {"$contains": true}}),
        json!({"tags": {"$contains": "d"}}),
        json!({"tags": {"$not_contains": "db"}}),
        json!({"source": {"$contains": "sub"}}),
        json!({"source": {"$prefix": "/docs/"}}),
        json!({"source": {"$prefix": "/docs/sub/"}}),
        json!({"source": {"$prefix": "/docs/é/"}}),
        json!({"draft": true}),
        json!({"draft": false}),
        json!({"draft": "true"}),
        json!({"$and": [{"lang": "python"}, {"year": {"$gte": 2020}}]}),
        json!({"$or": [{"lang": "rust"}, {"draft": true}]}),
        json!({"$not": {"lang": "python"}}),
        json!({"$not": {"year": {"$gt": 2020}}}),
        json!({"$or": [{"$and": [{"year": {"$gt": 2018}}, {"year": {"$lt": 2021}}]}, {"tags": {"$contains": "web"}}]}),
        json!({"$and": [{"$or": [{"lang": "go"}, {"lang": "rust"}]}, {"$not": {"tags": {"$contains": "web"}}}]}),
        json!({ AWKWARD_KEY: "x" }),
        json!({"lang": AWKWARD_VALUE}),
        json!({"it's": "x"}),
        json!({"lang": "français"}),
    ]
}

/// Parses a fixture filter.
pub fn filter(value: &Value) -> Filter {
    Filter::from_json(value).unwrap_or_else(|e| panic!("fixture filter {value} does not parse: {e}"))
}

/// The ids of `chunks` that `filter` matches according to core's reference evaluator.
pub fn expected_ids(chunks: &[Chunk], filter: &Filter) -> BTreeSet<String> {
    chunks.iter().filter(|c| filter.matches(c.metadata.as_map())).map(|c| c.id.clone()).collect()
}

/// Filters over the corpus' keys at the size limits of the filter language, each matching a few chunks:
/// `$in` lists of [`MAX_FILTER_VALUES`] strings and of as many numbers, an `$or` of
/// [`MAX_FILTER_NODES`] nodes, and a filter [`MAX_FILTER_DEPTH`] levels deep. Past the limits, see
/// [`filters_past_the_limits`].
pub fn filters_at_the_limits() -> Vec<Value> {
    let absent = |i: usize| format!("absent-{i}");
    let mut strings: Vec<Value> = (0..MAX_FILTER_VALUES - 2).map(|i| json!(absent(i))).collect();
    strings.extend([json!("go"), json!(AWKWARD_VALUE)]);
    // Two values go to the `$nin` beside it.
    let mut numbers: Vec<Value> = (0..MAX_FILTER_VALUES - 4).map(|i| json!(100_000 + i)).collect();
    numbers.extend([json!(2019.5), json!(2021)]);
    // The `$or` node itself, then one key test per item.
    let mut items: Vec<Value> = (0..MAX_FILTER_NODES - 3).map(|i| json!({"year": 3_000 + i})).collect();
    items.extend([json!({"lang": "rust"}), json!({"tags": {"$contains": "web"}})]);
    // `$and` and `$or` in turn down to depth MAX - 2, then `$ne`: a negation and, at the limit, its key test.
    let mut deep = json!({"lang": {"$ne": "python"}});
    for level in (1..MAX_FILTER_DEPTH - 1).rev() {
        let op = if level % 2 == 0 { "$or" } else { "$and" };
        deep = json!({ op: [deep] });
    }
    vec![
        json!({"lang": {"$in": strings}}),
        json!({"lang": {"$nin": [ "python", "rust" ]}, "year": {"$in": numbers}}),
        json!({ "$or": items }),
        deep,
    ]
}

/// Filters built in code one step past each limit of the filter language, as [`Filter::validate`] must
/// refuse them: the parser never builds one.
pub fn filters_past_the_limits() -> Vec<(&'static str, Filter)> {
    let field = |key: &str, op: FieldOp| Filter::Field { key: key.to_owned(), op };
    let values = (0..=MAX_FILTER_VALUES).map(|i| Scalar::String(format!("v{i}"))).collect();
    let items = (0..MAX_FILTER_NODES).map(|i| Filter::eq("year", Scalar::Number(i as f64))).collect();
    let mut deep = Filter::eq("lang", Scalar::String("go".into()));
    for _ in 0..MAX_FILTER_DEPTH {
        deep = Filter::Not(Box::new(deep));
    }
    vec![("values", field("lang", FieldOp::In(values))), ("conditions", Filter::Or(items)), ("levels", deep)]
}

/// The deepest parenthesis nesting of `text`: backends' unit tests hold their compiled filters to a depth
/// that grows with the logarithm of a filter's length, never with the length.
pub fn parenthesis_depth(text: &str) -> usize {
    let mut depth = 0usize;
    let mut deepest = 0;
    for byte in text.bytes() {
        match byte {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            _ => continue,
        }
        deepest = Ord::max(deepest, depth);
    }
    deepest
}
