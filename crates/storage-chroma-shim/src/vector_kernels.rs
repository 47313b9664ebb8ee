//! The inner loops of vector search, written so the compiler vectorises them for baseline x86-64 (SSE2):
//! a multiply-free popcount over code columns, and f32 dot products with eight independent accumulators.

/// Population count by SWAR without the multiply, so it vectorises where no `popcnt` instruction is
/// guaranteed (baseline x86-64 has none, and `count_ones` then becomes a scalar sequence).
#[inline(always)]
fn popcount(mut x: u64) -> u64 {
    x -= (x >> 1) & 0x5555_5555_5555_5555;
    x = (x & 0x3333_3333_3333_3333) + ((x >> 2) & 0x3333_3333_3333_3333);
    x = (x + (x >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    x += x >> 8;
    x += x >> 16;
    x += x >> 32;
    x & 0x7f
}

/// Adds, for every vector, the differing bits between its code word in `column` and `query_word`.
pub(crate) fn add_hamming(column: &[u64], query_word: u64, distances: &mut [u32]) {
    for (distance, word) in distances.iter_mut().zip(column) {
        // At most 64, so the narrowing is lossless.
        #[allow(clippy::cast_possible_truncation)]
        let bits = popcount(word ^ query_word) as u32;
        *distance += bits;
    }
}

/// `a · b` in f32 with eight running sums (a fast estimate; exact distances use `Metric::distance`).
#[inline]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            sums[lane] += x[lane] * y[lane];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// `|a - b|²` in f32 with eight running sums.
#[inline]
pub(crate) fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0.0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks.remainder().iter().zip(b_chunks.remainder()).map(|(x, y)| (x - y) * (x - y)).sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            let d = x[lane] - y[lane];
            sums[lane] += d * d;
        }
    }
    sums.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_matches_count_ones() {
        for x in [0u64, 1, u64::MAX, 0x8000_0000_0000_0001, 0xdead_beef_cafe_f00d, 0x5555_5555_5555_5555] {
            assert_eq!(popcount(x), u64::from(x.count_ones()), "{x:#x}");
        }
        let mut distances = vec![1u32, 2];
        add_hamming(&[0b1011, u64::MAX], 0b0001, &mut distances);
        assert_eq!(distances, [3, 65]);
    }

    #[test]
    fn f32_kernels_agree_with_plain_sums() {
        let a: Vec<f32> = (0..21).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..21).map(|i| 1.0 - i as f32 * 0.25).collect();
        let plain_dot: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let plain_l2: f32 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
        assert!((dot(&a, &b) - plain_dot).abs() < 1e-3);
        assert!((squared_l2(&a, &b) - plain_l2).abs() < 1e-3);
    }
}
