#!/usr/bin/env bash
# The project's tests: every unit, integration and doc test of the workspace, in release mode.
#
# It runs what `cargo test --workspace --release` runs, without also building the examples as
# binaries: each example is compiled and run as a module of the `tests/examples` test binary,
# so building the eighteen example binaries again only added about five minutes to CI (clippy
# still checks them, and `cargo run --example NAME` builds one on demand).
set -euo pipefail
cd "$(dirname "$0")/.."

# Extra arguments go to both runs, e.g. `bash scripts/test.sh -- --nocapture`.
cargo test --workspace --release --lib --bins --tests "$@"
cargo test --workspace --release --doc "$@"
