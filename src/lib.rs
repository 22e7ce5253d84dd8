//! # lossgraph
//!
//! A small, fast reverse-mode automatic differentiation engine in which every classic
//! machine-learning objective is written as a graph of primitive operations.
//!
//! This crate re-exports the three layers: [`tape`] (the engine), [`losses`] (the objectives) and
//! [`train`] (parameters, optimisers, data, the training loop), and owns the examples and
//! benchmarks. The README follows; its code blocks run as doctests, so the tour stays true.
#![doc = include_str!("../README.md")]

pub use losses;
/// The `rand` this crate's initialisers, shuffles and generators take their generator from,
/// so that a program needs no version of its own (`lossgraph::rand::rngs::StdRng`).
pub use rand;
pub use tape;
pub use train;

/// The names a whole training program needs: `use lossgraph::prelude::*;`.
///
/// The engine (tensors, the tape, `gradcheck`), the objective modules and [`Reduction`]
/// (`classification::softmax_cross_entropy(logits, &labels, Reduction::Mean)`), and the
/// training layer (parameters, layers, optimisers, schedules, data, `fit` and
/// `fit_classifier`).
///
/// [`Reduction`]: losses::Reduction
pub mod prelude {
    pub use losses::{
        Reduction, classification, generative, multitask, regression, regularizers, reinforcement,
        unsupervised,
    };
    pub use tape::{
        Cmp, CustomOp, Float, ScalarTape, ScalarVar, Shape, Tape, Tensor, Var, concat, gradcheck,
        stack, where_,
    };
    pub use train::{
        Activation, Adam, BatchLoader, Dataset, FitConfig, Init, Linear, LrSchedule, Mlp, Module,
        Optimizer, ParamId, ParamStore, Params, Sgd, fit, fit_classifier,
    };
}
