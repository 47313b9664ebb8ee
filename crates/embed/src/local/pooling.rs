//! sentence-transformers' `Pooling` and `Normalize` modules: token vectors to one text vector, as its
//! `1_Pooling/config.json` and `modules.json` say.

use serde::Deserialize;

/// One pooling mode of `1_Pooling/config.json`. Several modes concatenate, in this enum's order, as
/// sentence-transformers' `Pooling.forward` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolingMode {
    /// The first token (`[CLS]`).
    Cls,
    /// The largest value of each dimension over the text's tokens.
    Max,
    /// The mean over the text's tokens.
    Mean,
    /// The sum over the text's tokens divided by the square root of their count.
    MeanSqrtLen,
    /// The text's last token.
    LastToken,
}

/// `1_Pooling/config.json`.
#[derive(Debug, Deserialize)]
pub(crate) struct PoolingConfig {
    word_embedding_dimension: usize,
    #[serde(default)]
    pooling_mode_cls_token: bool,
    #[serde(default)]
    pooling_mode_mean_tokens: bool,
    #[serde(default)]
    pooling_mode_max_tokens: bool,
    #[serde(default)]
    pooling_mode_mean_sqrt_len_tokens: bool,
    #[serde(default)]
    pooling_mode_weightedmean_tokens: bool,
    #[serde(default)]
    pooling_mode_lasttoken: bool,
}

impl PoolingConfig {
    /// What sentence-transformers uses for a plain Hugging Face model without a pooling folder: the mean.
    pub(crate) fn mean(word_embedding_dimension: usize) -> Self {
        PoolingConfig {
            word_embedding_dimension,
            pooling_mode_cls_token: false,
            pooling_mode_mean_tokens: true,
            pooling_mode_max_tokens: false,
            pooling_mode_mean_sqrt_len_tokens: false,
            pooling_mode_weightedmean_tokens: false,
            pooling_mode_lasttoken: false,
        }
    }

    /// The token vectors' length this pooling expects.
    pub(crate) fn word_embedding_dimension(&self) -> usize {
        self.word_embedding_dimension
    }

    /// The enabled modes in output order, or why this configuration cannot be followed.
    pub(crate) fn modes(&self) -> Result<Vec<PoolingMode>, String> {
        if self.pooling_mode_weightedmean_tokens {
            return Err("pooling_mode_weightedmean_tokens is not supported".into());
        }
        let modes: Vec<PoolingMode> = [
            (self.pooling_mode_cls_token, PoolingMode::Cls),
            (self.pooling_mode_max_tokens, PoolingMode::Max),
            (self.pooling_mode_mean_tokens, PoolingMode::Mean),
            (self.pooling_mode_mean_sqrt_len_tokens, PoolingMode::MeanSqrtLen),
            (self.pooling_mode_lasttoken, PoolingMode::LastToken),
        ]
        .into_iter()
        .filter_map(|(enabled, mode)| enabled.then_some(mode))
        .collect();
        if modes.is_empty() { Err("no pooling mode is enabled".into()) } else { Ok(modes) }
    }
}

/// Pools one text: `tokens` holds its token vectors (no padding), `hidden` values each, row-major.
/// Appends one block of `hidden` values per mode.
pub(crate) fn pool(modes: &[PoolingMode], tokens: &[f32], hidden: usize, out: &mut Vec<f32>) {
    debug_assert_eq!(tokens.len() % hidden, 0);
    let count = tokens.len() / hidden;
    for mode in modes {
        match mode {
            PoolingMode::Cls => out.extend_from_slice(&tokens[..hidden]),
            PoolingMode::Max => {
                // sentence-transformers' starting value for padding; every text has [CLS] and [SEP] here.
                let mut max = vec![-1e9f32; hidden];
                for row in tokens.chunks_exact(hidden) {
                    for (m, v) in max.iter_mut().zip(row) {
                        *m = m.max(*v);
                    }
                }
                out.extend_from_slice(&max);
            }
            PoolingMode::Mean | PoolingMode::MeanSqrtLen => {
                let mut sum = vec![0f32; hidden];
                for row in tokens.chunks_exact(hidden) {
                    for (s, v) in sum.iter_mut().zip(row) {
                        *s += *v;
                    }
                }
                // Same clamp as sentence-transformers: torch.clamp(sum_mask, min=1e-9).
                let divisor = match mode {
                    PoolingMode::Mean => (count as f32).max(1e-9),
                    _ => (count as f32).max(1e-9).sqrt(),
                };
                out.extend(sum.iter().map(|s| s / divisor));
            }
            PoolingMode::LastToken => out.extend_from_slice(&tokens[tokens.len() - hidden..]),
        }
    }
}

/// sentence-transformers' `Normalize`: `torch.nn.functional.normalize(p=2)`, dividing by the norm or 1e-12,
/// whichever is larger.
pub(crate) fn normalize(vector: &mut [f32]) {
    let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    for v in vector {
        *v /= norm;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tokens of two values.
    const TOKENS: [f32; 4] = [1.0, -2.0, 3.0, 4.0];

    fn check(modes: &[PoolingMode], expected: &[f32]) {
        let mut out = Vec::new();
        pool(modes, &TOKENS, 2, &mut out);
        assert_eq!(out, expected, "{modes:?}");
    }

    #[test]
    fn each_mode_pools_the_text_tokens() {
        check(&[PoolingMode::Mean], &[2.0, 1.0]);
        check(&[PoolingMode::Max], &[3.0, 4.0]);
        check(&[PoolingMode::Cls], &[1.0, -2.0]);
        check(&[PoolingMode::LastToken], &[3.0, 4.0]);
        let root2 = 2f32.sqrt();
        check(&[PoolingMode::MeanSqrtLen], &[4.0 / root2, 2.0 / root2]);
        check(&[PoolingMode::Cls, PoolingMode::Mean], &[1.0, -2.0, 2.0, 1.0]);
    }

    #[test]
    fn config_modes_follow_sentence_transformers_order() {
        let config: PoolingConfig = serde_json::from_str(
            r#"{"word_embedding_dimension": 4, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": true,
                "pooling_mode_max_tokens": true}"#,
        )
        .unwrap();
        assert_eq!(config.modes().unwrap(), [PoolingMode::Cls, PoolingMode::Max, PoolingMode::Mean]);
        assert_eq!(PoolingConfig::mean(4).modes().unwrap(), [PoolingMode::Mean]);
        let none: PoolingConfig = serde_json::from_str(r#"{"word_embedding_dimension": 4}"#).unwrap();
        assert_eq!(none.modes().unwrap_err(), "no pooling mode is enabled");
    }

    #[test]
    fn normalize_gives_unit_length_and_leaves_zero_alone() {
        let mut v = [3.0, 4.0];
        normalize(&mut v);
        assert_eq!(v, [0.6, 0.8]);
        let mut zero = [0.0, 0.0];
        normalize(&mut zero);
        assert_eq!(zero, [0.0, 0.0]);
    }
}
