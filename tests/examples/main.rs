//! The gallery's examples, each run at a small size and its printed requirement checked: one
//! test binary for all of them (one link and one set of generic instantiations instead of one per
//! example, which kept CI's release build long). Each module includes its example by path.

// Each test module includes its example under the example's own name (`cartpole::cartpole`).
#![allow(clippy::module_inception)]

mod cartpole;
mod center_loss;
mod custom_objective;
mod custom_op;
mod deepid2;
mod fast_rcnn;
mod isomap;
mod lda;
mod linear_models;
mod max_likelihood;
mod mnist;
mod profile_objective;
mod regression;
mod softmax_solvers;
mod toy_gan;
mod unsupervised;
mod wgan_gp;
