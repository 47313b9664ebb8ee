//! The path parameters of the routes, one type per segment, each stating its segment's rule once: `ApiPath`
//! deserializes the segment by its name in the route and [`PathParams::check`]s it with core's rule (so a
//! handler only ever sees a valid one, and a bad one fails with core's message), and `IntoParams` describes
//! it in `/openapi.json`. A handler takes one `ApiPath` per segment, in path order, and lists the same types
//! in its `params(...)`.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use storage_core::session::check_identifier;
use storage_core::{CollectionName, check_id};
use utoipa::IntoParams;
use uuid::Uuid;

/// A path segment `ApiPath` checks once it has deserialized it.
pub(crate) trait PathParams: DeserializeOwned + Send {
    /// What the handler gets.
    type Value;

    /// The segment's value, or core's error naming the segment.
    fn check(self) -> storage_core::Result<Self::Value>;
}

/// An identifier segment (tenant, session, artifact, agent name): the rule of `check_identifier`.
fn identifier(segment: &str, value: String) -> storage_core::Result<String> {
    check_identifier(segment, &value)?;
    Ok(value)
}

/// `{tenant}`: the rule of `storage_core::session::check_identifier`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct TenantPath {
    /// Tenant: 1 to 200 bytes without NUL (URL-encoded).
    #[param(min_length = 1, max_length = 200)]
    tenant: String,
}

impl PathParams for TenantPath {
    type Value = String;

    fn check(self) -> storage_core::Result<String> {
        identifier("tenant", self.tenant)
    }
}

/// `{session}`: the rule of `storage_core::session::check_identifier`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct SessionPath {
    /// Session id
    #[param(min_length = 1, max_length = 200)]
    session: String,
}

impl PathParams for SessionPath {
    type Value = String;

    fn check(self) -> storage_core::Result<String> {
        identifier("session", self.session)
    }
}

/// `{artifact}`, checked as the session's identifiers are (the document states no length for it).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ArtifactPath {
    /// Artifact id
    artifact: String,
}

impl PathParams for ArtifactPath {
    type Value = String;

    fn check(self) -> storage_core::Result<String> {
        identifier("artifact", self.artifact)
    }
}

/// `{name}` of an agent, checked as the session's identifiers are (the document states no length for it).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct AgentPath {
    /// Agent name
    name: String,
}

impl PathParams for AgentPath {
    type Value = String;

    fn check(self) -> storage_core::Result<String> {
        identifier("name", self.name)
    }
}

/// `{id}` of a memory: a UUID, which deserializing checks.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct MemoryIdPath {
    /// Memory id
    id: Uuid,
}

impl PathParams for MemoryIdPath {
    type Value = Uuid;

    fn check(self) -> storage_core::Result<Uuid> {
        Ok(self.id)
    }
}

/// `{id}` of a task: a UUID, which deserializing checks.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct TaskIdPath {
    /// Task id
    id: Uuid,
}

impl PathParams for TaskIdPath {
    type Value = Uuid;

    fn check(self) -> storage_core::Result<Uuid> {
        Ok(self.id)
    }
}

/// `{collection}`: the rule of `storage_core::CollectionName`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct CollectionPath {
    /// Collection name: lowercase letters, digits and `_`, starting with a letter.
    #[param(min_length = 1, max_length = 40, pattern = "^[a-z][a-z0-9_]*$")]
    collection: String,
}

impl PathParams for CollectionPath {
    type Value = CollectionName;

    fn check(self) -> storage_core::Result<CollectionName> {
        CollectionName::new(self.collection)
    }
}

/// `{id}` of a chunk: the rule of `storage_core::check_id`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct ChunkPath {
    /// Chunk id
    id: String,
}

impl PathParams for ChunkPath {
    type Value = String;

    fn check(self) -> storage_core::Result<String> {
        check_id(&self.id, "id")?;
        Ok(self.id)
    }
}
