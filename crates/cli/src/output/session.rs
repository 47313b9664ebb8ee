//! Session results: `--json` documents (`{"session"}`, `{"messages"}`, `{"hits"}`, `{"artifact"}`, `{"agents"}`, …) and their human forms.

use std::io::{self, Write};

use super::memory::time_text;
use super::table::{Align, Table, key_values};
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

fn session_pairs(session: &Session) -> Vec<(&'static str, String)> {
    let mut pairs = vec![
        ("id", session.id.clone()),
        ("title", session.title.clone()),
        ("status", session.status.to_string()),
        (
            "counts",
            format!(
                "{} message(s), {} artifact(s), {} task(s)",
                session.message_count, session.artifact_count, session.task_count
            ),
        ),
    ];
    if !session.participants.is_empty() {
        pairs.push(("participants", session.participants.join(", ")));
    }
    pairs.push(("created", time_text(&session.created_at)));
    pairs.push(("last activity", time_text(&session.last_activity_at)));
    if let Some(completed) = &session.completed_at {
        pairs.push(("completed", time_text(completed)));
    }
    if let Some(metadata) = metadata_text(&session.metadata) {
        pairs.push(("metadata", metadata));
    }
    pairs
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
        if self.sessions.is_empty() {
            return writeln!(out, "no sessions");
        }
        let mut table = Table::new(&[
            ("id", Align::Left),
            ("status", Align::Left),
            ("messages", Align::Right),
            ("artifacts", Align::Right),
            ("tasks", Align::Right),
            ("last activity", Align::Left),
            ("title", Align::Left),
        ]);
        for session in &self.sessions {
            table.row(vec![
                one_line(&session.id, 40),
                session.status.to_string(),
                session.message_count.to_string(),
                session.artifact_count.to_string(),
                session.task_count.to_string(),
                time_text(&session.last_activity_at),
                one_line(&session.title, 50),
            ]);
        }
        table.write(out)
    }
}

/// `session summary`: `{"session", "duration_seconds", "tasks_by_status"}`.
impl Report for SessionSummary {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut pairs = session_pairs(&self.session);
        pairs.push(("duration", format!("{} s", self.duration_seconds)));
        let tasks: Vec<String> = self.tasks_by_status.iter().map(|(status, n)| format!("{status} {n}")).collect();
        pairs.push(("tasks by status", if tasks.is_empty() { "none".to_owned() } else { tasks.join(", ") }));
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
        if self.hits.is_empty() {
            return writeln!(out, "no messages found");
        }
        let mut table = Table::new(&[
            ("score", Align::Right),
            ("session", Align::Left),
            ("seq", Align::Right),
            ("role", Align::Left),
            ("content", Align::Left),
        ]);
        for hit in &self.hits {
            table.row(vec![
                format!("{:.4}", hit.score),
                one_line(&hit.message.session_id, 36),
                hit.message.seq.to_string(),
                hit.message.role.to_string(),
                one_line(&hit.message.content, 60),
            ]);
        }
        table.write(out)
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
        let mut pairs = vec![
            ("session", artifact.session_id.clone()),
            ("id", artifact.id.clone()),
            ("kind", artifact.kind.clone()),
            ("name", artifact.name.clone()),
            ("format", artifact.format.clone()),
        ];
        if let Some(task) = &artifact.task_id {
            pairs.push(("task", task.clone()));
        }
        if let Some(metadata) = metadata_text(&artifact.metadata) {
            pairs.push(("metadata", metadata));
        }
        pairs.push(("created", time_text(&artifact.created_at)));
        pairs.push(("updated", time_text(&artifact.updated_at)));
        key_values(out, &pairs)?;
        writeln!(out, "\n{}", artifact.content.trim_end())
    }
}

fn artifact_table(out: &mut dyn Write, rows: &[(Option<f32>, &ArtifactBrief)]) -> io::Result<()> {
    let scored = rows.iter().any(|(score, _)| score.is_some());
    let mut columns = Vec::new();
    if scored {
        columns.extend([("score", Align::Right), ("session", Align::Left)]);
    }
    columns.extend([
        ("id", Align::Left),
        ("kind", Align::Left),
        ("format", Align::Left),
        ("bytes", Align::Right),
        ("updated", Align::Left),
        ("name", Align::Left),
    ]);
    let mut table = Table::new(&columns);
    for (score, artifact) in rows {
        let mut row = Vec::new();
        if let Some(score) = score {
            row.extend([format!("{score:.4}"), one_line(&artifact.session_id, 36)]);
        }
        row.extend([
            one_line(&artifact.id, 36),
            one_line(&artifact.kind, 16),
            one_line(&artifact.format, 12),
            artifact.content_bytes.to_string(),
            time_text(&artifact.updated_at),
            one_line(&artifact.name, 50),
        ]);
        table.row(row);
    }
    table.write(out)
}

/// `session artifact list`: `{"count", "artifacts": […]}` without contents, newest first.
impl Report for ArtifactList {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.artifacts.is_empty() {
            return writeln!(out, "no artifacts");
        }
        let rows: Vec<(Option<f32>, &ArtifactBrief)> = self.artifacts.iter().map(|artifact| (None, artifact)).collect();
        artifact_table(out, &rows)
    }
}

/// `session artifact search`: `{"hits": [{"score", "artifact"}]}`, best first, without contents.
impl Report for ArtifactHits {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.hits.is_empty() {
            return writeln!(out, "no artifacts found");
        }
        let rows: Vec<(Option<f32>, &ArtifactBrief)> =
            self.hits.iter().map(|hit| (Some(hit.score), &hit.artifact)).collect();
        artifact_table(out, &rows)
    }
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
        let mut pairs = vec![
            ("name", agent.name.clone()),
            ("kind", agent.kind.clone()),
            ("status", agent.status.to_string()),
            ("heartbeat", agent.last_heartbeat_at.as_ref().map_or_else(|| "never".to_owned(), time_text)),
        ];
        if !agent.capabilities.is_empty() {
            pairs.push(("capabilities", agent.capabilities.join(", ")));
        }
        if let Some(metadata) = metadata_text(&agent.metadata) {
            pairs.push(("metadata", metadata));
        }
        pairs.push(("registered", time_text(&agent.created_at)));
        key_values(out, &pairs)
    }
}

/// `session agent list`: `{"count", "agents": […]}` by name.
impl Report for AgentList {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.agents.is_empty() {
            return writeln!(out, "no agents");
        }
        let mut table = Table::new(&[
            ("name", Align::Left),
            ("kind", Align::Left),
            ("status", Align::Left),
            ("heartbeat", Align::Left),
            ("capabilities", Align::Left),
        ]);
        for agent in &self.agents {
            table.row(vec![
                one_line(&agent.name, 30),
                one_line(&agent.kind, 16),
                agent.status.to_string(),
                agent.last_heartbeat_at.as_ref().map_or_else(|| "never".to_owned(), time_text),
                one_line(&agent.capabilities.join(", "), 50),
            ]);
        }
        table.write(out)
    }
}
