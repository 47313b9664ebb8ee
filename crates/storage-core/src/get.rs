//! `GetRequest`, `Include` and `FetchedChunk`: reading many chunks in one call, by ids or by filter, with
//! only the parts the caller asked for.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::collection::CollectionName;
use crate::document::{Metadata, check_id};
use crate::embedding::Embedding;
use crate::error::StorageError;
use crate::filter::{DocumentFilter, Filter};
use crate::search::{MAX_TOP_K, SearchHit};
use crate::store::DocumentStore;

/// The most ids one [`GetRequest`] may name, and the most chunks one call returns.
pub const MAX_GET_CHUNKS: usize = 10_000;

/// Which parts of a chunk a read returns besides its id and timestamps. Embeddings are the large part
/// (1.5 KB for 384 dimensions), so they come back only when asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Include {
    /// The chunk text.
    pub text: bool,
    /// The metadata.
    pub metadata: bool,
    /// The embedding.
    pub embedding: bool,
}

/// One part [`Include`] can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Text,
    Metadata,
    Embedding,
}

impl FromStr for Part {
    type Err = StorageError;
    fn from_str(name: &str) -> crate::Result<Self> {
        // Chroma spells them in the plural ("documents", "metadatas", "embeddings"); accept both.
        match name {
            "text" | "document" | "documents" => Ok(Part::Text),
            "metadata" | "metadatas" => Ok(Part::Metadata),
            "embedding" | "embeddings" => Ok(Part::Embedding),
            other => Err(StorageError::invalid(
                "",
                format!("`{other}` is not a part of a chunk; expected text, metadata or embedding"),
            )),
        }
    }
}

impl Default for Include {
    /// Text and metadata, no embedding.
    fn default() -> Self {
        Include::TEXT_AND_METADATA
    }
}

impl Include {
    /// Text and metadata, no embedding: the default.
    pub const TEXT_AND_METADATA: Include = Include { text: true, metadata: true, embedding: false };

    /// Every part.
    pub const ALL: Include = Include { text: true, metadata: true, embedding: true };

    /// Only ids and timestamps.
    pub const NOTHING: Include = Include { text: false, metadata: false, embedding: false };

    /// The parts named in `names` (`text`/`documents`, `metadata`/`metadatas`, `embedding`/`embeddings`);
    /// an unknown name is refused as `include[i]`. Other names Chroma accepts in a query's `include`
    /// (`distances`, `uris`, `data`) are not parts of a chunk and are refused too, so a typo never goes
    /// unnoticed.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> crate::Result<Include> {
        Include::parse_ignoring(names, &[])
    }

    /// The chunk parts a query's `include` names: as [`Include::parse`], but `distances` and `scores` (which
    /// every hit carries anyway, and Chroma callers name) are accepted and add nothing. Hits always carry
    /// text and metadata; what this can add is the embedding.
    pub fn parse_query<S: AsRef<str>>(names: &[S]) -> crate::Result<Include> {
        Include::parse_ignoring(names, &["distances", "scores"])
    }

    fn parse_ignoring<S: AsRef<str>>(names: &[S], ignored: &[&str]) -> crate::Result<Include> {
        let mut include = Include::NOTHING;
        for (idx, name) in names.iter().enumerate() {
            if ignored.contains(&name.as_ref()) {
                continue;
            }
            match name.as_ref().parse::<Part>().map_err(|e| e.within(&format!("include[{idx}]")))? {
                Part::Text => include.text = true,
                Part::Metadata => include.metadata = true,
                Part::Embedding => include.embedding = true,
            }
        }
        Ok(include)
    }
}

/// A chunk as a [`GetRequest`] returns it: the parts its [`Include`] left out are `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FetchedChunk {
    /// The chunk's id.
    pub id: String,
    /// The text, when included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The metadata, when included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// The embedding, when included and the chunk has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Embedding>,
    /// When the chunk was first written.
    pub created_at: DateTime<Utc>,
    /// When the chunk was last written.
    pub updated_at: DateTime<Utc>,
}

/// Many chunks in one call: by ids, by filters, or both (the chunks that are named and match).
///
/// Order: with `ids`, the order of each id's first occurrence in `ids` (missing ids are simply absent,
/// repeated ids come back once), so results line up with the request; without, bytewise id order, so
/// `offset` pages through a collection deterministically. `offset` and `limit` apply to that order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GetRequest {
    /// Only these ids (at most [`MAX_GET_CHUNKS`]); `None` reads every chunk that matches the filters.
    pub ids: Option<Vec<String>>,
    /// Only chunks whose metadata matches.
    pub filter: Option<Filter>,
    /// Only chunks whose text matches.
    pub document_filter: Option<DocumentFilter>,
    /// At most this many chunks (1 to [`MAX_GET_CHUNKS`]); `None` means [`MAX_GET_CHUNKS`].
    pub limit: Option<usize>,
    /// Skip this many chunks of the order first.
    pub offset: usize,
    /// Which parts to return.
    pub include: Include,
}

impl GetRequest {
    /// The chunks with these ids, text and metadata included.
    pub fn ids<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Self {
        GetRequest { ids: Some(ids.into_iter().map(Into::into).collect()), ..GetRequest::default() }
    }

    /// The chunks matching `filter`, text and metadata included.
    pub fn filter(filter: Filter) -> Self {
        GetRequest { filter: Some(filter), ..GetRequest::default() }
    }

    /// Sets the parts to return.
    #[must_use]
    pub fn include(mut self, include: Include) -> Self {
        self.include = include;
        self
    }

    /// Sets `limit`.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Sets `offset`.
    #[must_use]
    pub fn offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// The limit in force: the caller's, or [`MAX_GET_CHUNKS`].
    pub fn effective_limit(&self) -> usize {
        self.limit.unwrap_or(MAX_GET_CHUNKS)
    }

    /// The offset as a SQL bound (`OFFSET` takes a signed 64-bit integer).
    pub fn offset_i64(&self) -> i64 {
        i64::try_from(self.offset).unwrap_or(i64::MAX)
    }

    /// Checks the limit, every id and the filters, before any data is read.
    pub fn validate(&self) -> crate::Result<()> {
        if let Some(limit) = self.limit {
            crate::check_range("limit", limit, 1, MAX_GET_CHUNKS)?;
        }
        if let Some(ids) = &self.ids {
            if ids.len() > MAX_GET_CHUNKS {
                return Err(StorageError::invalid(
                    "ids",
                    format!("one read names at most {MAX_GET_CHUNKS} ids, this one names {}; split it", ids.len()),
                ));
            }
            for (idx, id) in ids.iter().enumerate() {
                check_id(id, &format!("ids[{idx}]"))?;
            }
        }
        if let Some(filter) = &self.filter {
            filter.validate()?;
        }
        self.document_filter.as_ref().map_or(Ok(()), DocumentFilter::validate)
    }

    /// Puts the rows a backend read for this request into the request's order and applies `offset` and
    /// `limit`. With `ids`, a backend reads every named chunk that matches (at most [`MAX_GET_CHUNKS`])
    /// in any order and leaves ordering and paging to this; without, its SQL already ordered by id and
    /// paged, and the rows come back unchanged.
    pub fn arrange(&self, rows: Vec<FetchedChunk>) -> Vec<FetchedChunk> {
        let Some(ids) = &self.ids else { return rows };
        let mut by_id: HashMap<String, FetchedChunk> = rows.into_iter().map(|row| (row.id.clone(), row)).collect();
        ids.iter().filter_map(|id| by_id.remove(id)).skip(self.offset).take(self.effective_limit()).collect()
    }
}

/// The stored vectors of `hits`, by id, read in one [`DocumentStore::get_many`] call (hits without a vector
/// are absent): how every surface answers a query whose `include` names embeddings, as max-marginal-relevance
/// needs, instead of one read per hit. A search returns at most [`MAX_TOP_K`] hits, within one read's limit.
pub async fn hit_embeddings(
    store: &dyn DocumentStore,
    collection: &CollectionName,
    hits: &[SearchHit],
) -> crate::Result<HashMap<String, Embedding>> {
    const { assert!(MAX_TOP_K <= MAX_GET_CHUNKS) };
    if hits.is_empty() {
        return Ok(HashMap::new());
    }
    let request = GetRequest::ids(hits.iter().map(|hit| hit.id.clone())).include(Include {
        text: false,
        metadata: false,
        embedding: true,
    });
    let fetched = store.get_many(collection, &request).await?;
    Ok(fetched.into_iter().filter_map(|chunk| Some((chunk.id, chunk.embedding?))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetched(id: &str) -> FetchedChunk {
        let now = Utc::now();
        FetchedChunk { id: id.into(), text: None, metadata: None, embedding: None, created_at: now, updated_at: now }
    }

    fn arranged(request: &GetRequest, rows: &[&str]) -> Vec<String> {
        request.arrange(rows.iter().map(|id| fetched(id)).collect()).into_iter().map(|row| row.id).collect()
    }

    #[test]
    fn rows_follow_the_requested_ids_once_each_then_page() {
        let request = GetRequest::ids(["c", "a", "missing", "c", "b"]);
        assert_eq!(arranged(&request, &["a", "b", "c"]), ["c", "a", "b"]);
        assert_eq!(arranged(&request.clone().offset(1).limit(1), &["b", "c", "a"]), ["a"]);
        assert_eq!(arranged(&request.clone().offset(5), &["a", "b", "c"]), Vec::<String>::new());
        let by_filter = GetRequest::filter(Filter::all());
        assert_eq!(arranged(&by_filter, &["z", "a"]), ["z", "a"], "SQL order is kept without ids");
    }

    #[test]
    fn include_parses_both_spellings_and_names_a_bad_entry() {
        assert_eq!(Include::parse(&["documents", "metadatas"]).unwrap(), Include::TEXT_AND_METADATA);
        assert_eq!(Include::parse(&["text", "metadata", "embeddings"]).unwrap(), Include::ALL);
        assert_eq!(Include::parse::<&str>(&[]).unwrap(), Include::NOTHING);
        assert!(Include::parse_query(&["distances", "embeddings"]).unwrap().embedding);
        assert!(Include::parse(&["distances"]).is_err());
        let err = Include::parse_query(&["scores", "vectors"]).unwrap_err().to_string();
        assert!(err.starts_with("include[1]: "), "{err}");
        let err = Include::parse(&["text", "distances"]).unwrap_err().to_string();
        assert!(err.starts_with("include[1]: `distances` is not a part of a chunk"), "{err}");
    }

    #[test]
    fn validation_names_the_limit_and_the_bad_id() {
        assert!(GetRequest::ids(["a"]).validate().is_ok());
        let err = GetRequest::ids(["a"]).limit(0).validate().unwrap_err().to_string();
        assert!(err.starts_with("limit: must be between 1 and 10000"), "{err}");
        let err = GetRequest::ids(["a", ""]).validate().unwrap_err().to_string();
        assert_eq!(err, "ids[1]: must not be empty");
        let too_many = GetRequest::ids((0..=MAX_GET_CHUNKS).map(|i| i.to_string()));
        assert!(too_many.validate().unwrap_err().to_string().starts_with("ids: one read names at most"));
    }
}
