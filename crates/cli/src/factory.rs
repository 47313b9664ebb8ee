//! The backend factory: configuration sections → `Stores` (every protocol of one backend). The only file
//! that names the backend crates.
//!
//! Each backend owns its config struct; the cli embeds them as the `embedded:` and `postgres:` sections
//! (`config.rs` sees them only through the aliases below). A backend left out of the build (features
//! `embedded`, `postgres`) keeps its section, so a config file stays valid, and refuses to open.

use std::path::PathBuf;

use serde_json::Value;
use storage_core::Stores;

use crate::config::{AppConfig, BackendKind};
use crate::error::{CliError, Result};

#[cfg(feature = "embedded")]
pub(crate) type EmbeddedSection = storage_chroma_shim::EmbeddedConfig;
#[cfg(not(feature = "embedded"))]
pub(crate) type EmbeddedSection = disabled::Section;

#[cfg(feature = "postgres")]
pub(crate) type PostgresSection = postgres::Section;
#[cfg(not(feature = "postgres"))]
pub(crate) type PostgresSection = disabled::Section;

/// `brainstore compose`'s project files for a local PostgreSQL server.
#[cfg(feature = "postgres")]
pub(crate) use storage_postgres::compose;

/// The postgres fields a `DATABASE_URL` sets; everything else in the section stays.
pub(crate) const DATABASE_URL_FIELDS: &[&str] = &["host", "port", "database", "user", "password"];

/// Replaces the connection fields of `section` with those of `url`. The error never quotes the URL.
pub(crate) fn apply_database_url(section: &mut PostgresSection, url: &str) -> std::result::Result<(), String> {
    #[cfg(feature = "postgres")]
    return postgres::apply_database_url(section, url);
    #[cfg(not(feature = "postgres"))]
    {
        let _ = (section, url);
        Ok(())
    }
}

/// The embedded section as `config show` prints it.
pub(crate) fn embedded_json(section: &EmbeddedSection) -> Result<Value> {
    serde_json::to_value(section).map_err(|e| CliError::Internal(format!("cannot show the embedded section: {e}")))
}

/// The postgres section as `config show` prints it: the password is `********` when set.
pub(crate) fn postgres_json(section: &PostgresSection) -> Result<Value> {
    #[cfg(feature = "postgres")]
    return postgres::redacted_json(section);
    #[cfg(not(feature = "postgres"))]
    serde_json::to_value(section).map_err(|e| CliError::Internal(e.to_string()))
}

/// A store to open: a backend and its settings.
#[derive(Clone, Debug)]
#[cfg_attr(not(all(feature = "embedded", feature = "postgres")), allow(dead_code))] // a left-out backend never opens
pub(crate) enum StoreSpec {
    Embedded(EmbeddedSection),
    Postgres(Box<PostgresSection>),
}

/// The store the configuration selects.
pub(crate) fn configured(app: &AppConfig) -> Result<StoreSpec> {
    Ok(match app.backend {
        BackendKind::Embedded => StoreSpec::Embedded(app.embedded.clone()),
        BackendKind::Postgres => StoreSpec::Postgres(Box::new(app.postgres()?.clone())),
    })
}

/// A `copy --to` target: `postgres` (the configured postgres section), `postgres://…` (that section
/// with the URL's connection fields), `embedded` or `embedded:DIR` (alias `chroma`).
pub(crate) fn parse_target(spec: &str, app: &AppConfig) -> Result<StoreSpec> {
    let lower = spec.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        let mut section = app.postgres_settings().clone();
        apply_database_url(&mut section, spec).map_err(|e| CliError::usage(format!("--to: {e}")))?;
        return Ok(StoreSpec::Postgres(Box::new(section)));
    }
    let (name, dir) = match spec.split_once(':') {
        Some((name, dir)) => (name, Some(dir)),
        None => (spec, None),
    };
    match (name.parse::<BackendKind>(), dir) {
        (Ok(BackendKind::Postgres), None) => Ok(StoreSpec::Postgres(Box::new(app.postgres()?.clone()))),
        (Ok(BackendKind::Embedded), None) => Ok(StoreSpec::Embedded(app.embedded.clone())),
        (Ok(BackendKind::Embedded), Some(dir)) if !dir.is_empty() => {
            Ok(StoreSpec::Embedded(with_data_dir(app.embedded.clone(), PathBuf::from(dir))))
        }
        _ => Err(CliError::usage(format!(
            "--to: `{}` is not a store; use postgres, postgres://USER@HOST:PORT/DB, embedded or embedded:DIR",
            if lower.contains('@') { "<url>" } else { spec }
        ))),
    }
}

#[cfg(feature = "embedded")]
fn with_data_dir(mut section: EmbeddedSection, dir: PathBuf) -> EmbeddedSection {
    section.data_dir = dir;
    section
}

#[cfg(not(feature = "embedded"))]
fn with_data_dir(section: EmbeddedSection, _dir: PathBuf) -> EmbeddedSection {
    section
}

/// Whether two specs name the same data, so `copy` would read and write one store.
pub(crate) fn same_store(a: &StoreSpec, b: &StoreSpec) -> bool {
    describe(a) == describe(b)
}

/// The store in words, never with a password: `embedded store at DIR`, `postgres HOST:PORT/DB (schema S)`.
pub(crate) fn describe(spec: &StoreSpec) -> String {
    match spec {
        #[cfg(feature = "embedded")]
        StoreSpec::Embedded(section) => {
            let dir = std::fs::canonicalize(&section.data_dir).unwrap_or_else(|_| section.data_dir.clone());
            format!("embedded store at {}", dir.display())
        }
        #[cfg(feature = "postgres")]
        StoreSpec::Postgres(section) => postgres::describe(section),
        #[allow(unreachable_patterns)] // reachable only in builds without a backend
        _ => "a backend left out of this build".to_owned(),
    }
}

/// Opens the store: validates its settings and, for PostgreSQL, connects (with the configured retries).
pub(crate) async fn open(spec: &StoreSpec) -> Result<Stores> {
    match spec {
        #[cfg(feature = "embedded")]
        StoreSpec::Embedded(section) => {
            let store =
                storage_chroma_shim::EmbeddedStore::open(section.clone()).map_err(storage_core::StorageError::from)?;
            Ok(Stores::new(store))
        }
        #[cfg(feature = "postgres")]
        StoreSpec::Postgres(section) => postgres::open(section).await,
        #[allow(unreachable_patterns)] // reachable only in builds without a backend
        _ => Err(CliError::usage("this brainstore was built without that backend (cargo features embedded, postgres)")),
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    //! The PostgreSQL side: `PostgresConfig` is the `postgres:` section.

    use serde_json::Value;
    use storage_core::{StorageError, Stores};
    use storage_postgres::{PostgresConfig, PostgresStore};

    use crate::error::{CliError, Result};

    pub(crate) type Section = PostgresConfig;

    pub(super) fn apply_database_url(section: &mut Section, url: &str) -> std::result::Result<(), String> {
        // storage-postgres never echoes the URL in its errors, so the message is safe to show.
        section.apply_database_url(url).map_err(|e| e.to_string())
    }

    pub(super) fn redacted_json(section: &Section) -> Result<Value> {
        // `PostgresConfig` never serialises its password; say whether one is set.
        let mut value = serde_json::to_value(section)
            .map_err(|e| CliError::Internal(format!("cannot show the postgres section: {e}")))?;
        if let Value::Object(map) = &mut value {
            let shown = if section.password.is_empty() { Value::Null } else { Value::String("********".to_owned()) };
            map.insert("password".to_owned(), shown);
        }
        Ok(value)
    }

    pub(super) fn describe(section: &Section) -> String {
        format!("postgres {} (schema {})", section.target(), section.schema)
    }

    pub(super) async fn open(section: &Section) -> Result<Stores> {
        let store = PostgresStore::connect(section.clone()).await.map_err(StorageError::from)?;
        Ok(Stores::new(store))
    }
}

#[cfg(any(not(feature = "embedded"), not(feature = "postgres"), not(feature = "server")))]
pub(crate) mod disabled {
    //! The section of a part left out of the build (a backend, the server): any value is kept as-is and
    //! shown, never used.

    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, Default, Serialize, Deserialize)]
    #[serde(transparent)]
    pub(crate) struct Section(serde_json::Value);
}
