//! k-means (U1): k-means++ seeding, the assignment step, and the objective with its assignment.

use crate::common;

use common::{GRAD_TOL, assert_close, assert_near, rng, uniform};
use losses::Reduction;
use losses::unsupervised::*;
use tape::{Tape, Tensor, gradcheck};

#[test]
fn kmeans_assign_picks_the_nearest_centre() {
    let points = Tensor::from_vec(vec![0.0, 0.0, 1.0, 0.9, 5.0, 5.0, 2.5, 2.5], [4, 2]);
    let centers = Tensor::from_vec(vec![0.0, 0.0, 1.0, 1.0, 4.0, 4.0], [3, 2]);
    // (2.5, 2.5) is 4.5 from (1, 1) and 4.5 from (4, 4): the lower index wins the tie.
    assert_eq!(kmeans_assign(&points, &centers), vec![0, 1, 2, 1]);
}

#[test]
fn kmeans_objective_gradcheck() {
    let mut r = rng(401);
    for (n, d, k, reduction) in [(10, 2, 3, Reduction::Sum), (15, 3, 4, Reduction::Mean)] {
        let points = uniform(&mut r, &[n, d], -2.0, 2.0);
        let centers = uniform(&mut r, &[k, d], -2.0, 2.0);
        gradcheck(
            |v| kmeans_objective(v[0], v[1], reduction).loss,
            &[points, centers],
        )
        .assert_within(GRAD_TOL);
    }
}

#[test]
fn kmeans_objective_value_and_lloyd_direction() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_vec(vec![0.0, 1.0, 2.0, 9.0, 13.0], [5, 1]));
    let mu = tape.var(Tensor::from_vec(vec![0.0, 10.0], [2, 1]));
    // Clusters {0, 1, 2} around 0: 0 + 1 + 4; {9, 13} around 10: 1 + 9.
    let objective = kmeans_objective(x, mu, Reduction::Sum);
    assert_eq!(objective.assignment, vec![0, 0, 0, 1, 1]);
    let loss = objective.loss;
    assert_eq!(loss.item(), 15.0);
    assert_close(
        kmeans_objective(x, mu, Reduction::None).loss.value().data(),
        &[0.0, 1.0, 4.0, 1.0, 9.0],
        0.0,
    );
    loss.backward();
    // 2 n_k (mu_k - mean of S_k): a step of 1 / (2 n_k) lands on the cluster mean (Lloyd).
    assert_close(mu.grad().unwrap().data(), &[-6.0, -4.0], 0.0);
}

/// Four tight groups of 5-D points around far-apart corners, `per` points each.
fn corner_groups(r: &mut rand::rngs::StdRng, per: usize) -> (Tensor<f64>, Vec<usize>) {
    let corners = [
        [0.0; 5],
        [20.0; 5],
        [0.0, 20.0, 0.0, 20.0, 0.0],
        [20.0, 0.0, 0.0, 0.0, 20.0],
    ];
    let noise = uniform(r, &[4 * per, 5], -0.05, 0.05);
    let points = Tensor::from_fn([4 * per, 5], |i| {
        corners[i / (5 * per)][i % 5] + noise.data()[i]
    });
    (points, (0..4 * per).map(|i| i / per).collect())
}

#[test]
fn kmeans_plus_plus_is_seeded_and_gives_each_far_group_a_centre_in_5_d() {
    let (points, groups) = corner_groups(&mut rng(406), 10);
    for seed in 0..20 {
        let centres = kmeans_plus_plus(&points, 4, &mut rng(seed));
        assert_eq!(centres.dims(), &[4, 5]);
        assert_eq!(kmeans_plus_plus(&points, 4, &mut rng(seed)), centres);
        // Each centre is a copy of a data point, and the four come from the four groups: a
        // point of an uncovered group weighs at least about 2 * 20^2, one of a covered group at
        // most 5 * 0.1^2.
        let mut covered: Vec<usize> = centres
            .data()
            .chunks_exact(5)
            .map(|c| {
                let row = points.data().chunks_exact(5).position(|p| p == c);
                groups[row.expect("a centre is a data point")]
            })
            .collect();
        covered.sort();
        assert_eq!(covered, vec![0, 1, 2, 3], "seed {seed}");
    }
}

#[test]
fn kmeans_plus_plus_draws_in_proportion_to_the_squared_distance() {
    // Points 0, 1 and 3 on a line. After a first centre at 0 the weights are (0, 1, 9), so 3 is
    // drawn 9 times in 10; after 1: (1, 0, 4); after 3: (9, 4, 0).
    let points = Tensor::from_vec(vec![0.0, 1.0, 3.0], [3, 1]);
    let mut counts = [[0usize; 3]; 3];
    let mut r = rng(407);
    for _ in 0..6000 {
        let c = kmeans_plus_plus(&points, 2, &mut r);
        let (first, second) = (c.data()[0] as usize, c.data()[1] as usize);
        counts[[0, 1, 3].iter().position(|&p| p == first).unwrap()]
            [[0, 1, 3].iter().position(|&p| p == second).unwrap()] += 1;
    }
    let expected = [
        [0.0, 0.1, 0.9],
        [0.2, 0.0, 0.8],
        [9.0 / 13.0, 4.0 / 13.0, 0.0],
    ];
    for (first, row) in counts.iter().enumerate() {
        let total: usize = row.iter().sum();
        // The first centre is uniform: 2000 of 6000 expected, standard deviation 37.
        assert!(
            (total as f64 - 2000.0).abs() < 200.0,
            "first centre counts {counts:?}"
        );
        for (second, &count) in row.iter().enumerate() {
            // Binomial with n ~ 2000: standard deviation at most 0.012.
            assert_near(count as f64 / total as f64, expected[first][second], 0.05);
        }
    }
}

#[test]
fn kmeans_plus_plus_never_repeats_a_point_while_others_remain() {
    // Two distinct points, each five times: k = 2 must pick both; k = 3 can only repeat one.
    let points = Tensor::from_fn([10, 2], |i| if i < 10 { 1.0 } else { -1.0 });
    for seed in 0..10 {
        let two = kmeans_plus_plus(&points, 2, &mut rng(seed));
        let mut firsts = vec![two.data()[0], two.data()[2]];
        firsts.sort_by(f64::total_cmp);
        assert_eq!(firsts, vec![-1.0, 1.0]);
        assert_eq!(kmeans_plus_plus(&points, 3, &mut rng(seed)).dims(), &[3, 2]);
    }
}

#[test]
#[should_panic(expected = "kmeans_plus_plus: k = 4 centres for points [3, 2]")]
fn kmeans_plus_plus_needs_as_many_points_as_centres() {
    kmeans_plus_plus(&Tensor::<f64>::zeros([3, 2]), 4, &mut rng(0));
}

#[test]
fn kmeans_objective_returns_the_assignment_it_used() {
    let mut r = rng(408);
    let (data, _) = corner_groups(&mut r, 6);
    let start = kmeans_plus_plus(&data, 4, &mut r);
    let tape = Tape::<f64>::new();
    let (x, mu) = (tape.constant(data.clone()), tape.var(start.clone()));
    let objective = kmeans_objective(x, mu, Reduction::Sum);
    assert_eq!(objective.assignment, kmeans_assign(&data, &start));
    let by_hand: f64 = data
        .data()
        .chunks_exact(5)
        .zip(&objective.assignment)
        .map(|(p, &a)| {
            let c = &start.data()[5 * a..5 * a + 5];
            p.iter().zip(c).map(|(u, v)| (u - v) * (u - v)).sum::<f64>()
        })
        .sum();
    assert_near(objective.loss.item(), by_hand, 1e-10);
}

#[test]
#[should_panic(expected = "kmeans_objective: points [3, 2] and centers [2, 3]")]
fn kmeans_objective_names_itself_and_both_shapes() {
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::zeros([3, 2]));
    kmeans_objective(x, tape.var(Tensor::zeros([2, 3])), Reduction::Sum);
}
