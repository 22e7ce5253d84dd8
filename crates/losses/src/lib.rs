//! # losses: the catalogue of objectives
//!
//! Every objective of lossgraph's catalogue, written only with [`tape`] operations: no derivative
//! code lives here, so every gradient comes from reverse-mode autodiff.
