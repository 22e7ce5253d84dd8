//! The gallery's tests, one module per subject: the example flags, the small linear algebra and
//! the figures. One test binary for all of them (one link instead of three, for a shorter CI
//! build); `flags_env.rs` keeps its own, since it sets the process's environment.

/// The scratch folders of the train crate's tests, shared rather than copied.
#[path = "../../../train/tests/common/mod.rs"]
mod common;

mod flags;
mod linalg;
mod plot;
