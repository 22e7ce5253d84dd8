//! The profile aggregated by operation, and its table (the shape of `torch.profiler`'s
//! `key_averages().table()`).

use std::collections::HashMap;
use std::fmt::{self, Write};
use std::time::Duration;

use super::{Pass, Profile};

/// One operation's totals over a profile: one row of [`Profile::table`].
#[derive(Clone, Debug, PartialEq)]
pub struct OpStats {
    /// The operation, as the method that records it is called.
    pub op: String,
    /// How many times it was recorded.
    pub calls: usize,
    /// How many times its backward rule ran.
    pub backward_calls: usize,
    /// Time in its forward kernels.
    pub forward: Duration,
    /// Time in its backward rules.
    pub backward: Duration,
    /// Time helper threads spent on its parallel parts (already inside `forward` and
    /// `backward` on the calling thread's clock, which waits for them).
    pub helpers: Duration,
    /// FLOPs of its forward kernels and backward rules, where known.
    pub flops: u64,
    /// Bytes its kernels and rules read and wrote, where known.
    pub bytes: u64,
}

impl OpStats {
    /// Forward plus backward time.
    pub fn total(&self) -> Duration {
        self.forward + self.backward
    }
}

impl Profile {
    /// Totals per operation, the most expensive (forward plus backward time) first.
    pub fn by_op(&self) -> Vec<OpStats> {
        let mut rows: Vec<OpStats> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        // Events in start order, to find which one each helper part belongs to.
        let mut spans: Vec<(Duration, Duration, usize)> = Vec::with_capacity(self.events.len());
        for e in &self.events {
            let k = *index.entry(&e.op).or_insert_with(|| {
                rows.push(OpStats {
                    op: e.op.clone(),
                    calls: 0,
                    backward_calls: 0,
                    forward: Duration::ZERO,
                    backward: Duration::ZERO,
                    helpers: Duration::ZERO,
                    flops: 0,
                    bytes: 0,
                });
                rows.len() - 1
            });
            let row = &mut rows[k];
            match e.pass {
                Pass::Forward => {
                    row.calls += 1;
                    row.forward += e.duration;
                }
                Pass::Backward => {
                    row.backward_calls += 1;
                    row.backward += e.duration;
                }
            }
            row.flops += e.flops;
            row.bytes += e.bytes;
            spans.push((e.start, e.start + e.duration, k));
        }
        spans.sort_by_key(|s| s.0);
        for part in &self.parts {
            // The last event that started before the part; it owns the part if it contains it.
            let after = spans.partition_point(|s| s.0 <= part.start);
            if let Some(&(_, end, k)) = after.checked_sub(1).map(|i| &spans[i])
                && part.start <= end
            {
                rows[k].helpers += part.duration;
            }
        }
        rows.sort_by(|a, b| b.total().cmp(&a.total()).then_with(|| a.op.cmp(&b.op)));
        rows
    }

    /// The table of [`Profile::by_op`], at most `rows` operations (the rest summed in one
    /// line), with the wall time, the sweeps, the tape's peak bytes and the helpers' work
    /// below it. `Display` prints every row.
    pub fn table(&self, rows: usize) -> String {
        let stats = self.by_op();
        let total: Duration = stats.iter().map(OpStats::total).sum();
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<22} {:>6} {:>10} {:>10} {:>10} {:>6} {:>9} {:>8} {:>7}",
            "op", "calls", "forward", "backward", "total", "share", "helpers", "GFLOP/s", "GB/s"
        );
        let _ = writeln!(s, "{}", "-".repeat(96));
        let line = |s: &mut String, r: &OpStats| {
            let t = r.total().as_secs_f64();
            let rate = |n: u64| match n {
                0 => "-".to_string(),
                _ if t > 0.0 => format!("{:.1}", n as f64 / t / 1e9),
                _ => "-".to_string(),
            };
            let share = if total.is_zero() {
                0.0
            } else {
                100.0 * t / total.as_secs_f64()
            };
            let _ = writeln!(
                s,
                "{:<22} {:>6} {:>10} {:>10} {:>10} {:>5.1}% {:>9} {:>8} {:>7}",
                truncate(&r.op, 22),
                r.calls,
                time(r.forward),
                if r.backward_calls == 0 {
                    "-".to_string()
                } else {
                    time(r.backward)
                },
                time(r.total()),
                share,
                if r.helpers.is_zero() {
                    "-".to_string()
                } else {
                    time(r.helpers)
                },
                rate(r.flops),
                rate(r.bytes)
            );
        };
        for r in stats.iter().take(rows) {
            line(&mut s, r);
        }
        if stats.len() > rows {
            let rest = sum(&stats[rows..], &format!("({} others)", stats.len() - rows));
            line(&mut s, &rest);
        }
        let _ = writeln!(s, "{}", "-".repeat(96));
        line(&mut s, &sum(&stats, "total"));
        let helpers: Duration = self.parts.iter().map(|p| p.duration).sum();
        let _ = write!(
            s,
            "wall {} over {} backward sweep(s); operations {:.1}% of it; tape held at most {}; helper threads busy {}",
            time(self.wall),
            self.sweeps,
            100.0 * total.as_secs_f64() / self.wall.as_secs_f64().max(1e-12),
            bytes(self.peak_bytes),
            time(helpers),
        );
        s
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.table(usize::MAX))
    }
}

/// The rows summed, under `name`.
fn sum(rows: &[OpStats], name: &str) -> OpStats {
    let mut t = OpStats {
        op: name.to_string(),
        calls: 0,
        backward_calls: 0,
        forward: Duration::ZERO,
        backward: Duration::ZERO,
        helpers: Duration::ZERO,
        flops: 0,
        bytes: 0,
    };
    for r in rows {
        t.calls += r.calls;
        t.backward_calls += r.backward_calls;
        t.forward += r.forward;
        t.backward += r.backward;
        t.helpers += r.helpers;
        t.flops += r.flops;
        t.bytes += r.bytes;
    }
    t
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut t: String = s.chars().take(n - 1).collect();
    t.push('~');
    t
}

/// A duration to 3 significant digits in ns, us, ms or s.
pub(crate) fn time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (v, unit) = match ns {
        _ if ns < 1e3 => (ns, "ns"),
        _ if ns < 1e6 => (ns / 1e3, "us"),
        _ if ns < 1e9 => (ns / 1e6, "ms"),
        _ => (ns / 1e9, "s"),
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$} {unit}")
}

fn bytes(n: usize) -> String {
    let n = n as f64;
    match n {
        _ if n < 1e3 => format!("{n} B"),
        _ if n < 1e6 => format!("{:.1} kB", n / 1e3),
        _ if n < 1e9 => format!("{:.1} MB", n / 1e6),
        _ => format!("{:.2} GB", n / 1e9),
    }
}
