//! The `brainstore` command line (being built).
fn main() {}
