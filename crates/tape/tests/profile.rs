//! The profiler, its Chrome trace and the DOT export, on small fixed graphs.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use tape::{DotOptions, Pass, Profile, Tape, Tensor};

const STEPS: usize = 3;
const B: usize = 64;
const D: usize = 256;
const H: usize = 256;
const C: usize = 10;

fn ramp(shape: [usize; 2], scale: f32) -> Tensor<f32> {
    let n = shape[0] * shape[1];
    Tensor::from_vec(
        (0..n).map(|i| scale * ((i % 17) as f32 - 8.0)).collect(),
        shape,
    )
}

/// `STEPS` steps of `mean(square(relu(x W1) W2))`, W1 and W2 parameters, x a constant.
fn profiled_steps() -> Profile {
    let (x, w1, w2) = (ramp([B, D], 0.1), ramp([D, H], 0.01), ramp([H, C], 0.01));
    let mut tape = Tape::<f32>::new();
    tape.start_profiling();
    for _ in 0..STEPS {
        tape.reset();
        let w1 = tape.var(w1.clone());
        let w2 = tape.var(w2.clone());
        let h = tape.constant(x.clone()).matmul(w1).relu();
        h.matmul(w2).square().mean().backward();
    }
    assert!(tape.is_profiling());
    let profile = tape.finish_profiling().unwrap();
    assert!(!tape.is_profiling());
    profile
}

#[test]
fn the_profile_counts_every_operation_of_a_known_graph() {
    let profile = profiled_steps();
    assert_eq!(profile.sweeps(), STEPS);
    let calls: BTreeMap<String, (usize, usize)> = profile
        .by_op()
        .into_iter()
        .map(|s| (s.op, (s.calls, s.backward_calls)))
        .collect();
    // Leaves and constants have no rule; every other operation needs a gradient here.
    let expected: BTreeMap<String, (usize, usize)> = [
        ("leaf", (2, 0)),
        ("constant", (1, 0)),
        ("matmul", (2, 2)),
        ("relu", (1, 1)),
        ("square", (1, 1)),
        ("mean", (1, 1)),
    ]
    .into_iter()
    .map(|(op, (f, b))| (op.to_string(), (f * STEPS, b * STEPS)))
    .collect();
    assert_eq!(calls, expected);

    let matmul = profile
        .by_op()
        .into_iter()
        .find(|s| s.op == "matmul")
        .unwrap();
    // Forward 2 m n k per product; backward the first product's W1 gradient only (x is a
    // constant), the second's both operands.
    let (first, second) = ((2 * B * H * D) as u64, (2 * B * C * H) as u64);
    assert_eq!(
        matmul.flops,
        STEPS as u64 * (first + second + first + 2 * second)
    );
    // The tape holds at most x, W1, x W1, its relu, W2, the logits, their square, the mean,
    // and the gradients of all but x.
    let values = B * D + D * H + 2 * B * H + H * C + 2 * B * C + 1;
    let grads = D * H + 2 * B * H + H * C + 2 * B * C + 1;
    assert_eq!(profile.peak_tape_bytes(), 4 * (values + grads));
}

/// Stated tolerance: the operations' times cover at least 75% of the profiled wall time (what
/// is left out is the profiler's own bookkeeping and the loop around the steps), and never more
/// than all of it.
#[test]
fn the_operation_times_add_up_to_the_wall_time() {
    let profile = profiled_steps();
    let ops: Duration = profile.by_op().iter().map(|s| s.total()).sum();
    let wall = profile.wall();
    assert!(ops <= wall, "operations {ops:?} > wall {wall:?}");
    assert!(
        ops.as_secs_f64() >= 0.75 * wall.as_secs_f64(),
        "operations {ops:?} cover less than 75% of the wall time {wall:?}"
    );
    // Events of one pass never overlap, and all lie within the profile.
    for pass in [Pass::Forward, Pass::Backward] {
        let mut end = Duration::ZERO;
        for e in profile.events().iter().filter(|e| e.pass == pass) {
            assert!(
                e.start >= end,
                "{} starts before the previous event ends",
                e.op
            );
            end = e.start + e.duration;
        }
        assert!(end <= wall);
    }
    let table = profile.table(3);
    assert!(table.lines().next().unwrap().starts_with("op"));
    assert!(table.contains("(3 others)"), "{table}");
}

#[test]
fn the_chrome_trace_is_json_with_complete_events_per_track() {
    let profile = profiled_steps();
    let json: Value = serde_json::from_str(&profile.chrome_trace()).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let mut tracks: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    for e in events {
        let tid = e["tid"].as_u64().unwrap();
        match e["ph"].as_str().unwrap() {
            "X" => {
                let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
                assert!(ts >= 0.0 && dur >= 0.0);
                tracks.entry(tid).or_default().push((ts, dur));
            }
            "M" if e["name"] == "thread_name" => {
                names.insert(tid, e["args"]["name"].as_str().unwrap().to_string());
            }
            "M" => {}
            other => panic!("unexpected phase {other}"),
        }
    }
    assert_eq!(names[&1], "forward");
    assert_eq!(names[&2], "backward");
    let forward = profile
        .events()
        .iter()
        .filter(|e| e.pass == Pass::Forward)
        .count();
    assert_eq!(tracks[&1].len(), forward);
    assert_eq!(tracks[&2].len(), profile.events().len() - forward);
    // Helper parts, if any ran, sit on their own named tracks.
    assert_eq!(
        tracks.keys().filter(|&&t| t >= 100).count(),
        names.keys().filter(|&&t| t >= 100).count()
    );
    for (tid, spans) in &mut tracks {
        assert!(names.contains_key(tid), "track {tid} has no name");
        // Complete events of one thread are sequential: none starts before the last ends
        // (to the format's nanosecond precision).
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in spans.windows(2) {
            assert!(
                w[1].0 >= w[0].0 + w[0].1 - 1e-3,
                "overlap on track {tid}: {w:?}"
            );
        }
    }
}

#[test]
fn the_dot_of_a_small_graph_is_exactly_this() {
    let tape = Tape::<f64>::new();
    let w = tape.var(Tensor::from_vec(vec![1.0, 2.0], [2, 1]));
    let x = tape.constant(Tensor::from_vec(vec![1.0; 6], [3, 2]));
    let unused = tape.constant(Tensor::scalar(2.0)) * 3.0;
    let loss = (x.matmul(w) * 0.5).sum();
    let _ = unused;
    // x W's operands in argument order (x is %1); `* 0.5` by a number is one `scale` node.
    let expected = r##"digraph tape {
  rankdir=TB;
  node [fontname="Helvetica", fontsize=10];
  edge [color="#555555", arrowsize=0.6];
  n0 [label="%0 leaf\n[2, 1]", shape=box, style=filled, fillcolor="#cfe2f3"];
  n1 [label="%1 constant\n[3, 2]", shape=box, style=dashed, color="#999999", fontcolor="#666666"];
  n4 [label="%4 matmul\n[3, 1]", shape=ellipse];
  n1 -> n4;
  n0 -> n4;
  n5 [label="%5 scale(0.5)\n[3, 1]", shape=ellipse];
  n4 -> n5;
  n6 [label="%6 sum\n[]", shape=ellipse, peripheries=2];
  n5 -> n6;
}
"##;
    assert_eq!(loss.to_dot(&DotOptions::new()), expected);
    let cut = r##"digraph tape {
  rankdir=TB;
  node [fontname="Helvetica", fontsize=10];
  edge [color="#555555", arrowsize=0.6];
  n5 [label="%5 scale(0.5)\n[3, 1]", shape=ellipse];
  n5_cut [label="...", shape=plaintext];
  n5_cut -> n5 [style=dotted];
  n6 [label="%6 sum\n[]", shape=ellipse, peripheries=2];
  n5 -> n6;
}
"##;
    assert_eq!(loss.to_dot(&DotOptions::new().max_depth(1)), cut);
    // The whole tape includes the unused branch, drawn as not needing a gradient.
    let all = tape.to_dot();
    assert!(all.contains(
        "n3 [label=\"%3 scale(3)\\n[]\", shape=ellipse, style=dashed, color=\"#999999\", fontcolor=\"#666666\"];"
    ));
}

#[test]
fn repeated_layers_collapse_into_one_node() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_vec(vec![0.5; 6], [2, 3]));
    let mut h = x.linear_relu(tape.var(Tensor::ones([3, 4])), tape.var(Tensor::ones([4])));
    for _ in 0..3 {
        let (w, b) = (tape.var(Tensor::ones([4, 4])), tape.var(Tensor::ones([4])));
        h = h.linear_relu(w, b);
    }
    let loss = h.sum();
    // The first layer differs (its weight is [3, 4]); the three [4, 4] layers are one node.
    let expected = r##"digraph tape {
  rankdir=TB;
  node [fontname="Helvetica", fontsize=10];
  edge [color="#555555", arrowsize=0.6];
  n0 [label="%0 constant\n[2, 3]", shape=box, style=dashed, color="#999999", fontcolor="#666666"];
  n1 [label="%1 leaf\n[3, 4]", shape=box, style=filled, fillcolor="#cfe2f3"];
  n2 [label="%2 leaf\n[4]", shape=box, style=filled, fillcolor="#cfe2f3"];
  n3 [label="%3 linear_relu\n[2, 4]", shape=ellipse];
  n0 -> n3;
  n1 -> n3;
  n2 -> n3;
  n4 [label="%4 leaf\n[4, 4]", shape=box, style=filled, fillcolor="#cfe2f3"];
  n5 [label="%5 leaf\n[4]", shape=box, style=filled, fillcolor="#cfe2f3"];
  n6 [label="%6 linear_relu\n[2, 4]\nx3", shape=ellipse];
  n3 -> n6;
  n4 -> n6;
  n5 -> n6;
  n13 [label="%13 sum\n[]", shape=ellipse, peripheries=2];
  n6 -> n13;
}
"##;
    assert_eq!(loss.to_dot(&DotOptions::new().collapse_repeats()), expected);
    // Uncollapsed, every layer is drawn.
    assert_eq!(
        loss.to_dot(&DotOptions::new())
            .matches("linear_relu")
            .count(),
        4
    );
}
