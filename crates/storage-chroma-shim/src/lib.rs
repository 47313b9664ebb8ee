//! The embedded default backend for brainstore (being built).
