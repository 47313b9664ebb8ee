//! `NativeDocuments`: collections and their chunks (`DocumentStore`), Chroma's operations over core's requests.

use std::collections::HashMap;
use std::sync::Arc;

use embed::ConfiguredResolver;
use pyo3::prelude::*;
use serde::Serialize;
use storage_core::{
    ChunkColumns, CollectionName, DocumentStore, EmbedderResolver, Embedding, FusionSettings, GetRequest, Include,
    SearchHit, SearchMode, SearchRequest, StorageError, Uninitialized, check_embedder, hit_embeddings,
};

use crate::call::run_serialized;
use crate::convert::{document_filter, embedding, filter, from_python, metadata};
use crate::embedding::SpaceRequest;
use crate::errors::to_py_err;

/// The document store of an open store (wrapped by `resolver`: text without a vector is embedded).
#[pyclass(frozen, module = "brainstore._native")]
pub(crate) struct NativeDocuments {
    store: Arc<dyn DocumentStore>,
    resolver: Arc<ConfiguredResolver>,
}

impl NativeDocuments {
    pub(crate) fn new(store: Arc<dyn DocumentStore>, resolver: Arc<ConfiguredResolver>) -> Self {
        NativeDocuments { store, resolver }
    }
}

/// A search hit with its vector, when the caller asked for vectors (for max-marginal-relevance).
#[derive(Serialize)]
struct HitWithEmbedding {
    #[serde(flatten)]
    hit: SearchHit,
    #[serde(skip_serializing_if = "Option::is_none")]
    embedding: Option<Embedding>,
}

fn collection_name(name: &str) -> Result<CollectionName, StorageError> {
    CollectionName::new(name).map_err(|error| error.within("name"))
}

/// Converts with the GIL held, before the store call; an error becomes the matching Python exception.
fn checked<T>(py: Python<'_>, value: Result<T, StorageError>) -> PyResult<T> {
    value.map_err(|error| to_py_err(py, &error))
}

#[pymethods]
impl NativeDocuments {
    /// Creates the collection (with an embedding space when `dimensions` or `embedding` is given); with
    /// `exist_ok`, an existing one with a compatible space is returned, without it an existing one is a
    /// `Conflict`. `embedding` names a provider (see [`embedding_config`]): it is connected first (a local
    /// model loads), its model and dimensions become the recorded space, and the collection embeds with it.
    #[pyo3(signature = (name, *, dimensions = None, metric = None, provider = None, model = None, embedding = None, exist_ok = true, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn create_collection(
        &self,
        py: Python<'_>,
        name: &str,
        dimensions: Option<u32>,
        metric: Option<&str>,
        provider: Option<String>,
        model: Option<String>,
        embedding: Option<Bound<'_, PyAny>>,
        exist_ok: bool,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = (|| -> Result<(CollectionName, SpaceRequest), StorageError> {
            Ok((collection_name(name)?, SpaceRequest::parse(dimensions, metric, provider, model, embedding.as_ref())?))
        })();
        let (name, request) = checked(py, request)?;
        let store = self.store.clone();
        let resolver = self.resolver.clone();
        run_serialized(py, aio, async move {
            let space = request.resolve(&resolver).await?;
            if !exist_ok && store.collection(&name).await?.is_some() {
                return Err(StorageError::Conflict { reason: format!("collection `{name}` already exists") });
            }
            store.create_collection(&name, space.as_ref()).await
        })
    }

    /// The collection's info, or `None`.
    #[pyo3(signature = (name, *, aio = false))]
    fn get_collection(&self, py: Python<'_>, name: &str, aio: bool) -> PyResult<Py<PyAny>> {
        let name = checked(py, collection_name(name))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.collection(&name).await })
    }

    /// Every collection.
    #[pyo3(signature = (*, aio = false))]
    fn list_collections(&self, py: Python<'_>, aio: bool) -> PyResult<Py<PyAny>> {
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.list_collections().await })
    }

    /// Drops the collection and its chunks; returns whether it existed.
    #[pyo3(signature = (name, *, aio = false))]
    fn drop_collection(&self, py: Python<'_>, name: &str, aio: bool) -> PyResult<Py<PyAny>> {
        let name = checked(py, collection_name(name))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.drop_collection(&name).await })
    }

    /// Upserts one batch given column-wise; returns the ids (generated where `ids` is `None`).
    #[pyo3(signature = (name, *, ids = None, documents = None, metadatas = None, embeddings = None, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn upsert(
        &self,
        py: Python<'_>,
        name: &str,
        ids: Option<Vec<String>>,
        documents: Option<Vec<String>>,
        metadatas: Option<Vec<Bound<'_, PyAny>>>,
        embeddings: Option<Vec<Option<Vec<f64>>>>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let batch = (|| -> Result<(CollectionName, ChunkColumns), StorageError> {
            let metadatas = metadatas
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .map(|(idx, item)| metadata(Some(item), &format!("metadatas[{idx}]")))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?;
            let embeddings = embeddings
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .map(|(idx, item)| {
                            item.as_deref().map(|values| embedding(values, &format!("embeddings[{idx}]"))).transpose()
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?;
            Ok((collection_name(name)?, ChunkColumns { ids, documents, metadatas, embeddings }))
        })();
        let (name, columns) = checked(py, batch)?;
        let (ids, chunks) = checked(py, columns.into_chunks())?;
        let store = self.store.clone();
        run_serialized(py, aio, async move {
            store.upsert(&name, chunks).await?;
            Ok(ids)
        })
    }

    /// One query; the mode is inferred from the inputs when `mode` is `None`. `match` (`any`, `all`) says
    /// how the keyword leg's words combine.
    #[pyo3(signature = (name, *, text = None, embedding = None, mode = None, r#match = None, n_results = 10, r#where = None, where_document = None, min_score = None, fusion = None, explain = false, include = None, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn query(
        &self,
        py: Python<'_>,
        name: &str,
        text: Option<String>,
        embedding: Option<Vec<f64>>,
        mode: Option<&str>,
        r#match: Option<&str>,
        n_results: usize,
        r#where: Option<Bound<'_, PyAny>>,
        where_document: Option<Bound<'_, PyAny>>,
        min_score: Option<f32>,
        fusion: Option<Bound<'_, PyAny>>,
        explain: bool,
        include: Option<Vec<String>>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = (|| -> Result<(CollectionName, SearchRequest, bool), StorageError> {
            let include_embeddings = Include::parse_query(&include.unwrap_or_default())?.embedding;
            let embedding =
                embedding.as_deref().map(|values| crate::convert::embedding(values, "embedding")).transpose()?;
            // Without a mode, the mode the inputs allow; text alone is re-inferred below when the collection
            // embeds it.
            let mode = match mode {
                Some(mode) => mode.parse::<SearchMode>()?,
                None => SearchMode::for_inputs(text.is_some(), embedding.is_some()),
            };
            let mut request = SearchRequest::with_mode(mode, text, embedding).top_k(n_results).explain(explain);
            request.min_score = min_score;
            if let Some(keyword_match) = r#match {
                request.keyword_match = keyword_match.parse()?;
            }
            request.filter = filter(r#where.as_ref())?;
            request.document_filter = document_filter(where_document.as_ref())?;
            if let Some(fusion) = fusion.as_ref().filter(|fusion| !fusion.is_none()) {
                request.fusion = from_python::<FusionSettings>(fusion, "fusion")?;
            }
            Ok((collection_name(name)?, request, include_embeddings))
        })();
        let (name, mut request, include_embeddings) = checked(py, request)?;
        let mode_given = mode.is_some();
        let store = self.store.clone();
        run_serialized(py, aio, async move {
            // Text alone on a collection whose space names a provider searches both legs, as Chroma's
            // `query_texts` searches by the text's vector; the store embeds the text.
            if !mode_given
                && request.embedding.is_none()
                && request.text.is_some()
                && store.embedding_space(&name).await?.is_some_and(|space| space.names_provider())
            {
                request.mode = SearchMode::Hybrid;
            }
            let hits = store.search(&name, &request).await?;
            let mut vectors =
                if include_embeddings { hit_embeddings(store.as_ref(), &name, &hits).await? } else { HashMap::new() };
            Ok(hits
                .into_iter()
                .map(|hit| HitWithEmbedding { embedding: vectors.remove(&hit.id), hit })
                .collect::<Vec<_>>())
        })
    }

    /// Chunks by ids and/or filters, with the parts `include` names.
    #[pyo3(signature = (name, *, ids = None, r#where = None, where_document = None, limit = None, offset = 0, include = None, aio = false))]
    #[allow(clippy::too_many_arguments)] // keyword-only arguments of one Python method
    fn get(
        &self,
        py: Python<'_>,
        name: &str,
        ids: Option<Vec<String>>,
        r#where: Option<Bound<'_, PyAny>>,
        where_document: Option<Bound<'_, PyAny>>,
        limit: Option<usize>,
        offset: usize,
        include: Option<Vec<String>>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let request = (|| -> Result<(CollectionName, GetRequest), StorageError> {
            let include = include.map(|names| Include::parse(&names)).transpose()?.unwrap_or_default();
            let request = GetRequest {
                ids,
                filter: filter(r#where.as_ref())?,
                document_filter: document_filter(where_document.as_ref())?,
                limit,
                offset,
                include,
            };
            request.validate()?;
            Ok((collection_name(name)?, request))
        })();
        let (name, request) = checked(py, request)?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.get_many(&name, &request).await })
    }

    /// Deletes by ids, or by a non-empty filter; returns how many chunks were deleted.
    #[pyo3(signature = (name, *, ids = None, r#where = None, aio = false))]
    fn delete(
        &self,
        py: Python<'_>,
        name: &str,
        ids: Option<Vec<String>>,
        r#where: Option<Bound<'_, PyAny>>,
        aio: bool,
    ) -> PyResult<Py<PyAny>> {
        let target = (|| -> Result<(CollectionName, Option<storage_core::Filter>), StorageError> {
            let filter = filter(r#where.as_ref())?;
            if ids.is_some() == filter.is_some() {
                return Err(StorageError::invalid(
                    "ids",
                    "give either ids or where (use delete_all to empty a collection)",
                ));
            }
            if let Some(filter) = &filter {
                filter.check_deletable()?;
            }
            Ok((collection_name(name)?, filter))
        })();
        let (name, filter) = checked(py, target)?;
        let store = self.store.clone();
        run_serialized(py, aio, async move {
            match (ids, filter) {
                (Some(ids), _) => store.delete_ids(&name, &ids).await,
                (None, Some(filter)) => store.delete_where(&name, &filter).await,
                (None, None) => Ok(0),
            }
        })
    }

    /// Deletes every chunk and keeps the collection and its embedding space; returns how many.
    #[pyo3(signature = (name, *, aio = false))]
    fn delete_all(&self, py: Python<'_>, name: &str, aio: bool) -> PyResult<Py<PyAny>> {
        let name = checked(py, collection_name(name))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.delete_all(&name).await })
    }

    /// The vectors the collection's embedding provider gives `texts` (what `upsert` stores for them), for
    /// callers that need vectors in hand, such as LangChain's `Embeddings` and max-marginal relevance.
    #[pyo3(signature = (name, texts, *, aio = false))]
    fn embed(&self, py: Python<'_>, name: &str, texts: Vec<String>, aio: bool) -> PyResult<Py<PyAny>> {
        let name = checked(py, collection_name(name))?;
        let store = self.store.clone();
        let resolver = self.resolver.clone();
        run_serialized(py, aio, async move {
            let space = store.embedding_space(&name).await?;
            let Some(space) = space.clone().filter(storage_core::EmbeddingSpace::names_provider) else {
                let recorded = space.map_or_else(|| "none recorded".to_owned(), |space| space.describe());
                return Err(StorageError::NotInitialized {
                    what: Uninitialized::EmbeddingProvider { space: format!("of collection `{name}` ({recorded})") },
                    detail: Some(
                        "create the collection with embedding=\"local\" (or a provider dict), or pass vectors yourself"
                            .into(),
                    ),
                });
            };
            let embedder = resolver.resolve(&space).await?;
            check_embedder(&name, &space, embedder.as_ref())?;
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            embedder.embed(&texts).await
        })
    }

    /// How many chunks match `where` (all of them without).
    #[pyo3(signature = (name, *, r#where = None, aio = false))]
    fn count(&self, py: Python<'_>, name: &str, r#where: Option<Bound<'_, PyAny>>, aio: bool) -> PyResult<Py<PyAny>> {
        let name = checked(py, collection_name(name))?;
        let filter = checked(py, filter(r#where.as_ref()))?;
        let store = self.store.clone();
        run_serialized(py, aio, async move { store.count(&name, filter.as_ref()).await })
    }
}
