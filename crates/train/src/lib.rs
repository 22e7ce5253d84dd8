//! # train: what lives across training steps
//!
//! Parameters, layers, optimisers, data and the training loop.
