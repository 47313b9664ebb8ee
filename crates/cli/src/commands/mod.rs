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

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ::embed::ConfiguredResolver;
use storage_core::{CollectionName, DocumentStore};

pub(crate) use self::reembed::ReembedArgs;

use crate::args::{Cli, Command};
use crate::config::AppConfig;
use crate::error::{CliError, Result};
use crate::factory;
use crate::output::{Format, Printer};

/// A validated command's one async call against the opened store.
type Run = Box<dyn for<'a> FnOnce(&'a Context, &'a mut Printer) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>>;

/// A command with its arguments validated: what runs against the opened store.
pub(crate) struct Plan {
    run: Run,
    /// Whether it runs on worker threads (see [`run`]).
    workers: bool,
}

impl Plan {
    /// `run` with its validated `input`.
    pub(crate) fn new<I: 'static>(
        input: I,
        run: impl for<'a> AsyncFnOnce(&'a Context, I, &'a mut Printer) -> Result<()> + 'static,
    ) -> Plan {
        Plan { run: Box::new(move |ctx, printer| Box::pin(run(ctx, input, printer))), workers: false }
    }

    /// `run` of a validated `input` in a tenant's store (sessions, tasks).
    pub(crate) fn tenanted<I: 'static>(
        tenant: String,
        input: I,
        run: impl for<'a> AsyncFnOnce(&'a Context, &'a str, I, &'a mut Printer) -> Result<()> + 'static,
    ) -> Plan {
        Plan::new((tenant, input), async move |ctx, (tenant, input), printer| run(ctx, &tenant, input, printer).await)
    }

    /// A load: it runs on worker threads, so encoding a batch overlaps the store's I/O.
    fn on_workers(mut self) -> Plan {
        self.workers = true;
        self
    }
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
        Command::Init(args) => Plan::new(init::parse(args, &app)?, init::run),
        Command::Ingest(args) => Plan::new(ingest::parse(args, &app)?, ingest::run).on_workers(),
        Command::Search(args) => Plan::new(search::parse(args, &app)?, search::run),
        Command::Get(args) => Plan::new(get::parse(args)?, get::run),
        Command::Count(args) => Plan::new(count::parse(&args)?, count::run),
        Command::Delete(args) => Plan::new(delete::parse(args)?, delete::run),
        Command::Reset(args) => {
            Plan::new(reset::parse(&args, &app)?, async |ctx, (), printer| reset::run(ctx, printer).await)
        }
        Command::Status => Plan::new((), async |ctx, (), printer| status::run(ctx, printer).await),
        Command::Export(args) => Plan::new(export::parse(args)?, export::run),
        Command::Import(args) => Plan::new(import::parse(args, &app)?, import::run).on_workers(),
        Command::Copy(args) => Plan::new(copy::parse(args, &app)?, copy::run).on_workers(),
        Command::Migrate(args) => Plan::new(migrate::parse(args), migrate::run),
        Command::Collections(args) => Plan::new(collections::parse(args, &app)?, collections::run),
        Command::Memory(args) => memory::parse(*args, &app)?,
        Command::Session(args) => session::parse(args, &app)?,
        Command::Task(args) => task::parse(args, &app)?,
        Command::Reembed(args) => Plan::new(reembed::parse(args, &app.embedding)?, reembed::run).on_workers(),
    };
    // A command that awaits one thing at a time runs on this thread: on a multi-thread runtime every I/O
    // event is a wake-up across threads, which cost more than a fast query (issue 16). Loads keep worker
    // threads, so encoding a batch overlaps the store's I/O.
    let mut builder = if plan.workers {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
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
    let outcome = (plan.run)(&ctx, printer).await;
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
