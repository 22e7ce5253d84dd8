//! The engine's tests, one module per subject: kernels, gradchecks in f64, closed forms, higher
//! order and Hessians, the scalar tape, anomaly detection and error messages. One test binary
//! for all of them (one link and one set of generic instantiations instead of one each, for a
//! shorter CI build). Tests that change process-wide state keep binaries of their own: the
//! allocator count (`alloc.rs`), the environment (`anomaly_env.rs`), the panic hook
//! (`caller_location.rs`), the kernel path (`kernel_paths.rs`) and the profiler's helper-thread
//! record (`profile.rs`).

#[path = "../common/mod.rs"]
mod common;

mod anomaly;
mod closed_forms;
mod edge_cases;
mod elementwise_functions;
mod errors;
mod fast_math;
mod gemm;
mod gradcheck;
mod gradcheck_structured;
mod hessian;
mod higher_order;
mod kernels;
mod movement;
mod scalar_tape;
