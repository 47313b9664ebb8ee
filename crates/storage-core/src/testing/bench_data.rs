//! A deterministic benchmark corpus shared by every backend's benchmark and its baseline, so figures side
//! by side were measured on the same rows.
//!
//! Vectors are clustered (points around 256 random centres, normalised), because uniformly random vectors
//! make approximate indexes look worse and exact scans look better than real embeddings do. Texts are
//! pseudo-words from syllables with a Zipf-like frequency, about 80 words per chunk, and each cluster has
//! its own topic words so keyword queries have a few hundred matches rather than none or all.

use serde_json::json;

use crate::document::{Chunk, Metadata};
use crate::embedding::Embedding;

/// SplitMix64: a tiny, good-enough deterministic generator (no RNG crate needed).
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // 53 bits fit an f64 mantissa exactly
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }

    /// A standard normal sample (Box-Muller).
    pub fn next_normal(&mut self) -> f64 {
        let u1 = self.next_f64().max(f64::MIN_POSITIVE);
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// A uniform integer in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ran", "tes", "vor", "quin", "del", "ba", "nor", "sil", "fen", "tra", "gu", "pel", "zor", "wen",
    "cas", "dim", "hul", "ix", "jor", "mu", "ster",
];

/// The benchmark corpus's parameters.
#[derive(Clone, Debug)]
pub struct BenchCorpus {
    /// Number of chunks.
    pub rows: usize,
    /// Vector dimensions.
    pub dimensions: u32,
    /// Seed of everything random.
    pub seed: u64,
    centers: Vec<Vec<f32>>,
    vocabulary: Vec<String>,
}

/// Number of vector clusters and keyword topics.
pub const CLUSTERS: usize = 256;

/// Number of distinct `category` values: a filter on one category matches 1 % of the corpus.
pub const CATEGORIES: u64 = 100;

impl BenchCorpus {
    /// A corpus of `rows` chunks of `dimensions`-d vectors.
    pub fn new(rows: usize, dimensions: u32, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let centers = (0..CLUSTERS).map(|_| normalized((0..dimensions).map(|_| rng.next_normal()).collect())).collect();
        let mut vocabulary = Vec::with_capacity(6_000);
        let mut seen = std::collections::HashSet::new();
        while vocabulary.len() < 6_000 {
            let n_syllables = 2 + rng.below(3) as usize;
            let word: String =
                (0..n_syllables).map(|_| SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize]).collect();
            if seen.insert(word.clone()) {
                vocabulary.push(word);
            }
        }
        BenchCorpus { rows, dimensions, seed, centers, vocabulary }
    }

    fn word(&self, rng: &mut SplitMix64) -> &str {
        // Zipf-like: index = n^u - 1 for uniform u, so low indexes are far more frequent.
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let idx = ((self.vocabulary.len() as f64).powf(rng.next_f64()) - 1.0) as usize;
        &self.vocabulary[idx.min(self.vocabulary.len() - 1)]
    }

    fn topic_words(&self, cluster: usize) -> [&str; 3] {
        let base = 1_000 + cluster * 3;
        [&self.vocabulary[base], &self.vocabulary[base + 1], &self.vocabulary[base + 2]]
    }

    fn point_near(&self, cluster: usize, rng: &mut SplitMix64) -> Embedding {
        let spread = 0.6 / f64::from(self.dimensions).sqrt() * 3.0;
        let values = self.centers[cluster].iter().map(|c| f64::from(*c) + rng.next_normal() * spread).collect();
        Embedding::new(normalized(values)).expect("normalised finite values")
    }

    /// Chunk number `idx` (0-based); the same index always gives the same chunk.
    pub fn chunk(&self, idx: usize) -> Chunk {
        let mut rng = SplitMix64::new(self.seed ^ (idx as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
        let cluster = rng.below(CLUSTERS as u64) as usize;
        let n_words = 60 + rng.below(40) as usize;
        let topic = self.topic_words(cluster);
        let mut text = String::with_capacity(n_words * 8);
        for w in 0..n_words {
            if w > 0 {
                text.push(' ');
            }
            if rng.below(8) == 0 {
                text.push_str(topic[rng.below(3) as usize]);
            } else {
                text.push_str(self.word(&mut rng));
            }
        }
        let metadata = Metadata::from_value(json!({
            "source": format!("/corpus/folder{:02}/file{:04}.md", cluster % 20, idx % 1000),
            "category": format!("cat{:02}", idx as u64 % CATEGORIES),
            "year": 2000 + (idx % 25),
            "cluster": cluster,
        }))
        .expect("benchmark metadata is a valid object");
        Chunk::new(format!("doc-{idx:07}"), text)
            .with_metadata(metadata)
            .with_embedding(self.point_near(cluster, &mut rng))
    }

    /// Every chunk, in order.
    pub fn chunks(&self) -> impl Iterator<Item = Chunk> + '_ {
        (0..self.rows).map(|idx| self.chunk(idx))
    }

    /// Query number `idx`: a vector near a cluster centre (not a corpus point) and two of that cluster's
    /// topic words.
    pub fn query(&self, idx: usize) -> BenchQuery {
        let mut rng = SplitMix64::new(!self.seed ^ (idx as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let cluster = rng.below(CLUSTERS as u64) as usize;
        let topic = self.topic_words(cluster);
        BenchQuery {
            embedding: self.point_near(cluster, &mut rng),
            text: format!("{} {}", topic[0], topic[1 + rng.below(2) as usize]),
            category: format!("cat{:02}", rng.below(CATEGORIES)),
            cluster,
        }
    }
}

/// One benchmark query.
#[derive(Clone, Debug)]
pub struct BenchQuery {
    /// The query vector.
    pub embedding: Embedding,
    /// Two topic words (a keyword query with a few hundred matches).
    pub text: String,
    /// A category value for filtered queries (1 % of the corpus).
    pub category: String,
    /// The cluster the query was drawn from: the chunks relevant to it are those whose metadata `cluster`
    /// is this (what MRR@10 counts).
    pub cluster: usize,
}

impl BenchQuery {
    /// Whether a hit is relevant to this query: a chunk of the query's cluster.
    pub fn is_relevant(&self, metadata: &Metadata) -> bool {
        metadata.get("cluster").and_then(serde_json::Value::as_u64) == Some(self.cluster as u64)
    }
}

/// Mean reciprocal rank at 10: for each query, 1 / the rank of its first relevant hit among the first 10
/// (0 when none is), averaged over the queries.
pub fn mrr_at_10(per_query: impl IntoIterator<Item = Option<usize>>) -> f64 {
    let (sum, n) = per_query.into_iter().fold((0.0, 0usize), |(sum, n), rank| {
        let reciprocal = rank.filter(|rank| (1..=10).contains(rank)).map_or(0.0, |rank| 1.0 / rank as f64);
        (sum + reciprocal, n + 1)
    });
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn normalized(values: Vec<f64>) -> Vec<f32> {
    let norm = values.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    #[allow(clippy::cast_possible_truncation)] // unit-vector components fit in f32
    values.into_iter().map(|v| (v / norm) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_deterministic_and_well_formed() {
        let corpus = BenchCorpus::new(1_000, 16, 42);
        let again = BenchCorpus::new(1_000, 16, 42);
        assert_eq!(corpus.chunk(17), again.chunk(17));
        let chunk = corpus.chunk(3);
        assert!(chunk.text.split(' ').count() >= 60);
        let norm: f32 = chunk.embedding.as_ref().unwrap().as_slice().iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        assert_eq!(corpus.query(5).text, again.query(5).text);
        assert_eq!(corpus.chunks().count(), 1_000);
        let query = corpus.query(5);
        let relevant = corpus.chunks().find(|c| query.is_relevant(&c.metadata));
        assert!(relevant.is_some_and(|c| c.text.contains(query.text.split(' ').next().unwrap())));
    }

    #[test]
    fn mrr_averages_reciprocal_ranks_within_ten() {
        assert_eq!(mrr_at_10([Some(1), Some(2), None, Some(11)]), (1.0 + 0.5) / 4.0);
        assert_eq!(mrr_at_10(Vec::<Option<usize>>::new()), 0.0);
    }
}
