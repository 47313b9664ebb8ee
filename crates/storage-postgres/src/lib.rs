//! PostgreSQL + pgvector backend for brainstore (being built).

#[cfg(feature = "testing")]
pub mod testing;
