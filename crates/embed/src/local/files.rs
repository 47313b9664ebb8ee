//! Where a local model's files come from, in order: a configured folder, the Hugging Face cache, a download
//! from the Hub; else an error that names all three.

use std::path::{Path, PathBuf};

use crate::error::{EmbedError, Result};
use crate::factory::hub_model_id;

/// Files a model folder must have.
pub(crate) const REQUIRED_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

/// sentence-transformers' files, read when present (a plain Hugging Face BERT model lacks them).
const OPTIONAL_FILES: [&str; 3] = ["modules.json", "sentence_bert_config.json", "1_Pooling/config.json"];

/// Whether and where the Hub may be asked for a model.
#[derive(Clone, Debug)]
pub(crate) enum Download {
    /// Download from this endpoint (`https://huggingface.co` unless `HF_ENDPOINT` says otherwise).
    From(String),
    /// Downloads are off, for this reason.
    Off(String),
}

/// The places a model is looked for, read once from the configuration and the environment.
#[derive(Clone, Debug)]
pub(crate) struct ModelSources {
    /// `embedding.model_path`.
    pub(crate) model_path: Option<PathBuf>,
    /// The Hugging Face hub cache (`.../huggingface/hub`).
    pub(crate) hub_cache: PathBuf,
    /// The Hub download.
    pub(crate) download: Download,
}

impl ModelSources {
    /// The configured folder plus the Hugging Face conventions: `HF_HUB_CACHE`, else `HF_HOME/hub`, else
    /// `$XDG_CACHE_HOME/huggingface/hub` or `~/.cache/huggingface/hub`; `HF_HUB_OFFLINE=1` turns the download
    /// off and `HF_ENDPOINT` moves it.
    pub(crate) fn from_env(model_path: Option<PathBuf>) -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty()).map(PathBuf::from);
        let hub_cache = var("HF_HUB_CACHE")
            .or_else(|| var("HF_HOME").map(|home| home.join("hub")))
            .or_else(|| var("XDG_CACHE_HOME").map(|cache| cache.join("huggingface").join("hub")))
            .or_else(|| var("HOME").map(|home| home.join(".cache").join("huggingface").join("hub")))
            .unwrap_or_else(|| PathBuf::from(".cache/huggingface/hub"));
        let offline = std::env::var("HF_HUB_OFFLINE").is_ok_and(|value| matches!(value.trim(), "1" | "true" | "yes"));
        let download = if offline {
            Download::Off("HF_HUB_OFFLINE is set".into())
        } else {
            Download::From(std::env::var("HF_ENDPOINT").unwrap_or_else(|_| "https://huggingface.co".into()))
        };
        ModelSources { model_path, hub_cache, download }
    }

    /// The folder holding `model`'s files.
    pub(crate) fn resolve(&self, model: &str) -> Result<PathBuf> {
        if let Some(folder) = &self.model_path {
            check_folder(folder)?;
            return Ok(folder.clone());
        }
        let id = hub_model_id(model);
        if let Some(snapshot) = cached_snapshot(&self.hub_cache, &id) {
            return Ok(snapshot);
        }
        let download = match &self.download {
            Download::Off(reason) => reason.clone(),
            Download::From(endpoint) => match download(endpoint, &self.hub_cache, &id) {
                Ok(folder) => return Ok(folder),
                Err(reason) => format!("the download from {endpoint} failed: {reason}"),
            },
        };
        Err(EmbedError::ModelNotFound { model: id, cache: self.hub_cache.clone(), download })
    }
}

/// Refuses a configured folder that lacks a required file, naming it: the user chose this folder, so
/// another copy is not silently used instead.
fn check_folder(folder: &Path) -> Result<()> {
    for file in REQUIRED_FILES {
        let path = folder.join(file);
        if !path.is_file() {
            return Err(EmbedError::ModelFile {
                path,
                reason: format!(
                    "is missing; embedding.model_path must be a sentence-transformers model folder with {}",
                    REQUIRED_FILES.join(", ")
                ),
            });
        }
    }
    Ok(())
}

/// `models--ORG--NAME/snapshots/<rev>` of the Hugging Face cache: the one `refs/main` names, else the most
/// recently changed complete one.
fn cached_snapshot(hub_cache: &Path, id: &str) -> Option<PathBuf> {
    let repo = hub_cache.join(format!("models--{}", id.replace('/', "--")));
    let complete = |dir: &Path| REQUIRED_FILES.iter().all(|file| dir.join(file).is_file());
    if let Ok(revision) = std::fs::read_to_string(repo.join("refs").join("main")) {
        let snapshot = repo.join("snapshots").join(revision.trim());
        if complete(&snapshot) {
            return Some(snapshot);
        }
    }
    let entries = std::fs::read_dir(repo.join("snapshots")).ok()?;
    entries
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|dir| complete(dir))
        .max_by_key(|dir| dir.metadata().and_then(|meta| meta.modified()).ok())
}

/// Downloads the model's files into the Hugging Face cache with hf-hub (a progress bar per file on
/// stderr); returns the snapshot folder.
fn download(endpoint: &str, hub_cache: &Path, id: &str) -> std::result::Result<PathBuf, String> {
    tracing::info!(model = id, endpoint, "downloading the embedding model from the Hub");
    let api = hf_hub::api::sync::ApiBuilder::new()
        .with_endpoint(endpoint.to_owned())
        .with_cache_dir(hub_cache.to_owned())
        .with_progress(true)
        .with_retries(2)
        .build()
        .map_err(|error| error.to_string())?;
    let repo = api.model(id.to_owned());
    let mut snapshot = None;
    for file in REQUIRED_FILES {
        let path = repo.get(file).map_err(|error| format!("{file}: {error}"))?;
        snapshot = path.parent().map(Path::to_path_buf);
    }
    for file in OPTIONAL_FILES {
        // A plain Hugging Face model has none of these; sentence-transformers' defaults apply then.
        if let Err(error) = repo.get(file) {
            tracing::debug!(model = id, file, %error, "optional model file not downloaded");
        }
    }
    snapshot.ok_or_else(|| "the Hub returned no file".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_folder(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for file in REQUIRED_FILES {
            std::fs::write(dir.join(file), "{}").unwrap();
        }
    }

    fn sources(model_path: Option<PathBuf>, hub_cache: &Path, download: Download) -> ModelSources {
        ModelSources { model_path, hub_cache: hub_cache.to_owned(), download }
    }

    #[test]
    fn a_configured_folder_wins_and_must_be_complete() {
        let temp = tempfile::tempdir().unwrap();
        let folder = temp.path().join("mine");
        model_folder(&folder);
        let off = Download::Off("offline".into());
        let found = sources(Some(folder.clone()), temp.path(), off.clone()).resolve("any").unwrap();
        assert_eq!(found, folder);
        std::fs::remove_file(folder.join("tokenizer.json")).unwrap();
        let err = sources(Some(folder.clone()), temp.path(), off).resolve("any").unwrap_err().to_string();
        assert!(err.contains("tokenizer.json") && err.contains("is missing"), "{err}");
    }

    #[test]
    fn the_hugging_face_cache_is_read_through_refs_main() {
        let hub = tempfile::tempdir().unwrap();
        let repo = hub.path().join("models--sentence-transformers--all-MiniLM-L6-v2");
        model_folder(&repo.join("snapshots").join("abc123"));
        model_folder(&repo.join("snapshots").join("older"));
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("refs").join("main"), "abc123\n").unwrap();
        let found = sources(None, hub.path(), Download::Off("offline".into())).resolve("all-MiniLM-L6-v2").unwrap();
        assert_eq!(found, repo.join("snapshots").join("abc123"));
        // Without refs/main (a copied cache), a complete snapshot still counts.
        std::fs::remove_file(repo.join("refs").join("main")).unwrap();
        std::fs::remove_dir_all(repo.join("snapshots").join("abc123")).unwrap();
        let found = sources(None, hub.path(), Download::Off("offline".into()))
            .resolve("sentence-transformers/all-MiniLM-L6-v2")
            .unwrap();
        assert_eq!(found, repo.join("snapshots").join("older"));
    }

    #[test]
    fn nothing_found_names_all_three_ways() {
        let hub = tempfile::tempdir().unwrap();
        let err = sources(None, hub.path(), Download::Off("HF_HUB_OFFLINE is set".into()))
            .resolve("all-MiniLM-L6-v2")
            .unwrap_err()
            .to_string();
        for part in ["sentence-transformers/all-MiniLM-L6-v2", "embedding.model_path", "Hugging Face cache", "Hub"] {
            assert!(err.contains(part), "{part} missing from: {err}");
        }
        assert!(err.contains(&hub.path().display().to_string()) && err.contains("HF_HUB_OFFLINE is set"), "{err}");
    }

    #[test]
    fn a_failed_download_is_reported_with_the_endpoint() {
        // A port nothing listens on: the real download code runs and fails at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let hub = tempfile::tempdir().unwrap();
        let endpoint = format!("http://127.0.0.1:{port}");
        let err = sources(None, hub.path(), Download::From(endpoint.clone()))
            .resolve("all-MiniLM-L6-v2")
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("the download from {endpoint} failed: config.json")), "{err}");
    }
}
