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
pub use tape;
pub use train;

/// The names most programs need.
pub mod prelude {
    pub use tape::{
        Cmp, Float, ScalarTape, ScalarVar, Shape, Tape, Tensor, Var, concat, gradcheck, stack,
        where_,
    };
}
