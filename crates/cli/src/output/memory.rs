//! Memory results: `--json` documents (`{"memory"}`, `{"action","memory"}`, `{"hits"}`, …) and their human tables.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use storage_core::memory::{
    AuditEntry, ExpireMode, Memory, MemoryStatus, MemoryTier, RecallHit, RememberAction, RememberOutcome, Scope,
};
use storage_core::{Embedding, EmbeddingSpace, Metadata};
use uuid::Uuid;

use super::table::{Align, Table, key_values};
use super::{Report, one_line};

/// How much content a table row shows.
const CONTENT_WIDTH: usize = 60;

/// A time as people read it: RFC 3339 to the second, in UTC.
pub(crate) fn time_text(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A memory as listings show it in JSON: every field in `Memory`'s order, the vector replaced by its
/// length (`memory get` prints the vector).
#[derive(Debug, Serialize)]
struct MemoryBrief<'a> {
    id: Uuid,
    scope: &'a Scope,
    key: &'a Option<String>,
    kind: &'a str,
    content: &'a str,
    subject: &'a Option<String>,
    tags: &'a [String],
    importance: u8,
    confidence: f32,
    pinned: bool,
    source: &'a Option<String>,
    status: MemoryStatus,
    tier: MemoryTier,
    metadata: &'a Metadata,
    embedding_dimensions: Option<u32>,
    embedding_model: &'a Option<String>,
    stale: bool,
    version: u32,
    superseded_by: Option<Uuid>,
    supersedes: Option<Uuid>,
    related: &'a [Uuid],
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_accessed_at: DateTime<Utc>,
    access_count: u64,
    expires_at: Option<DateTime<Utc>>,
}

impl<'a> From<&'a Memory> for MemoryBrief<'a> {
    fn from(memory: &'a Memory) -> Self {
        // Destructured without `..`: a field added to `Memory` fails to compile here until listings show it.
        let Memory {
            id,
            scope,
            key,
            kind,
            content,
            subject,
            tags,
            importance,
            confidence,
            pinned,
            source,
            status,
            tier,
            metadata,
            embedding,
            embedding_model,
            stale,
            version,
            superseded_by,
            supersedes,
            related,
            created_at,
            updated_at,
            last_accessed_at,
            access_count,
            expires_at,
        } = memory;
        MemoryBrief {
            id: *id,
            scope,
            key,
            kind,
            content,
            subject,
            tags,
            importance: *importance,
            confidence: *confidence,
            pinned: *pinned,
            source,
            status: *status,
            tier: *tier,
            metadata,
            embedding_dimensions: embedding.as_ref().map(Embedding::dimensions),
            embedding_model,
            stale: *stale,
            version: *version,
            superseded_by: *superseded_by,
            supersedes: *supersedes,
            related,
            created_at: *created_at,
            updated_at: *updated_at,
            last_accessed_at: *last_accessed_at,
            access_count: *access_count,
            expires_at: *expires_at,
        }
    }
}

/// Serialises a memory as [`MemoryBrief`].
fn brief<S: Serializer>(memory: &Memory, serializer: S) -> Result<S::Ok, S::Error> {
    MemoryBrief::from(memory).serialize(serializer)
}

/// Serialises memories as [`MemoryBrief`]s.
fn briefs<S: Serializer>(memories: &[Memory], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(memories.iter().map(MemoryBrief::from))
}

fn scope_text(memory: &Memory) -> String {
    let scope = &memory.scope;
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
    let mut pairs = vec![("id", memory.id.to_string()), ("scope", scope_text(memory))];
    let mut push = |key: &'static str, value: Option<String>| {
        if let Some(value) = value {
            pairs.push((key, value));
        }
    };
    push("key", memory.key.clone());
    push("kind", Some(memory.kind.clone()));
    push("status", Some(format!("{} ({} tier), version {}", memory.status, memory.tier, memory.version)));
    let pinned = if memory.pinned { ", pinned" } else { "" };
    push("importance", Some(format!("{}, confidence {:.2}{pinned}", memory.importance, memory.confidence)));
    push("tags", (!memory.tags.is_empty()).then(|| memory.tags.join(", ")));
    push("subject", memory.subject.clone());
    push("source", memory.source.clone());
    push(
        "embedding",
        memory.embedding.as_ref().map(|embedding| {
            let model = memory.embedding_model.as_deref().unwrap_or("unknown model");
            let stale = if memory.stale { ", stale" } else { "" };
            format!("{} dimensions ({model}{stale})", embedding.dimensions())
        }),
    );
    push("supersedes", memory.supersedes.map(|id| id.to_string()));
    push("superseded by", memory.superseded_by.map(|id| id.to_string()));
    push(
        "related",
        (!memory.related.is_empty()).then(|| memory.related.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ")),
    );
    push("metadata", (!memory.metadata.is_empty()).then(|| memory.metadata.to_value().to_string()));
    push("created", Some(time_text(&memory.created_at)));
    push("updated", Some(time_text(&memory.updated_at)));
    push("accessed", Some(format!("{} ({} recall(s))", time_text(&memory.last_accessed_at), memory.access_count)));
    push("expires", memory.expires_at.as_ref().map(time_text));
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
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub(crate) struct RememberReport(pub(crate) RememberOutcome);

impl Report for RememberReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{}", action_text(&self.0))?;
        write_memory(out, &self.0.memory)
    }
}

/// `remember --from-json`: counts per action and every outcome, in input order.
#[derive(Debug, Default, Serialize)]
pub(crate) struct RememberBatchReport {
    remembered: u64,
    created: u64,
    updated_by_key: u64,
    deduplicated: u64,
    results: Vec<RememberOutcome>,
}

impl RememberBatchReport {
    /// Counts one outcome.
    pub(crate) fn add(&mut self, outcome: RememberOutcome) {
        self.remembered += 1;
        match outcome.action {
            RememberAction::Created => self.created += 1,
            RememberAction::UpdatedByKey => self.updated_by_key += 1,
            RememberAction::Deduplicated { .. } => self.deduplicated += 1,
        }
        self.results.push(outcome);
    }
}

impl Report for RememberBatchReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut table = Table::new(&[("id", Align::Left), ("action", Align::Left), ("content", Align::Left)]);
        for outcome in &self.results {
            let action = match outcome.action {
                RememberAction::Created => "created".to_owned(),
                RememberAction::UpdatedByKey => "updated by key".to_owned(),
                RememberAction::Deduplicated { similarity } => format!("merged ({similarity:.3})"),
            };
            table.row(vec![outcome.memory.id.to_string(), action, one_line(&outcome.memory.content, CONTENT_WIDTH)]);
        }
        table.write(out)?;
        writeln!(
            out,
            "remembered {}: {} created, {} updated by key, {} merged into near-duplicates",
            self.remembered, self.created, self.updated_by_key, self.deduplicated
        )
    }
}

/// One recall hit: the score, its signals, and the memory without its vector.
#[derive(Debug, Serialize)]
struct HitView {
    score: f32,
    semantic: f32,
    keyword: f32,
    recency: f32,
    #[serde(serialize_with = "brief")]
    memory: Memory,
}

/// `recall`: `{"took_ms", "hits": [{"score","semantic","keyword","recency","memory"}]}`, best first.
#[derive(Debug, Serialize)]
pub(crate) struct RecallReport {
    took_ms: f64,
    hits: Vec<HitView>,
}

impl RecallReport {
    /// The report of `hits`, found in `took_ms`.
    pub(crate) fn new(took_ms: f64, hits: Vec<RecallHit>) -> Self {
        let hits = hits
            .into_iter()
            .map(|hit| HitView {
                score: hit.score,
                semantic: hit.semantic,
                keyword: hit.keyword,
                recency: hit.recency,
                memory: hit.memory,
            })
            .collect();
        RecallReport { took_ms: (took_ms * 1000.0).round() / 1000.0, hits }
    }
}

impl Report for RecallReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.hits.is_empty() {
            return writeln!(out, "no memories recalled ({:.1} ms)", self.took_ms);
        }
        let mut table = Table::new(&[
            ("#", Align::Right),
            ("score", Align::Right),
            ("sem", Align::Right),
            ("kw", Align::Right),
            ("rec", Align::Right),
            ("id", Align::Left),
            ("kind", Align::Left),
            ("content", Align::Left),
        ]);
        for (idx, hit) in self.hits.iter().enumerate() {
            let memory = &hit.memory;
            table.row(vec![
                (idx + 1).to_string(),
                format!("{:.4}", hit.score),
                format!("{:.2}", hit.semantic),
                format!("{:.2}", hit.keyword),
                format!("{:.2}", hit.recency),
                memory.id.to_string(),
                one_line(&memory.kind, 16),
                one_line(&memory.content, CONTENT_WIDTH),
            ]);
        }
        table.write(out)?;
        let plural = if self.hits.len() == 1 { "y" } else { "ies" };
        writeln!(out, "{} memor{plural} recalled ({:.1} ms)", self.hits.len(), self.took_ms)
    }
}

/// `list` and `stale list`: `{"count", "memories": […]}` without vectors, newest first.
#[derive(Debug, Serialize)]
pub(crate) struct MemoryListReport {
    count: usize,
    #[serde(serialize_with = "briefs")]
    memories: Vec<Memory>,
    #[serde(skip)]
    offset: usize,
}

impl MemoryListReport {
    /// The report of one page that starts after `offset` memories.
    pub(crate) fn new(memories: Vec<Memory>, offset: usize) -> Self {
        MemoryListReport { count: memories.len(), memories, offset }
    }
}

impl Report for MemoryListReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.memories.is_empty() {
            return writeln!(out, "no memories");
        }
        let mut table = Table::new(&[
            ("id", Align::Left),
            ("kind", Align::Left),
            ("status", Align::Left),
            ("imp", Align::Right),
            ("created", Align::Left),
            ("content", Align::Left),
        ]);
        for memory in &self.memories {
            table.row(vec![
                memory.id.to_string(),
                one_line(&memory.kind, 16),
                memory.status.to_string(),
                memory.importance.to_string(),
                time_text(&memory.created_at),
                one_line(&memory.content, CONTENT_WIDTH),
            ]);
        }
        table.write(out)?;
        let first = self.offset + 1;
        writeln!(out, "memories {first} to {}", self.offset + self.memories.len())
    }
}

/// `supersede`: `{"old": {…}, "new": {…}}`.
#[derive(Debug, Serialize)]
pub(crate) struct SupersedeReport {
    pub(crate) old: Memory,
    pub(crate) new: Memory,
}

impl Report for SupersedeReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "memory {} supersedes {} (now {})", self.new.id, self.old.id, self.old.status)?;
        write_memory(out, &self.new)
    }
}

/// `forget`: `{"id", "forgotten": true}`.
#[derive(Debug, Serialize)]
pub(crate) struct ForgetReport {
    pub(crate) id: Uuid,
    pub(crate) forgotten: bool,
}

impl Report for ForgetReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "forgot memory {} (its history stays: `brainstore memory history {}`)", self.id, self.id)
    }
}

/// `history`: `{"id", "entries": [{"seq","action","old","new","actor","reason","at",…}]}`, oldest first.
#[derive(Debug, Serialize)]
pub(crate) struct HistoryReport {
    pub(crate) id: Uuid,
    pub(crate) entries: Vec<AuditEntry>,
}

impl Report for HistoryReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut table = Table::new(&[
            ("seq", Align::Right),
            ("at", Align::Left),
            ("action", Align::Left),
            ("actor", Align::Left),
            ("version", Align::Right),
            ("status", Align::Left),
            ("reason", Align::Left),
            ("content", Align::Left),
        ]);
        for entry in &self.entries {
            let state = entry.new.as_ref().or(entry.old.as_ref());
            table.row(vec![
                entry.seq.to_string(),
                time_text(&entry.at),
                entry.action.to_string(),
                one_line(&entry.actor, 20),
                state.map_or_else(String::new, |m| m.version.to_string()),
                entry.new.as_ref().map_or_else(|| "deleted".to_owned(), |m| m.status.to_string()),
                one_line(entry.reason.as_deref().unwrap_or(""), 30),
                state.map_or_else(String::new, |m| one_line(&m.content, 40)),
            ]);
        }
        table.write(out)
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

/// `space show|set`: `{"embedding": {…} | null, "stale_marked"?}`.
#[derive(Debug, Serialize)]
pub(crate) struct SpaceReport {
    pub(crate) embedding: Option<EmbeddingSpace>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stale_marked: Option<u64>,
}

impl Report for SpaceReport {
    fn human(&self, out: &mut dyn Write) -> io::Result<()> {
        match &self.embedding {
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
