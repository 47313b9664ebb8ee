"""Collections through the blocking API, on every backend: Chroma's operations with brainstore's rules."""

from __future__ import annotations

import uuid

import brainstore
import pytest
from brainstore import Collection, Store

AXES = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def filled(store: Store) -> Collection:
    docs = store.create_collection("docs", dimensions=3)
    docs.upsert(
        ids=["rust", "python", "go"],
        documents=["Rust ownership and borrowing", "Python packaging with pip", "Go channels and goroutines"],
        metadatas=[{"lang": "rust", "year": 2015}, {"lang": "python", "year": 1991}, {"lang": "go", "year": 2009}],
        embeddings=AXES,
    )
    return docs


def test_upsert_without_ids_returns_generated_uuid7_ids(store: Store) -> None:
    docs = store.create_collection("docs", dimensions=3)
    ids = docs.upsert(documents=["a", "b"], embeddings=AXES[:2])
    assert len(ids) == 2 and all(uuid.UUID(identifier).version == 7 for identifier in ids)
    assert docs.get(ids=ids)["documents"] == ["a", "b"]
    assert docs.count() == 2


def test_query_modes_rank_the_matching_chunk_first(store: Store) -> None:
    docs = filled(store)
    vector = docs.query(query_embeddings=[[0.9, 0.1, 0.0]], n_results=2)
    assert vector["ids"] == [["rust", "python"]]
    keyword = docs.query(query_texts=["goroutines"], n_results=3)
    assert keyword["ids"] == [["go"]]
    hybrid = docs.query(query_texts=["pip"], query_embeddings=[[0.0, 1.0, 0.0]], n_results=1)
    assert hybrid["ids"] == [["python"]]
    scores = vector["scores"]
    assert scores is not None and all(0.0 <= score <= 1.0 for score in scores[0])
    assert scores[0][0] > scores[0][1]
    assert vector["distances"] is not None and vector["embeddings"] is None


def test_keyword_match_all_keeps_only_chunks_with_every_word(store: Store) -> None:
    docs = filled(store)
    any_word = docs.query(query_texts=["rust channels"], n_results=3)
    assert sorted(any_word["ids"][0]) == ["go", "rust"], "any word matches by default"
    assert docs.query(query_texts=["rust channels"], match="any", n_results=3) == any_word
    assert docs.query(query_texts=["rust channels"], match="all", n_results=3)["ids"] == [[]]
    assert docs.query(query_texts=["rust borrowing"], match="all", n_results=3)["ids"] == [["rust"]]
    with pytest.raises(brainstore.InvalidInput) as error:
        docs.query(query_texts=["rust"], match="most")  # type: ignore[arg-type]
    assert error.value.field == "match"


def test_query_returns_vectors_when_included(store: Store) -> None:
    docs = filled(store)
    result = docs.query(query_embeddings=[AXES[2]], n_results=3, include=["embeddings", "documents"])
    assert result["ids"][0][0] == "go"
    assert result["embeddings"] is not None and result["embeddings"][0][0] == AXES[2]
    assert result["metadatas"] is None


def test_several_queries_answer_in_order(store: Store) -> None:
    docs = filled(store)
    result = docs.query(query_embeddings=AXES, n_results=1)
    assert result["ids"] == [["rust"], ["python"], ["go"]]


def test_where_filters_apply_before_ranking(store: Store) -> None:
    docs = filled(store)
    result = docs.query(query_embeddings=[AXES[0]], n_results=3, where={"year": {"$gt": 2000}})
    assert set(result["ids"][0]) == {"rust", "go"}
    assert docs.count(where={"lang": {"$in": ["go", "python"]}}) == 2
    document = docs.query(query_embeddings=[AXES[0]], where_document={"$contains": "pip"})
    assert document["ids"] == [["python"]]


def test_get_by_ids_keeps_request_order_and_skips_missing(store: Store) -> None:
    docs = filled(store)
    got = docs.get(ids=["go", "missing", "rust", ".."], include=["documents", "metadatas", "embeddings"])
    assert got["ids"] == ["go", "rust"]
    assert got["documents"] == ["Go channels and goroutines", "Rust ownership and borrowing"]
    assert got["metadatas"] == [{"lang": "go", "year": 2009}, {"lang": "rust", "year": 2015}]
    assert got["embeddings"] == [AXES[2], AXES[0]]
    plain = docs.get(ids=["go"])
    assert plain["embeddings"] is None, "vectors only when asked for"


def test_get_by_filter_pages_in_id_order(store: Store) -> None:
    docs = filled(store)
    assert docs.get(limit=2)["ids"] == ["go", "python"]
    assert docs.get(limit=2, offset=2)["ids"] == ["rust"]
    assert docs.get(where={"lang": "rust"})["ids"] == ["rust"]


def test_delete_by_ids_or_filter_and_delete_all_keeps_the_space(store: Store) -> None:
    docs = filled(store)
    assert docs.delete(ids=["go", "missing"]) == 1
    assert docs.delete(where={"lang": "python"}) == 1
    assert docs.delete_all() == 1
    assert docs.count() == 0
    space = docs.info()["embedding_space"]
    assert space is not None and space["dimensions"] == 3
    docs.upsert(ids=["again"], embeddings=[AXES[0]])
    assert docs.query(query_embeddings=[AXES[0]], n_results=1)["ids"] == [["again"]]


def test_errors_carry_the_rust_fields(store: Store) -> None:
    docs = filled(store)
    with pytest.raises(brainstore.InvalidInput) as invalid:
        docs.delete(where={})
    assert invalid.value.field == "where"
    with pytest.raises(brainstore.IncompatibleState) as mismatch:
        docs.upsert(ids=["x"], embeddings=[[1.0, 2.0]])
    assert mismatch.value.kind == "dimension_mismatch"
    assert (mismatch.value.stored, mismatch.value.given) == (3, 2)
    with pytest.raises(brainstore.InvalidInput) as nan:
        docs.upsert(ids=["x"], embeddings=[[1.0, float("nan"), 0.0]])
    assert nan.value.field == "embeddings[0][1]"
    with pytest.raises(brainstore.InvalidInput) as lengths:
        docs.upsert(ids=["a", "b"], documents=["only one"])
    assert lengths.value.field == "documents"
    with pytest.raises(brainstore.InvalidInput) as include:
        docs.get(include=["documents", "distance"])  # type: ignore[list-item]
    assert include.value.field == "include[1]"
    with pytest.raises(brainstore.InvalidInput) as where:
        docs.count(where={"year": {"$near": 3}})
    assert where.value.field.startswith("where")
    with pytest.raises(brainstore.NotFound):
        store.get_collection("missing")
    with pytest.raises(brainstore.Conflict):
        store.create_collection("docs", dimensions=3)
    with pytest.raises(brainstore.IncompatibleState) as model:
        store.get_or_create_collection("docs", dimensions=4)
    assert model.value.kind == "dimension_mismatch"
    assert docs.count() == 3, "nothing was written by the failed calls"


def test_collection_info_has_the_keys_its_type_declares(store: Store) -> None:
    docs = filled(store)
    docs.upsert(ids=["text-only"], documents=["no vector here"])
    info = docs.info()
    assert set(info) == set(brainstore.CollectionInfo.__annotations__)
    assert (info["count"], info["embedded_count"]) == (4, 3)
    assert info["vector_index"] in ("not_needed", "ready", "missing")
    assert set(info["bm25"]) == {"k1", "b"}
    assert store.list_collections() == [info]


def test_collections_are_listed_and_dropped(store: Store) -> None:
    filled(store)
    store.get_or_create_collection("notes")
    names = [info["name"] for info in store.list_collections()]
    assert names == ["docs", "notes"]
    assert store.delete_collection("notes") is True
    assert store.delete_collection("notes") is False


def test_inner_product_scores_keep_ranking_large_products(store: Store) -> None:
    docs = store.create_collection("ip", dimensions=2, metric="inner_product")
    docs.upsert(ids=["three", "two"], embeddings=[[3.0, 0.0], [2.0, 0.0]])
    result = docs.query(query_embeddings=[[1.0, 0.0]], n_results=2)
    assert result["ids"] == [["three", "two"]]
    scores = result["scores"]
    assert scores is not None and 1.0 > scores[0][0] > scores[0][1]
