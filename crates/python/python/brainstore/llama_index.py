"""``BrainstoreVectorStore``: a LlamaIndex vector store on a brainstore collection.

Needs ``llama-index-core`` (``pip install "brainstore[llama-index]"``)::

    from llama_index.core import StorageContext, VectorStoreIndex
    from brainstore.llama_index import BrainstoreVectorStore

    vector_store = BrainstoreVectorStore(brainstore.open(".brainstore"), collection_name="docs")
    index = VectorStoreIndex.from_documents(documents, storage_context=StorageContext.from_defaults(
        vector_store=vector_store))

Nodes are stored as chunks: the node id is the chunk id, the node text the chunk text, and the node's
metadata plus LlamaIndex's own fields (``_node_content``, ``ref_doc_id``) the chunk metadata. Queries run in
``default`` (vector), ``hybrid`` (vector and BM25 fused; ``alpha`` weighs the vector leg), ``text_search``
/ ``sparse`` (BM25 only) and ``mmr`` mode. ``MetadataFilters`` become brainstore ``where`` filters, applied
before ranking, so a filtered query returns ``similarity_top_k`` nodes whenever that many match.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.indices.query.embedding_utils import get_top_k_mmr_embeddings
from llama_index.core.schema import BaseNode
from llama_index.core.vector_stores.types import (
    BasePydanticVectorStore,
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
    VectorStoreQuery,
    VectorStoreQueryMode,
    VectorStoreQueryResult,
)
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

from brainstore._sync import Collection, Store
from brainstore.aio import AsyncCollection
from brainstore.errors import IncompatibleState, InvalidInput
from brainstore.types import EmbeddingProvider, GetResult, QueryResult, SearchMode, Where

_COMPARISONS = {
    FilterOperator.EQ: "$eq",
    FilterOperator.NE: "$ne",
    FilterOperator.GT: "$gt",
    FilterOperator.GTE: "$gte",
    FilterOperator.LT: "$lt",
    FilterOperator.LTE: "$lte",
    FilterOperator.IN: "$in",
    FilterOperator.NIN: "$nin",
    FilterOperator.CONTAINS: "$contains",
    FilterOperator.TEXT_MATCH: "$contains",
}


def _filter(item: MetadataFilter) -> Where:
    operator = FilterOperator(item.operator)
    if operator in _COMPARISONS:
        return {item.key: {_COMPARISONS[operator]: item.value}}
    values = item.value if isinstance(item.value, list) else [item.value]
    if operator == FilterOperator.ANY:
        return {"$or": [{item.key: {"$contains": value}} for value in values]}
    if operator == FilterOperator.ALL:
        return {"$and": [{item.key: {"$contains": value}} for value in values]}
    if operator == FilterOperator.IS_EMPTY:
        return {"$or": [{item.key: {"$exists": False}}, {item.key: {"$in": [""]}}]}
    raise InvalidInput(
        f"filters: the {operator.value} operator has no brainstore equivalent",
        field="filters",
        reason=f"the {operator.value} operator has no brainstore equivalent",
    )


def to_where(filters: MetadataFilters | None) -> Where | None:
    """LlamaIndex ``MetadataFilters`` as a brainstore ``where`` filter (``None`` for no filter)."""
    if filters is None or not filters.filters:
        return None
    parts = [to_where(item) if isinstance(item, MetadataFilters) else _filter(item) for item in filters.filters]
    clauses = [part for part in parts if part is not None]
    condition = FilterCondition(filters.condition or FilterCondition.AND)
    if condition == FilterCondition.NOT:
        return {"$not": {"$and": clauses}} if len(clauses) > 1 else {"$not": clauses[0]}
    if len(clauses) == 1:
        return clauses[0]
    return {"$or" if condition == FilterCondition.OR else "$and": clauses}


def _mode(query: VectorStoreQuery) -> SearchMode:
    mode = VectorStoreQueryMode(query.mode)
    if mode == VectorStoreQueryMode.HYBRID:
        return "hybrid"
    if mode in (VectorStoreQueryMode.TEXT_SEARCH, VectorStoreQueryMode.SPARSE):
        return "keyword"
    if mode in (VectorStoreQueryMode.DEFAULT, VectorStoreQueryMode.MMR):
        return "vector"
    raise InvalidInput(
        f"mode: {mode.value} queries are not supported; use default, hybrid, text_search, sparse or mmr",
        field="mode",
        reason=f"{mode.value} queries are not supported",
    )


class BrainstoreVectorStore(BasePydanticVectorStore):
    """LlamaIndex nodes in one brainstore collection (embedded or PostgreSQL)."""

    stores_text: bool = True
    flat_metadata: bool = False
    collection_name: str

    _store: Store = PrivateAttr()
    _collection: Collection = PrivateAttr()
    _async_collection: AsyncCollection = PrivateAttr()
    _metric: str | None = PrivateAttr(default=None)
    _embeds: bool = PrivateAttr(default=False)

    def __init__(
        self,
        store: Store,
        collection_name: str = "llama_index",
        metric: str | None = None,
        embedding: EmbeddingProvider | None = None,
    ) -> None:
        """``embedding`` gives the collection a brainstore embedding provider (``"local"`` or a provider dict):
        nodes added without embeddings are embedded by it, and a query with text but no embedding searches
        with the text's vector."""
        super().__init__(stores_text=True, collection_name=collection_name)
        store.get_or_create_collection(collection_name, metric=metric if embedding else None, embedding=embedding)
        self._store = store
        self._metric = metric
        self._embeds = embedding is not None
        self._collection = Collection(store._documents, collection_name)
        self._async_collection = AsyncCollection(store._documents, collection_name)

    @classmethod
    def class_name(cls) -> str:
        return "BrainstoreVectorStore"

    @property
    def client(self) -> Store:
        """The brainstore ``Store``."""
        return self._store

    # Writing ------------------------------------------------------------------------------------------

    def _columns(self, nodes: Sequence[BaseNode]) -> dict[str, Any]:
        # With a provider, a node without an embedding is embedded by the store; without, it must carry one.
        embeddings = [node.embedding if self._embeds else node.get_embedding() for node in nodes]
        if embeddings and embeddings[0] is not None and self._collection.info()["embedding_space"] is None:
            self._store.get_or_create_collection(
                self.collection_name, dimensions=len(embeddings[0]), metric=self._metric
            )
        return {
            "ids": [node.node_id for node in nodes],
            "documents": [node.get_content() for node in nodes],
            "metadatas": [
                node_to_metadata_dict(node, remove_text=True, flat_metadata=self.flat_metadata) for node in nodes
            ],
            "embeddings": embeddings,
        }

    def add(self, nodes: Sequence[BaseNode], **add_kwargs: Any) -> list[str]:
        """Upserts the nodes (with their embeddings) in one atomic batch; returns their ids."""
        if not nodes:
            return []
        return self._collection.upsert(**self._columns(nodes))

    async def async_add(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[str]:
        if not nodes:
            return []
        return await self._async_collection.upsert(**self._columns(nodes))

    def delete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        """Deletes every node of the source document ``ref_doc_id``."""
        self._collection.delete(where={"ref_doc_id": ref_doc_id})

    async def adelete(self, ref_doc_id: str, **delete_kwargs: Any) -> None:
        await self._async_collection.delete(where={"ref_doc_id": ref_doc_id})

    def delete_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None, **delete_kwargs: Any
    ) -> None:
        """Deletes nodes by id and/or filters (with both: the named nodes that match)."""
        where = to_where(filters)
        if node_ids is not None and where is not None:
            node_ids = self._collection.get(ids=node_ids, where=where, include=[])["ids"]
            where = None
        if node_ids is not None:
            self._collection.delete(ids=node_ids)
        elif where is not None:
            self._collection.delete(where=where)

    async def adelete_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None, **delete_kwargs: Any
    ) -> None:
        where = to_where(filters)
        if node_ids is not None and where is not None:
            node_ids = (await self._async_collection.get(ids=node_ids, where=where, include=[]))["ids"]
            where = None
        if node_ids is not None:
            await self._async_collection.delete(ids=node_ids)
        elif where is not None:
            await self._async_collection.delete(where=where)

    def clear(self) -> None:
        """Deletes every node; the collection and its dimensions stay."""
        self._collection.delete_all()

    async def aclear(self) -> None:
        await self._async_collection.delete_all()

    # Reading ------------------------------------------------------------------------------------------

    @staticmethod
    def _nodes(result: GetResult) -> list[BaseNode]:
        texts = result["documents"] or [""] * len(result["ids"])
        metadatas = result["metadatas"] or [{}] * len(result["ids"])
        embeddings = result["embeddings"] or [None] * len(result["ids"])
        nodes = []
        for text, metadata, embedding in zip(texts, metadatas, embeddings, strict=True):
            node = metadata_dict_to_node(metadata, text=text)
            node.embedding = embedding
            nodes.append(node)
        return nodes

    def get_nodes(self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None) -> list[BaseNode]:
        """Nodes by id and/or filters, with their embeddings (in the order of ``node_ids`` when given)."""
        return self._nodes(
            self._collection.get(
                ids=node_ids, where=to_where(filters), include=["documents", "metadatas", "embeddings"]
            )
        )

    async def aget_nodes(
        self, node_ids: list[str] | None = None, filters: MetadataFilters | None = None
    ) -> list[BaseNode]:
        return self._nodes(
            await self._async_collection.get(
                ids=node_ids, where=to_where(filters), include=["documents", "metadatas", "embeddings"]
            )
        )

    def _query_args(self, query: VectorStoreQuery) -> dict[str, Any]:
        if query.node_ids:
            raise InvalidInput(
                "node_ids: restricting a query to node ids is not supported; filter by metadata or doc_ids",
                field="node_ids",
                reason="restricting a query to node ids is not supported",
            )
        mode = _mode(query)
        where = to_where(query.filters)
        if query.doc_ids:
            doc_filter: Where = {"ref_doc_id": {"$in": list(query.doc_ids)}}
            where = doc_filter if where is None else {"$and": [where, doc_filter]}
        mmr = VectorStoreQueryMode(query.mode) == VectorStoreQueryMode.MMR
        fusion = None
        if mode == "hybrid" and query.alpha is not None:
            fusion = {"vector_weight": query.alpha, "keyword_weight": 1.0 - query.alpha}
        top_k = query.hybrid_top_k if mode == "hybrid" and query.hybrid_top_k else query.similarity_top_k
        return {
            "query_texts": [query.query_str]
            if query.query_str is not None and (mode != "vector" or (self._embeds and not query.query_embedding))
            else None,
            "query_embeddings": [query.query_embedding] if mode != "keyword" and query.query_embedding else None,
            "n_results": max(top_k, 1) * (4 if mmr else 1),
            "where": where,
            "mode": mode,
            "fusion": fusion,
            "include": ["documents", "metadatas", "scores", *(["embeddings"] if mmr else [])],
        }

    def _result(self, query: VectorStoreQuery, result: QueryResult) -> VectorStoreQueryResult:
        ids = result["ids"][0]
        nodes = [
            metadata_dict_to_node(metadata, text=text)
            for metadata, text in zip(
                result["metadatas"][0] if result["metadatas"] else [{}] * len(ids),
                result["documents"][0] if result["documents"] else [""] * len(ids),
                strict=True,
            )
        ]
        scores = list(result["scores"][0]) if result["scores"] else [0.0] * len(ids)
        if VectorStoreQueryMode(query.mode) == VectorStoreQueryMode.MMR and query.query_embedding:
            embeddings = result["embeddings"][0] if result["embeddings"] else []
            chosen_scores, chosen = get_top_k_mmr_embeddings(
                query.query_embedding,
                [embedding or [] for embedding in embeddings],
                similarity_top_k=query.similarity_top_k,
                embedding_ids=list(range(len(ids))),
                mmr_threshold=query.mmr_threshold,
            )
            nodes, ids, scores = [nodes[i] for i in chosen], [ids[i] for i in chosen], list(chosen_scores)
        return VectorStoreQueryResult(nodes=nodes, similarities=scores, ids=ids)

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        """The best nodes for the query; similarities are brainstore scores in [0, 1], higher is better."""
        try:
            return self._result(query, self._collection.query(**self._query_args(query)))
        except IncompatibleState as error:
            if getattr(error, "kind", None) == "not_initialized":  # no embedding stored yet
                return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
            raise

    async def aquery(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        try:
            return self._result(query, await self._async_collection.query(**self._query_args(query)))
        except IncompatibleState as error:
            if getattr(error, "kind", None) == "not_initialized":
                return VectorStoreQueryResult(nodes=[], similarities=[], ids=[])
            raise


__all__ = ["BrainstoreVectorStore", "to_where"]
