//! Sessions, messages, artifacts and the agent registry on PostgreSQL: `impl SessionStore for
//! PostgresStore` in `store.rs`, its SQL in the other files. Every write under a session locks the session
//! row, sets `last_activity_at` and keeps its counts in the same transaction.

mod agents;
mod artifacts;
mod messages;
mod row;
mod sessions;
mod store;
