//! The append-only audit log's entries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::types::Memory;
use crate::text_enum::string_enum;

string_enum! {
    /// What an audit entry records.
    AuditAction {
        /// Inserted.
        Created = "created",
        /// Content or fields changed.
        Updated = "updated",
        /// Status changed (disputed, archived, superseded).
        StatusChanged = "status_changed",
        /// Hard-deleted.
        Deleted = "deleted",
    }
}

/// One row of the append-only audit log. It has no foreign key: history survives deletes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// Position in the log (increasing).
    pub seq: i64,
    /// The memory.
    pub memory_id: Uuid,
    /// The tenant.
    pub tenant: String,
    /// What happened.
    pub action: AuditAction,
    /// The memory before (none for `created`).
    pub old: Option<Memory>,
    /// The memory after (none for `deleted`).
    pub new: Option<Memory>,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}
