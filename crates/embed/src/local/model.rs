//! A sentence-transformers BERT model in memory: candle's `BertModel`, the `tokenizers` tokenizer, and the
//! modules of `modules.json` (Transformer → Pooling → optional Normalize), run as sentence-transformers runs them.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use serde::Deserialize;
use tokenizers::{Encoding, Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use super::pooling::{PoolingConfig, PoolingMode, normalize, pool};
use crate::error::{EmbedError, Result};

/// The most `rows × tokens²` one forward pass may hold, which bounds its attention scores
/// (`rows × heads × tokens² × 4` bytes: 48 MiB for 12 heads) whatever the batch size.
const ATTENTION_BUDGET: usize = 1 << 20;

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

/// The vectors of one batch, or why it failed.
type BatchVectors = Result<Vec<Vec<f32>>>;

/// A loaded model; shared by every embedder of the process through `super::shared_model`.
pub(crate) struct LocalModel {
    folder: PathBuf,
    bert: BertModel,
    tokenizer: Tokenizer,
    pooling: Vec<PoolingMode>,
    hidden: usize,
    normalize: bool,
    lowercase: bool,
    pad_id: u32,
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
        let (bert_config, max_positions) = read_bert_config(&folder.join("config.json"))?;
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
        let pad_id = tokenizer.get_padding().map_or(bert_config.pad_token_id as u32, |padding| padding.pad_id);
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
        let bert = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .and_then(|weights| BertModel::load(weights, &bert_config))
            .map_err(|error| model_file(&weights_path, format!("is not a BERT model of this config.json: {error}")))?;
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
            pad_id,
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

    /// Embeds `texts`, at most `batch_size` per forward pass: texts are sorted by token count so each pass
    /// pads little, and the vectors come back in the input order.
    pub(crate) fn embed(&self, texts: &[&str], batch_size: usize) -> Result<Vec<Vec<f32>>> {
        let encodings = self.tokenize(texts)?;
        let mut order: Vec<usize> = (0..encodings.len()).collect();
        order.sort_by_key(|&index| std::cmp::Reverse(encodings[index].len()));
        let batches = plan_batches(&order, |index| encodings[index].len(), batch_size);
        let run = |batch: &Range<usize>| {
            let members = &order[batch.clone()];
            let width = encodings[members[0]].len().max(1);
            self.forward(members.iter().map(|&index| &encodings[index]), members.len(), width)
        };
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

    /// One forward pass over `rows` encodings padded to `width` tokens; returns one pooled vector each.
    fn forward<'a>(
        &self,
        encodings: impl Iterator<Item = &'a Encoding>,
        rows: usize,
        width: usize,
    ) -> Result<Vec<Vec<f32>>> {
        let mut ids = vec![self.pad_id; rows * width];
        let mut mask = vec![0u32; rows * width];
        for (row, encoding) in encodings.enumerate() {
            let tokens = encoding.get_ids();
            ids[row * width..row * width + tokens.len()].copy_from_slice(tokens);
            mask[row * width..row * width + tokens.len()].fill(1);
        }
        let device = &Device::Cpu;
        let output = (|| {
            let input_ids = Tensor::from_slice(&ids, (rows, width), device)?;
            let attention = Tensor::from_slice(&mask, (rows, width), device)?;
            let token_types = input_ids.zeros_like()?;
            self.bert.forward(&input_ids, &token_types, Some(&attention))?.flatten_all()?.to_vec1::<f32>()
        })()
        .map_err(|error| self.failure(error))?;
        let per_row = width * self.hidden;
        let vectors = output
            .chunks_exact(per_row)
            .zip(mask.chunks_exact(width))
            .map(|(tokens, row_mask)| {
                let mut vector = Vec::with_capacity(self.dimensions());
                pool(&self.pooling, tokens, row_mask, self.hidden, &mut vector);
                if self.normalize {
                    normalize(&mut vector);
                }
                vector
            })
            .collect();
        Ok(vectors)
    }

    fn failure(&self, error: impl Into<storage_core::BoxError>) -> EmbedError {
        EmbedError::Inference { model: self.folder.display().to_string(), source: error.into() }
    }
}

/// Consecutive ranges of `order` (sorted longest first) of at most `batch_size` texts, each within
/// [`ATTENTION_BUDGET`] for its longest text.
fn plan_batches(order: &[usize], tokens: impl Fn(usize) -> usize, batch_size: usize) -> Vec<Range<usize>> {
    let mut batches = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let longest = tokens(order[start]).max(1);
        let rows = batch_size.min((ATTENTION_BUDGET / (longest * longest)).max(1)).min(order.len() - start);
        batches.push(start..start + rows);
        start += rows;
    }
    batches
}

/// `config.json` as candle's BERT takes it, plus `max_position_embeddings`. Only BERT models are accepted,
/// and `hidden_act` is mapped to candle's names: `gelu` is the exact (erf) GELU, `gelu_new` and
/// `gelu_pytorch_tanh` the tanh approximation, as in transformers' `ACT2FN`.
fn read_bert_config(path: &Path) -> Result<(BertConfig, usize)> {
    let mut value: serde_json::Value = read_json(path)?;
    let model_type = value.get("model_type").and_then(|v| v.as_str()).unwrap_or("bert").to_owned();
    if model_type != "bert" {
        return Err(model_file(path, format!("model_type `{model_type}` is not supported; only BERT models are")));
    }
    let act = value.get("hidden_act").and_then(|v| v.as_str()).unwrap_or("gelu").to_owned();
    let candle_act = match act.as_str() {
        "gelu" => "gelu",
        "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => "geluapproximate",
        "relu" => "relu",
        other => {
            return Err(model_file(path, format!("hidden_act `{other}` is not supported (gelu, gelu_new, relu are)")));
        }
    };
    value["hidden_act"] = candle_act.into();
    let config: BertConfig =
        serde_json::from_value(value).map_err(|error| model_file(path, format!("is not a BERT config: {error}")))?;
    let max_positions = config.max_position_embeddings;
    Ok((config, max_positions))
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
    fn batches_hold_batch_size_texts_within_the_attention_budget() {
        let lengths = [2048usize, 1024, 600, 600, 600, 10, 10, 10, 10];
        let order: Vec<usize> = (0..lengths.len()).collect();
        let batches = plan_batches(&order, |index| lengths[index], 3);
        // 2048² is over the budget and 1024² fills it: one row each; 600² fits two rows; ten tokens fit
        // many, capped at the batch size.
        assert_eq!(batches, [0..1, 1..2, 2..4, 4..6, 6..9]);
        assert_eq!(plan_batches(&[], |_| 1, 3), Vec::<Range<usize>>::new());
    }
}
