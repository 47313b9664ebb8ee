//! `brainstore`: the command line of brainstore's storage layer. Parse, run, map the outcome to an exit code.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod config;
mod error;
mod exit;
mod factory;
mod logging;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let (code, message) = exit::outcome(commands::run(cli));
    if let Some(message) = message {
        // The one place an error reaches the user: once, on stderr, as `brainstore: <error chain>`.
        #[allow(clippy::print_stderr)]
        {
            eprintln!("{message}");
        }
    }
    code
}
