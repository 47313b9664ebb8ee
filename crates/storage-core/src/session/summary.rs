//! A session's summary: its duration and task counts, computed once for every backend.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::types::Session;
use crate::task::TaskStatus;

/// A session with its derived figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionSummary {
    /// The session.
    pub session: Session,
    /// Whole seconds from creation to completion (or to the last activity while not completed), at least 0.
    pub duration_seconds: i64,
    /// Task counts per status name.
    pub tasks_by_status: BTreeMap<String, u64>,
}

impl SessionSummary {
    /// The summary of `session` whose tasks number `tasks_by_status`. The duration is clamped at 0: the end
    /// can precede the creation when machines sharing a store disagree about the time.
    pub fn new(session: Session, tasks_by_status: BTreeMap<TaskStatus, u64>) -> Self {
        let end = session.completed_at.unwrap_or(session.last_activity_at);
        let duration_seconds = (end - session.created_at).num_seconds().max(0);
        let tasks_by_status = tasks_by_status.into_iter().map(|(status, n)| (status.as_str().to_owned(), n)).collect();
        SessionSummary { session, duration_seconds, tasks_by_status }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;
    use crate::document::Metadata;
    use crate::session::SessionStatus;

    fn session(last_activity_after_creation: Duration, completed_after_creation: Option<Duration>) -> Session {
        let created_at = Utc::now();
        Session {
            tenant: "acme".into(),
            id: "s".into(),
            title: "s".into(),
            participants: Vec::new(),
            status: SessionStatus::Active,
            metadata: Metadata::new(),
            created_at,
            last_activity_at: created_at + last_activity_after_creation,
            completed_at: completed_after_creation.map(|after| created_at + after),
            message_count: 0,
            artifact_count: 0,
            task_count: 0,
        }
    }

    #[test]
    fn duration_runs_to_completion_or_last_activity_and_is_never_negative() {
        let check = |session: Session, expected: i64| {
            assert_eq!(SessionSummary::new(session, BTreeMap::new()).duration_seconds, expected);
        };
        check(session(Duration::milliseconds(2_900), None), 2);
        check(session(Duration::seconds(9), Some(Duration::seconds(4))), 4);
        check(session(Duration::seconds(-5), None), 0);
        check(session(Duration::seconds(5), Some(Duration::seconds(-1))), 0);
    }

    #[test]
    fn every_status_is_named_as_stored() {
        let counts = TaskStatus::ALL.iter().map(|status| (*status, 1)).collect();
        let summary = SessionSummary::new(session(Duration::zero(), None), counts);
        let names: Vec<&str> = summary.tasks_by_status.keys().map(String::as_str).collect();
        assert_eq!(names, ["cancelled", "completed", "dead_letter", "pending", "running"]);
    }
}
