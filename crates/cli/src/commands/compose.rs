//! `brainstore compose`: write a per-project `docker-compose.yml` (from the one template) and `.env.brainstore` with a free port and a random password.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use crate::args::ComposeArgs;
use crate::error::{CliError, Result};
use crate::output::{ComposeReport, Printer};

/// The compose template: `templates/compose.template.yml` is the single source of every copy.
const TEMPLATE: &str = include_str!("../../../../templates/compose.template.yml");

/// The ports `--port auto` tries, in order (the seed's wizard scanned the same range).
const AUTO_PORTS: std::ops::RangeInclusive<u16> = 5432..=5442;

/// The host address `.env.brainstore` publishes the port on: this machine only. The template defaults to it
/// too, so the port stays private even without the env file; opening it is an explicit `POSTGRES_BIND`.
const BIND_ADDRESS: &str = "127.0.0.1";

/// The user and database the template creates.
const DB_USER: &str = "brainstore";
const DB_NAME: &str = "brainstore";

/// How the port is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortChoice {
    /// The first free port of [`AUTO_PORTS`] on 127.0.0.1.
    Auto,
    /// This port.
    Fixed(u16),
}

/// Validated `compose` arguments.
#[derive(Debug)]
pub(crate) struct Input {
    dir: PathBuf,
    port: PortChoice,
    force: bool,
}

/// Parses `--port` and refuses to overwrite without `--force`, before writing anything.
pub(crate) fn parse(args: ComposeArgs) -> Result<Input> {
    let port = match args.port.trim() {
        "auto" => PortChoice::Auto,
        text => match text.parse::<u16>() {
            Ok(port) if port > 0 => PortChoice::Fixed(port),
            _ => return Err(CliError::usage(format!("--port: `{text}` is not `auto` or a port from 1 to 65535"))),
        },
    };
    Ok(Input { dir: args.dir, port, force: args.force })
}

fn is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Picks the port: the fixed one, or the first free one of the auto range.
fn choose_port(choice: PortChoice) -> Result<u16> {
    match choice {
        PortChoice::Fixed(port) => {
            if !is_free(port) {
                crate::progress::note(&format!(
                    "port {port} is in use on 127.0.0.1 now; `docker compose up` will fail unless it is freed"
                ));
            }
            Ok(port)
        }
        PortChoice::Auto => AUTO_PORTS.clone().find(|port| is_free(*port)).ok_or_else(|| {
            CliError::usage(format!(
                "--port auto: every port from {} to {} is in use on 127.0.0.1; pass --port N with a free port",
                AUTO_PORTS.start(),
                AUTO_PORTS.end()
            ))
        }),
    }
}

/// A random password: 122 random bits from the OS generator, as hex, so it needs no URL encoding.
fn random_password() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Writes both files, or neither when one exists and `--force` is not given.
pub(crate) fn run(input: Input, printer: &mut Printer) -> Result<()> {
    let compose_file = input.dir.join("docker-compose.yml");
    let env_file = input.dir.join(".env.brainstore");
    if !input.force {
        let existing: Vec<String> =
            [&compose_file, &env_file].iter().filter(|p| p.exists()).map(|p| p.display().to_string()).collect();
        if !existing.is_empty() {
            return Err(CliError::usage(format!(
                "{} already exist(s); pass --force to overwrite (a new password makes an existing database's \
                 volume unusable with the new .env.brainstore)",
                existing.join(" and ")
            )));
        }
    }
    let port = choose_port(input.port)?;
    let write_error = |path: &Path| {
        let what = path.display().to_string();
        move |source: std::io::Error| CliError::Output { what: what.clone(), source }
    };
    fs::create_dir_all(&input.dir).map_err(write_error(&input.dir))?;
    let password = random_password();
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
    write_private(&env_file, env_text.as_bytes()).map_err(write_error(&env_file))?;
    let compose_text = format!("# Written by `brainstore compose` from templates/compose.template.yml.\n{TEMPLATE}");
    fs::write(&compose_file, compose_text).map_err(write_error(&compose_file))?;
    printer.report(&ComposeReport { compose_file, env_file, bind: BIND_ADDRESS, port })
}

/// Writes a file only its owner can read, even when it existed with a wider mode.
#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}
