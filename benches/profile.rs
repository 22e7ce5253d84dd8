//! Where the time of the benchmark workloads goes: the per-operation profiles of `mlp_step`,
//! `deepid2` and `gan_step` (`benches/workloads`), the profiler's overhead on `mlp_step`, and
//! the picture of `mlp_step`'s graph.
//!
//! `cargo bench --bench profile` (about a minute) rewrites the block between the
//! `profile:start` and `profile:end` markers of `benches/compare/RESULTS.md`, writes each
//! workload's Chrome trace to `target/profile/<workload>.trace.json` (open it in
//! <https://ui.perfetto.dev>), and `docs/img/mlp_step_graph.dot`, rendered to
//! `docs/img/mlp_step_graph.svg` when Graphviz's `dot` is installed.

use std::fmt::Write;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use lossgraph::{losses, tape};
use tape::{Pass, Profile, Tape};

#[path = "workloads/mod.rs"]
mod workloads;

/// Steps run before profiling, and steps profiled.
const WARM_UP: usize = 20;
const PROFILED: usize = 50;

/// `PROFILED` steps of `step` after `WARM_UP` unprofiled ones.
fn profile(step: impl Fn(&Tape<f32>) -> f32) -> Profile {
    let mut tape = Tape::new();
    for _ in 0..WARM_UP {
        tape.reset();
        black_box(step(&tape));
    }
    tape.start_profiling();
    for _ in 0..PROFILED {
        tape.reset();
        black_box(step(&tape));
    }
    tape.finish_profiling().expect("profiling was started")
}

/// The Markdown section of one workload: what dominates, the ratio, the table.
fn section(name: &str, what: &str, p: &Profile) -> String {
    // Every step records the same graph: the events split into equal steps, and the medians
    // of their forward and backward sums are robust to a preempted step.
    let per_step = p.events().len() / PROFILED;
    let median = |want: Pass| -> Duration {
        let mut sums: Vec<Duration> = p
            .events()
            .chunks(per_step)
            .map(|step| {
                step.iter()
                    .filter(|e| e.pass == want)
                    .map(|e| e.duration)
                    .sum()
            })
            .collect();
        sums.sort_unstable();
        sums[sums.len() / 2]
    };
    let (fwd, bwd) = (median(Pass::Forward), median(Pass::Backward));
    let ops = p.by_op();
    let total: Duration = ops.iter().map(|s| s.total()).sum();
    let top: Vec<String> = ops
        .iter()
        .take(3)
        .map(|s| {
            format!(
                "`{}` {:.0}%",
                s.op,
                100.0 * s.total().as_secs_f64() / total.as_secs_f64()
            )
        })
        .collect();
    let mut s = String::new();
    let _ = writeln!(s, "### `{name}` ({what})\n");
    let _ = writeln!(
        s,
        "Per step (median of {PROFILED}): forward {:.3?}, backward {:.3?}, backward/forward \
         {:.2}; most time (totals) in {}.\n",
        fwd,
        bwd,
        bwd.as_secs_f64() / fwd.as_secs_f64(),
        top.join(", ")
    );
    let _ = writeln!(s, "```text\n{}\n```\n", p.table(10));
    s
}

/// The profiler's cost on `mlp_step`: rounds alternating plain and profiled batches of steps
/// (a fresh profile per step, as a user profiling each step would pay), median per step of
/// each.
fn overhead() -> (Duration, Duration) {
    let mlp = workloads::MlpStep::new(128);
    let mut tape = Tape::new();
    let (mut plain, mut profiled) = (Vec::new(), Vec::new());
    for round in 0..40 {
        for on in [round % 2 == 0, round % 2 == 1] {
            let start = Instant::now();
            for _ in 0..10 {
                tape.reset();
                if on {
                    tape.start_profiling();
                }
                black_box(mlp.step(&tape));
                if on {
                    black_box(tape.finish_profiling());
                }
            }
            let per_step = start.elapsed() / 10;
            if round >= 4 {
                if on { &mut profiled } else { &mut plain }.push(per_step);
            }
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    (median(&mut plain), median(&mut profiled))
}

/// Replaces the text between the markers in `path`.
fn replace_block(path: &Path, block: &str) {
    let (start, end) = ("<!-- profile:start -->", "<!-- profile:end -->");
    let text = std::fs::read_to_string(path).expect("benches/compare/RESULTS.md is readable");
    let (Some(a), Some(b)) = (text.find(start), text.find(end)) else {
        panic!("{} has no {start} ... {end} block", path.display());
    };
    let new = format!("{}{start}\n{block}{}", &text[..a], &text[b..]);
    std::fs::write(path, new).expect("benches/compare/RESULTS.md is writable");
}

/// `mlp_step`'s graph as DOT, and as SVG when Graphviz is installed.
fn draw_mlp_graph(root: &Path) {
    let tape = Tape::new();
    workloads::MlpStep::new(128).step(&tape);
    let dot = root.join("docs/img/mlp_step_graph.dot");
    std::fs::write(&dot, tape.to_dot()).expect("docs/img is writable");
    let svg = root.join("docs/img/mlp_step_graph.svg");
    match std::process::Command::new("dot")
        .arg("-Tsvg")
        .arg(&dot)
        .arg("-o")
        .arg(&svg)
        .status()
    {
        Ok(s) if s.success() => eprintln!("wrote {}", svg.display()),
        _ => eprintln!(
            "Graphviz's dot did not run (apt-get install graphviz): only {}",
            dot.display()
        ),
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cpu = tape::cpu_features();
    eprintln!("lossgraph {cpu}");
    let traces = root.join("target/profile");
    std::fs::create_dir_all(&traces).expect("target/ is writable");
    let mlp = workloads::MlpStep::new(128);
    let deepid2 = workloads::DeepId2::new();
    let gan = workloads::GanStep::new();
    let runs = [
        (
            "mlp_step",
            "MLP 784-512-256-10, batch 128",
            profile(|t| mlp.step(t)),
        ),
        (
            "deepid2",
            "256 x 160 -> 10,000 identities",
            profile(|t| deepid2.step(t)),
        ),
        (
            "gan_step",
            "G and D steps, batch 256",
            profile(|t| gan.step(t)),
        ),
    ];
    let (plain, profiled) = overhead();
    let mut block = String::new();
    let _ = writeln!(
        block,
        "Regenerated by `cargo bench --bench profile` on {}, {} vCPU, {} ({PROFILED} profiled steps per \
         workload after {WARM_UP} unprofiled ones; times are totals over those steps, \
         `helpers` the time helper threads spent on an operation's parallel parts). The \
         profiler's overhead on `mlp_step` (alternating batches, median per step): {:.3?} \
         plain, {:.3?} profiled ({:+.1}%).\n",
        cpu_name(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu.to_string().replace("; CPU:", "; CPU features:"),
        plain,
        profiled,
        100.0 * (profiled.as_secs_f64() / plain.as_secs_f64() - 1.0)
    );
    for (name, what, p) in &runs {
        block.push_str(&section(name, what, p));
        let path = traces.join(format!("{name}.trace.json"));
        p.write_chrome_trace(&path)
            .expect("target/profile is writable");
        eprintln!("wrote {}", path.display());
    }
    print!("{block}");
    replace_block(&root.join("benches/compare/RESULTS.md"), &block);
    draw_mlp_graph(root);
}

/// The CPU's model name, from /proc/cpuinfo where there is one.
fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "an unknown CPU".into())
}
