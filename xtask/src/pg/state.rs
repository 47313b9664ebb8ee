//! The small state file that lets `status`, `url` and `stop` find a server another invocation started.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::Flavor;
use crate::Result;

/// Where one flavor's server lives, written before `pg_ctl start` so `stop` can always find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerState {
    pub(crate) flavor: Flavor,
    pub(crate) port: u16,
    pub(crate) data_dir: PathBuf,
    pub(crate) bin_dir: PathBuf,
    pub(crate) socket_dir: PathBuf,
    pub(crate) log_file: PathBuf,
    /// The unprivileged OS user the server runs as when xtask runs as root; `None` otherwise.
    pub(crate) run_as: Option<String>,
}

impl ServerState {
    /// `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication: no password exists).
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Reads `path`; `Ok(None)` when no state file exists.
    pub(crate) fn read(path: &Path, flavor: Flavor) -> Result<Option<Self>> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(format!("cannot read {}: {error}", path.display()).into()),
        };
        Self::parse(&text, flavor).map(Some).map_err(|reason| {
            format!("{} is damaged ({reason}); delete it and run `cargo xtask pg start`", path.display()).into()
        })
    }

    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        let text = self.render();
        fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()).into())
    }

    fn render(&self) -> String {
        let mut text = format!(
            "flavor={}\nport={}\ndata_dir={}\nbin_dir={}\nsocket_dir={}\nlog_file={}\n",
            self.flavor.name(),
            self.port,
            self.data_dir.display(),
            self.bin_dir.display(),
            self.socket_dir.display(),
            self.log_file.display(),
        );
        if let Some(user) = &self.run_as {
            text.push_str(&format!("run_as={user}\n"));
        }
        text
    }

    fn parse(text: &str, flavor: Flavor) -> Result<Self, String> {
        let value = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
                .ok_or_else(|| format!("no `{key}=` line"))
        };
        if value("flavor")? != flavor.name() {
            return Err(format!("it names flavor `{}`, not `{}`", value("flavor")?, flavor.name()));
        }
        let port = value("port")?;
        Ok(Self {
            flavor,
            port: port.parse().map_err(|_| format!("port `{port}` is not a number"))?,
            data_dir: value("data_dir")?.into(),
            bin_dir: value("bin_dir")?.into(),
            socket_dir: value("socket_dir")?.into(),
            log_file: value("log_file")?.into(),
            run_as: value("run_as").ok().map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_file_round_trips_with_and_without_run_as_user() {
        for run_as in [None, Some("brainstore-pg".to_owned())] {
            let state = ServerState {
                flavor: Flavor::Compat,
                port: 54_321,
                data_dir: "/tmp/x/compat/data".into(),
                bin_dir: "/cache/wheels/pgserver-0.1.4/pgserver/pginstall/bin".into(),
                socket_dir: "/tmp/x/compat/socket".into(),
                log_file: "/tmp/x/compat/postgres.log".into(),
                run_as,
            };
            assert_eq!(ServerState::parse(&state.render(), Flavor::Compat), Ok(state.clone()));
            assert_eq!(state.url(), "postgres://postgres@127.0.0.1:54321/postgres");
        }
    }

    #[test]
    fn state_file_of_the_other_flavor_is_refused() {
        let error = ServerState::parse("flavor=current\nport=1\n", Flavor::Compat).unwrap_err();
        assert!(error.contains("flavor `current`"), "{error}");
    }
}
