//! Configuration: defaults < YAML file < `.env` < `.env.brainstore` < environment < flags, into a validated `AppConfig` that remembers where every value came from.
//!
//! Every layer goes through the `config` crate, and every struct of the tree denies unknown fields, so a
//! typo (`postgres.hots`, `BRAINSTORE__POSTGRES__HOTS`) is an error that names the key, never ignored.
//! `DATABASE_URL` is not a key: the winning one (flag > environment > `.env.brainstore` > `.env`)
//! replaces only the postgres connection fields after everything else is merged.

mod layers;
mod sections;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use storage_core::{CollectionName, SearchDefaults};

use self::layers::{Layer, Secret};
pub(crate) use self::sections::{
    BackendKind, DEFAULT_BATCH_SIZE, EmbeddingSection, IngestSection, MemorySection, check_batch_size,
};
use crate::args::GlobalArgs;
use crate::error::{CliError, Result};
use crate::factory::{self, EmbeddedSection, PostgresSection};

/// The `server:` section: the server crate's own settings, or, in a build without it (feature `server`),
/// any value, kept so a configuration file stays valid.
#[cfg(feature = "server")]
pub(crate) type ServerSection = server::ServerConfig;
#[cfg(not(feature = "server"))]
pub(crate) type ServerSection = factory::disabled::Section;

/// The file read when `--config` is not given, if it exists.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "brainstore.yaml";

/// The whole configuration, validated.
#[derive(Debug)]
pub(crate) struct AppConfig {
    /// Which backend commands run on.
    pub(crate) backend: BackendKind,
    /// The collection commands operate on.
    pub(crate) collection: CollectionName,
    /// The embedded backend's settings.
    pub(crate) embedded: EmbeddedSection,
    /// The PostgreSQL backend's settings, `DATABASE_URL` applied; use [`AppConfig::postgres`].
    postgres: PostgresSection,
    /// Why `DATABASE_URL` could not be applied, when the backend is not postgres: a `.env` written for
    /// another program (a `mysql://` URL, say) must not stop the embedded backend, only postgres use.
    postgres_problem: Option<String>,
    /// Search defaults.
    pub(crate) search: SearchDefaults,
    /// Ingest defaults.
    pub(crate) ingest: IngestSection,
    /// The embedding space `init` records when its flags are not given.
    pub(crate) embedding: EmbeddingSection,
    /// The tenant memory, session and task commands use when `--tenant` is not given.
    pub(crate) tenant: String,
    /// Memory defaults (dedup threshold, recall weights).
    pub(crate) memory: MemorySection,
    /// `brainstore serve` settings (bind address, bearer token, limits).
    pub(crate) server: ServerSection,
    /// Where each leaf key's value came from (`postgres.pool_size` → `file brainstore.yaml`); keys
    /// absent here have their default.
    pub(crate) sources: BTreeMap<String, String>,
}

/// The YAML file's shape (and every other layer's): each section denies unknown keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    backend: BackendKind,
    #[serde(default)]
    collection: CollectionName,
    #[serde(default)]
    embedded: EmbeddedSection,
    #[serde(default)]
    postgres: PostgresSection,
    #[serde(default)]
    search: SearchDefaults,
    #[serde(default)]
    ingest: IngestSection,
    #[serde(default)]
    embedding: EmbeddingSection,
    #[serde(default)]
    server: ServerSection,
    #[serde(default = "sections::default_tenant")]
    tenant: String,
    #[serde(default)]
    memory: MemorySection,
}

/// Loads the configuration for this process: its current directory, environment and flags.
pub(crate) fn load(global: &GlobalArgs) -> Result<AppConfig> {
    let cwd =
        std::env::current_dir().map_err(|e| CliError::Internal(format!("cannot read the current directory: {e}")))?;
    let environment: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    load_with(&cwd, &environment, global)
}

/// Loads the configuration from `cwd` (for `brainstore.yaml`, `.env`, `.env.brainstore`), the given
/// environment and the flags.
pub(crate) fn load_with(cwd: &Path, environment: &[(String, String)], global: &GlobalArgs) -> Result<AppConfig> {
    let file = config_file(cwd, global)?;
    let mut builder = config::Config::builder();
    let mut sources = BTreeMap::new();
    if let Some((path, shown)) = &file {
        let file_config = config::Config::builder()
            .add_source(config::File::from(path.as_path()).format(config::FileFormat::Yaml).required(true))
            .build()
            .map_err(|e| CliError::Config(format!("{}: {e}", shown.display())))?;
        let tree: Value = file_config.clone().try_deserialize().map_err(|e| CliError::Config(e.to_string()))?;
        if !matches!(tree, Value::Object(_) | Value::Null) {
            return Err(CliError::Config(format!("{}: the top level must be a mapping of sections", shown.display())));
        }
        let mut keys = Vec::new();
        leaf_keys(&tree, "", &mut keys);
        for key in keys {
            sources.insert(key, format!("file {}", shown.display()));
        }
        builder = builder.add_source(file_config);
    }
    let mut layers: Vec<Layer> = Vec::new();
    for name in [".env", ".env.brainstore"] {
        let path = cwd.join(name);
        if path.is_file() {
            layers.push(Layer::from_dotenv(name, &path)?);
        }
    }
    layers.push(Layer::from_environment("env", environment.iter().cloned())?);
    layers.push(Layer::from_flags(global));
    for layer in &layers {
        builder = builder.add_source(layer.clone());
        for (key, origin) in layer.keys() {
            sources.insert(key.to_owned(), origin.to_owned());
        }
    }
    let merged = builder.build().map_err(|e| CliError::Config(e.to_string()))?;
    let parsed: FileConfig = merged.try_deserialize().map_err(|e| CliError::Config(e.to_string()))?;

    let mut postgres = parsed.postgres;
    let mut postgres_problem = None;
    if let Some((url, origin)) = layers.iter().rev().find_map(Layer::database_url) {
        match apply_database_url(&mut postgres, url, &origin, &mut sources) {
            Ok(()) => {}
            Err(error) if parsed.backend != BackendKind::Postgres => {
                tracing::warn!("{error}; it is ignored unless the postgres backend is used");
                postgres_problem = Some(error.to_string());
            }
            Err(error) => return Err(error),
        }
    }
    let app = AppConfig {
        backend: parsed.backend,
        collection: parsed.collection,
        embedded: parsed.embedded,
        postgres,
        postgres_problem,
        search: parsed.search,
        ingest: parsed.ingest,
        embedding: parsed.embedding,
        server: parsed.server,
        tenant: parsed.tenant,
        memory: parsed.memory,
        sources,
    };
    app.search.validate().map_err(|e| CliError::Config(format!("search.{e}")))?;
    app.ingest.validate()?;
    app.embedding.validate()?;
    #[cfg(feature = "server")]
    app.server.validate().map_err(|e| CliError::Config(e.to_string()))?;
    sections::check_tenant(&app.tenant)?;
    app.memory.validate()?;
    Ok(app)
}

/// `--config FILE` (which must exist), else `./brainstore.yaml` when it exists: the path to read and
/// the name to show.
fn config_file(cwd: &Path, global: &GlobalArgs) -> Result<Option<(PathBuf, PathBuf)>> {
    match &global.config {
        Some(path) if path.is_file() => Ok(Some((path.clone(), path.clone()))),
        Some(path) => Err(CliError::usage(format!("--config: {} does not exist or is not a file", path.display()))),
        None => {
            let default = cwd.join(DEFAULT_CONFIG_FILE);
            Ok(default.is_file().then(|| (default, PathBuf::from(DEFAULT_CONFIG_FILE))))
        }
    }
}

fn apply_database_url(
    postgres: &mut PostgresSection,
    url: &Secret,
    origin: &str,
    sources: &mut BTreeMap<String, String>,
) -> Result<()> {
    let overridden: Vec<&str> = factory::DATABASE_URL_FIELDS
        .iter()
        .copied()
        .filter(|field| sources.contains_key(&format!("postgres.{field}")))
        .collect();
    let before = factory::postgres_json(postgres)?;
    factory::apply_database_url(postgres, url.expose())
        .map_err(|e| CliError::Config(format!("DATABASE_URL (from {origin}): {e}")))?;
    let after = factory::postgres_json(postgres)?;
    if !overridden.is_empty() {
        tracing::info!("DATABASE_URL from {origin} replaces postgres.{{{}}} set elsewhere", overridden.join(", "));
    }
    // The connection fields always come from the URL; TLS fields only when its query names them.
    let changed =
        after.as_object().into_iter().flatten().filter(|(key, value)| before.get(key.as_str()) != Some(value));
    let fields: Vec<String> = factory::DATABASE_URL_FIELDS
        .iter()
        .map(|field| (*field).to_owned())
        .chain(changed.map(|(key, _)| key.clone()))
        .collect();
    for field in fields {
        sources.insert(format!("postgres.{field}"), format!("DATABASE_URL ({origin})"));
    }
    Ok(())
}

/// Every leaf of a JSON tree as a dotted key; arrays are leaves.
fn leaf_keys(value: &Value, prefix: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, child) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                leaf_keys(child, &path, out);
            }
        }
        Value::Object(_) | Value::Null if prefix.is_empty() => {}
        _ => out.push(prefix.to_owned()),
    }
}

impl AppConfig {
    /// The postgres section, or the error that keeps it from being used.
    pub(crate) fn postgres(&self) -> Result<&PostgresSection> {
        match &self.postgres_problem {
            Some(problem) => Err(CliError::Config(problem.trim_start_matches("configuration: ").to_owned())),
            None => Ok(&self.postgres),
        }
    }

    /// The postgres section for a target whose own URL replaces the connection fields (`copy --to
    /// postgres://…`), so a bad `DATABASE_URL` elsewhere does not matter.
    pub(crate) fn postgres_settings(&self) -> &PostgresSection {
        &self.postgres
    }

    /// The effective configuration as a tree, passwords redacted: what `config show` prints.
    pub(crate) fn effective_tree(&self) -> Result<Value> {
        let to_json = |value: std::result::Result<Value, serde_json::Error>| {
            value.map_err(|e| CliError::Internal(format!("cannot show the configuration: {e}")))
        };
        let mut tree = serde_json::Map::new();
        tree.insert("backend".into(), Value::String(self.backend.as_str().to_owned()));
        tree.insert("collection".into(), Value::String(self.collection.to_string()));
        tree.insert("embedded".into(), factory::embedded_json(&self.embedded)?);
        tree.insert("postgres".into(), factory::postgres_json(&self.postgres)?);
        tree.insert("search".into(), to_json(serde_json::to_value(&self.search))?);
        tree.insert("ingest".into(), to_json(serde_json::to_value(&self.ingest))?);
        tree.insert("embedding".into(), to_json(serde_json::to_value(&self.embedding))?);
        #[cfg(feature = "server")]
        tree.insert("server".into(), self.server.redacted_json());
        #[cfg(not(feature = "server"))]
        tree.insert("server".into(), to_json(serde_json::to_value(&self.server))?);
        tree.insert("tenant".into(), Value::String(self.tenant.clone()));
        // Through text: `to_value` widens f32 weights to f64 (0.9200000166893005); text keeps 0.92.
        let memory = serde_json::to_string(&self.memory).and_then(|text| serde_json::from_str(&text));
        tree.insert("memory".into(), to_json(memory)?);
        Ok(Value::Object(tree))
    }

    /// Every leaf key of the effective configuration with its value and source.
    pub(crate) fn rows(&self, tree: &Value) -> Vec<(String, Value, String)> {
        let mut keys = Vec::new();
        leaf_keys(tree, "", &mut keys);
        keys.into_iter()
            .map(|key| {
                let value = key.split('.').fold(tree, |node, part| &node[part]).clone();
                let source = self.sources.get(&key).cloned().unwrap_or_else(|| "default".to_owned());
                (key, value, source)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
