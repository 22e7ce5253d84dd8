//! The `isomap` example unrolls the Swiss roll of seed 0; its neighbour-graph check finds the
//! short circuits (and nothing on a flat sheet); its classical-MDS and rank-correlation helpers
//! are right on cases with known answers.

#[path = "../../examples/isomap/main.rs"]
#[allow(dead_code)]
mod isomap;

use std::f64::consts::PI;
use std::path::PathBuf;

use approx::assert_abs_diff_eq;
use isomap::{
    Config, classical_mds, rank_correlation, run, short_circuit_pairs, short_circuit_points,
    without_short_circuits,
};
use losses::unsupervised::geodesic_distances;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tensor;
use train::synth::{SwissRoll, swiss_roll};

#[test]
fn stress_descent_from_classical_mds_unrolls_the_swiss_roll() {
    let config = Config {
        steps: 60,
        out: PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example_isomap"),
        ..Config::default()
    };
    assert_eq!(config.seed, 0);
    let report = run(&config).unwrap();
    // Seed 0's roll has a corner point whose neighbours reach the next turn; the check drops
    // it (and nothing much else), after which no pair of points is short-circuited.
    assert!(
        (1..=3).contains(&report.dropped_points),
        "{} points dropped",
        report.dropped_points
    );
    assert_eq!(report.short_circuit_pairs, 0);
    assert!(
        report.stress_after < 0.7 * report.stress_before,
        "stress {} -> {}",
        report.stress_before,
        report.stress_after
    );
    assert!(
        report.rank_correlation_after >= 0.95,
        "rank correlation {}",
        report.rank_correlation_after
    );
    assert!(config.out.join("isomap.svg").exists());
}

#[test]
fn the_neighbour_graph_check_flags_exactly_the_points_that_reach_across_a_turn() {
    let k = 10;
    let roll = swiss_roll(800, 0.05, &mut StdRng::seed_from_u64(0));
    let points: Tensor<f64> = roll.points.cast();
    let t: Vec<f64> = roll
        .unrolled
        .cast::<f64>()
        .data()
        .iter()
        .step_by(2)
        .copied()
        .collect();
    // The truth, from the roll's coordinates: a neighbour more than half a turn away in t.
    let rows: Vec<&[f64]> = points.data().chunks_exact(3).collect();
    let reaching_across: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            let mut others: Vec<(f64, usize)> = (0..rows.len())
                .filter(|&j| j != i)
                .map(|j| {
                    let d2: f64 = rows[i]
                        .iter()
                        .zip(rows[j])
                        .map(|(a, b)| (a - b).powi(2))
                        .sum();
                    (d2, j)
                })
                .collect();
            others.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            others[..k].iter().any(|&(_, j)| (t[i] - t[j]).abs() > PI)
        })
        .collect();
    assert!(
        !reaching_across.is_empty(),
        "seed 0's roll has a short circuit"
    );
    assert_eq!(short_circuit_points(&points, k), reaching_across);
    // Without the check those edges fold the geodesics; with it, none remain.
    let all = geodesic_distances(&points, k).unwrap();
    assert!(short_circuit_pairs(&all, &roll.unrolled.cast()) > 1000);
    let kept = without_short_circuits(&points, k);
    let geodesic = geodesic_distances(&points.index_select(0, &kept), k).unwrap();
    let unrolled = roll.unrolled.cast::<f64>().index_select(0, &kept);
    assert_eq!(short_circuit_pairs(&geodesic, &unrolled), 0);
    // The same points laid flat, (s(t), h, 0), have no gap to jump: nothing is flagged.
    let flat = Tensor::from_fn([800, 3], |idx| {
        let (i, c) = (idx / 3, idx % 3);
        match c {
            0 => SwissRoll::arc_length(t[i]),
            1 => roll.points.at(&[i, 1]).into(),
            _ => 0.0,
        }
    });
    assert!(short_circuit_points(&flat, k).is_empty());
}

#[test]
fn classical_mds_reproduces_the_distances_of_planar_points() {
    let xy: Vec<f64> = (0..40)
        .map(|i| ((i * 37 % 23) as f64 - 11.0) * 0.7)
        .collect();
    let n = xy.len() / 2;
    let distance =
        |i: usize, j: usize| (xy[2 * i] - xy[2 * j]).hypot(xy[2 * i + 1] - xy[2 * j + 1]);
    let d = Tensor::from_fn([n, n], |idx| distance(idx / n, idx % n));
    let y = classical_mds(&d, 2);
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (&y.data()[2 * i..2 * i + 2], &y.data()[2 * j..2 * j + 2]);
            assert_abs_diff_eq!(
                (a[0] - b[0]).hypot(a[1] - b[1]),
                distance(i, j),
                epsilon = 1e-8
            );
        }
    }
}

#[test]
fn rank_correlation_is_one_for_monotone_and_minus_one_for_reversed_orders() {
    let a = [0.1, 0.5, 0.2, 3.0, -1.0];
    let up: Vec<f64> = a.iter().map(|x| x * x * x + 2.0).collect();
    let down: Vec<f64> = a.iter().map(|x| -x.exp()).collect();
    assert_abs_diff_eq!(rank_correlation(&a, &up), 1.0, epsilon = 1e-12);
    assert_abs_diff_eq!(rank_correlation(&a, &down), -1.0, epsilon = 1e-12);
    // ranks 0..4 against 1, 0, 3, 2, 4: 1 - 6 * 4 / (5 * 24) = 0.8
    assert_abs_diff_eq!(
        rank_correlation(&[0.0, 1.0, 2.0, 3.0, 4.0], &[1.0, 0.0, 3.0, 2.0, 4.0]),
        0.8,
        epsilon = 1e-12
    );
}

/// The example's arguments as `main` receives them.
fn argv(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_missed_requirement_is_an_error_and_bad_flags_are_refused() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("example_isomap_fail");
    let out = out.to_str().unwrap();
    // So much noise that no roll is left to unroll: the rank correlation misses 0.95.
    let err = isomap::run_main(argv(&[
        "--noise", "100", "--points", "200", "--steps", "20", "--out", out,
    ]))
    .unwrap_err();
    assert!(err.starts_with("rank correlation "), "{err}");
    assert!(
        err.ends_with(" is not >= 0.95: the requirement on the result line is not met"),
        "{err}"
    );
    let err = isomap::run_main(argv(&["--points", "10000000000", "--out", out])).unwrap_err();
    assert!(
        err.starts_with("--points 10000000000 needs at least 4800.0 EB of memory"),
        "{err}"
    );
    let err = isomap::run_main(argv(&["--lr", "nan"])).unwrap_err();
    assert_eq!(err, "--lr expects a finite number, got 'nan'");
}
