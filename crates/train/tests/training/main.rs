//! The training crate's tests, one module per subject: data loading and its checks, layers,
//! parameters, optimisers and update rules, fit, resume and checkpoints, the solvers, and the
//! fuzzed IDX reader. One test binary for all of them (one link and one set of generic
//! instantiations instead of one each, for a shorter CI build). `kernel_paths.rs` keeps a binary
//! of its own: it switches the kernel path for the whole process.

#[path = "../common/mod.rs"]
mod common;
/// The counting allocator: installed for this whole binary, counting per thread, so each
/// test measures only its own allocations.
#[path = "../common/peak.rs"]
mod peak;

mod checkpoint;
mod data;
mod data_checks;
mod fit;
mod fit_any;
mod fuzz;
mod idx;
mod layers;
mod mnist;
mod optim;
mod params;
mod resume;
mod solve;
mod update_rule;
