//! A `brainstore serve` child for the xtasks that need a live server (`fuzz-api`, `bench serve`): built, started on an ephemeral loopback port, stopped with SIGTERM on drop.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::project_root;

/// A running server.
pub(crate) struct ServerProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    /// Where its stderr goes.
    pub(crate) log: PathBuf,
}

/// Builds the `brainstore` binary (`--release` when asked) and returns its path.
pub(crate) fn build_brainstore(release: bool) -> crate::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(project_root()).args(["build", "--quiet", "-p", "cli", "--bin", "brainstore"]);
    if release {
        command.arg("--release");
    }
    let status = command.status().map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build -p cli failed ({status})").into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| project_root().join("target"), PathBuf::from);
    Ok(target.join(if release { "release" } else { "debug" }).join("brainstore"))
}

impl ServerProcess {
    /// Starts `binary serve --bind 127.0.0.1:0` in `dir` with only `env` (plus PATH) in its environment,
    /// and waits for the address it prints.
    pub(crate) fn start(binary: &Path, dir: &Path, env: &[(&str, String)], flags: &[&str]) -> crate::Result<Self> {
        let log = dir.join("serve.log");
        let log_file = std::fs::File::create(&log)?;
        let mut command = Command::new(binary);
        command
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .args(flags)
            .args(["--json", "serve", "--bind", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file));
        let mut child = command.spawn().map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("the server's stdout is not piped")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let mut server = ServerProcess { child: Some(child), url: String::new(), log };
        // `{"url":"http://127.0.0.1:PORT",...}`: the one field needed, without a JSON parser in xtask.
        let url = line.split("\"url\":\"").nth(1).and_then(|rest| rest.split('"').next()).map(str::to_owned);
        match url {
            Some(url) => server.url = url,
            None => {
                let log = std::fs::read_to_string(&server.log).unwrap_or_default();
                return Err(format!("brainstore serve printed no address ({line:?}):\n{log}").into());
            }
        }
        Ok(server)
    }

    /// Sends SIGTERM and waits up to 30 s for a clean exit; returns whether it exited with 0.
    pub(crate) fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else { return true };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("xtask: the server did not stop within 30 s of SIGTERM; killing it");
        let _ = child.kill();
        let _ = child.wait();
        false
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
