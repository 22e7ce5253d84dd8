//! # gallery: what the examples share, and a user's crate never needs
//!
//! The repository's examples (`examples/`) are a gallery of objectives trained with
//! lossgraph. This unpublished crate holds their support code, kept out of the `train` library
//! so that a user's crate pulls in neither a flag parser nor a plotting library:
//!
//! - [`cli`]: flags parsed by `clap` (derive), the flags every training example shares
//!   ([`cli::TrainingFlags`]), checks on output paths and memory, the requirement on an
//!   example's result line ([`cli::Requirement`]) and the exit code;
//! - [`plot`]: SVG figures (training curves, scatter plots, lines, histograms, images,
//!   decision regions);
//! - [`linalg`]: the reference solvers' linear algebra (eigenpairs, orthonormal bases,
//!   linear solves) on `nalgebra`, the independent answers the examples check gradient
//!   descent against.

pub mod cli;
pub mod linalg;
pub mod plot;
