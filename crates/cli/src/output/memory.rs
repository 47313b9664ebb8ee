//! Memory results: `--json` documents (`{"memory"}`, `{"action","memory"}`, `{"hits"}`, …) and their human tables.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use storage_core::memory::{ExpireMode, Memory, RememberAction, RememberOutcome, Scope};
use storage_core::views::{
    Forgotten, MemoryBrief, MemoryHistory, MemoryList, MemorySpaceView, Recalled, RememberBatch, Superseded,
};
use uuid::Uuid;

use super::table::{Align, Table, key_values};
use super::{Report, one_line};

/// How much content a table row shows.
const CONTENT_WIDTH: usize = 60;

/// A time as people read it: RFC 3339 to the second, in UTC.
pub(crate) fn time_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn scope_text(scope: &Scope) -> String {
    let mut parts = vec![format!("tenant {}", scope.tenant)];
    for (name, value) in [("agent", &scope.agent), ("user", &scope.user), ("conversation", &scope.conversation)] {
        if let Some(value) = value {
            parts.push(format!("{name} {value}"));
        }
    }
    parts.join(", ")
}

/// Every set field of a memory as `key: value` lines, then its content.
fn write_memory(out: &mut dyn Write, memory: &Memory) -> io::Result<()> {
    let pinned = if memory.pinned { ", pinned" } else { "" };
    let embedding = memory.embedding.as_ref().map(|embedding| {
        let model = memory.embedding_model.as_deref().unwrap_or("unknown model");
        let stale = if memory.stale { ", stale" } else { "" };
        format!("{} dimensions ({model}{stale})", embedding.dimensions())
    });
    let related = memory.related.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ");
    let pairs = [
        ("id", Some(memory.id.to_string())),
        ("scope", Some(scope_text(&memory.scope))),
        ("key", memory.key.clone()),
        ("kind", Some(memory.kind.clone())),
        ("status", Some(format!("{} ({} tier), version {}", memory.status, memory.tier, memory.version))),
        ("importance", Some(format!("{}, confidence {:.2}{pinned}", memory.importance, memory.confidence))),
        ("tags", (!memory.tags.is_empty()).then(|| memory.tags.join(", "))),
        ("subject", memory.subject.clone()),
        ("source", memory.source.clone()),
        ("embedding", embedding),
        ("supersedes", memory.supersedes.map(|id| id.to_string())),
        ("superseded by", memory.superseded_by.map(|id| id.to_string())),
        ("related", (!related.is_empty()).then_some(related)),
        ("metadata", (!memory.metadata.is_empty()).then(|| memory.metadata.to_value().to_string())),
        ("created", Some(time_text(&memory.created_at))),
        ("updated", Some(time_text(&memory.updated_at))),
        ("accessed", Some(format!("{} ({} recall(s))", time_text(&memory.last_accessed_at), memory.access_count))),
        ("expires", memory.expires_at.as_ref().map(time_text)),
    ];
    key_values(out, &pairs)?;
    writeln!(out, "\n{}", memory.content)
}

/// One memory: `{"memory": {…}}`, embedding included.
#[derive(Debug, Serialize)]
pub(crate) struct MemoryReport {
    #[serde(skip)]
    headline: Option<String>,
    memory: Memory,
}

impl MemoryReport {
    /// The report of `memory`.
    pub(crate) fn new(memory: Memory) -> Self {
        MemoryReport { headline: None, memory }
    }

    /// A first line saying what happened (human output only).
    pub(crate) fn headline(mut self, text: String) -> Self {
        self.headline = Some(text);
        self
    }
}

impl Report for MemoryReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(headline) = &self.headline {
            writeln!(out, "{headline}")?;
        }
        write_memory(out, &self.memory)
    }
}

/// What `remember` did, in words: `created memory ID`, `updated memory ID (same key `k`)`, ….
fn action_text(outcome: &RememberOutcome) -> String {
    let id = outcome.memory.id;
    match &outcome.action {
        RememberAction::Created => format!("created memory {id}"),
        RememberAction::UpdatedByKey => {
            format!("updated memory {id} (same key `{}`)", outcome.memory.key.as_deref().unwrap_or(""))
        }
        RememberAction::Deduplicated { similarity } => {
            format!("merged into memory {id}, a near-duplicate (similarity {similarity:.3})")
        }
    }
}

/// `remember`: `{"memory": {…}, "action": "created" | "updated_by_key" | "deduplicated", "similarity"?}`.
impl Report for RememberOutcome {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}", action_text(self))?;
        write_memory(out, &self.memory)
    }
}

/// `remember --from-json`: `{"remembered", "created", "updated_by_key", "deduplicated", "results"}`.
impl Report for RememberBatch {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let action = |outcome: &&RememberOutcome| match outcome.action {
            RememberAction::Created => "created".to_owned(),
            RememberAction::UpdatedByKey => "updated by key".to_owned(),
            RememberAction::Deduplicated { similarity } => format!("merged ({similarity:.3})"),
        };
        Table::of(
            &self.results,
            &[
                ("id", Align::Left, |outcome| outcome.memory.id.to_string()),
                ("action", Align::Left, action),
                ("content", Align::Left, |outcome| one_line(&outcome.memory.content, CONTENT_WIDTH)),
            ],
        )
        .write(out)?;
        writeln!(
            out,
            "remembered {}: {} created, {} updated by key, {} merged into near-duplicates",
            self.remembered, self.created, self.updated_by_key, self.deduplicated
        )
    }
}

/// `recall`: `{"took_ms", "hits": [{"score","semantic","keyword","recency","memory"}]}`, best first.
impl Report for Recalled {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.hits.is_empty() {
            return writeln!(out, "no memories recalled ({:.1} ms)", self.took_ms);
        }
        Table::of(
            self.hits.iter().enumerate(),
            &[
                ("#", Align::Right, |(idx, _)| (idx + 1).to_string()),
                ("score", Align::Right, |(_, hit)| format!("{:.4}", hit.score)),
                ("sem", Align::Right, |(_, hit)| format!("{:.2}", hit.semantic)),
                ("kw", Align::Right, |(_, hit)| format!("{:.2}", hit.keyword)),
                ("rec", Align::Right, |(_, hit)| format!("{:.2}", hit.recency)),
                ("id", Align::Left, |(_, hit)| hit.memory.id.to_string()),
                ("kind", Align::Left, |(_, hit)| one_line(&hit.memory.kind, 16)),
                ("content", Align::Left, |(_, hit)| one_line(&hit.memory.content, CONTENT_WIDTH)),
            ],
        )
        .write(out)?;
        let plural = if self.hits.len() == 1 { "y" } else { "ies" };
        writeln!(out, "{} memor{plural} recalled ({:.1} ms)", self.hits.len(), self.took_ms)
    }
}

/// `list` and `stale list`: core's `MemoryList` (`{"count", "memories": […]}` without vectors, newest first),
/// and where the page starts for the human form.
#[derive(Debug, Serialize)]
pub(crate) struct MemoryListReport {
    #[serde(flatten)]
    list: MemoryList,
    #[serde(skip)]
    offset: usize,
}

impl MemoryListReport {
    /// The report of one page that starts after `offset` memories.
    pub(crate) fn new(memories: Vec<Memory>, offset: usize) -> Self {
        MemoryListReport { list: MemoryList::new(memories), offset }
    }
}

impl Report for MemoryListReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let memories: &[MemoryBrief] = &self.list.memories;
        if memories.is_empty() {
            return writeln!(out, "no memories");
        }
        Table::of(
            memories,
            &[
                ("id", Align::Left, |memory| memory.id.to_string()),
                ("kind", Align::Left, |memory| one_line(&memory.kind, 16)),
                ("status", Align::Left, |memory| memory.status.to_string()),
                ("imp", Align::Right, |memory| memory.importance.to_string()),
                ("created", Align::Left, |memory| time_text(&memory.created_at)),
                ("content", Align::Left, |memory| one_line(&memory.content, CONTENT_WIDTH)),
            ],
        )
        .write(out)?;
        let first = self.offset + 1;
        writeln!(out, "memories {first} to {}", self.offset + memories.len())
    }
}

/// `supersede`: `{"old": {…}, "new": {…}}`.
impl Report for Superseded {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "memory {} supersedes {} (now {})", self.new.id, self.old.id, self.old.status)?;
        write_memory(out, &self.new)
    }
}

/// `forget`: `{"id", "forgotten": true}`.
impl Report for Forgotten {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "forgot memory {} (its history stays: `brainstore memory history {}`)", self.id, self.id)
    }
}

/// `history`: `{"id", "entries": [{"seq","action","old","new","actor","reason","at",…}]}`, oldest first.
impl Report for MemoryHistory {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        // What a row shows of the memory: its state after the change, or before it when it was deleted.
        let rows = self.entries.iter().map(|entry| (entry, entry.new.as_ref().or(entry.old.as_ref())));
        Table::of(
            rows,
            &[
                ("seq", Align::Right, |(entry, _)| entry.seq.to_string()),
                ("at", Align::Left, |(entry, _)| time_text(&entry.at)),
                ("action", Align::Left, |(entry, _)| entry.action.to_string()),
                ("actor", Align::Left, |(entry, _)| one_line(&entry.actor, 20)),
                ("version", Align::Right, |(_, state)| state.map_or_else(String::new, |m| m.version.to_string())),
                ("status", Align::Left, |(entry, _)| {
                    entry.new.as_ref().map_or_else(|| "deleted".to_owned(), |m| m.status.to_string())
                }),
                ("reason", Align::Left, |(entry, _)| one_line(entry.reason.as_deref().unwrap_or(""), 30)),
                ("content", Align::Left, |(_, state)| state.map_or_else(String::new, |m| one_line(&m.content, 40))),
            ],
        )
        .write(out)
    }
}

/// `expire`: `{"expired", "mode", "at"}`.
#[derive(Debug, Serialize)]
pub(crate) struct ExpireReport {
    pub(crate) expired: u64,
    pub(crate) mode: ExpireMode,
    pub(crate) at: DateTime<Utc>,
}

impl Report for ExpireReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let verb = match self.mode {
            ExpireMode::Delete => "deleted",
            ExpireMode::Archive => "archived",
        };
        writeln!(out, "{verb} {} memories expired as of {}", self.expired, time_text(&self.at))
    }
}

/// `space show|set`: `{"embedding_space": {…} | null, "stale_marked"?}`.
impl Report for MemorySpaceView {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        match &self.embedding_space {
            Some(space) => writeln!(out, "memory embedding space: {}", space.describe())?,
            None => writeln!(out, "no memory embedding space recorded (`brainstore memory space set --dimensions N`)")?,
        }
        if let Some(marked) = self.stale_marked {
            writeln!(out, "{marked} memories marked stale (`brainstore memory stale list`)")?;
        }
        Ok(())
    }
}

/// `stale mark|purge`: `{"action": "marked" | "purged", "count"}`.
#[derive(Debug, Serialize)]
pub(crate) struct StaleReport {
    pub(crate) action: &'static str,
    pub(crate) count: u64,
}

impl Report for StaleReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} {} stale memories", self.action, self.count)
    }
}
