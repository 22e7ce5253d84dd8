//! Datasets, the mini-batch loader and the built-in generators.

use approx::assert_abs_diff_eq;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::Tensor;
use train::synth::{self, BOX_CLASSES, GaussianMixture, SwissRoll, iou};
use train::{BatchLoader, Dataset};

/// 10 examples of 3 features; example `i` holds `[i, i, i]` and label `i % 3`.
fn numbered(n: usize) -> Dataset {
    Dataset::new(
        Tensor::from_fn([n, 3], |k| (k / 3) as f32),
        (0..n).map(|i| i % 3).collect(),
        3,
    )
}

#[test]
fn an_epoch_visits_every_example_once_in_batches_that_match_the_data() {
    let data = numbered(10);
    let mut loader = BatchLoader::new(4);
    let mut rng = StdRng::seed_from_u64(0);
    loader.shuffle(data.len(), &mut rng);
    let (mut seen, mut sizes) = (Vec::new(), Vec::new());
    while let Some(batch) = loader.next_batch(&data) {
        sizes.push(batch.labels.len());
        assert_eq!(batch.inputs.dims(), &[batch.labels.len(), 3]);
        for (row, (&i, &label)) in batch.indices.iter().zip(batch.labels).enumerate() {
            assert_eq!(&batch.inputs.data()[row * 3..row * 3 + 3], &[i as f32; 3]);
            assert_eq!(label, i % 3);
        }
        seen.extend_from_slice(batch.indices);
    }
    assert_eq!(sizes, vec![4, 4, 2]);
    assert_eq!(loader.batches_per_epoch(10), 3);
    assert_ne!(seen, (0..10).collect::<Vec<_>>(), "shuffled");
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

#[test]
fn shuffling_is_seeded_and_changes_every_epoch() {
    let data = numbered(50);
    let epoch_orders = |seed| {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut loader = BatchLoader::new(50);
        (0..2)
            .map(|_| {
                loader.shuffle(data.len(), &mut rng);
                loader.next_batch(&data).unwrap().indices.to_vec()
            })
            .collect::<Vec<_>>()
    };
    let a = epoch_orders(1);
    assert_eq!(a, epoch_orders(1));
    assert_ne!(a, epoch_orders(2));
    assert_ne!(a[0], a[1]);
}

#[test]
fn drop_last_and_in_order() {
    let data = numbered(10);
    let mut loader = BatchLoader::new(4).drop_last(true);
    loader.in_order(data.len());
    let mut batches = Vec::new();
    while let Some(batch) = loader.next_batch(&data) {
        batches.push(batch.indices.to_vec());
    }
    assert_eq!(batches, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    assert_eq!(loader.batches_per_epoch(10), 2);
}

#[test]
fn batches_are_copied_into_reused_buffers() {
    let data = numbered(64);
    let mut loader = BatchLoader::new(8);
    let mut rng = StdRng::seed_from_u64(3);
    let mut pointers = Vec::new();
    for _ in 0..2 {
        loader.shuffle(data.len(), &mut rng);
        while let Some(batch) = loader.next_batch(&data) {
            pointers.push(batch.inputs.data().as_ptr());
        }
    }
    assert_eq!(pointers.len(), 16);
    assert!(
        pointers.iter().all(|&p| p == pointers[0]),
        "one buffer serves every batch"
    );
}

#[test]
fn splits_partition_the_data() {
    let data = numbered(10);
    let (head, tail) = data.split_at(7);
    assert_eq!(head.labels, vec![0, 1, 2, 0, 1, 2, 0]);
    assert_eq!(
        tail.inputs.data(),
        &[7.0, 7.0, 7.0, 8.0, 8.0, 8.0, 9.0, 9.0, 9.0]
    );
    let mut rng = StdRng::seed_from_u64(4);
    let (train, val) = data.random_split(3, &mut rng);
    assert_eq!((train.len(), val.len()), (7, 3));
    let mut ids: Vec<f32> = train
        .inputs
        .data()
        .iter()
        .chain(val.inputs.data())
        .step_by(3)
        .copied()
        .collect();
    ids.sort_by(f32::total_cmp);
    assert_eq!(ids, (0..10).map(|i| i as f32).collect::<Vec<_>>());
    assert_eq!(data.subset(&[9, 0]).labels, vec![0, 0]);
    assert_eq!(data.features(), 3);
}

#[test]
fn digits_are_seeded_balanced_and_distinct_per_class() {
    let a = synth::digits(1000, &mut StdRng::seed_from_u64(11));
    let b = synth::digits(1000, &mut StdRng::seed_from_u64(11));
    assert_eq!(a.inputs, b.inputs);
    assert_eq!(a.labels, b.labels);
    assert_eq!(a.inputs.dims(), &[1000, 784]);
    assert_eq!(a.classes, 10);
    assert!(a.inputs.data().iter().all(|p| (0.0..=1.0).contains(p)));
    let mut counts = [0usize; 10];
    for &l in &a.labels {
        counts[l] += 1;
    }
    assert!(
        counts.iter().all(|&c| (60..=140).contains(&c)),
        "{counts:?}"
    );
    // Mean images of different classes differ clearly (a 1 has far less ink than an 8).
    let mean_ink = |class| {
        let rows: Vec<usize> = (0..1000).filter(|&i| a.labels[i] == class).collect();
        a.subset(&rows).inputs.sum().item() / rows.len() as f32
    };
    assert!(
        mean_ink(8) > 1.5 * mean_ink(1),
        "{} vs {}",
        mean_ink(8),
        mean_ink(1)
    );
    // Ink sits in the middle, like MNIST: the border rows are nearly empty.
    let first_row: f32 = (0..1000)
        .map(|i| a.inputs.data()[i * 784..i * 784 + 28].iter().sum::<f32>())
        .sum();
    assert!(first_row / 1000.0 < 0.5, "{first_row}");
}

#[test]
fn gaussian_mixtures_sample_around_their_centres() {
    let ring = GaussianMixture::eight_gaussians();
    assert_eq!(ring.means.len(), 8);
    for m in &ring.means {
        assert_abs_diff_eq!((m[0] * m[0] + m[1] * m[1]).sqrt(), 2.0, epsilon = 1e-6);
    }
    assert_abs_diff_eq!(ring.means[2][1], 2.0, epsilon = 1e-6);
    let data = ring.sample(2000, &mut StdRng::seed_from_u64(5));
    assert_eq!(data.inputs.dims(), &[2000, 2]);
    assert_eq!(data.classes, 8);
    for (i, &k) in data.labels.iter().enumerate() {
        let (x, y) = (data.inputs.at(&[i, 0]), data.inputs.at(&[i, 1]));
        let d = ((x - ring.means[k][0]).powi(2) + (y - ring.means[k][1]).powi(2)).sqrt();
        assert!(d < 0.02 * 6.0, "point {i} is {d} from its centre");
    }
    let blobs = GaussianMixture::new(vec![vec![0.0, 0.0, 0.0], vec![10.0, 10.0, 10.0]], 1.0);
    let data = blobs.sample(4000, &mut StdRng::seed_from_u64(6));
    let class0: Vec<usize> = (0..4000).filter(|&i| data.labels[i] == 0).collect();
    let sub = data.subset(&class0);
    let mean = sub.inputs.sum().item() / (sub.len() * 3) as f32;
    assert!(mean.abs() < 0.05, "{mean}");
}

#[test]
fn swiss_roll_points_lie_on_the_roll() {
    let roll = synth::swiss_roll(500, 0.0, &mut StdRng::seed_from_u64(7));
    assert_eq!(roll.points.dims(), &[500, 3]);
    assert_eq!(roll.unrolled.dims(), &[500, 2]);
    let (t_min, t_max) = SwissRoll::T_RANGE;
    assert_abs_diff_eq!(t_min, 1.5 * std::f64::consts::PI);
    assert_abs_diff_eq!(t_max, 4.5 * std::f64::consts::PI);
    for i in 0..500 {
        let (t, h) = (roll.unrolled.at(&[i, 0]), roll.unrolled.at(&[i, 1]));
        assert!((t_min as f32..=t_max as f32).contains(&t));
        assert!((0.0..=21.0).contains(&h));
        assert_abs_diff_eq!(roll.points.at(&[i, 0]), t * t.cos(), epsilon = 1e-5);
        assert_abs_diff_eq!(roll.points.at(&[i, 1]), h, epsilon = 1e-5);
        assert_abs_diff_eq!(roll.points.at(&[i, 2]), t * t.sin(), epsilon = 1e-5);
    }
}

#[test]
fn swiss_roll_arc_length_integrates_the_spirals_speed_and_inverts() {
    // Trapezoid rule on |d/dt (t cos t, t sin t)| = sqrt(1 + t^2), against the closed form.
    let steps = 100_000;
    let (mut integral, dt) = (0.0, 15.0 / steps as f64);
    for k in 0..steps {
        let (a, b) = (k as f64 * dt, (k + 1) as f64 * dt);
        integral += 0.5 * dt * ((1.0 + a * a).sqrt() + (1.0 + b * b).sqrt());
        if (k + 1) % 10_000 == 0 {
            assert_abs_diff_eq!(SwissRoll::arc_length(b), integral, epsilon = 1e-6);
        }
    }
    for t in [
        0.0,
        1e-3,
        0.5,
        1.5 * std::f64::consts::PI,
        10.0,
        4.5 * std::f64::consts::PI,
    ] {
        let s = SwissRoll::arc_length(t);
        assert_abs_diff_eq!(SwissRoll::angle_at_arc_length(s), t, epsilon = 1e-12);
    }
}

#[test]
fn swiss_roll_is_uniform_in_arc_length_so_in_area() {
    // Heights are independent of t, so uniform area means uniform arc length s(t): the
    // Kolmogorov-Smirnov distance of the normalised s from U(0, 1) must be small.
    let n = 20_000;
    let roll = synth::swiss_roll(n, 0.0, &mut StdRng::seed_from_u64(11));
    let (t_min, t_max) = SwissRoll::T_RANGE;
    let (s_min, s_max) = (SwissRoll::arc_length(t_min), SwissRoll::arc_length(t_max));
    let ks_distance = |mut u: Vec<f64>| {
        u.sort_by(f64::total_cmp);
        u.iter()
            .enumerate()
            .map(|(i, &x)| {
                (x - i as f64 / n as f64)
                    .abs()
                    .max((x - (i + 1) as f64 / n as f64).abs())
            })
            .fold(0.0, f64::max)
    };
    let column = |c: usize| -> Vec<f64> {
        (0..n)
            .map(|i| f64::from(roll.unrolled.at(&[i, c])))
            .collect()
    };
    let along: Vec<f64> = column(0)
        .into_iter()
        .map(|t| (SwissRoll::arc_length(t) - s_min) / (s_max - s_min))
        .collect();
    let across: Vec<f64> = column(1)
        .into_iter()
        .map(|h| h / SwissRoll::HEIGHT)
        .collect();
    // 1.63 / sqrt(n) is the 1% critical value of the KS statistic.
    let critical = 1.63 / (n as f64).sqrt();
    assert!(ks_distance(along) < critical);
    assert!(ks_distance(across) < critical);
    // Uniform in t instead would be 0.12 away (the outer turn three times sparser): the
    // statistic tells the two apart.
    let angle: Vec<f64> = column(0)
        .into_iter()
        .map(|t| (t - t_min) / (t_max - t_min))
        .collect();
    assert!(ks_distance(angle) > 0.1);
}

#[test]
fn box_scenes_hold_one_shape_inside_its_box() {
    let size = 32;
    let scenes = synth::boxes(200, size, &mut StdRng::seed_from_u64(8));
    assert_eq!(scenes.images.dims(), &[200, 32, 32]);
    assert_eq!(scenes.boxes.dims(), &[200, 4]);
    assert_eq!(BOX_CLASSES.len(), 4);
    let mut seen = [false; 4];
    for i in 0..200 {
        let label = scenes.labels[i];
        assert!((1..=3).contains(&label));
        seen[label] = true;
        let b: Vec<f32> = (0..4).map(|k| scenes.boxes.at(&[i, k])).collect();
        let (x, y, w, h) = (b[0], b[1], b[2], b[3]);
        assert!(x >= 0.0 && y >= 0.0 && x + w <= size as f32 && y + h <= size as f32);
        assert!(w >= 8.0 && h >= 8.0 && w <= 16.0 && h <= 16.0, "{b:?}");
        let image = &scenes.images.data()[i * size * size..(i + 1) * size * size];
        // Ink (> 0.5) only inside the box; the box's centre is always inked.
        for (p, &v) in image.iter().enumerate() {
            let (px, py) = ((p % size) as f32 + 0.5, (p / size) as f32 + 0.5);
            let inside = px >= x && px < x + w && py >= y && py < y + h;
            assert!(
                inside || v <= 0.1,
                "scene {i}: ink at ({px}, {py}) outside {b:?}"
            );
        }
        let (cx, cy) = ((x + w / 2.0) as usize, (y + h / 2.0) as usize);
        assert!(
            image[cy * size + cx] >= 0.6,
            "scene {i}: no ink at the centre"
        );
        // Rectangles fill their box; ellipses and triangles leave its corners empty.
        let corner = image[y as usize * size + x as usize]; // top left
        assert_eq!(corner >= 0.6, label == 1, "scene {i} class {label}");
    }
    assert_eq!(seen, [false, true, true, true]);
}

#[test]
fn iou_of_boxes() {
    assert_abs_diff_eq!(iou([0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 2.0, 2.0]), 1.0);
    assert_abs_diff_eq!(iou([0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]), 1.0 / 7.0);
    assert_eq!(iou([0.0, 0.0, 1.0, 1.0], [5.0, 5.0, 1.0, 1.0]), 0.0);
}
