//! Layers, initialisers and the loss helper.

use approx::assert_abs_diff_eq;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tape::{Tape, Tensor, gradcheck};
use train::{
    Activation, Init, Linear, Mlp, Module, ParamStore, count_correct, softmax_cross_entropy,
};

#[test]
fn linear_computes_x_w_plus_b() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut store = ParamStore::<f64>::new();
    let layer = Linear::new(&mut store, "fc", 2, 3, Init::XavierUniform, &mut rng);
    assert_eq!(
        store.value(layer.bias).data(),
        &[0.0; 3],
        "biases start at zero"
    );
    *store.value_mut(layer.weight) = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3]);
    *store.value_mut(layer.bias) = Tensor::from_vec(vec![0.5, -0.5, 1.0], [3]);
    let tape = Tape::new();
    let params = store.bind(&tape);
    let x = tape.constant(Tensor::from_vec(vec![1.0, 1.0, 2.0, -1.0], [2, 2]));
    let y = layer.forward(&params, x);
    // [1,1] W = [5, 7, 9]; [2,-1] W = [-2, -1, 0]; plus b
    assert_eq!(y.value().data(), &[5.5, 6.5, 10.0, -1.5, -1.5, 1.0]);
    assert_eq!(store.name(layer.weight), "fc.weight");
    assert_eq!(store.name(layer.bias), "fc.bias");
}

#[test]
fn mlp_applies_activations_between_layers_only() {
    for activation in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        let mut rng = StdRng::seed_from_u64(1);
        let mut store = ParamStore::<f64>::new();
        let mlp = Mlp::new(&mut store, "mlp", &[3, 5, 4, 2], activation, &mut rng);
        assert_eq!((mlp.inputs(), mlp.outputs()), (3, 2));
        let names: Vec<&str> = store.ids().map(|id| store.name(id)).collect();
        assert_eq!(
            names,
            [
                "mlp.0.weight",
                "mlp.0.bias",
                "mlp.1.weight",
                "mlp.1.bias",
                "mlp.2.weight",
                "mlp.2.bias"
            ]
        );
        let x = Tensor::from_fn([4, 3], |i| i as f64 * 0.3 - 1.0);
        let tape = Tape::new();
        let params = store.bind(&tape);
        let got = mlp.forward(&params, tape.constant(x.clone())).value();
        // The same computation with eager kernels.
        let act = |t: &Tensor<f64>| match activation {
            Activation::Relu => t.relu(),
            Activation::Tanh => t.tanh(),
            Activation::Sigmoid => t.sigmoid(),
            Activation::Identity => t.clone(),
        };
        let layer = |h: &Tensor<f64>, i: usize| {
            let w = store.value(store.id(&format!("mlp.{i}.weight")).unwrap());
            let b = store.value(store.id(&format!("mlp.{i}.bias")).unwrap());
            &h.matmul(w) + b
        };
        let expected = layer(&act(&layer(&act(&layer(&x, 0)), 1)), 2);
        assert_eq!(got.dims(), &[4, 2]);
        assert!(got.max_abs_diff(&expected) < 1e-12, "{activation:?}");
    }
}

/// Sample mean and standard deviation.
fn moments(t: &Tensor) -> (f64, f64) {
    let n = t.numel() as f64;
    let mean = t.data().iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = t
        .data()
        .iter()
        .map(|&x| (x as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}

#[test]
fn initialisers_have_their_published_scales() {
    let (fan_in, fan_out) = (400, 300);
    let cases = [
        (
            Init::XavierUniform,
            (2.0f64 / 700.0).sqrt(),
            Some((6.0f64 / 700.0).sqrt()),
        ),
        (Init::XavierNormal, (2.0f64 / 700.0).sqrt(), None),
        (
            Init::HeUniform,
            (2.0f64 / 400.0).sqrt(),
            Some((6.0f64 / 400.0).sqrt()),
        ),
        (Init::HeNormal, (2.0f64 / 400.0).sqrt(), None),
        (Init::Uniform(0.5), 0.5 / 3f64.sqrt(), Some(0.5)),
        (Init::Normal(0.2), 0.2, None),
    ];
    let mut rng = StdRng::seed_from_u64(2);
    for (init, std, bound) in cases {
        assert_abs_diff_eq!(init.std_dev(fan_in, fan_out), std, epsilon = 1e-12);
        let w: Tensor = init.sample([fan_in, fan_out], fan_in, fan_out, &mut rng);
        let (mean, sd) = moments(&w);
        assert!(mean.abs() < 0.01 * std, "{init:?}: mean {mean}");
        assert!(
            (sd / std - 1.0).abs() < 0.02,
            "{init:?}: std {sd}, expected {std}"
        );
        if let Some(b) = bound {
            assert!(
                w.data().iter().all(|&x| (x as f64).abs() <= b + 1e-7),
                "{init:?}"
            );
            // A uniform draw fills its range.
            let max = w
                .data()
                .iter()
                .fold(0.0f64, |m, &x| m.max((x as f64).abs()));
            assert!(max > 0.99 * b, "{init:?}: max {max}, bound {b}");
        }
    }
    let zeros: Tensor = Init::Zeros.sample([3, 3], 3, 3, &mut rng);
    assert_eq!(zeros.data(), &[0.0; 9]);
}

#[test]
fn same_seed_gives_the_same_initial_parameters() {
    let build = |seed| {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut store = ParamStore::<f32>::new();
        Mlp::new(&mut store, "m", &[10, 20, 3], Activation::Tanh, &mut rng);
        store
            .ids()
            .map(|id| store.value(id).to_vec())
            .collect::<Vec<_>>()
    };
    assert_eq!(build(9), build(9));
    assert_ne!(build(9), build(10));
}

#[test]
fn softmax_cross_entropy_value_and_gradient() {
    let logits = Tensor::from_vec(vec![2.0, 1.0, 0.0, 0.0, 0.0, 3.0], [2, 3]);
    let labels = [0, 1];
    let tape = Tape::<f64>::new();
    let loss = softmax_cross_entropy(tape.var(logits.clone()), &labels);
    // Row 0: -log(e^2 / (e^2 + e + 1)); row 1: -log(1 / (2 + e^3))
    let e = std::f64::consts::E;
    let row0 = -(e * e / (e * e + e + 1.0)).ln();
    let row1 = (2.0 + e.powi(3)).ln();
    assert_abs_diff_eq!(loss.item(), (row0 + row1) / 2.0, epsilon = 1e-12);
    gradcheck(|v| softmax_cross_entropy(v[0], &labels), &[logits]).assert_within(1e-6);
}

#[test]
fn count_correct_uses_the_row_argmax() {
    let scores = Tensor::<f32>::from_vec(vec![0.1, 0.9, 0.5, 0.2, 0.3, 0.3], [3, 2]);
    // argmax per row: 1, 0, 0 (ties go to the lowest index)
    assert_eq!(count_correct(&scores, &[1, 0, 0]), 3);
    assert_eq!(count_correct(&scores, &[0, 0, 1]), 1);
}
