//! Anomaly detection: the first non-finite value or gradient on a tape, with enough context
//! to tell which operation produced it and from what.
//!
//! Off (the default), the tape pays one predictable branch per recorded operation and per
//! swept node. On ([`Tape::detect_anomaly`](crate::Tape::detect_anomaly) or
//! `LOSSGRAPH_DETECT_ANOMALY=1`), every recorded value and every gradient a backward rule
//! produces is scanned; the first non-finite one is kept as an [`Anomaly`], which
//! [`Var::try_backward`](crate::Var::try_backward) returns and [`Var::backward`](crate::Var::backward)
//! panics with.

mod detect;

use std::fmt;
use std::panic::Location;

use crate::{Float, Shape, Tensor};

pub(crate) use detect::{all_finite, op_name};

/// What kind of non-finite value an [`Anomaly`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnomalyKind {
    /// An operation recorded a value with a NaN or an infinity (forward pass).
    Value,
    /// A backward rule produced a gradient with a NaN or an infinity (backward pass).
    Gradient,
    /// The gradient flowing into a node is non-finite although every rule's output was
    /// finite: the seed of `backward_with`, or gradients of a reused node that overflowed when
    /// summed.
    IncomingGradient,
    /// The loss is non-finite and detection was off, so its origin is unknown.
    Loss,
}

/// The shape of a tensor, the range of its finite elements and how many are not finite.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The tensor's shape.
    pub shape: Shape,
    /// The smallest finite element (`+inf` when there is none).
    pub min: f64,
    /// The largest finite element (`-inf` when there is none).
    pub max: f64,
    /// How many elements are NaN.
    pub nan: usize,
    /// How many elements are `+inf`.
    pub pos_inf: usize,
    /// How many elements are `-inf`.
    pub neg_inf: usize,
    /// The row-major index of the first non-finite element, if any.
    pub first_non_finite: Option<usize>,
}

impl Summary {
    /// Scans `t` once.
    pub fn of<T: Float>(t: &Tensor<T>) -> Summary {
        let mut s = Summary {
            shape: t.shape().clone(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            nan: 0,
            pos_inf: 0,
            neg_inf: 0,
            first_non_finite: None,
        };
        for (i, &x) in t.data().iter().enumerate() {
            let x = x.to_f64();
            if x.is_finite() {
                s.min = s.min.min(x);
                s.max = s.max.max(x);
                continue;
            }
            s.first_non_finite.get_or_insert(i);
            match x {
                f64::INFINITY => s.pos_inf += 1,
                f64::NEG_INFINITY => s.neg_inf += 1,
                _ => s.nan += 1,
            }
        }
        s
    }

    /// Whether every element is finite.
    pub fn is_finite(&self) -> bool {
        self.first_non_finite.is_none()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.shape)?;
        if self.min <= self.max {
            write!(f, " in [{}, {}]", number(self.min), number(self.max))?;
        }
        let Some(first) = self.first_non_finite else {
            return write!(f, ", all finite");
        };
        let counts = [
            (self.nan, "NaN"),
            (self.pos_inf, "+inf"),
            (self.neg_inf, "-inf"),
        ];
        let counts: Vec<String> = counts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        write!(
            f,
            ", {} of {} elements not finite ({}; first at index {first})",
            self.nan + self.pos_inf + self.neg_inf,
            self.shape.numel(),
            counts.join(", ")
        )
    }
}

/// A finite number in a report: plain when moderate (`0`, `-2.5`, `0.001`), else with an
/// exponent (`3e38`, `1.5e-30`), to at most 6 significant digits.
fn number(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if (1e-4..1e6).contains(&x.abs()) {
        let digits = (5 - x.abs().log10().floor() as i32).max(0) as usize;
        let s = format!("{x:.digits$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            &s
        };
        return s.to_string();
    }
    let s = format!("{x:.5e}");
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}e{exponent}")
}

/// One input of the operation an [`Anomaly`] is about.
#[derive(Clone, Debug, PartialEq)]
pub struct Operand {
    /// Its position on the tape.
    pub node: usize,
    /// The operation that recorded it (`leaf`, `constant`, `mul`, ...).
    pub op: String,
    /// Its value.
    pub value: Summary,
}

/// The first non-finite value or gradient found on a tape, and what it came from.
///
/// Its `Display` is the report a person reads: the operation, its position on the tape, where
/// it was recorded, its inputs' shapes and ranges, and whether they were already non-finite.
#[derive(Clone, Debug, PartialEq)]
pub struct Anomaly {
    /// Value, gradient, incoming gradient or loss.
    pub kind: AnomalyKind,
    /// The operation's name, as the method that records it is called (`ln`, `matmul`, ...).
    pub op: String,
    /// The operation's position on the tape (its node index).
    pub node: usize,
    /// The source line that recorded the operation, when detection was on while recording.
    pub location: Option<&'static Location<'static>>,
    /// The operation's inputs, in argument order.
    pub inputs: Vec<Operand>,
    /// The operation's value (forward pass and loss) or the offending gradient (backward).
    pub found: Summary,
    /// For a gradient: the input it is the gradient of (an index into `inputs`).
    pub grad_of: Option<usize>,
    /// For a gradient: the gradient that flowed into the operation.
    pub incoming: Option<Summary>,
}

impl Anomaly {
    /// Whether some input of the operation (or the gradient flowing into it) was already
    /// non-finite, so the cause lies upstream rather than in this operation.
    pub fn inherited(&self) -> bool {
        self.inputs.iter().any(|i| !i.value.is_finite())
            || self.incoming.as_ref().is_some_and(|g| !g.is_finite())
    }
}

impl std::error::Error for Anomaly {}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = match self.location {
            Some(l) => format!("node %{}, recorded at {l}", self.node),
            None => format!("node %{}", self.node),
        };
        let op = &self.op;
        match self.kind {
            AnomalyKind::Value => {
                write!(f, "non-finite value: {op} ({at}) produced {}", self.found)?
            }
            AnomalyKind::Gradient => write!(
                f,
                "non-finite gradient: the backward rule of {op} ({at}) gave input {} a gradient {}",
                self.grad_of.unwrap_or(0),
                self.found
            )?,
            AnomalyKind::IncomingGradient => write!(
                f,
                "non-finite gradient: the gradient flowing into {op} ({at}) is {}",
                self.found
            )?,
            AnomalyKind::Loss => write!(
                f,
                "non-finite loss: {op} ({at}) is {}; anomaly detection was off, so the \
                 operation that first produced a non-finite value is unknown: rerun with \
                 Tape::detect_anomaly(true) or LOSSGRAPH_DETECT_ANOMALY=1",
                self.found
            )?,
        }
        if let Some(g) = &self.incoming {
            write!(f, "\n  incoming gradient: {g}")?;
        }
        for (k, input) in self.inputs.iter().enumerate() {
            write!(
                f,
                "\n  input {k}: {} %{}, {}",
                input.op, input.node, input.value
            )?;
        }
        if self.kind == AnomalyKind::Loss {
            return Ok(());
        }
        let bad: Vec<String> = self
            .inputs
            .iter()
            .enumerate()
            .filter(|(_, i)| !i.value.is_finite())
            .map(|(k, _)| format!("input {k}"))
            .chain(
                (self.incoming.as_ref().is_some_and(|g| !g.is_finite()))
                    .then(|| "the incoming gradient".to_string()),
            )
            .collect();
        if bad.is_empty() {
            write!(
                f,
                "\n  every input was finite: {op} itself produced the first non-finite value"
            )
        } else {
            write!(
                f,
                "\n  {} already non-finite: the cause is upstream of {op} (a leaf or constant \
                 here means the data or parameters fed to the tape)",
                bad.join(" and ")
            )
        }
    }
}
