//! `brainstore compose`: write a per-project `docker-compose.yml` (from the one template) and `.env.brainstore` with a free port and a random password (`storage_postgres::compose` writes them).

use std::path::PathBuf;

use crate::args::ComposeArgs;
use crate::error::{CliError, Result};
use crate::output::Printer;

/// How the port is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortChoice {
    /// The first free port of the automatic range on 127.0.0.1.
    Auto,
    /// This port.
    Fixed(u16),
}

/// Validated `compose` arguments.
#[derive(Debug)]
#[cfg_attr(not(feature = "postgres"), allow(dead_code))] // a build without PostgreSQL refuses before reading them
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

/// Writes both files, or neither when one exists and `--force` is not given.
#[cfg(feature = "postgres")]
pub(crate) fn run(input: Input, printer: &mut Printer) -> Result<()> {
    use crate::factory::compose::{AUTO_PORTS, ComposeProject, first_free_port, port_is_free};
    let existing = ComposeProject::existing_in(&input.dir);
    if !input.force && !existing.is_empty() {
        let existing: Vec<String> = existing.iter().map(|path| path.display().to_string()).collect();
        return Err(CliError::usage(format!(
            "{} already exist(s); pass --force to overwrite (a new password makes an existing database's volume \
             unusable with the new .env.brainstore)",
            existing.join(" and ")
        )));
    }
    let port = match input.port {
        PortChoice::Fixed(port) => {
            if !port_is_free(port) {
                crate::progress::note(&format!(
                    "port {port} is in use on 127.0.0.1 now; `docker compose up` will fail unless it is freed"
                ));
            }
            port
        }
        PortChoice::Auto => first_free_port().ok_or_else(|| {
            CliError::usage(format!(
                "--port auto: every port from {} to {} is in use on 127.0.0.1; pass --port N with a free port",
                AUTO_PORTS.start(),
                AUTO_PORTS.end()
            ))
        })?,
    };
    let project = ComposeProject::in_dir(&input.dir, port);
    project.write().map_err(|(path, source)| CliError::Output { what: path.display().to_string(), source })?;
    printer.report(&project)
}

/// A build without the PostgreSQL backend has no server to compose.
#[cfg(not(feature = "postgres"))]
pub(crate) fn run(_input: Input, _printer: &mut Printer) -> Result<()> {
    Err(CliError::usage("this brainstore was built without the postgres backend (cargo feature postgres)"))
}
