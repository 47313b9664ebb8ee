//! A sentence-transformers BERT model in memory: the encoder of `super::bert`, the `tokenizers` tokenizer,
//! and the modules of `modules.json` (Transformer → Pooling → optional Normalize), run as
//! sentence-transformers runs them.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use tokenizers::{Encoding, Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::bert::{Bert, BertConfig};
use super::pooling::{PoolingConfig, PoolingMode, normalize, pool};
use crate::error::{EmbedError, Result};

/// The most tokens one forward pass may hold, whatever the batch size: its buffers take about 26 KiB a
/// token for a 384-wide model (the hidden state, query/key/value, the feed-forward layer and candle's
/// output copies), so about 100 MiB per pass here, one pass per core.
const TOKEN_BUDGET: usize = 4096;

/// One batch's vectors, or why it failed.
type BatchVectors = Result<Vec<Vec<f32>>>;

/// One entry of `modules.json`.
#[derive(Debug, Deserialize)]
struct ModuleEntry {
    #[serde(default)]
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

/// `sentence_bert_config.json`.
#[derive(Debug, Default, Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
    #[serde(default)]
    do_lower_case: bool,
}

/// A loaded model; shared by every embedder of the process through `super::shared_model`.
pub(crate) struct LocalModel {
    folder: PathBuf,
    bert: Bert,
    tokenizer: Tokenizer,
    pooling: Vec<PoolingMode>,
    hidden: usize,
    normalize: bool,
    lowercase: bool,
    /// One single-threaded rayon pool per core. Several batches run side by side, one per pool, instead
    /// of one batch at a time over all cores: most of candle's CPU kernels besides the big matrix products
    /// run on one thread, and the attention products are many small ones, so splitting every operation
    /// across cores leaves them idle; whole batches side by side keep every core busy.
    workers: Vec<rayon::ThreadPool>,
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel").field("folder", &self.folder).field("dimensions", &self.dimensions()).finish()
    }
}

impl LocalModel {
    /// Loads the model in `folder` (blocking: reads ~100 MB for a small model).
    pub(crate) fn load(folder: &Path) -> Result<Self> {
        let config_path = folder.join("config.json");
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|error| model_file(&config_path, error.to_string()))?;
        let bert_config = BertConfig::parse(&config_text).map_err(|reason| model_file(&config_path, reason))?;
        let max_positions = bert_config.max_position_embeddings;
        let modules: Vec<ModuleEntry> = match read_optional(&folder.join("modules.json"))? {
            Some(modules) => modules,
            None => vec![ModuleEntry { path: String::new(), kind: "Transformer".into() }],
        };
        let mut pooling = None;
        let mut normalize = false;
        for module in &modules {
            match module.kind.rsplit('.').next().unwrap_or_default() {
                "Transformer" => {}
                "Pooling" => {
                    let path = folder.join(&module.path).join("config.json");
                    let config: PoolingConfig = read_json(&path)?;
                    pooling = Some((config, path));
                }
                "Normalize" => normalize = true,
                other => {
                    return Err(model_file(
                        &folder.join("modules.json"),
                        format!("module type `{other}` is not supported (Transformer, Pooling, Normalize are)"),
                    ));
                }
            }
        }
        // sentence-transformers gives a model without a Pooling module mean pooling.
        let (pooling, pooling_path) =
            pooling.unwrap_or_else(|| (PoolingConfig::mean(bert_config.hidden_size), folder.join("modules.json")));
        if pooling.word_embedding_dimension() != bert_config.hidden_size {
            return Err(model_file(
                &pooling_path,
                format!(
                    "word_embedding_dimension is {} but the model's hidden_size is {}",
                    pooling.word_embedding_dimension(),
                    bert_config.hidden_size
                ),
            ));
        }
        let pooling = pooling.modes().map_err(|reason| model_file(&pooling_path, reason))?;

        let sentence_config: SentenceBertConfig =
            read_optional(&folder.join("sentence_bert_config.json"))?.unwrap_or_default();
        let max_seq_length = sentence_config.max_seq_length.unwrap_or(max_positions).min(max_positions);
        let tokenizer_path = folder.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
            .map_err(|error| model_file(&tokenizer_path, format!("cannot be loaded: {error}")))?;
        // tokenizer.json's own padding and truncation (all-MiniLM-L6-v2 ships a fixed 128) are not what
        // sentence-transformers applies: it truncates at max_seq_length and pads to the batch's longest text.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_seq_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|error| model_file(&tokenizer_path, format!("cannot truncate at {max_seq_length}: {error}")))?;

        let weights_path = folder.join("model.safetensors");
        let weights = std::fs::read(&weights_path).map_err(|error| model_file(&weights_path, error.to_string()))?;
        let bert = Bert::load(&bert_config, &weights).map_err(|reason| {
            model_file(&weights_path, format!("is not a BERT model of this config.json: {reason}"))
        })?;
        drop(weights);
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = (0..cores)
            .map(|index| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(1)
                    .thread_name(move |_| format!("embed-{index}"))
                    .build()
                    .map_err(|error| EmbedError::Inference {
                        model: folder.display().to_string(),
                        source: error.into(),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        tracing::debug!(folder = %folder.display(), max_seq_length, ?pooling, normalize, cores, "loaded the local embedding model");
        Ok(LocalModel {
            folder: folder.to_owned(),
            bert,
            tokenizer,
            pooling,
            hidden: bert_config.hidden_size,
            normalize,
            lowercase: sentence_config.do_lower_case,
            workers,
        })
    }

    /// The length of the vectors this model returns.
    pub(crate) fn dimensions(&self) -> usize {
        self.hidden * self.pooling.len()
    }

    /// The folder the model was loaded from.
    pub(crate) fn folder(&self) -> &Path {
        &self.folder
    }

    /// Tokenizes `texts` as sentence-transformers does: surrounding whitespace stripped, lowercased when
    /// `do_lower_case` says so, special tokens added, truncated at `max_seq_length`, no padding.
    pub(crate) fn tokenize(&self, texts: &[&str]) -> Result<Vec<Encoding>> {
        let prepared: Vec<String> = texts
            .iter()
            .map(|text| if self.lowercase { text.trim().to_lowercase() } else { text.trim().to_owned() })
            .collect();
        self.tokenizer.encode_batch(prepared, true).map_err(|error| self.failure(error))
    }

    /// Embeds `texts`, at most `batch_size` and [`TOKEN_BUDGET`] tokens per forward pass. The longest
    /// texts go first, so the workers finish together; the vectors come back in the input order.
    pub(crate) fn embed(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        let encodings = self.tokenize(texts)?;
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&index| std::cmp::Reverse(encodings[index].len()));
        let batches = plan_batches(&order, |index| encodings[index].len(), batch_size);
        let run = |batch: &Range<usize>| self.forward(order[batch.clone()].iter().map(|&index| &encodings[index]));
        let pooled: Vec<Vec<Vec<f32>>> = if batches.len() < 2 || self.workers.len() < 2 {
            // One batch (a query, say) is fastest on all cores at once.
            batches.iter().map(run).collect::<Result<_>>()?
        } else {
            self.run_side_by_side(&batches, run)?
        };
        let mut vectors = vec![Vec::new(); encodings.len()];
        for (batch, batch_vectors) in batches.iter().zip(pooled) {
            for (&index, vector) in order[batch.clone()].iter().zip(batch_vectors) {
                vectors[index] = vector;
            }
        }
        Ok(vectors)
    }

    /// Runs `run` on every batch, each worker pool taking the next batch in turn (longest first); returns
    /// the results in batch order.
    fn run_side_by_side<F>(&self, batches: &[Range<usize>], run: F) -> Result<Vec<Vec<Vec<f32>>>>
    where
        F: Fn(&Range<usize>) -> Result<Vec<Vec<f32>>> + Sync,
    {
        let next = AtomicUsize::new(0);
        // One slot per batch, filled by whichever pool ran it.
        let results: Mutex<Vec<Option<BatchVectors>>> = Mutex::new((0..batches.len()).map(|_| None).collect());
        std::thread::scope(|scope| {
            for pool in &self.workers {
                scope.spawn(|| {
                    pool.install(|| {
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(batch) = batches.get(index) else { break };
                            let outcome = run(batch);
                            let failed = outcome.is_err();
                            results.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[index] = Some(outcome);
                            if failed {
                                // The others stop at their next batch too.
                                next.store(batches.len(), Ordering::Relaxed);
                                break;
                            }
                        }
                    });
                });
            }
        });
        let results = results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut pooled = Vec::with_capacity(results.len());
        let mut not_run = false;
        for outcome in results {
            match outcome {
                Some(Ok(vectors)) => pooled.push(vectors),
                // The first failure is the one to report; batches after it were skipped because of it.
                Some(Err(error)) => return Err(error),
                None => not_run = true,
            }
        }
        if not_run {
            return Err(self.failure("a batch was not run"));
        }
        Ok(pooled)
    }

    /// One forward pass over `encodings`, packed without padding; returns one pooled vector each.
    fn forward<'a>(&self, encodings: impl Iterator<Item = &'a Encoding>) -> Result<Vec<Vec<f32>>> {
        let ids: Vec<&[u32]> = encodings.map(Encoding::get_ids).collect();
        let states = self.bert.forward(&ids).map_err(|error| self.failure(error))?;
        let mut vectors = Vec::with_capacity(ids.len());
        let mut start = 0;
        for text in &ids {
            let end = start + text.len() * self.hidden;
            let mut vector = Vec::with_capacity(self.dimensions());
            pool(&self.pooling, &states[start..end], self.hidden, &mut vector);
            if self.normalize {
                normalize(&mut vector);
            }
            vectors.push(vector);
            start = end;
        }
        Ok(vectors)
    }

    fn failure(&self, error: impl Into<storage_core::BoxError>) -> EmbedError {
        EmbedError::Inference { model: self.folder.display().to_string(), source: error.into() }
    }
}

/// Consecutive ranges of `order` (sorted longest first) of at most `batch_size` texts and, unless one
/// text alone is longer, at most [`TOKEN_BUDGET`] tokens.
fn plan_batches(order: &[usize], tokens: impl Fn(usize) -> usize, batch_size: usize) -> Vec<Range<usize>> {
    let mut batches = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        let mut total = tokens(order[start]);
        while end < order.len() && end - start < batch_size && total + tokens(order[end]) <= TOKEN_BUDGET {
            total += tokens(order[end]);
            end += 1;
        }
        batches.push(start..end);
        start = end;
    }
    batches
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|error| model_file(path, error.to_string()))?;
    serde_json::from_str(&text).map_err(|error| model_file(path, format!("is not valid: {error}")))
}

fn read_optional<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    if path.is_file() { read_json(path).map(Some) } else { Ok(None) }
}

fn model_file(path: &Path, reason: impl Into<String>) -> EmbedError {
    EmbedError::ModelFile { path: path.to_owned(), reason: reason.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_batch_size_texts_within_the_token_budget() {
        let lengths = [TOKEN_BUDGET + 1, TOKEN_BUDGET / 2, TOKEN_BUDGET / 2, TOKEN_BUDGET / 3, 10, 10, 10, 10, 10];
        let order: Vec<usize> = (0..lengths.len()).collect();
        let batches = plan_batches(&order, |index| lengths[index], 3);
        // A text over the budget goes alone; two halves fill it; a third and ten-token texts fit together,
        // up to the batch size.
        assert_eq!(batches, [0..1, 1..3, 3..6, 6..9]);
        assert_eq!(plan_batches(&[], |_| 1, 3), Vec::<Range<usize>>::new());
    }
}
