//! Logs on stderr through tracing-subscriber: `RUST_LOG` when set, else the `-v` count (warnings only by default).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the subscriber. Called once, before the configuration loads, so its warnings show.
pub(crate) fn init(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // `try_init` fails only when a subscriber is already set, which leaves logging working.
    let _already_set = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never in a file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .with_target(verbose >= 2)
        .without_time()
        .try_init();
}
