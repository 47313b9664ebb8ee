//! `PostgresStore`'s search: the one statement a request compiles to, run on a held connection and decoded.

use sea_orm::Statement;
use storage_core::{SearchHit, SearchMode, SearchRequest, StorageError};

use super::{CollectionMeta, PostgresStore};
use crate::held::Held;
use crate::ops::hybrid::HybridInput;
use crate::ops::{HnswOverrides, QueryWith, hybrid, keyword, vector};
use crate::schema::VectorLayout;

impl PostgresStore {
    /// The statement a search sends and the HNSW settings it runs with, or `None` when it can match nothing.
    pub(super) fn search_statement(
        &self,
        meta: &CollectionMeta,
        request: &SearchRequest,
    ) -> Result<Option<(Statement, HnswOverrides)>, StorageError> {
        let layout = meta.space.as_ref().map(VectorLayout::new);
        let params = meta.bm25;
        match (request.mode, layout, request.embedding.as_ref()) {
            (SearchMode::Keyword, _, _) => Ok(keyword::statement(&meta.table, &meta.language, params, request)
                .map(|statement| (statement, HnswOverrides::default()))),
            (SearchMode::Vector, Some(layout), Some(query)) => {
                Ok(Some(vector::statement(&self.vector_settings(), &meta.table, layout, request, query)))
            }
            (SearchMode::Hybrid, Some(layout), Some(query)) => {
                let settings = self.vector_settings();
                let input = HybridInput {
                    settings: &settings,
                    table: &meta.table,
                    layout,
                    language: &meta.language,
                    params,
                    request,
                    query,
                };
                Ok(Some(hybrid::statement(&input)))
            }
            // `SearchRequest::validate` refuses vector modes without an embedding or a space.
            _ => Err(StorageError::invalid("embedding", format!("{} search needs a query embedding", request.mode))),
        }
    }

    /// A validated search on `conn`: one statement.
    pub(super) async fn run_search(
        &self,
        conn: &Held<'_>,
        meta: &CollectionMeta,
        request: &SearchRequest,
    ) -> Result<Vec<SearchHit>, StorageError> {
        let Some((statement, overrides)) = self.search_statement(meta, request)? else { return Ok(Vec::new()) };
        let rows = conn.query_with(overrides, statement).await.map_err(self.db_err("search"))?;
        match (request.mode, meta.space.as_ref()) {
            (SearchMode::Keyword, _) => keyword::decode(&rows, &meta.language, request),
            (SearchMode::Vector, Some(space)) => vector::decode_all(&rows, space.metric, request.explain),
            _ => hybrid::decode_all(&rows, &meta.language, request),
        }
    }
}
