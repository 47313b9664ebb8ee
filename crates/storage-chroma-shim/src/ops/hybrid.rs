//! Hybrid search: the vector and keyword legs with the same filters in one snapshot, fused by core.

use std::collections::HashMap;

use storage_core::fusion::{LegCandidate, fuse};
use storage_core::keyword::bm25;
use storage_core::{CollectionName, SearchHit, SearchRequest, StorageError, TextLanguage, matched_terms};

use super::HitRow;
use super::keyword::keyword_leg;
use super::vector::{VectorContext, VectorSearch, prepare, vector_leg};
use crate::filter_sql::RankedFilter;

pub(crate) async fn search(
    ctx: &VectorContext<'_>,
    name: &CollectionName,
    request: &SearchRequest,
    language: TextLanguage,
) -> Result<Vec<SearchHit>, StorageError> {
    let err = ctx.db.err("hybrid search");
    let reader = ctx.db.reader().await.map_err(&err)?;
    let conn = &reader;
    let Some(VectorSearch { collection, metric, embedding, filter }) =
        prepare(ctx, conn, name, request, "hybrid search").await?
    else {
        return Ok(Vec::new());
    };
    let settings = request.fusion;
    let vector =
        vector_leg(ctx, conn, &collection, embedding, settings.vector_depth(request.top_k), filter.as_ref()).await?;
    let query = request.keyword_query(language);
    let analyzed = query.analyzed(language);
    let depth = settings.keyword_depth(request.top_k);
    let keyword_filter = RankedFilter::of(request);
    let keyword = keyword_leg(conn, &collection, &analyzed, depth, keyword_filter.as_ref()).await.map_err(&err)?;

    let vector_leg: Vec<LegCandidate> =
        vector.iter().map(|c| LegCandidate { id: c.row.id.clone(), score: metric.score(c.distance) }).collect();
    let keyword_leg: Vec<LegCandidate> =
        keyword.iter().map(|c| LegCandidate { id: c.row.id.clone(), score: bm25::score(c.relevance) }).collect();
    let fused = fuse(&vector_leg, &keyword_leg, &settings, request.top_k);

    let distances: HashMap<&str, f64> = vector.iter().map(|c| (c.row.id.as_str(), c.distance)).collect();
    let mut rows: HashMap<&str, &HitRow> = vector.iter().map(|c| (c.row.id.as_str(), &c.row)).collect();
    rows.extend(keyword.iter().map(|c| (c.row.id.as_str(), &c.row)));
    Ok(fused
        .into_iter()
        .filter(|hit| request.min_score.is_none_or(|min| hit.score >= min))
        .filter_map(|hit| {
            let row = rows.get(hit.id.as_str())?;
            Some(SearchHit {
                id: row.id.clone(),
                text: row.text.clone(),
                metadata: row.metadata.clone(),
                score: hit.score,
                distance: distances.get(hit.id.as_str()).copied(),
                vector: hit.vector.filter(|_| request.explain),
                keyword: hit.keyword.filter(|_| request.explain),
                matched_terms: (request.explain && hit.keyword.is_some())
                    .then(|| matched_terms(&row.text, &query, language)),
            })
        })
        .collect())
}
