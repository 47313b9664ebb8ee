"""The values brainstore returns: Chroma-shaped dicts for collections, dataclasses for everything else.

Collection reads return :class:`GetResult` and :class:`QueryResult`, typed dicts with Chroma's keys, so
code written for Chroma reads them unchanged. Memories, sessions, messages, artifacts, agents and tasks are
frozen dataclasses whose fields are those of the Rust records (timestamps as aware ``datetime``).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, TypedDict, TypeVar, Union

Metadata = dict[str, Any]
"""A chunk's metadata: a JSON object."""

Embedding = list[float]
"""A vector of finite floats."""

Where = dict[str, Any]
"""A metadata filter in Chroma's ``where`` syntax (``{"lang": "rust"}``, ``{"year": {"$gte": 2020}}``)."""

WhereDocument = dict[str, Any]
"""A text filter in Chroma's ``where_document`` syntax (``{"$contains": "tokio"}``)."""

SearchMode = Literal["vector", "keyword", "hybrid"]
"""Which index answers a query: nearest vectors, BM25 keyword relevance, or both fused."""

KeywordMatch = Literal["any", "all"]
"""How a keyword query's words combine: a chunk matching any of them (ranked by BM25), or only chunks with all
of them. Quoted phrases, ``or`` / ``and`` and ``-word`` keep their meaning either way."""

EmbeddingProvider = str | dict[str, Any]
"""A collection's embedding provider: ``"local"`` (all-MiniLM-L6-v2 in-process), or a dict of crates/embed's
settings: ``provider`` (``local``, ``openai``, ``ollama``), ``model``, ``model_path`` (a local model folder),
``base_url``, ``api_key_env`` (the NAME of the variable holding the key), ``dimensions``, ``batch_size``,
``timeout_secs``, ``max_retries``."""

IncludePart = Literal["documents", "metadatas", "embeddings", "distances", "scores"]
"""What a ``get`` or ``query`` returns besides ids (``distances`` and ``scores`` only for queries)."""


class CollectionInfo(TypedDict):
    """A collection: its name, embedding space (``None`` until one is recorded), chunk count, how many chunks
    carry a vector (the rest are found by keyword only), the vector index's state (``not_needed``, ``ready``
    or ``missing``) and the BM25 parameters its keyword search ranks with (``{"k1", "b"}``)."""

    name: str
    embedding_space: dict[str, Any] | None
    count: int
    embedded_count: int
    vector_index: Literal["not_needed", "ready", "missing"]
    bm25: dict[str, float]


class GetResult(TypedDict):
    """Chunks read by ``Collection.get``: parallel lists, ``None`` for the parts not included."""

    ids: list[str]
    documents: list[str] | None
    metadatas: list[Metadata] | None
    embeddings: list[Embedding | None] | None


class QueryResult(TypedDict):
    """Hits of ``Collection.query``: one inner list per query, best hit first.

    ``scores`` are in [0, 1], higher is better; ``distances`` are the raw vector distances (``None`` for
    hits only the keyword leg found).
    """

    ids: list[list[str]]
    documents: list[list[str]] | None
    metadatas: list[list[Metadata]] | None
    embeddings: list[list[Embedding | None]] | None
    distances: list[list[float | None]] | None
    scores: list[list[float]] | None


@dataclasses.dataclass(frozen=True)
class Scope:
    """Who a memory belongs to: a tenant, optionally narrowed to an agent, a user or a conversation."""

    tenant: str
    agent: str | None = None
    user: str | None = None
    conversation: str | None = None


@dataclasses.dataclass(frozen=True)
class Memory:
    """A stored memory."""

    id: str
    scope: Scope
    key: str | None
    kind: str
    content: str
    subject: str | None
    tags: list[str]
    importance: int
    confidence: float
    pinned: bool
    source: str | None
    status: str
    tier: str
    metadata: Metadata
    embedding: Embedding | None
    embedding_model: str | None
    stale: bool
    version: int
    superseded_by: str | None
    supersedes: str | None
    related: list[str]
    created_at: datetime
    updated_at: datetime
    last_accessed_at: datetime
    access_count: int
    expires_at: datetime | None


@dataclasses.dataclass(frozen=True)
class RememberOutcome:
    """The memory as stored, and what ``remember`` did: ``created``, ``updated_by_key`` or ``deduplicated``
    (then ``similarity`` is the score of the near-duplicate that was updated)."""

    memory: Memory
    action: str
    similarity: float | None = None


@dataclasses.dataclass(frozen=True)
class RecallHit:
    """A recalled memory with the signals that ranked it (all in [0, 1])."""

    memory: Memory
    score: float
    semantic: float
    keyword: float
    recency: float


@dataclasses.dataclass(frozen=True)
class Task:
    """A task of the queue. ``lease_id`` is set while it is claimed; pass the task back to complete it."""

    id: str
    tenant: str
    session_id: str | None
    kind: str
    payload: Any
    priority: int
    target_agent: str | None
    dedup_key: str | None
    status: str
    attempts: int
    max_attempts: int
    retry_backoff_ms: int
    not_before: datetime
    claimed_by: str | None
    lease_id: str | None
    lease_expires_at: datetime | None
    result: Any
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


@dataclasses.dataclass(frozen=True)
class EnqueueOutcome:
    """The task, and whether it was created (``False``: its dedup key matched an existing task)."""

    task: Task
    created: bool


@dataclasses.dataclass(frozen=True)
class Session:
    """A conversation."""

    id: str
    tenant: str
    title: str
    participants: list[str]
    status: str
    metadata: Metadata
    created_at: datetime
    last_activity_at: datetime
    completed_at: datetime | None
    message_count: int
    artifact_count: int
    task_count: int


@dataclasses.dataclass(frozen=True)
class Message:
    """A message of a session; ``seq`` is its position there (1 for the first, then 2, 3, ...)."""

    session_id: str
    id: str
    seq: int
    role: str
    content: str
    format: str
    metadata: Metadata
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class AppendOutcome:
    """The message as stored, and whether it was new (``False``: its id was appended before)."""

    message: Message
    created: bool


@dataclasses.dataclass(frozen=True)
class MessageHit:
    """A message found by full-text search, with its relevance."""

    item: Message
    score: float


@dataclasses.dataclass(frozen=True)
class Artifact:
    """A document a session produced (a plan, a diff, a report)."""

    session_id: str
    id: str
    task_id: str | None
    kind: str
    name: str
    content: str
    format: str
    metadata: Metadata
    created_at: datetime
    updated_at: datetime


@dataclasses.dataclass(frozen=True)
class Agent:
    """A registered agent."""

    tenant: str
    name: str
    kind: str
    capabilities: list[str]
    status: str
    last_heartbeat_at: datetime | None
    metadata: Metadata
    created_at: datetime
    updated_at: datetime


T = TypeVar("T")


def _parse_datetime(text: str) -> datetime:
    # Python 3.10's fromisoformat does not take the "Z" suffix serde writes for UTC.
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


Converter = Callable[[Any], Any]
"""Turns a field's JSON value into the field's Python value (never called with ``None``)."""


@functools.cache
def _converter(hint: Any) -> Converter | None:
    """How a field of type ``hint`` is converted, or ``None`` when its JSON value is already its value.

    Worked out once per type, not per record: a recall returns records whose embeddings are hundreds of
    floats, and walking each of them through the type hints cost milliseconds per call.
    """
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _converter(options[0]) if len(options) == 1 else None
    if hint is datetime:
        return _parse_datetime
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return functools.partial(from_record, hint)
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        item = _converter(item_hint)
        if item is None:
            return None
        return lambda values: [None if value is None else item(value) for value in values]
    return None


_FIELD_CONVERTERS: dict[type, dict[str, Converter | None]] = {}


def _field_converters(cls: type) -> dict[str, Converter | None]:
    converters = _FIELD_CONVERTERS.get(cls)
    if converters is None:
        # Two threads may both work it out the first time; they store the same answer.
        hints = typing.get_type_hints(cls)
        converters = {field.name: _converter(hints[field.name]) for field in dataclasses.fields(cls)}
        _FIELD_CONVERTERS[cls] = converters
    return converters


def from_record(cls: type[T], record: dict[str, Any]) -> T:
    """Builds the dataclass ``cls`` from a record's JSON form, as the native module returns it."""
    converters = _field_converters(cls)
    values = {}
    for name, value in record.items():
        if name in converters:
            convert = converters[name]
            values[name] = value if convert is None or value is None else convert(value)
    return cls(**values)


def to_record(value: Any) -> Any:
    """A dataclass (such as :class:`Scope`) as the JSON form the native module takes; other values as given."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key: item for key, item in dataclasses.asdict(value).items() if item is not None}
    return value
