//! Configuration layers from environment-like sources (`.env`, `.env.brainstore`, the environment, flags) as `config` sources that remember each value's origin.

use std::fmt;
use std::path::Path;

use config::{ConfigError, Map, Value, ValueKind};

use crate::args::GlobalArgs;
use crate::error::{CliError, Result};

/// Every variable named `BRAINSTORE__SECTION__KEY` sets `section.key`.
const KEY_PREFIX: &str = "BRAINSTORE__";

/// `BRAINSTORE_*` variables that belong to other tools (the test harness, the compose template), so
/// they draw no "unknown variable" warning.
const FOREIGN_PREFIXES: &[&str] = &["BRAINSTORE_TEST_", "BRAINSTORE_PG_"];

/// A value that may be a secret (a password, a URL with one): never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// The value itself, for the one place that needs it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
impl Secret {
    /// A secret for unit tests.
    pub(crate) fn from_test(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// One `key = value` of a layer.
#[derive(Clone, Debug)]
struct Entry {
    /// Dotted key, e.g. `postgres.pool_size`.
    key: String,
    value: Secret,
    /// Where it came from, e.g. `env BRAINSTORE__POSTGRES__POOL_SIZE`; `config` quotes it in errors.
    origin: String,
}

/// One layer of configuration above the YAML file.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layer {
    entries: Vec<Entry>,
    /// `DATABASE_URL` as this layer sets it, with its origin.
    database_url: Option<(Secret, String)>,
}

/// What an environment variable configures.
enum Target {
    Key(String),
    DatabaseUrl,
}

/// The single-underscore variables that stand for a key, and the key; the unknown-variable warning lists
/// them from here, so it names every one that works.
const KEY_ALIASES: &[(&str, &str)] = &[
    ("BRAINSTORE_BACKEND", "backend"),
    ("BRAINSTORE_DATA_DIR", "embedded.data_dir"),
    ("BRAINSTORE_TOKEN", "server.token"),
];

fn target_of(name: &str) -> Option<Target> {
    if name == "DATABASE_URL" {
        return Some(Target::DatabaseUrl);
    }
    match KEY_ALIASES.iter().find(|(alias, _)| *alias == name) {
        Some((_, key)) => Some(Target::Key((*key).to_owned())),
        None => name.strip_prefix(KEY_PREFIX).map(|rest| Target::Key(rest.to_ascii_lowercase().replace("__", "."))),
    }
}

/// Whether `key` is a dotted path of plain identifiers (`postgres.pool_size`), not something the
/// `config` crate would read as an index expression or an empty segment.
fn is_plain_key(key: &str) -> bool {
    key.split('.').all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

impl Layer {
    /// The variables of an environment-like source (`label` is `env`, `.env` or `.env.brainstore`).
    /// Empty values count as unset.
    pub(crate) fn from_environment(label: &str, variables: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut layer = Layer::default();
        for (name, value) in variables {
            if value.is_empty() {
                continue;
            }
            let origin = format!("{label} {name}");
            match target_of(&name) {
                Some(Target::DatabaseUrl) => layer.database_url = Some((Secret(value), origin)),
                Some(Target::Key(key)) if is_plain_key(&key) => {
                    layer.entries.push(Entry { key, value: Secret(value), origin });
                }
                Some(Target::Key(_)) => {
                    return Err(CliError::Config(format!(
                        "{origin}: not a configuration key; use BRAINSTORE__SECTION__KEY, e.g. \
                         BRAINSTORE__POSTGRES__POOL_SIZE"
                    )));
                }
                None if name.starts_with("BRAINSTORE_")
                    && !FOREIGN_PREFIXES.iter().any(|prefix| name.starts_with(prefix)) =>
                {
                    let aliases: Vec<&str> = KEY_ALIASES.iter().map(|(alias, _)| *alias).collect();
                    tracing::warn!(
                        "{origin} is not a brainstore setting and is ignored: keys are BRAINSTORE__SECTION__KEY \
                         (two underscores), plus {}",
                        aliases.join(", ")
                    );
                }
                None => {}
            }
        }
        Ok(layer)
    }

    /// A dotenv file, read without touching the process environment.
    pub(crate) fn from_dotenv(label: &str, path: &Path) -> Result<Self> {
        let iter = dotenvy::from_path_iter(path).map_err(|e| dotenv_error(label, path, e))?;
        let mut variables = Vec::new();
        for item in iter {
            variables.push(item.map_err(|e| dotenv_error(label, path, e))?);
        }
        Self::from_environment(label, variables)
    }

    /// The global flags that set configuration.
    pub(crate) fn from_flags(global: &GlobalArgs) -> Self {
        let mut layer = Layer::default();
        let mut set = |key: &str, flag: &str, value: String| {
            layer.entries.push(Entry { key: key.to_owned(), value: Secret(value), origin: format!("flag {flag}") });
        };
        if let Some(backend) = &global.backend {
            set("backend", "--backend", backend.clone());
        }
        if let Some(dir) = &global.data_dir {
            set("embedded.data_dir", "--data-dir", dir.to_string_lossy().into_owned());
        }
        if let Some(collection) = &global.collection {
            set("collection", "--collection", collection.clone());
        }
        if let Some(url) = &global.database_url {
            layer.database_url = Some((Secret(url.clone()), "flag --database-url".to_owned()));
        }
        layer
    }

    /// The dotted keys this layer sets, each with its origin.
    pub(crate) fn keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|entry| (entry.key.as_str(), entry.origin.as_str()))
    }

    /// `DATABASE_URL` as this layer sets it, and where from.
    pub(crate) fn database_url(&self) -> Option<(&Secret, String)> {
        self.database_url.as_ref().map(|(url, origin)| (url, origin.clone()))
    }
}

impl config::Source for Layer {
    fn clone_into_box(&self) -> Box<dyn config::Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> std::result::Result<Map<String, Value>, ConfigError> {
        Ok(self
            .entries
            .iter()
            .map(|entry| {
                let value = Value::new(Some(&entry.origin), ValueKind::String(entry.value.expose().to_owned()));
                (entry.key.clone(), value)
            })
            .collect())
    }
}

/// A dotenv error without the offending line's text, which may hold a password.
fn dotenv_error(label: &str, path: &Path, error: dotenvy::Error) -> CliError {
    match error {
        dotenvy::Error::LineParse(content, index) => {
            let line = std::fs::read_to_string(path)
                .ok()
                .and_then(|text| text.lines().position(|line| line.trim_end() == content.trim_end()))
                .map_or_else(String::new, |idx| format!(" {}", idx + 1));
            CliError::Config(format!(
                "{label}: cannot parse line{line} at character {index} (not shown: it may hold a secret)"
            ))
        }
        dotenvy::Error::Io(source) => CliError::Input { path: path.display().to_string(), source },
        other => CliError::Config(format!("{label}: {other}")),
    }
}
