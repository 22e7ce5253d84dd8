//! Nothing here: this crate exists for its bench, `benches/downstream.rs`, which times
//! lossgraph's workloads from a user's crate.
