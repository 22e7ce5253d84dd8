//! Timing a user's own objective: forward and backward medians with their spread, the
//! backward/forward ratio, and a profile of the slowest operations.
//!
//! The statistics are the project's benches': a warm-up that also estimates the time per
//! step, then a number of samples of equally many steps filling the measurement time; each
//! sample gives a time per step, and the report is the median over samples with the 25th and
//! 75th percentiles as the spread.

use std::fmt;
use std::time::{Duration, Instant};

use crate::{Float, Profile, Tape, Var};

/// The sampling plan of [`Bench::time_backward`]: by default a 1 s warm-up, then 20 samples
/// over about 2 s (criterion's settings in `benches/compare/run.sh`).
#[derive(Clone, Debug)]
pub struct Bench {
    warm_up: Duration,
    measurement: Duration,
    samples: usize,
}

impl Default for Bench {
    fn default() -> Self {
        Bench {
            warm_up: Duration::from_secs(1),
            measurement: Duration::from_secs(2),
            samples: 20,
        }
    }
}

/// A median and its spread over samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    /// The median sample.
    pub median: Duration,
    /// The 25th percentile of the samples.
    pub low: Duration,
    /// The 75th percentile of the samples.
    pub high: Duration,
}

/// What [`time_backward`] measured.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Time per step recording the objective (the forward pass).
    pub forward: Spread,
    /// Time per step of the reverse sweep.
    pub backward: Spread,
    /// How many samples were taken.
    pub samples: usize,
    /// How many steps each sample ran (and the profile too).
    pub steps_per_sample: usize,
    /// The profile of one more sample's steps, taken after the measurement.
    pub profile: Profile,
}

impl Timing {
    /// The backward median over the forward median.
    pub fn ratio(&self) -> f64 {
        self.backward.median.as_secs_f64() / self.forward.median.as_secs_f64().max(1e-12)
    }
}

impl Bench {
    /// The default plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long to run before measuring (at least one step runs).
    pub fn warm_up(mut self, d: Duration) -> Self {
        self.warm_up = d;
        self
    }

    /// About how long the samples take together.
    pub fn measurement(mut self, d: Duration) -> Self {
        self.measurement = d;
        self
    }

    /// How many samples to take (at least 1).
    pub fn samples(mut self, n: usize) -> Self {
        self.samples = n.max(1);
        self
    }

    /// Times `objective`, which records a loss on the tape it is given, and the backward pass
    /// from that loss; see [`time_backward`].
    pub fn time_backward<T, F>(&self, mut objective: F) -> Timing
    where
        T: Float,
        F: for<'t> FnMut(&'t Tape<T>) -> Var<'t, T>,
    {
        let mut tape = Tape::new();
        let started = Instant::now();
        let mut steps = 0u32;
        while steps == 0 || started.elapsed() < self.warm_up {
            step(&mut tape, &mut objective);
            steps += 1;
        }
        let per_step = started.elapsed() / steps;
        let per_sample = self.measurement / self.samples as u32;
        let k = (per_sample.as_nanos() / per_step.as_nanos().max(1)).max(1) as usize;
        let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
        for _ in 0..self.samples {
            let (mut f, mut b) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..k {
                let (sf, sb) = step(&mut tape, &mut objective);
                f += sf;
                b += sb;
            }
            fwd.push(f / k as u32);
            bwd.push(b / k as u32);
        }
        tape.start_profiling();
        for _ in 0..k {
            step(&mut tape, &mut objective);
        }
        let profile = tape
            .finish_profiling()
            .expect("the profiler was started above");
        Timing {
            forward: spread(fwd),
            backward: spread(bwd),
            samples: self.samples,
            steps_per_sample: k,
            profile,
        }
    }
}

/// Times `objective` (it records a loss on the tape it is given) and the backward pass from
/// that loss with the default [`Bench`]: forward and backward medians per step with their
/// spread, their ratio, and a profile of one sample's steps. `Display` prints it all.
///
/// ```
/// use std::time::Duration;
/// use tape::Tensor;
/// use tape::bench::Bench;
///
/// let w0 = Tensor::<f32>::ones([64, 10]);
/// let x0 = Tensor::<f32>::ones([32, 64]);
/// let timing = Bench::new()
///     .warm_up(Duration::from_millis(20))
///     .measurement(Duration::from_millis(50))
///     .time_backward(|tape| {
///         let w = tape.var(w0.clone());
///         tape.constant(x0.clone()).matmul(w).log_softmax(1).mean()
///     });
/// assert!(timing.ratio() > 0.0);
/// println!("{timing}");
/// ```
pub fn time_backward<T, F>(objective: F) -> Timing
where
    T: Float,
    F: for<'t> FnMut(&'t Tape<T>) -> Var<'t, T>,
{
    Bench::new().time_backward(objective)
}

/// One step on a recycled tape: the forward and the backward time.
fn step<T: Float, F>(tape: &mut Tape<T>, objective: &mut F) -> (Duration, Duration)
where
    F: for<'t> FnMut(&'t Tape<T>) -> Var<'t, T>,
{
    tape.reset();
    let t0 = Instant::now();
    let loss = objective(tape);
    let t1 = Instant::now();
    loss.backward();
    (t1 - t0, t1.elapsed())
}

fn spread(mut v: Vec<Duration>) -> Spread {
    v.sort_unstable();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Spread {
        median: at(0.5),
        low: at(0.25),
        high: at(0.75),
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::profile::time;
        let row = |s: &Spread| {
            format!(
                "{:>10}  [{} .. {}]",
                time(s.median),
                time(s.low),
                time(s.high)
            )
        };
        writeln!(f, "forward   {}", row(&self.forward))?;
        writeln!(f, "backward  {}", row(&self.backward))?;
        writeln!(f, "backward/forward {:.2}", self.ratio())?;
        writeln!(
            f,
            "(per step: median [25th .. 75th percentile] of {} samples of {} steps)",
            self.samples, self.steps_per_sample
        )?;
        writeln!(
            f,
            "\nslowest operations over {} profiled steps:",
            self.steps_per_sample
        )?;
        write!(f, "{}", self.profile.table(8))
    }
}
