//! The objectives' tests, one or more modules per family: gradchecks in f64, closed-form derivatives,
//! values against PyTorch's, and the signatures. One test binary for all of them (one link and
//! one set of generic instantiations instead of one per family, for a shorter CI build).

mod common;

mod classification;
mod generative;
mod kmeans;
mod logistic;
mod margin;
mod multitask;
mod pytorch;
mod regression;
mod reinforcement;
mod signatures;
mod unsupervised;
