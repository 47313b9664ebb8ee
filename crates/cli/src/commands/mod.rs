//! Dispatch: load the configuration, validate the command's arguments into typed input, then open the store and run.
//!
//! The order is the point: every usage error is found before a store opens, so it has no side effects.

mod collections;
mod compose;
mod config;
mod copy;
mod count;
mod delete;
mod embed;
mod export;
mod fields;
mod get;
mod import;
mod ingest;
mod init;
mod memory;
mod migrate;
mod reembed;
mod reset;
mod search;
mod serve;
mod session;
mod status;
mod task;

use std::sync::Arc;

use ::embed::ConfiguredResolver;
use storage_core::{CollectionName, DocumentStore};

pub(crate) use self::reembed::ReembedArgs;

use crate::args::{Cli, Command};
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::factory;
use crate::output::{Format, Printer};

/// A command with its arguments validated, ready to run against a store.
enum Plan {
    Init(init::Input),
    Ingest(ingest::Input),
    Search(search::Input),
    Get(get::Input),
    Count(count::Input),
    Delete(delete::Input),
    Reset,
    Status,
    Export(export::Input),
    Import(import::Input),
    Copy(copy::Input),
    Migrate(migrate::Input),
    Collections(collections::Input),
    Memory(memory::Input),
    Session(session::Input),
    Task(task::Input),
    Reembed(reembed::Input),
}

/// Runs the command line.
pub(crate) fn run(cli: Cli) -> Result<()> {
    crate::logging::init(cli.global.verbose);
    let format = if cli.global.json { Format::Json } else { Format::Human };
    let mut printer = Printer::new(format);
    // `compose` writes files for a server that does not exist yet: it needs no configuration.
    if let Command::Compose(args) = cli.command {
        return compose::run(compose::parse(args)?, &mut printer);
    }
    let app = crate::config::load(&cli.global)?;
    let plan = match cli.command {
        Command::Config(args) => return config::run(&args, &app, &mut printer),
        Command::Serve(args) => return serve::run(serve::parse(args, &app)?, &app, &mut printer),
        Command::Embed(args) => return embed::run(embed::parse(args)?, &app, &mut printer),
        Command::Compose(_) => unreachable!("handled above"),
        Command::Init(args) => Plan::Init(init::parse(args, &app)?),
        Command::Ingest(args) => Plan::Ingest(ingest::parse(args, &app)?),
        Command::Search(args) => Plan::Search(search::parse(args, &app)?),
        Command::Get(args) => Plan::Get(get::parse(args)?),
        Command::Count(args) => Plan::Count(count::parse(&args)?),
        Command::Delete(args) => Plan::Delete(delete::parse(args)?),
        Command::Reset(args) => reset::parse(&args, &app).map(|()| Plan::Reset)?,
        Command::Status => Plan::Status,
        Command::Export(args) => Plan::Export(export::parse(args)?),
        Command::Import(args) => Plan::Import(import::parse(args, &app)?),
        Command::Copy(args) => Plan::Copy(copy::parse(args, &app)?),
        Command::Migrate(args) => Plan::Migrate(migrate::parse(args)),
        Command::Collections(args) => Plan::Collections(collections::parse(args, &app)?),
        Command::Memory(args) => Plan::Memory(memory::parse(*args, &app)?),
        Command::Session(args) => Plan::Session(session::parse(args, &app)?),
        Command::Task(args) => Plan::Task(task::parse(args, &app)?),
        Command::Reembed(args) => Plan::Reembed(reembed::parse(args, &app.embedding)?),
    };
    // A command that awaits one thing at a time runs on this thread: on a multi-thread runtime every I/O
    // event is a wake-up across threads, which cost more than a fast query (issue 16). Loads keep worker
    // threads, so encoding a batch overlaps the store's I/O.
    let mut builder = match plan {
        Plan::Ingest(_) | Plan::Import(_) | Plan::Copy(_) | Plan::Reembed(_) => {
            tokio::runtime::Builder::new_multi_thread()
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime =
        builder.enable_all().build().map_err(|e| CliError::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(execute(plan, &app, &mut printer))
}

/// Opens the configured store, runs the plan, and closes the store whatever happened.
async fn execute(plan: Plan, app: &AppConfig, printer: &mut Printer) -> Result<()> {
    let resolver = Arc::new(ConfiguredResolver::new(app.embedding.provider_config()));
    let stores = factory::open(&factory::configured(app)?).await?.with_resolver(resolver.clone());
    let store = Arc::clone(&stores.documents);
    let ctx = Context { store: Arc::clone(&store), stores, collection: app.collection.clone(), resolver };
    let outcome = match plan {
        Plan::Init(input) => init::run(&ctx, input, printer).await,
        Plan::Ingest(input) => ingest::run(&ctx, input, printer).await,
        Plan::Search(input) => search::run(&ctx, input, printer).await,
        Plan::Get(input) => get::run(&ctx, &input, printer).await,
        Plan::Count(input) => count::run(&ctx, &input, printer).await,
        Plan::Delete(input) => delete::run(&ctx, &input, printer).await,
        Plan::Reset => reset::run(&ctx, printer).await,
        Plan::Status => status::run(&ctx, printer).await,
        Plan::Export(input) => export::run(&ctx, input, printer).await,
        Plan::Import(input) => import::run(&ctx, input, printer).await,
        Plan::Copy(input) => copy::run(&ctx, input, printer).await,
        Plan::Migrate(input) => migrate::run(&ctx, input, printer).await,
        Plan::Collections(input) => collections::run(&ctx, input, printer).await,
        Plan::Memory(input) => memory::run(&ctx, input, printer).await,
        Plan::Session(input) => session::run(&ctx, input, printer).await,
        Plan::Task(input) => task::run(&ctx, input, printer).await,
        Plan::Reembed(input) => reembed::run(&ctx, input, printer).await,
    };
    if let Err(error) = store.close().await {
        tracing::warn!("closing the store failed: {error}");
    }
    outcome
}

/// What every command runs against.
pub(crate) struct Context {
    /// The configured store's documents, open.
    pub(crate) store: Arc<dyn DocumentStore>,
    /// Every protocol of the same store (memories, sessions, tasks).
    pub(crate) stores: storage_core::Stores,
    /// The collection from `--collection` or the configuration.
    pub(crate) collection: CollectionName,
    /// Embedders for recorded spaces, from the `embedding:` section; built once, each model loaded once.
    /// `stores` already embeds with it; ingest uses it directly to embed while it writes.
    pub(crate) resolver: Arc<ConfiguredResolver>,
}

impl Context {
    /// The store.
    pub(crate) fn store(&self) -> &dyn DocumentStore {
        self.store.as_ref()
    }
}

/// A validated action of a tenant's store (sessions, tasks), with the tenant it acts in.
#[derive(Debug)]
pub(crate) struct Tenanted<A> {
    tenant: String,
    action: A,
}

/// Opens an input file (`-` is standard input) so a missing file is a usage error before any store opens.
pub(crate) fn open_input(path: &std::path::Path) -> Result<storage_core::transfer::Input> {
    use std::io::BufReader;
    if path.as_os_str() == "-" {
        return Ok(storage_core::transfer::Input::new(Box::new(BufReader::new(std::io::stdin())), None));
    }
    let file =
        std::fs::File::open(path).map_err(|source| CliError::Input { path: path.display().to_string(), source })?;
    let size = file.metadata().ok().filter(std::fs::Metadata::is_file).map(|m| m.len());
    Ok(storage_core::transfer::Input::new(Box::new(BufReader::with_capacity(256 * 1024, file)), size))
}

/// A `where` flag parsed into core's filter; errors name the flag.
pub(crate) fn parse_where(text: Option<&str>) -> Result<Option<storage_core::Filter>> {
    text.map(|text| storage_core::Filter::from_json_str(text).map_err(|e| flag_error("where", e))).transpose()
}

/// Names the flag in a core error: `where: …` is already named; `$and[0].year: …` becomes
/// `--where: $and[0].year: …`, and `top_k: …` becomes `--top-k: …`.
pub(crate) fn flag_error(flag: &str, error: storage_core::StorageError) -> CliError {
    match error {
        storage_core::StorageError::InvalidInput { field, reason } => {
            if flag.is_empty() && field == "text" {
                return CliError::Usage(format!("TEXT: {reason}"));
            }
            let named = if flag.is_empty() || field == flag {
                field.replace('_', "-")
            } else {
                format!("{}: {field}", flag.replace('_', "-"))
            };
            CliError::Usage(format!("--{named}: {reason}"))
        }
        other => CliError::Storage(other),
    }
}
