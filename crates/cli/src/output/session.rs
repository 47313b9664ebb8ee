//! Session results: `--json` documents (`{"session"}`, `{"messages"}`, `{"hits"}`, `{"artifact"}`, `{"agents"}`, …) and their human forms.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use storage_core::Metadata;
use storage_core::session::{Agent, AppendOutcome, Artifact, Message, MessageHit, Session, SessionSummary, TextHit};

use super::memory::time_text;
use super::table::{Align, Table, key_values};
use super::{Report, one_line};

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
#[derive(Debug, Serialize)]
pub(crate) struct SessionListReport {
    count: usize,
    sessions: Vec<Session>,
}

impl SessionListReport {
    /// The report of one page.
    pub(crate) fn new(sessions: Vec<Session>) -> Self {
        SessionListReport { count: sessions.len(), sessions }
    }
}

impl Report for SessionListReport {
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
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub(crate) struct SessionSummaryReport(pub(crate) SessionSummary);

impl Report for SessionSummaryReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut pairs = session_pairs(&self.0.session);
        pairs.push(("duration", format!("{} s", self.0.duration_seconds)));
        let tasks: Vec<String> = self.0.tasks_by_status.iter().map(|(status, n)| format!("{status} {n}")).collect();
        pairs.push(("tasks by status", if tasks.is_empty() { "none".to_owned() } else { tasks.join(", ") }));
        key_values(out, &pairs)
    }
}

/// `session append`: `{"message": {…}, "created": bool}`.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub(crate) struct AppendReport(pub(crate) AppendOutcome);

impl Report for AppendReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let message = &self.0.message;
        if self.0.created {
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
#[derive(Debug, Serialize)]
pub(crate) struct MessagesReport {
    count: usize,
    messages: Vec<Message>,
}

impl MessagesReport {
    /// The report of `messages`.
    pub(crate) fn new(messages: Vec<Message>) -> Self {
        MessagesReport { count: messages.len(), messages }
    }
}

impl Report for MessagesReport {
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

/// One message hit.
#[derive(Debug, Serialize)]
struct MessageHitView {
    score: f32,
    message: Message,
}

/// `session search`: `{"hits": [{"score", "message"}]}`, best first.
#[derive(Debug, Serialize)]
pub(crate) struct MessageHitsReport {
    hits: Vec<MessageHitView>,
}

impl MessageHitsReport {
    /// The report of `hits`.
    pub(crate) fn new(hits: Vec<MessageHit>) -> Self {
        MessageHitsReport {
            hits: hits.into_iter().map(|hit| MessageHitView { score: hit.score, message: hit.item }).collect(),
        }
    }
}

impl Report for MessageHitsReport {
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

/// An artifact as listings show it in JSON: every field in `Artifact`'s order, the content replaced by
/// its size (`session artifact get` prints the content).
#[derive(Debug, Serialize)]
struct ArtifactBrief<'a> {
    session_id: &'a str,
    id: &'a str,
    task_id: &'a Option<String>,
    kind: &'a str,
    name: &'a str,
    content_bytes: usize,
    format: &'a str,
    metadata: &'a Metadata,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl<'a> From<&'a Artifact> for ArtifactBrief<'a> {
    fn from(artifact: &'a Artifact) -> Self {
        // Destructured without `..`: a field added to `Artifact` fails to compile here until listings show it.
        let Artifact { session_id, id, task_id, kind, name, content, format, metadata, created_at, updated_at } =
            artifact;
        ArtifactBrief {
            session_id,
            id,
            task_id,
            kind,
            name,
            content_bytes: content.len(),
            format,
            metadata,
            created_at: *created_at,
            updated_at: *updated_at,
        }
    }
}

fn brief<S: Serializer>(artifact: &Artifact, serializer: S) -> Result<S::Ok, S::Error> {
    ArtifactBrief::from(artifact).serialize(serializer)
}

fn briefs<S: Serializer>(artifacts: &[Artifact], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(artifacts.iter().map(ArtifactBrief::from))
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

fn artifact_table(out: &mut dyn Write, rows: &[(Option<f32>, &Artifact)]) -> io::Result<()> {
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
            artifact.content.len().to_string(),
            time_text(&artifact.updated_at),
            one_line(&artifact.name, 50),
        ]);
        table.row(row);
    }
    table.write(out)
}

/// `session artifact list`: `{"count", "artifacts": […]}` without contents, newest first.
#[derive(Debug, Serialize)]
pub(crate) struct ArtifactListReport {
    count: usize,
    #[serde(serialize_with = "briefs")]
    artifacts: Vec<Artifact>,
}

impl ArtifactListReport {
    /// The report of `artifacts`.
    pub(crate) fn new(artifacts: Vec<Artifact>) -> Self {
        ArtifactListReport { count: artifacts.len(), artifacts }
    }
}

impl Report for ArtifactListReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.artifacts.is_empty() {
            return writeln!(out, "no artifacts");
        }
        let rows: Vec<(Option<f32>, &Artifact)> = self.artifacts.iter().map(|artifact| (None, artifact)).collect();
        artifact_table(out, &rows)
    }
}

/// One artifact hit, without the content.
#[derive(Debug, Serialize)]
struct ArtifactHitView {
    score: f32,
    #[serde(serialize_with = "brief")]
    artifact: Artifact,
}

/// `session artifact search`: `{"hits": [{"score", "artifact"}]}`, best first, without contents.
#[derive(Debug, Serialize)]
pub(crate) struct ArtifactHitsReport {
    hits: Vec<ArtifactHitView>,
}

impl ArtifactHitsReport {
    /// The report of `hits`.
    pub(crate) fn new(hits: Vec<TextHit<Artifact>>) -> Self {
        let hits = hits.into_iter().map(|hit| ArtifactHitView { score: hit.score, artifact: hit.item }).collect();
        ArtifactHitsReport { hits }
    }
}

impl Report for ArtifactHitsReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.hits.is_empty() {
            return writeln!(out, "no artifacts found");
        }
        let rows: Vec<(Option<f32>, &Artifact)> =
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
#[derive(Debug, Serialize)]
pub(crate) struct AgentListReport {
    count: usize,
    agents: Vec<Agent>,
}

impl AgentListReport {
    /// The report of `agents`.
    pub(crate) fn new(agents: Vec<Agent>) -> Self {
        AgentListReport { count: agents.len(), agents }
    }
}

impl Report for AgentListReport {
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
