//! The path parameters many routes share, declared once so the document states each rule in one place.
//!
//! They only describe the path in `/openapi.json`: handlers extract the segments positionally through
//! `ApiPath`, and core validates them.

use utoipa::IntoParams;

/// `{tenant}`: the rule of `storage_core::session::check_identifier`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // never built: it exists for its `IntoParams` description
pub(crate) struct TenantPath {
    /// Tenant: 1 to 200 bytes without NUL (URL-encoded).
    #[param(min_length = 1, max_length = 200)]
    tenant: String,
}

/// `{collection}`: the rule of `storage_core::CollectionName`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // never built: it exists for its `IntoParams` description
pub(crate) struct CollectionPath {
    /// Collection name: lowercase letters, digits and `_`, starting with a letter.
    #[param(min_length = 1, max_length = 40, pattern = "^[a-z][a-z0-9_]*$")]
    collection: String,
}
