//! # tape: lossgraph's reverse-mode automatic differentiation engine
//!
//! A computation is recorded on a [`Tape`] as it runs; [`Var`] handles into the tape behave like
//! numbers (`+`, `*`, `exp`, `matmul`, ...), and [`Var::backward`] walks the recording once in
//! reverse to produce every gradient.
//!
//! ```
//! use tape::{Tape, Tensor};
//!
//! // A custom objective: mean squared error of a linear model, written as maths.
//! let tape = Tape::<f64>::new();
//! let x = tape.constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [2, 2]));
//! let y = tape.constant(Tensor::from_vec(vec![1.0, 2.0], [2, 1]));
//! let w = tape.var(Tensor::from_vec(vec![0.1, 0.2], [2, 1]));
//! let b = tape.var(Tensor::scalar(0.5));
//! let loss = (x.matmul(w) + b - y).square().mean();
//! loss.backward();
//! println!("loss {} dw {:?} db {:?}", loss.item(), w.grad(), b.grad());
//!
//! // Every gradient can be checked against finite differences.
//! let report = tape::gradcheck(
//!     |v| (v[0].matmul(v[1]) - 1.0).square().mean(),
//!     &[x.value(), w.value()],
//! );
//! report.assert_within(1e-6);
//! ```
//!
//! Code whose values are all single numbers has its own, leaner tape, [`ScalarTape`] with
//! [`ScalarVar`] handles: the same operations and backward rules, a few nanoseconds per op.
//!
//! ```
//! use tape::ScalarTape;
//! let tape = ScalarTape::<f64>::new();
//! let (w, b) = (tape.var(0.5), tape.var(-1.0));
//! let loss = ((w * 3.0 + b).sigmoid() - 1.0).square(); // one sample, squared error
//! loss.backward();
//! assert!(w.grad() < 0.0 && b.grad() < 0.0); // raising either raises the prediction
//! ```
//!
//! Layout: [`Tensor`] (values and eager kernels), [`Tape`] and [`Var`] (recording and the reverse
//! sweep), [`ScalarTape`] (the same for scalar code), the operations in `ops/` (one file per
//! family, each with its forward kernel and its backward rule side by side), and [`Algebra`],
//! the interface backward rules are written in so that one copy serves first-order gradients
//! and gradients of gradients.
//!
//! To see where a step's time goes: [`Tape::start_profiling`] (a [`Profile`]: a table by
//! operation and a Chrome trace), [`Var::to_dot`] (the graph for Graphviz) and
//! [`bench::time_backward`] (forward and backward medians of an objective of one's own).

mod algebra;
mod anomaly;
pub mod bench;
pub mod cpu;
mod dot;
mod elementwise;
mod env;
mod float;
mod gemm;
mod gradcheck;
mod hessian;
mod math;
mod ops;
mod parallel;
mod profile;
mod scalar;
mod shape;
mod storage;
mod sweep;
mod tape;
mod tensor;

pub use algebra::{AlgebraCore, Cmp};
pub use anomaly::{Anomaly, AnomalyKind, Operand, Summary};
pub use cpu::{CpuFeatures, KernelPath, cpu_features, kernel_path, set_kernel_path};
pub use dot::DotOptions;
pub use env::{MAX_THREADS, check_env};
pub use float::Float;
pub use gradcheck::{GradCheck, Mismatch, gradcheck};
pub use hessian::{HessianOperator, hessian, hvp};
pub use ops::binary::where_;
pub use ops::shape::{concat, stack};
pub use ops::{Algebra, CustomOp, Reduce, Unary};
pub use parallel::{Halves, join, join_halves};
pub use profile::{HelperPart, OpEvent, OpStats, Pass, Profile};
pub use scalar::{ScalarTape, ScalarVar};
pub use shape::Shape;
pub use storage::clear_pool;
pub use tape::{Tape, Var};
pub use tensor::Tensor;
