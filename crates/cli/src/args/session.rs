//! Raw arguments of `brainstore session …` (sessions, messages, artifacts and the agent registry).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::memory::EXIT_CODES;
use crate::args::PageArgs;

/// `session`.
#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub(crate) struct SessionArgs {
    /// Tenant whose sessions to use [default: `tenant` from the configuration, else `default`].
    #[arg(long, global = true, value_name = "T")]
    pub(crate) tenant: Option<String>,
    #[command(subcommand)]
    pub(crate) action: SessionAction,
}

/// `session` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum SessionAction {
    /// Create a session (an existing --id is returned unchanged).
    Create(SessionCreateArgs),
    /// One session with its message, artifact and task counts.
    Get(SessionIdArgs),
    /// Sessions, most recent activity first.
    List(SessionListArgs),
    /// Set a session's status: active, paused or completed.
    Status(SessionStatusArgs),
    /// Append a message to a session (idempotent by --id).
    Append(AppendArgs),
    /// Messages of a session in order.
    Messages(MessagesArgs),
    /// Full-text search over messages, in one session or every session of the tenant.
    Search(TextSearchArgs),
    /// A session with its duration and task counts per status.
    Summary(SessionIdArgs),
    /// Artifacts (code, documents, reports…) stored under a session.
    Artifact(ArtifactArgs),
    /// The agent registry: names, kinds, capabilities, status and heartbeats.
    Agent(AgentArgs),
}

/// `session create`.
#[derive(Debug, Args)]
pub(crate) struct SessionCreateArgs {
    /// Session id [default: a generated UUID].
    #[arg(long, value_name = "ID")]
    pub(crate) id: Option<String>,
    /// Title [default: the id].
    #[arg(long, value_name = "TEXT")]
    pub(crate) title: Option<String>,
    /// A participant's name (repeat for several).
    #[arg(long = "participant", value_name = "NAME")]
    pub(crate) participants: Vec<String>,
    /// Free JSON object.
    #[arg(long, value_name = "JSON")]
    pub(crate) metadata: Option<String>,
}

/// A session id.
#[derive(Debug, Args)]
pub(crate) struct SessionIdArgs {
    /// The session id.
    #[arg(value_name = "SESSION")]
    pub(crate) id: String,
}

/// `session list`.
#[derive(Debug, Args)]
pub(crate) struct SessionListArgs {
    /// Only this status: active, paused, completed (repeat for several) [default: any].
    #[arg(long = "status", value_name = "S")]
    pub(crate) statuses: Vec<String>,
    #[command(flatten)]
    pub(crate) page: PageArgs,
}

/// `session status`.
#[derive(Debug, Args)]
pub(crate) struct SessionStatusArgs {
    /// The session id.
    #[arg(value_name = "SESSION")]
    pub(crate) id: String,
    /// active, paused or completed.
    #[arg(value_name = "STATUS")]
    pub(crate) status: String,
}

/// Content from the command line, a file or standard input.
#[derive(Debug, Args)]
pub(crate) struct ContentArgs {
    /// The content (or use --file).
    #[arg(value_name = "CONTENT", required_unless_present = "file", conflicts_with = "file")]
    pub(crate) content: Option<String>,
    /// Read the content from FILE, or `-` for standard input (for long transcripts).
    #[arg(long, value_name = "FILE|-")]
    pub(crate) file: Option<PathBuf>,
    /// Format: text, markdown, transcript, json, python… [default: text].
    #[arg(long, value_name = "F")]
    pub(crate) format: Option<String>,
    /// Free JSON object.
    #[arg(long, value_name = "JSON")]
    pub(crate) metadata: Option<String>,
}

/// `session append`.
#[derive(Debug, Args)]
pub(crate) struct AppendArgs {
    /// The session id.
    #[arg(value_name = "SESSION")]
    pub(crate) session: String,
    /// Who wrote it: user, assistant, system or tool.
    #[arg(long, value_name = "ROLE")]
    pub(crate) role: String,
    /// Message id, unique within the session: appending it again adds nothing [default: generated].
    #[arg(long, value_name = "ID")]
    pub(crate) id: Option<String>,
    #[command(flatten)]
    pub(crate) content: ContentArgs,
}

/// `session messages`.
#[derive(Debug, Args)]
pub(crate) struct MessagesArgs {
    /// The session id.
    #[arg(value_name = "SESSION")]
    pub(crate) session: String,
    /// Only messages after this sequence number (for paging).
    #[arg(long, value_name = "SEQ")]
    pub(crate) after: Option<i64>,
    /// At most this many, 1 to 1000 [default: 100].
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub(crate) limit: Option<usize>,
    /// Every message, read page by page.
    #[arg(long)]
    pub(crate) all: bool,
}

/// `session search` and `session artifact search`.
#[derive(Debug, Args)]
pub(crate) struct TextSearchArgs {
    /// Words to find (keyword syntax: "quoted phrases", OR, -excluded).
    #[arg(value_name = "QUERY")]
    pub(crate) query: String,
    /// Only in this session [default: every session of the tenant].
    #[arg(long, value_name = "SESSION")]
    pub(crate) session: Option<String>,
    /// At most this many hits, 1 to 1000 [default: 10].
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
}

/// `session artifact`.
#[derive(Debug, Args)]
pub(crate) struct ArtifactArgs {
    #[command(subcommand)]
    pub(crate) action: ArtifactAction,
}

/// `session artifact` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum ArtifactAction {
    /// Store an artifact, replacing the one with the same session and --id.
    Put(ArtifactPutArgs),
    /// One artifact.
    Get(ArtifactGetArgs),
    /// Artifacts of a session, newest first.
    List(SessionIdArgs),
    /// Full-text search over artifact names and contents.
    Search(TextSearchArgs),
}

/// `session artifact put`.
#[derive(Debug, Args)]
pub(crate) struct ArtifactPutArgs {
    /// The session id.
    #[arg(value_name = "SESSION")]
    pub(crate) session: String,
    /// Kind: code, document, report…
    #[arg(long, value_name = "KIND")]
    pub(crate) kind: String,
    /// Name, e.g. a file name.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: String,
    /// Artifact id, unique within the session: putting it again replaces it [default: generated].
    #[arg(long, value_name = "ID")]
    pub(crate) id: Option<String>,
    /// The task that produced it.
    #[arg(long, value_name = "TASK")]
    pub(crate) task: Option<String>,
    #[command(flatten)]
    pub(crate) content: ContentArgs,
}

/// `session artifact get`.
#[derive(Debug, Args)]
pub(crate) struct ArtifactGetArgs {
    /// The session id.
    #[arg(value_name = "SESSION")]
    pub(crate) session: String,
    /// The artifact id.
    #[arg(value_name = "ID")]
    pub(crate) id: String,
}

/// `session agent`.
#[derive(Debug, Args)]
pub(crate) struct AgentArgs {
    #[command(subcommand)]
    pub(crate) action: AgentAction,
}

/// `session agent` actions.
#[derive(Debug, Subcommand)]
pub(crate) enum AgentAction {
    /// Register an agent, or update the one with the same name (status available, heartbeat now).
    Register {
        /// Name, unique within the tenant.
        #[arg(value_name = "NAME")]
        name: String,
        /// Kind: code, research…
        #[arg(long, value_name = "KIND")]
        kind: String,
        /// A capability (repeat for several).
        #[arg(long = "capability", value_name = "C")]
        capabilities: Vec<String>,
        /// Free JSON object.
        #[arg(long, value_name = "JSON")]
        metadata: Option<String>,
    },
    /// Record an agent's heartbeat and status.
    Heartbeat {
        /// The agent's name.
        #[arg(value_name = "NAME")]
        name: String,
        /// available, busy, offline or error [default: available].
        #[arg(long, value_name = "S")]
        status: Option<String>,
    },
    /// Agents by name.
    List {
        /// Only agents with this status: available, busy, offline, error.
        #[arg(long, value_name = "S")]
        status: Option<String>,
    },
}
