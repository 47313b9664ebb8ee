//! The HTTP API's request bodies and query parameters that core's types do not cover (a tenant from the path, partial fusion settings, audit context): serde shapes that derive `ToSchema`. Responses are core's types and `storage_core::views`.

pub(crate) mod documents;
pub(crate) mod health;
pub(crate) mod memory;
pub(crate) mod path;
pub(crate) mod recall;
pub(crate) mod session;
pub(crate) mod task;
