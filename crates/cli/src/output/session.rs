//! Session results: `--json` documents (`{"session"}`, `{"messages"}`, `{"hits"}`, `{"artifact"}`, `{"agents"}`, …) and their human forms.

use std::io::{self, Write};

use super::memory::time_text;
use super::table::{Align, Column, Table, key_values};
use super::{Report, one_line};
use serde::Serialize;
use storage_core::Metadata;
use storage_core::session::{Agent, AppendOutcome, Artifact, Session, SessionSummary};
use storage_core::views::{
    AgentList, ArtifactBrief, ArtifactHits, ArtifactList, MessageHits, MessageList, SessionList,
};

fn metadata_text(metadata: &Metadata) -> Option<String> {
    (!metadata.is_empty()).then(|| metadata.to_value().to_string())
}

fn session_pairs(session: &Session) -> Vec<(&'static str, Option<String>)> {
    let counts = format!(
        "{} message(s), {} artifact(s), {} task(s)",
        session.message_count, session.artifact_count, session.task_count
    );
    vec![
        ("id", Some(session.id.clone())),
        ("title", Some(session.title.clone())),
        ("status", Some(session.status.to_string())),
        ("counts", Some(counts)),
        ("participants", (!session.participants.is_empty()).then(|| session.participants.join(", "))),
        ("created", Some(time_text(&session.created_at))),
        ("last activity", Some(time_text(&session.last_activity_at))),
        ("completed", session.completed_at.as_ref().map(time_text)),
        ("metadata", metadata_text(&session.metadata)),
    ]
}

/// One session: `{"session": {…}}`.
#[derive(Debug, Serialize)]
pub(crate) struct SessionReport {
    session: Session,
}

impl SessionReport {
    /// The report of `session`.
    pub(crate) fn new(session: Session) -> Self {
        SessionReport { session }
    }
}

impl Report for SessionReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        key_values(out, &session_pairs(&self.session))
    }
}

/// `session list`: `{"count", "sessions": […]}`, most recent activity first.
impl Report for SessionList {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        Table::of(
            &self.sessions,
            &[
                ("id", Align::Left, |session| one_line(&session.id, 40)),
                ("status", Align::Left, |session| session.status.to_string()),
                ("messages", Align::Right, |session| session.message_count.to_string()),
                ("artifacts", Align::Right, |session| session.artifact_count.to_string()),
                ("tasks", Align::Right, |session| session.task_count.to_string()),
                ("last activity", Align::Left, |session| time_text(&session.last_activity_at)),
                ("title", Align::Left, |session| one_line(&session.title, 50)),
            ],
        )
        .write_or(out, "no sessions")
    }
}

/// `session summary`: `{"session", "duration_seconds", "tasks_by_status"}`.
impl Report for SessionSummary {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut pairs = session_pairs(&self.session);
        pairs.push(("duration", Some(format!("{} s", self.duration_seconds))));
        let tasks: Vec<String> = self.tasks_by_status.iter().map(|(status, n)| format!("{status} {n}")).collect();
        pairs.push(("tasks by status", Some(if tasks.is_empty() { "none".to_owned() } else { tasks.join(", ") })));
        key_values(out, &pairs)
    }
}

/// `session append`: `{"message": {…}, "created": bool}`.
impl Report for AppendOutcome {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let message = &self.message;
        if self.created {
            writeln!(out, "appended message `{}` (seq {}) to session `{}`", message.id, message.seq, message.session_id)
        } else {
            writeln!(
                out,
                "message `{}` is already in session `{}` (seq {}): nothing added",
                message.id, message.session_id, message.seq
            )
        }
    }
}

/// `session messages`: `{"count", "messages": […]}` in append order.
impl Report for MessageList {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.messages.is_empty() {
            return writeln!(out, "no messages");
        }
        // A transcript is read, not scanned: every message in full, under a header line.
        for message in &self.messages {
            writeln!(
                out,
                "[{}] {} · {} · {} ({})",
                message.seq,
                message.role,
                time_text(&message.created_at),
                message.id,
                message.format
            )?;
            writeln!(out, "{}\n", message.content.trim_end())?;
        }
        Ok(())
    }
}

/// `session search`: `{"hits": [{"score", "message"}]}`, best first.
impl Report for MessageHits {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        Table::of(
            &self.hits,
            &[
                ("score", Align::Right, |hit| format!("{:.4}", hit.score)),
                ("session", Align::Left, |hit| one_line(&hit.message.session_id, 36)),
                ("seq", Align::Right, |hit| hit.message.seq.to_string()),
                ("role", Align::Left, |hit| hit.message.role.to_string()),
                ("content", Align::Left, |hit| one_line(&hit.message.content, 60)),
            ],
        )
        .write_or(out, "no messages found")
    }
}

/// One artifact: `{"artifact": {…}}`, content included.
#[derive(Debug, Serialize)]
pub(crate) struct ArtifactReport {
    artifact: Artifact,
}

impl ArtifactReport {
    /// The report of `artifact`.
    pub(crate) fn new(artifact: Artifact) -> Self {
        ArtifactReport { artifact }
    }
}

impl Report for ArtifactReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let artifact = &self.artifact;
        key_values(
            out,
            &[
                ("session", Some(artifact.session_id.clone())),
                ("id", Some(artifact.id.clone())),
                ("kind", Some(artifact.kind.clone())),
                ("name", Some(artifact.name.clone())),
                ("format", Some(artifact.format.clone())),
                ("task", artifact.task_id.clone()),
                ("metadata", metadata_text(&artifact.metadata)),
                ("created", Some(time_text(&artifact.created_at))),
                ("updated", Some(time_text(&artifact.updated_at))),
            ],
        )?;
        writeln!(out, "\n{}", artifact.content.trim_end())
    }
}

/// Artifacts without their contents, each with its search score when `scored`; `none` when there are none.
fn artifact_table<'a>(
    out: &mut dyn Write,
    rows: impl IntoIterator<Item = (f32, &'a ArtifactBrief)>,
    scored: bool,
    none: &str,
) -> io::Result<()> {
    let columns: [Column<(f32, &ArtifactBrief)>; 8] = [
        ("score", Align::Right, |(score, _)| format!("{score:.4}")),
        ("session", Align::Left, |(_, artifact)| one_line(&artifact.session_id, 36)),
        ("id", Align::Left, |(_, artifact)| one_line(&artifact.id, 36)),
        ("kind", Align::Left, |(_, artifact)| one_line(&artifact.kind, 16)),
        ("format", Align::Left, |(_, artifact)| one_line(&artifact.format, 12)),
        ("bytes", Align::Right, |(_, artifact)| artifact.content_bytes.to_string()),
        ("updated", Align::Left, |(_, artifact)| time_text(&artifact.updated_at)),
        ("name", Align::Left, |(_, artifact)| one_line(&artifact.name, 50)),
    ];
    // A listing has no scores, and its session is the one asked for.
    let columns = if scored { &columns[..] } else { &columns[2..] };
    Table::of(rows, columns).write_or(out, none)
}

/// `session artifact list`: `{"count", "artifacts": […]}` without contents, newest first.
impl Report for ArtifactList {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        artifact_table(out, self.artifacts.iter().map(|artifact| (0.0, artifact)), false, "no artifacts")
    }
}

/// `session artifact search`: `{"hits": [{"score", "artifact"}]}`, best first, without contents.
impl Report for ArtifactHits {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        artifact_table(out, self.hits.iter().map(|hit| (hit.score, &hit.artifact)), true, "no artifacts found")
    }
}

fn heartbeat_text(agent: &Agent) -> String {
    agent.last_heartbeat_at.as_ref().map_or_else(|| "never".to_owned(), time_text)
}

/// One agent: `{"agent": {…}}`.
#[derive(Debug, Serialize)]
pub(crate) struct AgentReport {
    agent: Agent,
}

impl AgentReport {
    /// The report of `agent`.
    pub(crate) fn new(agent: Agent) -> Self {
        AgentReport { agent }
    }
}

impl Report for AgentReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let agent = &self.agent;
        key_values(
            out,
            &[
                ("name", Some(agent.name.clone())),
                ("kind", Some(agent.kind.clone())),
                ("status", Some(agent.status.to_string())),
                ("heartbeat", Some(heartbeat_text(agent))),
                ("capabilities", (!agent.capabilities.is_empty()).then(|| agent.capabilities.join(", "))),
                ("metadata", metadata_text(&agent.metadata)),
                ("registered", Some(time_text(&agent.created_at))),
            ],
        )
    }
}

/// `session agent list`: `{"count", "agents": […]}` by name.
impl Report for AgentList {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        Table::of(
            &self.agents,
            &[
                ("name", Align::Left, |agent| one_line(&agent.name, 30)),
                ("kind", Align::Left, |agent| one_line(&agent.kind, 16)),
                ("status", Align::Left, |agent| agent.status.to_string()),
                ("heartbeat", Align::Left, |agent| heartbeat_text(agent)),
                ("capabilities", Align::Left, |agent| one_line(&agent.capabilities.join(", "), 50)),
            ],
        )
        .write_or(out, "no agents")
    }
}
