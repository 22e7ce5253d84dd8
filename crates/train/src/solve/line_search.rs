//! A line search for the strong Wolfe conditions (Nocedal and Wright, Algorithms 3.5 and 3.6):
//! sufficient decrease `f(a) <= f(0) + c1 a f'(0)` and curvature `|f'(a)| <= c2 |f'(0)|`,
//! bracketing then zooming with safeguarded cubic interpolation.

use super::{SolveError, dot};

/// Sufficient-decrease constant.
const C1: f64 = 1e-4;
/// Curvature constant (0.9: quasi-Newton and Newton directions).
const C2: f64 = 0.9;
/// Trials before giving up (bracketing and zooming together).
const MAX_TRIALS: usize = 40;

/// An accepted step: its length, and the objective and gradient there.
pub(super) struct Step {
    pub(super) alpha: f64,
    pub(super) value: f64,
    pub(super) gradient: Vec<f64>,
}

/// One trial point along the line: `(a, f(a), f'(a))`.
#[derive(Clone, Copy)]
struct Trial {
    a: f64,
    f: f64,
    d: f64,
}

/// Searches along `direction` from a point with objective `f0` and gradient `g0`, starting
/// from step `alpha`. `eval(a)` returns the objective and gradient at `x + a direction`.
/// `Ok(None)` when no acceptable step exists at this precision.
pub(super) fn strong_wolfe(
    f0: f64,
    g0: &[f64],
    direction: &[f64],
    mut alpha: f64,
    mut eval: impl FnMut(f64) -> Result<(f64, Vec<f64>), SolveError>,
) -> Result<Option<Step>, SolveError> {
    let d0 = dot(g0, direction);
    if d0 >= 0.0 {
        return Ok(None); // not a descent direction
    }
    let start = Trial {
        a: 0.0,
        f: f0,
        d: d0,
    };
    let mut previous = start;
    for trial in 0..MAX_TRIALS {
        let (f, g) = eval(alpha)?;
        let current = Trial {
            a: alpha,
            f,
            d: dot(&g, direction),
        };
        if f > f0 + C1 * alpha * d0 || (trial > 0 && f >= previous.f) {
            return zoom(start, previous, current, direction, &mut eval);
        }
        if current.d.abs() <= -C2 * d0 {
            return Ok(Some(Step {
                alpha,
                value: f,
                gradient: g,
            }));
        }
        if current.d >= 0.0 {
            return zoom(start, current, previous, direction, &mut eval);
        }
        previous = current;
        alpha *= 2.0;
    }
    Ok(None)
}

/// Narrows the bracket `[lo, hi]` (lo: the lower objective satisfying sufficient decrease)
/// until a point satisfies both conditions. When the bracket can shrink no further first (a
/// curvature condition holding only on a sliver of the line, as at the kink of a barely
/// smoothed function), `lo` is taken: it lowers the objective sufficiently, which is all a
/// Newton or proximal step needs, and L-BFGS skips a pair without positive curvature.
fn zoom(
    start: Trial,
    mut lo: Trial,
    mut hi: Trial,
    direction: &[f64],
    eval: &mut impl FnMut(f64) -> Result<(f64, Vec<f64>), SolveError>,
) -> Result<Option<Step>, SolveError> {
    for _ in 0..MAX_TRIALS {
        let a = interpolate(lo, hi);
        if a == lo.a || a == hi.a {
            break; // the bracket has shrunk below the precision of a step
        }
        let (f, g) = eval(a)?;
        let d = dot(&g, direction);
        if f > start.f + C1 * a * start.d || f >= lo.f {
            hi = Trial { a, f, d };
            continue;
        }
        if d.abs() <= -C2 * start.d {
            return Ok(Some(Step {
                alpha: a,
                value: f,
                gradient: g,
            }));
        }
        if d * (hi.a - lo.a) >= 0.0 {
            hi = lo;
        }
        lo = Trial { a, f, d };
    }
    if lo.a == start.a {
        return Ok(None);
    }
    let (value, gradient) = eval(lo.a)?;
    Ok(Some(Step {
        alpha: lo.a,
        value,
        gradient,
    }))
}

/// The minimiser of the cubic through both trials' values and slopes, kept at least a tenth
/// of the bracket from either end; the midpoint when the cubic has no minimum.
fn interpolate(lo: Trial, hi: Trial) -> f64 {
    let (a, b) = (lo.a, hi.a);
    let d1 = lo.d + hi.d - 3.0 * (lo.f - hi.f) / (a - b);
    let radicand = d1 * d1 - lo.d * hi.d;
    let mid = 0.5 * (a + b);
    if radicand.is_nan() || radicand < 0.0 {
        return mid;
    }
    let d2 = (b - a).signum() * radicand.sqrt();
    let t = b - (b - a) * (hi.d + d2 - d1) / (hi.d - lo.d + 2.0 * d2);
    let (left, right) = (a.min(b), a.max(b));
    let margin = 0.1 * (right - left);
    if t.is_finite() && t >= left + margin && t <= right - margin {
        t
    } else {
        mid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cubic_of_a_cubic_is_exact() {
        // f(a) = (a - 1)^3 - 3 (a - 1) has its minimum at a = 2.
        let f = |a: f64| (a - 1.0).powi(3) - 3.0 * (a - 1.0);
        let d = |a: f64| 3.0 * (a - 1.0).powi(2) - 3.0;
        let t = |a: f64| Trial {
            a,
            f: f(a),
            d: d(a),
        };
        assert!((interpolate(t(1.5), t(3.0)) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn a_quadratic_is_minimised_along_the_line() {
        // f(x) = x^2 from x = 3 along d = -1: the step to 3 satisfies both conditions.
        let g0 = [6.0];
        let step = strong_wolfe(9.0, &g0, &[-1.0], 1.0, |a| {
            let x = 3.0 - a;
            Ok((x * x, vec![2.0 * x]))
        })
        .unwrap()
        .unwrap();
        let x = 3.0 - step.alpha;
        assert!(x * x <= 9.0 + C1 * step.alpha * -6.0);
        assert!((2.0 * x).abs() <= C2 * 6.0);
    }

    #[test]
    fn an_ascent_direction_has_no_step() {
        let none = strong_wolfe(1.0, &[1.0], &[1.0], 1.0, |_| Ok((0.0, vec![0.0]))).unwrap();
        assert!(none.is_none());
    }
}
