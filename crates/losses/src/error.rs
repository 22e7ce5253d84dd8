//! Errors for inputs that can legitimately be bad data rather than programming mistakes.

use std::fmt;

/// What went wrong in a helper that inspects data (box encoding, neighbour graphs).
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A box with a width or height that is not strictly positive, which `ln(G_w / P_w)`
    /// cannot encode.
    DegenerateBox {
        /// The function that met it.
        op: &'static str,
        /// Which input held it ("proposal" or "ground truth").
        role: &'static str,
        /// Its row.
        row: usize,
        /// Its width.
        width: f64,
        /// Its height.
        height: f64,
    },
    /// A neighbour count outside `1..n`.
    InvalidNeighbourCount {
        /// The requested number of neighbours.
        k: usize,
        /// The number of points.
        points: usize,
    },
    /// The symmetric k-nearest-neighbour graph is not connected, so some geodesic distances
    /// are infinite.
    DisconnectedGraph {
        /// The neighbour count used.
        k: usize,
        /// How many connected components the graph has.
        components: usize,
        /// One pair of points with no path between them.
        unreachable: (usize, usize),
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DegenerateBox {
                op,
                role,
                row,
                width,
                height,
            } => write!(
                f,
                "{op}: {role} box in row {row} has width {width} and height {height}; both must be positive (drop or fix degenerate boxes first)"
            ),
            Error::InvalidNeighbourCount { k, points } => write!(
                f,
                "geodesic_distances: k = {k} neighbours for {points} points; k must be between 1 and {}",
                points.saturating_sub(1)
            ),
            Error::DisconnectedGraph {
                k,
                components,
                unreachable: (i, j),
            } => write!(
                f,
                "geodesic_distances: the symmetric {k}-nearest-neighbour graph has {components} connected components (no path from point {i} to point {j}); increase k or remove outlying points"
            ),
        }
    }
}

impl std::error::Error for Error {}
