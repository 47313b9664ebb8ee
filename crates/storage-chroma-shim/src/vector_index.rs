//! The in-memory vector index of one collection: f32 vectors, their norms and 1-bit codes, rebuilt from
//! SQLite (the source of truth) and kept in step through the collection's change counter.
//!
//! A search narrows the candidates in up to three passes, and only the last decides the order:
//! 1. (large unfiltered cosine searches only) Hamming distance between sign codes of mean-centred vectors
//!    keeps the `candidates` nearest codes;
//! 2. an f32 distance with eight running sums keeps everything within a rounding margin of the k-th;
//! 3. `Metric::distance` (f64, core's definition) ranks those exactly.
//!
//! Passes 2 and 3 together are an exact search: the margin bounds f32 rounding, so no vector that could
//! rank in the exact top k is dropped. Large passes split across threads.

use std::collections::HashMap;

use storage_core::Metric;

use crate::vector_kernels::{add_hamming, dot, squared_l2};

/// Exact-scoring passes over fewer vectors than this run on one thread: spawning costs more than it saves.
const PARALLEL_BELOW: usize = 8_192;

/// The same for Hamming passes, which cost far less per vector (100,000 codes take about 1 ms on one
/// core). Measured on a busy 2-core machine, two threads per query made p50 worse (2.4 vs 1.5 ms), as
/// every query waited for a second core.
const HAMMING_PARALLEL_BELOW: usize = 1 << 20;

/// One collection's vectors as of `version` of the collection identified by `uid`.
#[derive(Debug)]
pub(crate) struct VectorIndex {
    pub(crate) uid: String,
    pub(crate) version: i64,
    dims: usize,
    pks: Vec<i64>,
    vectors: Vec<f32>,
    norms: Vec<f32>,
    max_norm: f32,
    /// Code word `w` of every vector, one column per word, so a pass streams one column at a time.
    code_columns: Vec<Vec<u64>>,
    center: Vec<f32>,
    slots: HashMap<i64, usize>,
}

/// How a search may run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScanPlan {
    pub(crate) metric: Metric,
    pub(crate) top_k: usize,
    pub(crate) threads: usize,
    /// Pre-select this many candidates by Hamming distance; `None` scans every vector.
    pub(crate) candidates: Option<usize>,
}

impl VectorIndex {
    /// Builds the index from `(pk, vector)` rows.
    #[cfg(test)]
    pub(crate) fn build(uid: String, version: i64, dims: usize, rows: Vec<(i64, Vec<f32>)>) -> Self {
        let pks = rows.iter().map(|(pk, _)| *pk).collect();
        let values = rows.into_iter().flat_map(|(_, vector)| vector).collect();
        VectorIndex::from_flat(uid, version, dims, pks, values)
    }

    /// Builds the index over `values` (`pks.len() × dims` floats, row after row, taken over without a
    /// copy); the sign codes are centred on the vectors' mean. `pks` must be distinct.
    pub(crate) fn from_flat(uid: String, version: i64, dims: usize, pks: Vec<i64>, values: Vec<f32>) -> Self {
        debug_assert_eq!(pks.len() * dims, values.len());
        let mut center = vec![0.0f64; dims];
        for vector in values.chunks_exact(dims) {
            for (sum, value) in center.iter_mut().zip(vector) {
                *sum += f64::from(*value);
            }
        }
        #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)] // a mean of f32 values
        let center: Vec<f32> = center.iter().map(|sum| (sum / pks.len().max(1) as f64) as f32).collect();
        let words = dims.div_ceil(64);
        let mut index = VectorIndex {
            uid,
            version,
            dims,
            slots: pks.iter().enumerate().map(|(slot, pk)| (*pk, slot)).collect(),
            norms: values.chunks_exact(dims).map(|v| dot(v, v).sqrt()).collect(),
            max_norm: 0.0,
            code_columns: (0..words).map(|_| Vec::with_capacity(pks.len())).collect(),
            center,
            pks,
            vectors: values,
        };
        index.max_norm = index.norms.iter().copied().fold(0.0, f32::max);
        for slot in 0..index.pks.len() {
            let code = index.code(index.vector(slot));
            for (column, word) in index.code_columns.iter_mut().zip(code) {
                column.push(word);
            }
        }
        index
    }

    /// Number of vectors.
    pub(crate) fn len(&self) -> usize {
        self.pks.len()
    }

    /// Length of every vector the index holds.
    pub(crate) fn dims(&self) -> usize {
        self.dims
    }

    /// Inserts or replaces the vector of `pk`, or removes it when `vector` is `None`.
    pub(crate) fn apply(&mut self, pk: i64, vector: Option<&[f32]>) {
        match vector {
            Some(vector) if vector.len() == self.dims => self.put(pk, vector),
            _ => self.remove(pk),
        }
    }

    fn put(&mut self, pk: i64, vector: &[f32]) {
        let code = self.code(vector);
        let norm = dot(vector, vector).sqrt();
        self.max_norm = self.max_norm.max(norm);
        if let Some(&slot) = self.slots.get(&pk) {
            self.vectors[slot * self.dims..(slot + 1) * self.dims].copy_from_slice(vector);
            self.norms[slot] = norm;
            for (column, word) in self.code_columns.iter_mut().zip(code) {
                column[slot] = word;
            }
        } else {
            self.slots.insert(pk, self.pks.len());
            self.pks.push(pk);
            self.vectors.extend_from_slice(vector);
            self.norms.push(norm);
            for (column, word) in self.code_columns.iter_mut().zip(code) {
                column.push(word);
            }
        }
    }

    /// Removes the vector of `pk`, if present, by moving the last vector into its slot.
    pub(crate) fn remove(&mut self, pk: i64) {
        let Some(slot) = self.slots.remove(&pk) else { return };
        let last = self.pks.len() - 1;
        if slot != last {
            let moved_pk = self.pks[last];
            self.pks[slot] = moved_pk;
            self.vectors.copy_within(last * self.dims..(last + 1) * self.dims, slot * self.dims);
            self.slots.insert(moved_pk, slot);
        }
        self.pks.swap_remove(slot);
        self.norms.swap_remove(slot);
        for column in &mut self.code_columns {
            column.swap_remove(slot);
        }
        self.vectors.truncate(last * self.dims);
    }

    fn code(&self, vector: &[f32]) -> Vec<u64> {
        let mut code = vec![0u64; self.code_columns.len()];
        for (dim, (value, center)) in vector.iter().zip(&self.center).enumerate() {
            if value > center {
                code[dim / 64] |= 1u64 << (dim % 64);
            }
        }
        code
    }

    fn vector(&self, slot: usize) -> &[f32] {
        &self.vectors[slot * self.dims..(slot + 1) * self.dims]
    }

    /// The nearest vectors to `query`: `(pk, distance)` sorted by distance, at least `top_k` of them when
    /// there are that many, plus every vector tied with the last one (the caller breaks ties by id).
    /// With `allowed`, only those pks are candidates (an exact pre-filtered search).
    pub(crate) fn search(&self, query: &[f32], plan: ScanPlan, allowed: Option<&[i64]>) -> Vec<(i64, f64)> {
        let mut exact = self.close_to_top(query, plan, allowed);
        keep_top_with_ties(&mut exact, plan.top_k);
        exact
    }

    /// `(pk, exact distance)` of every vector within f32 rounding of the `top_k`-th nearest, unordered: a
    /// superset of the exact top `top_k` that also holds every vector whose distance rounds to the same
    /// f32 score as the last of them, for a caller that orders by score and breaks ties itself.
    pub(crate) fn close_to_top(&self, query: &[f32], plan: ScanPlan, allowed: Option<&[i64]>) -> Vec<(i64, f64)> {
        if plan.top_k == 0 {
            return Vec::new();
        }
        let slots: Vec<usize> = match allowed {
            Some(pks) => pks.iter().filter_map(|pk| self.slots.get(pk).copied()).collect(),
            None => match plan.candidates {
                Some(candidates) if candidates < self.len() => self.preselect(query, candidates, plan.threads),
                _ => (0..self.len()).collect(),
            },
        };
        let close = self.within_margin_of_kth(query, &slots, plan);
        close.into_iter().map(|slot| (self.pks[slot], plan.metric.distance(query, self.vector(slot)))).collect()
    }

    /// The slots whose f32 distance is within the rounding margin of the k-th smallest: a superset of the
    /// exact top k among `slots`, ties included.
    fn within_margin_of_kth(&self, query: &[f32], slots: &[usize], plan: ScanPlan) -> Vec<usize> {
        let query_norm = dot(query, query).sqrt();
        let estimate = |slot: usize| -> f32 {
            let vector = self.vector(slot);
            match plan.metric {
                Metric::Cosine => {
                    let denominator = query_norm * self.norms[slot];
                    if denominator > 0.0 { 1.0 - dot(query, vector) / denominator } else { 1.0 }
                }
                Metric::L2 => squared_l2(query, vector).sqrt(),
                Metric::InnerProduct => -dot(query, vector),
            }
        };
        let score_part = |part: &[usize]| -> Vec<(usize, f32)> { part.iter().map(|&s| (s, estimate(s))).collect() };
        let mut scored: Vec<(usize, f32)> = if plan.threads <= 1 || slots.len() < PARALLEL_BELOW {
            score_part(slots)
        } else {
            let part_len = slots.len().div_ceil(plan.threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> =
                    slots.chunks(part_len).map(|part| scope.spawn(move || score_part(part))).collect();
                handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
            })
        };
        if scored.len() <= plan.top_k {
            return scored.into_iter().map(|(slot, _)| slot).collect();
        }
        scored.select_nth_unstable_by(plan.top_k - 1, |a, b| a.1.total_cmp(&b.1));
        let kth = scored[plan.top_k - 1].1;
        // f32 rounding of a sum of `dims` products is below dims · 2⁻²⁴ relative to the magnitudes involved;
        // the margin covers it several times over, scaled by those magnitudes.
        #[allow(clippy::cast_precision_loss)]
        let relative = 1e-4 + self.dims as f32 * 2.5e-7;
        let scale = match plan.metric {
            Metric::Cosine => 1.0,
            Metric::L2 => query_norm + self.max_norm,
            Metric::InnerProduct => query_norm * self.max_norm,
        };
        let cutoff = kth + relative * (1.0 + kth.abs() + scale);
        scored
            .into_iter()
            .filter(|(_, d)| !d.is_finite() || *d <= cutoff || !cutoff.is_finite())
            .map(|(s, _)| s)
            .collect()
    }

    /// The slots of the `candidates` codes nearest to the query's code (more when Hamming distances tie).
    fn preselect(&self, query: &[f32], candidates: usize, threads: usize) -> Vec<usize> {
        let query_code = self.code(query);
        let n = self.len();
        let hamming_range = |start: usize, end: usize| -> Vec<u32> {
            let mut distances = vec![0u32; end - start];
            for (column, query_word) in self.code_columns.iter().zip(&query_code) {
                add_hamming(&column[start..end], *query_word, &mut distances);
            }
            distances
        };
        let distances: Vec<u32> = if threads <= 1 || n < HAMMING_PARALLEL_BELOW {
            hamming_range(0, n)
        } else {
            let part_len = n.div_ceil(threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..n)
                    .step_by(part_len)
                    .map(|start| scope.spawn(move || hamming_range(start, (start + part_len).min(n))))
                    .collect();
                handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
            })
        };
        let cutoff = cutoff_keeping(&distances, candidates);
        (0..n).filter(|slot| distances[*slot] <= cutoff).collect()
    }
}

/// The smallest distance such that at least `keep` of `distances` are at or below it (all of them when
/// there are fewer), found with a histogram in one pass.
fn cutoff_keeping(distances: &[u32], keep: usize) -> u32 {
    let max = distances.iter().copied().max().unwrap_or(0);
    let mut histogram = vec![0usize; usize::try_from(max).unwrap_or(usize::MAX).min(1 << 20) + 1];
    for &d in distances {
        let bucket = usize::try_from(d).unwrap_or(usize::MAX).min(histogram.len() - 1);
        histogram[bucket] += 1;
    }
    let mut total = 0usize;
    for (distance, count) in histogram.iter().enumerate() {
        total += count;
        if total >= keep {
            return u32::try_from(distance).unwrap_or(u32::MAX);
        }
    }
    max
}

/// Sorts by distance and keeps the first `top_k` plus any tied with the last kept.
fn keep_top_with_ties(scored: &mut Vec<(i64, f64)>, top_k: usize) {
    if scored.len() > top_k {
        scored.select_nth_unstable_by(top_k - 1, |a, b| a.1.total_cmp(&b.1));
        let cutoff = scored[top_k - 1].1;
        scored.retain(|(_, d)| *d <= cutoff);
    }
    scored.sort_by(|a, b| a.1.total_cmp(&b.1));
}

/// f32 values as little-endian bytes, the blob format of `chunks.embedding`.
pub(crate) fn to_blob(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The f32 values of a blob; `None` when its length is not a multiple of 4.
pub(crate) fn from_blob(blob: &[u8]) -> Option<Vec<f32>> {
    if !blob.len().is_multiple_of(4) {
        return None;
    }
    Some(blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Core's fixture vectors, as the plain `Vec<f32>` the index takes.
    fn pseudo_random(seed: u64, dims: usize) -> Vec<f32> {
        let dims = u32::try_from(dims).expect("test dimensions fit in u32");
        storage_core::testing::fixtures::pseudo_random(seed, dims).into_vec()
    }

    fn index(n: usize, dims: usize) -> VectorIndex {
        let rows = (0..n).map(|i| (i as i64, pseudo_random(i as u64 + 1, dims))).collect();
        VectorIndex::build("u".into(), 1, dims, rows)
    }

    fn exact_ids(index: &VectorIndex, query: &[f32], k: usize) -> Vec<i64> {
        let plan = ScanPlan { metric: Metric::Cosine, top_k: k, threads: 1, candidates: None };
        index.search(query, plan, None).into_iter().take(k).map(|(pk, _)| pk).collect()
    }

    #[test]
    fn exact_search_matches_a_sorted_reference_with_threads() {
        let index = index(20_000, 16);
        let query = pseudo_random(999_999, 16);
        let plan = ScanPlan { metric: Metric::L2, top_k: 5, threads: 2, candidates: None };
        let got: Vec<i64> = index.search(&query, plan, None).into_iter().map(|(pk, _)| pk).collect();
        let mut reference: Vec<(f64, i64)> =
            (0..20_000).map(|i| (Metric::L2.distance(&query, index.vector(i)), index.pks[i])).collect();
        reference.sort_by(|a, b| a.0.total_cmp(&b.0));
        let expected: Vec<i64> = reference.into_iter().take(5).map(|(_, pk)| pk).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn every_metric_ranks_exactly_as_the_f64_reference() {
        let rows: Vec<(i64, Vec<f32>)> = (0..3_000)
            .map(|i| (i as i64, pseudo_random(i as u64 + 7, 24).iter().map(|v| v * 100.0).collect()))
            .collect();
        let index = VectorIndex::build("u".into(), 1, 24, rows.clone());
        let query: Vec<f32> = pseudo_random(31_337, 24).iter().map(|v| v * 50.0).collect();
        for &metric in Metric::ALL {
            let plan = ScanPlan { metric, top_k: 25, threads: 1, candidates: None };
            let got: Vec<i64> = index.search(&query, plan, None).into_iter().map(|(pk, _)| pk).collect();
            let mut reference: Vec<(f64, i64)> = rows.iter().map(|(pk, v)| (metric.distance(&query, v), *pk)).collect();
            reference.sort_by(|a, b| a.0.total_cmp(&b.0));
            let expected: Vec<i64> = reference.into_iter().take(25).map(|(_, pk)| pk).collect();
            assert_eq!(got, expected, "{metric}");
        }
    }

    #[test]
    fn ties_at_the_cut_off_are_all_returned() {
        let rows = (0..5).map(|i| (i, vec![1.0, 0.0])).chain([(9, vec![0.0, 1.0])]).collect();
        let index = VectorIndex::build("u".into(), 1, 2, rows);
        let plan = ScanPlan { metric: Metric::Cosine, top_k: 3, threads: 1, candidates: None };
        assert_eq!(index.search(&[1.0, 0.0], plan, None).len(), 5);
    }

    #[test]
    fn updates_and_removals_keep_slots_consistent() {
        let mut index = index(10, 4);
        index.apply(3, None);
        index.apply(0, Some(&[9.0, 9.0, 9.0, 9.0]));
        index.apply(100, Some(&[1.0, 2.0, 3.0, 4.0]));
        assert_eq!(index.len(), 10);
        assert_eq!(exact_ids(&index, &[1.0, 2.0, 3.0, 4.0], 1), [100]);
        assert_eq!(exact_ids(&index, &[1.0, 1.0, 1.0, 1.0], 1), [0]);
        assert!(!exact_ids(&index, &[1.0, 1.0, 1.0, 1.0], 20).contains(&3));
        let allowed = [5, 6, 3];
        let plan = ScanPlan { metric: Metric::Cosine, top_k: 10, threads: 1, candidates: None };
        let mut got: Vec<i64> = index.search(&[1.0, 0.0, 0.0, 0.0], plan, Some(&allowed)).iter().map(|h| h.0).collect();
        got.sort_unstable();
        assert_eq!(got, [5, 6]);
    }

    #[test]
    fn preselection_with_generous_candidates_finds_the_exact_neighbours() {
        let index = index(30_000, 64);
        let query = pseudo_random(4242, 64);
        let exact = exact_ids(&index, &query, 10);
        let plan = ScanPlan { metric: Metric::Cosine, top_k: 10, threads: 2, candidates: Some(6_000) };
        let approx: Vec<i64> = index.search(&query, plan, None).into_iter().take(10).map(|(pk, _)| pk).collect();
        let found = approx.iter().filter(|pk| exact.contains(pk)).count();
        assert!(found >= 9, "recall {found}/10");
    }

    #[test]
    fn blobs_round_trip() {
        let values = [1.5f32, -0.25, 3.0e-7];
        assert_eq!(from_blob(&to_blob(&values)).unwrap(), values);
        assert!(from_blob(&[1, 2, 3]).is_none());
    }
}
