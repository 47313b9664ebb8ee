"""The LlamaIndex vector store on every backend: add, query (filters, hybrid, text search, MMR), get_nodes, delete."""

from __future__ import annotations

from brainstore import Store
from brainstore.llama_index import BrainstoreVectorStore
from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
)


def node(node_id: str, text: str, embedding: list[float], document: str, **metadata: object) -> TextNode:
    return TextNode(
        id_=node_id,
        text=text,
        embedding=embedding,
        metadata=dict(metadata),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=document)},
    )


NODES = [
    node("n1", "tokio runtime internals", [1.0, 0.0, 0.0], "doc-rust", lang="rust", year=2021),
    node("n2", "borrow checker rules", [0.9, 0.1, 0.0], "doc-rust", lang="rust", year=2015),
    node("n3", "asyncio event loop", [0.0, 1.0, 0.0], "doc-python", lang="python", year=2014),
    node("n4", "goroutine scheduler", [0.0, 0.0, 1.0], "doc-go", lang="go", year=2012),
]


def filled(store: Store) -> BrainstoreVectorStore:
    vector_store = BrainstoreVectorStore(store, collection_name="nodes")
    assert vector_store.add(NODES) == ["n1", "n2", "n3", "n4"]
    return vector_store


def test_query_ranks_by_vector_and_returns_whole_nodes(store: Store) -> None:
    vector_store = filled(store)
    result = vector_store.query(VectorStoreQuery(query_embedding=[1.0, 0.05, 0.0], similarity_top_k=2))
    assert result.ids == ["n1", "n2"]
    assert result.nodes is not None and result.nodes[0].get_content() == "tokio runtime internals"
    assert result.nodes[0].metadata == {"lang": "rust", "year": 2021}
    assert result.nodes[0].ref_doc_id == "doc-rust"
    assert result.similarities is not None and result.similarities[0] >= result.similarities[1]


def test_metadata_filters_become_where_filters(store: Store) -> None:
    vector_store = filled(store)
    filters = MetadataFilters(
        filters=[
            MetadataFilter(key="lang", value="rust"),
            MetadataFilter(key="year", value=2016, operator=FilterOperator.GT),
        ]
    )
    query = VectorStoreQuery(query_embedding=[0.0, 0.0, 1.0], similarity_top_k=4, filters=filters)
    assert vector_store.query(query).ids == ["n1"]
    either = MetadataFilters(
        filters=[MetadataFilter(key="lang", value="go"), MetadataFilter(key="year", value=2014)],
        condition=FilterCondition.OR,
    )
    assert sorted(
        vector_store.query(VectorStoreQuery(query_embedding=[1.0, 0.0, 0.0], similarity_top_k=4, filters=either)).ids
        or []
    ) == ["n3", "n4"]
    listed = vector_store.get_nodes(
        filters=MetadataFilters(
            filters=[MetadataFilter(key="lang", value=["go", "python"], operator=FilterOperator.IN)]
        )
    )
    assert [n.node_id for n in listed] == ["n3", "n4"]


def test_hybrid_and_text_search_use_the_keyword_index(store: Store) -> None:
    vector_store = filled(store)
    text = VectorStoreQuery(query_str="scheduler", similarity_top_k=4, mode=VectorStoreQueryMode.TEXT_SEARCH)
    assert vector_store.query(text).ids == ["n4"]
    hybrid = VectorStoreQuery(
        query_str="scheduler",
        query_embedding=[1.0, 0.0, 0.0],
        similarity_top_k=1,
        mode=VectorStoreQueryMode.HYBRID,
        alpha=0.2,
    )
    assert vector_store.query(hybrid).ids == ["n4"], "alpha 0.2 weighs the keyword leg more"


def test_mmr_passes_over_near_duplicates(store: Store) -> None:
    vector_store = filled(store)
    query = VectorStoreQuery(
        query_embedding=[1.0, 0.0, 0.0], similarity_top_k=2, mode=VectorStoreQueryMode.MMR, mmr_threshold=0.1
    )
    ids = vector_store.query(query).ids
    assert ids is not None and ids[0] == "n1" and ids[1] != "n2"


def test_get_nodes_delete_and_clear(store: Store) -> None:
    vector_store = filled(store)
    got = vector_store.get_nodes(node_ids=["n3", "n1"])
    assert [n.node_id for n in got] == ["n3", "n1"] and got[0].embedding == [0.0, 1.0, 0.0]
    vector_store.delete("doc-rust")
    assert [n.node_id for n in vector_store.get_nodes()] == ["n3", "n4"]
    vector_store.delete_nodes(node_ids=["n3"])
    assert [n.node_id for n in vector_store.get_nodes()] == ["n4"]
    vector_store.clear()
    assert vector_store.get_nodes() == []
    assert vector_store.query(VectorStoreQuery(query_embedding=[1.0, 0.0, 0.0], similarity_top_k=1)).ids == []


async def test_async_methods(store: Store) -> None:
    vector_store = BrainstoreVectorStore(store, collection_name="nodes_async")
    assert await vector_store.async_add(NODES) == ["n1", "n2", "n3", "n4"]
    result = await vector_store.aquery(VectorStoreQuery(query_embedding=[0.0, 1.0, 0.0], similarity_top_k=1))
    assert result.ids == ["n3"]
    await vector_store.adelete("doc-python")
    assert [n.node_id for n in await vector_store.aget_nodes()] == ["n1", "n2", "n4"]
    await vector_store.aclear()
    assert await vector_store.aget_nodes() == []
