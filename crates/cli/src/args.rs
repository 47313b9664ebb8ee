//! Raw command-line arguments (clap derive); each command validates them into typed inputs before any store opens.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use storage_core::KeywordMatch;

// The agent-facing command groups, one file each (args/memory.rs, args/session.rs, args/task.rs).
mod memory;
mod session;
mod task;

pub(crate) use self::memory::*;
pub(crate) use self::session::*;
pub(crate) use self::task::*;

/// How configuration sources combine, shown at the end of `brainstore --help`.
const PRECEDENCE: &str = "\
Configuration, from lowest to highest precedence:
  1. built-in defaults
  2. the YAML file: --config FILE, else ./brainstore.yaml when present
  3. .env, then .env.brainstore, in the current directory (read as environment variables;
     neither overrides a variable that is really set)
  4. the environment: BRAINSTORE__SECTION__KEY for any key
     (e.g. BRAINSTORE__POSTGRES__POOL_SIZE=20), BRAINSTORE_BACKEND, BRAINSTORE_DATA_DIR,
     BRAINSTORE_TOKEN (serve), and DATABASE_URL
  5. flags: --backend, --data-dir, --database-url, --collection; --tenant (memory, session, task)
DATABASE_URL (or --database-url) replaces only the postgres connection fields (host, port, database,
user, password); pool, TLS, language and index settings from the other sources stay.
`brainstore config show` prints the effective configuration and where each value came from.

Exit codes: 0 ok, 1 internal error, 2 bad input or usage (or an unknown id), 3 incompatible store
state (dimension or model mismatch, not initialized) or a conflicting record state (a lost task
lease), 4 backend unreachable (after the configured retries). `brainstore task --help` says more.";

/// brainstore: storage for AI agents, embedded by default, PostgreSQL + pgvector when you outgrow it.
///
/// Results go to stdout (human text, or one JSON document with --json); progress, logs and errors go
/// to stderr.
#[derive(Debug, Parser)]
#[command(name = "brainstore", version, after_long_help = PRECEDENCE, after_help = "See --help for configuration precedence and exit codes.")]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// YAML configuration file [default: ./brainstore.yaml when it exists].
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,

    /// Backend: `embedded` (alias `chroma`, the default) or `postgres`. Also BRAINSTORE_BACKEND.
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) backend: Option<String>,

    /// Folder of the embedded store [default: ./.brainstore]. Also BRAINSTORE_DATA_DIR.
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,

    /// PostgreSQL URL (postgres://user:password@host:port/db); replaces only the connection fields.
    /// Also DATABASE_URL, which keeps the password out of the process list.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) database_url: Option<String>,

    /// Collection to operate on [default: default].
    #[arg(long, global = true, value_name = "NAME")]
    pub(crate) collection: Option<String>,

    /// Machine output: exactly one JSON document on stdout (JSON lines for batch search and export).
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// More logging on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides it.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create or migrate the store and the collection, recording its embedding space. Idempotent.
    Init(InitArgs),
    /// Upsert chunks from a JSON-lines file: {"id","text","metadata"?,"embedding"?} per line.
    Ingest(IngestArgs),
    /// Search the collection by vector, keyword or both (hybrid).
    Search(SearchArgs),
    /// Print one chunk by id.
    Get(GetArgs),
    /// Count the chunks of the collection, optionally those matching a filter.
    Count(CountArgs),
    /// Delete chunks by id or by filter.
    Delete(DeleteArgs),
    /// Empty the collection and forget its embedding space (needs --yes).
    Reset(ResetArgs),
    /// Backend, versions, counts, embedding space and pool metrics. Never a password.
    Status,
    /// Write every collection as JSON lines: a header line per collection, then its chunks.
    Export(ExportArgs),
    /// Read a file written by `export` into this store.
    Import(ImportArgs),
    /// Copy every collection (chunks, embeddings, embedding spaces) into another store; resumable.
    Copy(CopyArgs),
    /// Versioned, reversible schema migrations.
    Migrate(MigrateArgs),
    /// List, create or drop collections.
    Collections(CollectionsArgs),
    /// Write a per-project docker-compose.yml and .env.brainstore for PostgreSQL + pgvector.
    Compose(ComposeArgs),
    /// Inspect the configuration.
    Config(ConfigArgs),
    /// Print the configured provider's embedding of TEXT, or {"id","embedding"} per {"id","text"} line of --file.
    Embed(EmbedArgs),
    /// Serve the store over HTTP (JSON API, OpenAPI document at /openapi.json) until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Agent memory: remember, recall, get, list, supersede, forget, history.
    // Boxed: the memory flags are the bulk of `Command`'s size.
    Memory(Box<MemoryArgs>),
    /// Sessions: messages, artifacts, full-text search, summaries, and the agent registry.
    Session(SessionArgs),
    /// The shared task queue: enqueue, claim with a lease, heartbeat, complete, fail, list, stats.
    Task(TaskArgs),
    /// Re-embed the collection into a new embedding space beside the current one, then switch; resumable.
    Reembed(crate::commands::ReembedArgs),
}

/// Paging of a list command (`memory list`, `session list`, `task list`): one flag spelling and one range.
#[derive(Clone, Copy, Debug, Args)]
pub(crate) struct PageArgs {
    /// Page size, 1 to 1000 [default: 50].
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
    /// Items to skip.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) offset: usize,
}

/// The embedding space flags of `init`, `collections create` and `memory space set`: all three read them through
/// `commands::init::space_from`, falling back to the `embedding:` configuration.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Vector length of the embedding model (e.g. 384) [default: embedding.dimensions]; a collection without
    /// one is keyword-only.
    #[arg(long, value_name = "N")]
    pub(crate) dimensions: Option<u32>,
    /// Embedding provider to record (e.g. openai, ollama, sentence-transformers) [default: embedding.provider].
    #[arg(long, value_name = "P")]
    pub(crate) provider: Option<String>,
    /// Embedding model to record (e.g. all-MiniLM-L6-v2) [default: embedding.model].
    #[arg(long, value_name = "M")]
    pub(crate) model: Option<String>,
    /// How vectors are compared: cosine, l2 or inner_product [default: embedding.metric, else cosine].
    #[arg(long, value_name = "METRIC")]
    pub(crate) metric: Option<String>,
}

/// `embed`.
#[derive(Debug, Args)]
pub(crate) struct EmbedArgs {
    /// The text to embed.
    #[arg(value_name = "TEXT")]
    pub(crate) text: Option<String>,
    /// A JSON-lines file of {"id","text"} (`-` for standard input) instead of TEXT.
    #[arg(long, value_name = "F.jsonl", conflicts_with = "text")]
    pub(crate) file: Option<PathBuf>,
}

/// `ingest`.
#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    /// JSON-lines file, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Lines per atomic batch [default: 500, or ingest.batch_size].
    #[arg(long, value_name = "N")]
    pub(crate) batch_size: Option<usize>,
    /// Report bad lines (line number and reason) on stderr and skip them, instead of stopping.
    #[arg(long)]
    pub(crate) skip_invalid: bool,
}

/// Search mode, as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModeArg {
    /// Nearest neighbours of --embedding.
    Vector,
    /// Full-text relevance of TEXT.
    Keyword,
    /// Both, fused by reciprocal rank fusion.
    Hybrid,
}

/// `--match`: core's spelling and error.
fn parse_keyword_match(text: &str) -> Result<KeywordMatch, String> {
    text.parse().map_err(|e: storage_core::StorageError| e.to_string())
}

/// `search`.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Query text: the keyword query, and, without --embedding, the text the collection's provider embeds
    /// for vector and hybrid search (docs/embeddings.md). Any word matches (see --match); "quoted words" are a
    /// phrase, -word excludes, `or` / `and` between words mean either / both (docs/keyword-search.md).
    #[arg(value_name = "TEXT", conflicts_with = "queries")]
    pub(crate) text: Option<String>,
    /// How the words of TEXT combine where no `or` / `and` is written: any (a chunk with any of them
    /// matches, ranked by BM25) or all (every word needed) [default: search.match, else any].
    #[arg(long = "match", value_name = "any|all", value_parser = parse_keyword_match)]
    pub(crate) keyword_match: Option<KeywordMatch>,
    /// Search mode [default: search.mode, else hybrid with text and embedding, keyword with text only,
    /// vector with an embedding only].
    #[arg(long, value_enum)]
    pub(crate) mode: Option<ModeArg>,
    /// Query embedding: a JSON array, or @FILE holding one.
    #[arg(long, value_name = "JSON|@FILE", conflicts_with = "queries")]
    pub(crate) embedding: Option<String>,
    /// Number of hits [default: 10, or search.top_k].
    #[arg(long, value_name = "K")]
    pub(crate) top_k: Option<usize>,
    /// Drop hits scoring below S (0 to 1).
    #[arg(long, value_name = "S")]
    pub(crate) min_score: Option<f32>,
    /// Metadata filter, Chroma `where` syntax, e.g. '{"source": {"$prefix": "docs/"}}'.
    #[arg(long = "where", value_name = "JSON", conflicts_with = "queries")]
    pub(crate) where_filter: Option<String>,
    /// Text filter, Chroma `where_document` syntax, e.g. '{"$contains": "tokio"}'.
    #[arg(long, value_name = "JSON", conflicts_with = "queries")]
    pub(crate) where_document: Option<String>,
    /// Show each leg's rank and score, and the matched terms.
    #[arg(long)]
    pub(crate) explain: bool,
    /// Run many queries from a JSON-lines file ({"id","text"?,"embedding"?,"where"?,"top_k"?,"mode"?}):
    /// one JSON line of results per query on stdout, count, p50, p95 and queries/s on stderr.
    #[arg(long, value_name = "FILE")]
    pub(crate) queries: Option<PathBuf>,
}

/// `get`.
#[derive(Debug, Args)]
pub(crate) struct GetArgs {
    /// The chunk id.
    pub(crate) id: String,
}

/// `count`.
#[derive(Debug, Args)]
pub(crate) struct CountArgs {
    /// Count only chunks matching this metadata filter (Chroma `where` JSON).
    #[arg(long = "where", value_name = "JSON")]
    pub(crate) where_filter: Option<String>,
}

/// `delete`.
#[derive(Debug, Args)]
#[group(id = "target", required = true, multiple = false)]
pub(crate) struct DeleteArgs {
    /// Comma-separated chunk ids.
    #[arg(long, value_name = "A,B", value_delimiter = ',', group = "target")]
    pub(crate) ids: Option<Vec<String>>,
    /// Delete every chunk matching this metadata filter; the empty filter `{}` is refused.
    #[arg(long = "where", value_name = "JSON", group = "target")]
    pub(crate) where_filter: Option<String>,
}

/// `reset`.
#[derive(Debug, Args)]
pub(crate) struct ResetArgs {
    /// Confirm: every chunk of the collection is deleted.
    #[arg(long)]
    pub(crate) yes: bool,
}

/// `export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Write to FILE (atomically: complete or not at all) instead of stdout; `-` is stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// `import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// A file written by `brainstore export`, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
    /// Chunks per atomic batch [default: 500, or ingest.batch_size].
    #[arg(long, value_name = "N")]
    pub(crate) batch_size: Option<usize>,
}

/// `copy`.
#[derive(Debug, Args)]
pub(crate) struct CopyArgs {
    /// Target store: `postgres` (the configured postgres section), `postgres://…` (that section with
    /// this URL's connection fields), `embedded` or `embedded:DIR` (alias `chroma:DIR`).
    #[arg(long, value_name = "BACKEND-SPEC")]
    pub(crate) to: String,
    /// Chunks per page read and per atomic batch written [default: 500].
    #[arg(long, value_name = "N")]
    pub(crate) batch_size: Option<usize>,
    /// How many records to compare field by field after copying [default: 100].
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub(crate) verify_sample: usize,
}

/// `migrate`.
#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    #[command(subcommand)]
    pub(crate) action: MigrateAction,
}

/// `migrate` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum MigrateAction {
    /// Every migration and whether it is applied.
    Status,
    /// Apply pending migrations (up to version N with --to).
    Up {
        /// Stop after version N.
        #[arg(long, value_name = "N")]
        to: Option<u32>,
    },
    /// Revert migrations above version N (default: the newest one only). Drops what they created, data
    /// included; --to 0 leaves an empty schema.
    Down {
        /// Keep versions 1..=N.
        #[arg(long, value_name = "N")]
        to: Option<u32>,
    },
}

/// `collections`.
#[derive(Debug, Args)]
pub(crate) struct CollectionsArgs {
    #[command(subcommand)]
    pub(crate) action: CollectionsAction,
}

/// `collections` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum CollectionsAction {
    /// Every collection with its embedding space and count.
    List,
    /// Create a collection (idempotent), optionally with its embedding space.
    Create {
        /// Collection name: lowercase letters, digits and `_`, starting with a letter.
        name: String,
        #[command(flatten)]
        space: InitArgs,
    },
    /// Set the BM25 parameters a collection's keyword search ranks with (docs/keyword-search.md); the next
    /// query uses them, nothing is re-indexed.
    Bm25 {
        /// Collection name.
        name: String,
        /// Term-frequency saturation, 0 to 100: how fast repeats of a word stop adding relevance
        /// [default: unchanged; 1.2 for a new collection].
        #[arg(long, value_name = "K1", allow_negative_numbers = true)]
        k1: Option<f64>,
        /// Length normalisation, 0 to 1: how much a long chunk's length discounts its word counts
        /// [default: unchanged; 0.75 for a new collection].
        #[arg(long, value_name = "B", allow_negative_numbers = true)]
        b: Option<f64>,
    },
    /// Drop a collection and everything in it (needs --yes).
    Drop {
        /// Collection name.
        name: String,
        /// Confirm: the collection and its chunks are deleted.
        #[arg(long)]
        yes: bool,
    },
}

/// `compose`.
#[derive(Debug, Args)]
pub(crate) struct ComposeArgs {
    /// Folder to write docker-compose.yml and .env.brainstore into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub(crate) dir: PathBuf,
    /// Host port for PostgreSQL: a number, or `auto` for the first free one from 5432 to 5442.
    #[arg(long, value_name = "auto|N", default_value = "auto")]
    pub(crate) port: String,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `config`.
#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    pub(crate) action: ConfigAction,
}

/// `config` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigAction {
    /// The effective configuration, secrets redacted, with the source of every value.
    Show,
}

/// `serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8000, or server.bind]; port 0 picks a free port (the bound
    /// address is printed). An address beyond loopback needs a token.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) bind: Option<String>,
    /// Bearer token every route but `GET /health` requires (at least 16 characters). Prefer BRAINSTORE_TOKEN
    /// or server.token: a flag shows in the process list.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) token: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
