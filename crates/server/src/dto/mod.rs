//! The HTTP API's request and response bodies: serde shapes that derive `ToSchema`, converted to and from core's types at the edge.

pub(crate) mod documents;
pub(crate) mod health;
pub(crate) mod memory;
pub(crate) mod path;
pub(crate) mod recall;
pub(crate) mod session;
pub(crate) mod task;
