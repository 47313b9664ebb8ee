"""Memory, sessions and the task queue through the blocking API, on every backend."""

from __future__ import annotations

import brainstore
import pytest
from brainstore import Scope, Store


def test_memories_are_remembered_recalled_superseded_and_forgotten(store: Store) -> None:
    memories = store.memories
    scope = Scope(tenant="acme", user="ada")
    first = memories.remember("Ada prefers dark mode", scope=scope, key="theme", tags=["ui"], importance=7)
    assert first.action == "created" and first.memory.scope == scope
    again = memories.remember("Ada prefers light mode", scope=scope, key="theme")
    assert again.action == "updated_by_key" and again.memory.id == first.memory.id
    assert again.memory.version == 2
    hits = memories.recall(scope, "light mode")
    assert [hit.memory.id for hit in hits] == [first.memory.id]
    assert 0.0 <= hits[0].score <= 1.0
    old, new = memories.supersede("acme", first.memory.id, "Ada uses the system theme", scope=scope)
    assert old.status == "superseded" and old.superseded_by == new.id
    assert memories.list(scope)[0].id == new.id
    assert memories.get("other-tenant", new.id) is None, "another tenant's id looks missing"
    assert memories.forget("acme", new.id) is True
    assert memories.get("acme", new.id) is None
    assert [entry["action"] for entry in memories.history("acme", new.id)][-1] == "deleted"


def test_tasks_are_claimed_once_completed_and_counted(store: Store) -> None:
    tasks = store.tasks
    low = tasks.enqueue("acme", "index", {"path": "/a"}, priority=1).task
    high = tasks.enqueue("acme", "index", {"path": "/b"}, priority=9).task
    duplicate = tasks.enqueue("acme", "index", {"path": "/b"}, dedup_key="b")
    assert duplicate.created and not tasks.enqueue("acme", "index", dedup_key="b").created
    claimed = tasks.claim("acme", "worker-1")
    assert claimed is not None and claimed.id == high.id and claimed.lease_id is not None
    done = tasks.complete(claimed, {"chunks": 12})
    assert done.status == "completed" and done.result == {"chunks": 12}
    with pytest.raises(brainstore.Conflict):
        tasks.complete(claimed, None)
    failed = tasks.fail(tasks.claim("acme", "worker-1") or low, "disk full")
    assert failed.last_error == "disk full"
    assert tasks.stats("acme")["completed"] == 1
    assert tasks.get("acme", low.id) is not None


def test_sessions_keep_messages_artifacts_and_agents(store: Store) -> None:
    sessions = store.sessions
    session = sessions.create("acme", id="s1", title="Planning")
    assert session.id == "s1" and session.message_count == 0
    first = sessions.append("acme", "s1", "user", "Plan the tokio migration", id="m1")
    assert first.created and first.message.seq >= 1
    assert not sessions.append("acme", "s1", "user", "Plan the tokio migration", id="m1").created
    sessions.append("acme", "s1", "assistant", "Step one: pin the runtime")
    assert [message.role for message in sessions.messages("acme", "s1")] == ["user", "assistant"]
    hits = sessions.search("acme", "tokio")
    assert [hit.item.id for hit in hits] == ["m1"]
    artifact = sessions.put_artifact("acme", "s1", "plan.md", "# Plan", kind="plan")
    assert [a.id for a in sessions.artifacts("acme", "s1")] == [artifact.id]
    agent = sessions.register_agent("acme", "planner", kind="llm", capabilities=["plan"])
    assert agent.status == "available"
    assert sessions.get("acme", "s1") is not None
    assert sessions.set_status("acme", "s1", "completed").completed_at is not None
