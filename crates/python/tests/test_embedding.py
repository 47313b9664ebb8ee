"""Collections with an embedding provider (crates/embed) on every backend: texts in, vectors made in Rust.

The local model's files come from ``BRAINSTORE_TEST_MODEL_DIR`` (all-MiniLM-L6-v2, installed by ``cargo xtask
test`` from PyPI); a missing folder fails the test, naming the variable. The package's default cargo feature
``local`` builds the model in.
"""

from __future__ import annotations

import math
import os
import uuid
from pathlib import Path
from typing import Any

import brainstore
import pytest
from brainstore import Store

from .conftest import BACKENDS, database_url

DOCUMENTS = [
    "The cat sat on the warm mat by the fire.",
    "Stock markets fell sharply after the interest rate decision.",
    "Rust's borrow checker enforces memory safety at compile time.",
]


def model_dir() -> str:
    folder = os.environ.get("BRAINSTORE_TEST_MODEL_DIR", "").strip()
    if not folder or not Path(folder).is_dir():
        pytest.fail(
            "BRAINSTORE_TEST_MODEL_DIR is not a folder: the embedding tests need the local model. Run them through "
            "`cargo xtask test`, or export BRAINSTORE_TEST_MODEL_DIR=$(cargo xtask model path)",
            pytrace=False,
        )
    return folder


def local() -> dict[str, Any]:
    return {"provider": "local", "model_path": model_dir()}


def open_at(backend: str, tmp_path: Path, schema: str, embedding: Any = None) -> Store:
    """The store of ``backend`` in a fixed folder or schema, so a second call reopens the first one's data."""
    variable = BACKENDS[backend]
    if variable is None:
        return brainstore.open(str(tmp_path / "store"), embedding=embedding)
    return brainstore.connect(database_url(variable), schema=schema, pool_size=2, embedding=embedding)


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_texts_in_are_embedded_by_the_collections_provider(store: Store) -> None:
    notes = store.create_collection("notes", embedding=local())
    space = notes.info()["embedding_space"]
    assert space is not None
    assert (space["provider"], space["model"], space["dimensions"]) == ("local", "all-MiniLM-L6-v2", 384)
    ids = notes.upsert(documents=DOCUMENTS)
    stored = notes.get(ids=ids, include=["embeddings"])["embeddings"]
    assert stored is not None
    assert stored == notes.embed(DOCUMENTS), "upsert stores exactly the provider's vectors"
    assert all(vector is not None and len(vector) == 384 for vector in stored)
    # A caller's vector still wins over the provider's.
    own = [1.0] + [0.0] * 383
    notes.upsert(ids=["own"], documents=["a text the model would embed otherwise"], embeddings=[own])
    kept = notes.get(ids=["own"], include=["embeddings"])["embeddings"]
    assert kept is not None and kept[0] == own


def test_query_text_alone_searches_with_its_vector(store: Store) -> None:
    notes = store.create_collection("notes", embedding=local())
    ids = notes.upsert(documents=DOCUMENTS)
    vector = notes.query(query_texts=[DOCUMENTS[2]], n_results=3, mode="vector", include=["distances"])
    assert vector["ids"][0][0] == ids[2], "the text's own chunk is nearest"
    assert vector["distances"] is not None
    distance = vector["distances"][0][0]
    assert distance is not None and abs(distance) < 1e-4
    # Without a mode, text on a collection that embeds searches both legs.
    hybrid = notes.query(query_texts=["compile-time memory safety"], n_results=1, include=["scores"])
    assert hybrid["ids"][0] == [ids[2]]
    keyword = notes.query(query_texts=["markets"], mode="keyword", n_results=3)
    assert keyword["ids"][0] == [ids[1]], "keyword mode stays keyword"


def test_a_reopened_store_embeds_with_the_recorded_model(backend: str, tmp_path: Path) -> None:
    schema = f"t_py_{uuid.uuid4().hex[:16]}"
    first = open_at(backend, tmp_path, schema)
    first.create_collection("notes", embedding=local())
    first.close()
    # Reopened with the store's embedding configuration: the recorded space (local, all-MiniLM-L6-v2)
    # resolves through it, without naming the provider again.
    second = open_at(backend, tmp_path, schema, embedding=local())
    notes = second.get_collection("notes")
    ids = notes.upsert(documents=DOCUMENTS)
    stored = notes.get(ids=ids[:1], include=["embeddings"])["embeddings"]
    assert stored is not None and stored[0] is not None
    assert cosine(stored[0], notes.embed(DOCUMENTS[:1])[0]) > 0.9999
    found = notes.query(query_texts=["the borrow checker"], mode="vector", n_results=1)
    assert found["ids"][0] == [ids[2]]
    # Attached again by name: the provider must make the recorded space.
    again = second.get_or_create_collection("notes", embedding=local())
    assert again.count() == 3
    second.close()


def test_bad_providers_are_refused_naming_the_setting(store: Store) -> None:
    with pytest.raises(brainstore.InvalidInput) as error:
        store.create_collection("a", embedding="cohere")
    assert error.value.field == "embedding.provider"
    with pytest.raises(brainstore.InvalidInput) as error:
        store.create_collection("b", embedding={"provider": "local", "model_path": model_dir(), "api_key": "x"})
    assert "api_key" in str(error.value)
    with pytest.raises(brainstore.InvalidInput) as error:
        store.create_collection("c", embedding=local(), dimensions=3)
    assert error.value.field == "dimensions" and "384" in str(error.value)
    with pytest.raises(brainstore.InvalidInput) as error:
        store.create_collection("d", embedding=local(), provider="local")
    assert error.value.field == "provider"
    with pytest.raises(brainstore.InvalidInput) as error:
        store.create_collection("e", embedding=["local"])  # type: ignore[arg-type]
    assert error.value.field == "embedding"
    plain = store.create_collection("plain", dimensions=3)
    with pytest.raises(brainstore.IncompatibleState) as not_set_up:
        plain.embed(["text"])
    assert not_set_up.value.kind == "not_initialized" and "plain" in str(not_set_up.value)
    with pytest.raises(brainstore.IncompatibleState) as not_set_up:
        plain.query(query_texts=["text"], mode="vector")
    assert not_set_up.value.kind == "not_initialized"
    assert [info["name"] for info in store.list_collections()] == ["plain"], "nothing was created by a refusal"


def test_an_unreachable_openai_server_is_unavailable(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAINSTORE_TEST_OPENAI_KEY", "sk-test")
    provider = {
        "provider": "openai",
        "base_url": "http://127.0.0.1:9/v1",
        "model": "text-embedding-3-small",
        "api_key_env": "BRAINSTORE_TEST_OPENAI_KEY",
        "max_retries": 0,
        "timeout_secs": 2,
    }
    with pytest.raises(brainstore.Unavailable):
        store.create_collection("remote", embedding=provider)
    assert store.list_collections() == []


async def test_the_awaitable_api_embeds_too(backend: str, tmp_path: Path) -> None:
    from .test_aio import open_async

    async with await open_async(backend, tmp_path) as store:
        notes = await store.create_collection("notes", embedding=local())
        ids = await notes.upsert(documents=DOCUMENTS)
        found = await notes.query(query_texts=[DOCUMENTS[0]], mode="vector", n_results=1)
        assert found["ids"][0] == [ids[0]]
        assert len((await notes.embed(["x"]))[0]) == 384


def test_langchain_takes_a_brainstore_provider(store: Store) -> None:
    from brainstore.langchain import BrainstoreVectorStore, CollectionEmbeddings

    vectors = BrainstoreVectorStore(store, local(), collection_name="lc")
    assert isinstance(vectors.embeddings, CollectionEmbeddings)
    vectors.add_texts(DOCUMENTS, metadatas=[{"n": index} for index in range(3)])
    found = vectors.similarity_search("memory safety in systems programming", k=1)
    assert found[0].page_content == DOCUMENTS[2]
    diverse = vectors.max_marginal_relevance_search("a cat by the fire", k=2, fetch_k=3)
    assert diverse[0].page_content == DOCUMENTS[0]


def test_llama_index_takes_a_brainstore_provider(store: Store) -> None:
    from brainstore.llama_index import BrainstoreVectorStore
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import VectorStoreQuery

    vectors = BrainstoreVectorStore(store, collection_name="li", embedding=local())
    nodes = [TextNode(id_=f"n{index}", text=text) for index, text in enumerate(DOCUMENTS)]
    assert vectors.add(nodes) == ["n0", "n1", "n2"]
    result = vectors.query(VectorStoreQuery(query_str="interest rates and the stock market", similarity_top_k=1))
    assert result.ids == ["n1"]


def test_memories_are_remembered_and_recalled_by_text_in_a_provider_space(store: Store) -> None:
    memories = store.memories
    memories.set_space(embedding=local())
    scope = brainstore.Scope("acme", user="ada")
    cat = memories.remember("The cat sleeps on the warm mat by the fire", scope=scope)
    memories.remember("Quarterly revenue grew eight percent", scope=scope)
    assert cat.memory.embedding is not None and len(cat.memory.embedding) == 384
    # No word in common with the cat memory: only its vector can find it.
    hits = memories.recall("acme", "a kitten dozing near the fireplace", limit=1)
    assert [hit.memory.id for hit in hits] == [cat.memory.id]


def test_a_memory_space_naming_a_provider_embeds_with_the_stores_configuration(backend: str, tmp_path: Path) -> None:
    schema = f"t_py_{uuid.uuid4().hex[:16]}"
    with open_at(backend, tmp_path, schema, embedding=local()) as store:
        store.memories.set_space(384, provider="local", model="all-MiniLM-L6-v2")
        outcome = store.memories.remember("Ada prefers dark mode", scope="acme")
        assert outcome.memory.embedding is not None and len(outcome.memory.embedding) == 384


def test_set_space_needs_dimensions_or_a_provider(store: Store) -> None:
    with pytest.raises(brainstore.InvalidInput) as error:
        store.memories.set_space()
    assert error.value.field == "dimensions"
    with pytest.raises(brainstore.InvalidInput) as error:
        store.memories.set_space(embedding=local(), model="other")
    assert error.value.field == "provider"
