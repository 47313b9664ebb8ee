//! A docker compose project for a local PostgreSQL + pgvector server this backend connects to: the compose
//! file (from the one template) and an env file with the port, a random password and the `DATABASE_URL`.
//! `brainstore compose` calls it; the caller chooses the port and speaks to the user.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::net::TcpListener;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// The compose template: `templates/compose.template.yml` is the single source of every copy.
const TEMPLATE: &str = include_str!("../../../templates/compose.template.yml");

/// The ports an automatic choice tries, in order (the seed's wizard scanned the same range).
pub const AUTO_PORTS: RangeInclusive<u16> = 5432..=5442;

/// The host address the env file publishes the port on: this machine only. The template defaults to it
/// too, so the port stays private even without the env file; opening it is an explicit `POSTGRES_BIND`.
pub const BIND_ADDRESS: &str = "127.0.0.1";

/// The files' names.
const COMPOSE_FILE: &str = "docker-compose.yml";
const ENV_FILE: &str = ".env.brainstore";

/// The user and database the template creates.
const DB_USER: &str = "brainstore";
const DB_NAME: &str = "brainstore";

/// The files a project is written to.
#[derive(Clone, Debug, Serialize)]
pub struct ComposeProject {
    /// `docker-compose.yml`.
    pub compose_file: PathBuf,
    /// `.env.brainstore`, mode 0600: it holds the password.
    pub env_file: PathBuf,
    /// The host address the port is published on (`POSTGRES_BIND`).
    pub bind: &'static str,
    /// The published port.
    pub port: u16,
}

impl ComposeProject {
    /// The project's files in `dir`, published on `port`.
    pub fn in_dir(dir: &Path, port: u16) -> Self {
        ComposeProject { compose_file: dir.join(COMPOSE_FILE), env_file: dir.join(ENV_FILE), bind: BIND_ADDRESS, port }
    }

    /// Those of a project's files in `dir` that exist already.
    pub fn existing_in(dir: &Path) -> Vec<PathBuf> {
        [COMPOSE_FILE, ENV_FILE].into_iter().map(|name| dir.join(name)).filter(|path| path.exists()).collect()
    }

    /// Writes both files (and the folder), overwriting them, with a new random password; on an error, the
    /// path that could not be written.
    pub fn write(&self) -> Result<(), (PathBuf, io::Error)> {
        fn at(path: &Path) -> impl FnOnce(io::Error) -> (PathBuf, io::Error) + '_ {
            move |error| (path.to_owned(), error)
        }
        let dir = self.compose_file.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(at(dir))?;
        // 122 random bits from the OS generator, as hex, so the password needs no URL encoding.
        let password = uuid::Uuid::new_v4().simple().to_string();
        let port = self.port;
        let env_text = format!(
            "# Written by `brainstore compose`. It holds the database password: keep it private (mode 0600), out of git.\n\
             # docker compose --env-file .env.brainstore up -d   reads POSTGRES_BIND, POSTGRES_PORT and POSTGRES_PASSWORD;\n\
             # brainstore reads DATABASE_URL from this file when run in this folder.\n\
             # POSTGRES_BIND=0.0.0.0 would open the port to the network: keep 127.0.0.1 unless you need that.\n\
             POSTGRES_BIND={BIND_ADDRESS}\n\
             POSTGRES_PORT={port}\n\
             POSTGRES_PASSWORD={password}\n\
             DATABASE_URL=postgres://{DB_USER}:{password}@{BIND_ADDRESS}:{port}/{DB_NAME}\n"
        );
        write_private(&self.env_file, env_text.as_bytes()).map_err(at(&self.env_file))?;
        let compose_text =
            format!("# Written by `brainstore compose` from templates/compose.template.yml.\n{TEMPLATE}");
        fs::write(&self.compose_file, compose_text).map_err(at(&self.compose_file))
    }
}

/// Whether `port` is free on [`BIND_ADDRESS`] now.
pub fn port_is_free(port: u16) -> bool {
    TcpListener::bind((BIND_ADDRESS, port)).is_ok()
}

/// The first free port of [`AUTO_PORTS`].
pub fn first_free_port() -> Option<u16> {
    AUTO_PORTS.clone().find(|port| port_is_free(*port))
}

/// Writes a file only its owner can read, even when it existed with a wider mode.
#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}
