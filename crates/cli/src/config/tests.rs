//! Unit tests of configuration loading.
