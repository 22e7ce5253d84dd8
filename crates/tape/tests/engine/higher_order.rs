//! Gradients of gradients through `Tape::grad_graph`: second derivatives by hand,
//! Hessian-vector products against finite differences of the first-order gradient, and a
//! gradcheck of the recorded gradient itself for every family of backward rules.

use crate::common::{assert_close, assert_values, distinct, probe, rng, signed, uniform};
use approx::assert_relative_eq;
use tape::{Tape, Tensor, Var, concat, where_};

/// First-order gradients by the eager sweep (`backward`).
fn eager_grads<F>(f: &F, xs: &[Tensor<f64>]) -> Vec<Tensor<f64>>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tape = Tape::new();
    let vars: Vec<_> = xs.iter().map(|x| tape.var(x.clone())).collect();
    f(&vars).backward();
    vars.iter()
        .map(|v| v.grad().unwrap_or_else(|| Tensor::zeros(v.shape())))
        .collect()
}

/// `x + s d`, elementwise per input.
fn step(xs: &[Tensor<f64>], ds: &[Tensor<f64>], s: f64) -> Vec<Tensor<f64>> {
    xs.iter().zip(ds).map(|(x, d)| x + &d.scale(s)).collect()
}

/// Checks the second-order machinery on a scalar function `f` of `inputs`:
/// 1. the recorded gradients (`grad_graph`) equal the eager ones;
/// 2. the Hessian-vector product (backward through the recorded gradient) equals central
///    differences of the eager gradient along a random direction;
/// 3. the recorded gradient passes gradcheck itself (its Jacobian is the Hessian).
fn assert_second_order<F>(f: F, inputs: &[Tensor<f64>])
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let mut r = rng(77);
    let dirs: Vec<Tensor<f64>> = inputs
        .iter()
        .map(|x| uniform(&mut r, x.shape(), -1.0, 1.0))
        .collect();

    let tape = Tape::new();
    let vars: Vec<_> = inputs.iter().map(|x| tape.var(x.clone())).collect();
    let grads = tape.grad_graph(f(&vars), &vars);
    let eager = eager_grads(&f, inputs);
    for (g, e) in grads.iter().zip(&eager) {
        assert_close(&g.value(), e, 1e-12);
    }
    let directional = grads
        .iter()
        .zip(&dirs)
        .map(|(&g, d)| (g * tape.constant(d.clone())).sum())
        .reduce(|a, b| a + b)
        .expect("at least one input");
    directional.backward();

    const H: f64 = 1e-5;
    let up = eager_grads(&f, &step(inputs, &dirs, H));
    let down = eager_grads(&f, &step(inputs, &dirs, -H));
    for (k, v) in vars.iter().enumerate() {
        let hvp = v.grad().unwrap_or_else(|| Tensor::zeros(v.shape()));
        let fd = (&up[k] - &down[k]).scale(1.0 / (2.0 * H));
        let scale = hvp.data().iter().fold(1.0f64, |m, x| m.max(x.abs()));
        let err = hvp.max_abs_diff(&fd) / scale;
        assert!(
            err < 1e-6,
            "input {k}: Hessian-vector product {hvp:?} vs finite differences {fd:?} (error {err:e})"
        );
    }

    crate::common::check(
        |v| {
            let gs = v[0].tape().grad_graph(f(v), v);
            gs.into_iter()
                .map(probe)
                .reduce(|a, b| a + b)
                .expect("at least one input")
        },
        inputs,
    );
}

#[test]
fn second_derivative_of_x_cubed_is_6x() {
    let xs = [0.5, -1.0, 2.0];
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(xs.to_vec(), [3]));
    let dy = tape.grad_graph((x * x * x).sum(), &[x])[0];
    assert_values(&dy.value(), &[3], &[0.75, 3.0, 12.0], 1e-15);
    let d2 = tape.grad_graph(dy.sum(), &[x])[0];
    assert_values(&d2.value(), &[3], &[3.0, -6.0, 12.0], 1e-15);
    // Third derivative: 6 everywhere; fourth: 0 (x no longer appears).
    let d3 = tape.grad_graph(d2.sum(), &[x])[0];
    assert_values(&d3.value(), &[3], &[6.0, 6.0, 6.0], 1e-15);
    let d4 = tape.grad_graph(d3.sum(), &[x])[0];
    assert_values(&d4.value(), &[3], &[0.0, 0.0, 0.0], 0.0);
    // The same through powf and through backward on the recorded gradient.
    let z = tape.var(Tensor::from_vec(xs.to_vec(), [3]));
    let dz = tape.grad_graph(z.powf(3.0).sum(), &[z])[0];
    dz.sum().backward();
    assert_values(&z.grad().unwrap(), &[3], &[3.0, -6.0, 12.0], 1e-14);
}

#[test]
fn hessian_vector_product_of_tanh_squared_times_x() {
    // f(x) = sum(tanh(x)^2 x): the Hessian is diagonal,
    // f'' = 2 t'^2 x + 2 t t'' x + 4 t t', with t' = 1 - t^2 and t'' = -2 t t'.
    let mut r = rng(1);
    let x = uniform(&mut r, [5], -1.5, 1.5);
    let v = uniform(&mut r, [5], -1.0, 1.0);
    let tape = Tape::<f64>::new();
    let xv = tape.var(x.clone());
    let f = (xv.tanh().square() * xv).sum();
    let g = tape.grad_graph(f, &[xv])[0];
    (g * tape.constant(v.clone())).sum().backward();
    let hvp = xv.grad().unwrap();
    let want = Tensor::from_fn([5], |i| {
        let (x, t) = (x.data()[i], x.data()[i].tanh());
        let t1 = 1.0 - t * t;
        let t2 = -2.0 * t * t1;
        (2.0 * t1 * t1 * x + 2.0 * t * t2 * x + 4.0 * t * t1) * v.data()[i]
    });
    assert_close(&hvp, &want, 1e-13);
    assert_second_order(|v| (v[0].tanh().square() * v[0]).sum(), &[x]);
}

#[test]
fn tiny_mlp_hessian_vector_product() {
    let mut r = rng(2);
    let inputs = [
        uniform(&mut r, [4, 3], -1.0, 1.0),
        uniform(&mut r, [3, 5], -1.0, 1.0),
        uniform(&mut r, [5], -0.5, 0.5),
        uniform(&mut r, [5, 2], -1.0, 1.0),
    ];
    let labels = [1, 0, 1, 1];
    assert_second_order(
        |v| {
            let h = (v[0].matmul(v[1]) + v[2]).tanh();
            -h.matmul(v[3]).log_softmax(1).gather(1, &labels).mean()
        },
        &inputs,
    );
}

#[test]
fn second_order_through_matmul() {
    // f = 1/2 ||A B||^2: df/dA = (A B) B^T, so the Hessian applied to (dA, 0) is dA B B^T.
    let mut r = rng(3);
    let (a, b, da) = (
        uniform(&mut r, [3, 4], -1.0, 1.0),
        uniform(&mut r, [4, 2], -1.0, 1.0),
        uniform(&mut r, [3, 4], -1.0, 1.0),
    );
    let tape = Tape::<f64>::new();
    let (av, bv) = (tape.var(a.clone()), tape.var(b.clone()));
    let f = av.matmul(bv).square().sum() * 0.5;
    let ga = tape.grad_graph(f, &[av])[0];
    (ga * tape.constant(da.clone())).sum().backward();
    assert_close(
        &av.grad().unwrap(),
        &da.matmul(&b).matmul_t(&b, false, true),
        1e-13,
    );
    assert_second_order(
        |v| v[0].matmul(v[1]).tanh().square().sum(),
        &[a.clone(), b.clone()],
    );
    for (ta, tb) in [(false, true), (true, false), (true, true)] {
        let a2 = if ta { a.transpose(0, 1) } else { a.clone() };
        let b2 = if tb { b.transpose(0, 1) } else { b.clone() };
        assert_second_order(
            |v| v[0].matmul_t(v[1], ta, tb).tanh().square().sum(),
            &[a2, b2],
        );
    }
    let (p, q) = (
        uniform(&mut r, [2, 2, 3], -1.0, 1.0),
        uniform(&mut r, [2, 3, 2], -1.0, 1.0),
    );
    assert_second_order(|v| v[0].matmul(v[1]).sigmoid().sum(), &[p, q]);
}

#[test]
fn second_order_through_linear_and_linear_relu() {
    let mut r = rng(4);
    let (x, w, b) = (
        uniform(&mut r, [3, 4], -1.0, 1.0),
        uniform(&mut r, [4, 5], -1.0, 1.0),
        uniform(&mut r, [5], -1.0, 1.0),
    );
    let inputs = [x.clone(), w.clone(), b.clone()];
    assert_second_order(|v| v[0].linear(v[1], v[2]).tanh().square().sum(), &inputs);
    // The ReLU's mask moves under finite differences only at the kink: keep clear of it.
    let pre = x.linear(&w, &b);
    assert!(pre.data().iter().all(|v| v.abs() > 0.01), "{pre:?}");
    assert!(pre.data().iter().any(|&v| v < 0.0));
    assert_second_order(
        |v| v[0].linear_relu(v[1], v[2]).tanh().square().sum(),
        &inputs,
    );
}

#[test]
fn second_order_through_softmax_and_log_softmax() {
    let mut r = rng(4);
    let x = uniform(&mut r, [3, 4], -2.0, 2.0);
    let c = uniform(&mut r, [3, 4], -1.0, 1.0);
    for axis in 0..2 {
        assert_second_order(
            |v| (v[0].softmax(axis) * v[0].tape().constant(c.clone())).sum(),
            std::slice::from_ref(&x),
        );
        assert_second_order(
            |v| (v[0].log_softmax(axis) * v[0].tape().constant(c.clone())).sum(),
            std::slice::from_ref(&x),
        );
    }
    assert_second_order(
        |v| {
            (v[0].log_softmax_gather(&[3, 0, 2])
                * v[0].tape().constant(c.narrow(1, 0, 1).reshape([3])))
            .sum()
        },
        std::slice::from_ref(&x),
    );
    // Cross-entropy's Hessian is diag(p) - p p^T per row: check it by hand for one row.
    let row = [0.3, -0.8, 1.1];
    let tape = Tape::<f64>::new();
    let xv = tape.var(Tensor::from_vec(row.to_vec(), [1, 3]));
    let ce = -xv.log_softmax(1).gather(1, &[2]).sum();
    let g = tape.grad_graph(ce, &[xv])[0];
    let dir = [1.0, 0.0, 0.0];
    (g * tape.constant(Tensor::from_vec(dir.to_vec(), [1, 3])))
        .sum()
        .backward();
    let z: f64 = row.iter().map(|v| v.exp()).sum();
    let p: Vec<f64> = row.iter().map(|v| v.exp() / z).collect();
    // Column 0 of diag(p) - p p^T.
    let want = [p[0] - p[0] * p[0], -p[1] * p[0], -p[2] * p[0]];
    assert_values(&xv.grad().unwrap(), &[1, 3], &want, 1e-14);
}

#[test]
fn second_order_through_reductions() {
    let mut r = rng(5);
    let x = distinct(&mut r, [3, 4]);
    let xs = std::slice::from_ref(&x);
    assert_second_order(|v| v[0].logsumexp(), xs);
    assert_second_order(|v| v[0].logsumexp_axis(1, false).square().sum(), xs);
    assert_second_order(|v| v[0].norm(Some(0), false).sum(), xs);
    assert_second_order(|v| v[0].norm(None, false), xs);
    assert_second_order(
        |v| v[0].mean_axis(1, true).exp().sum() + v[0].square().mean(),
        xs,
    );
    assert_second_order(
        |v| v[0].max_axis(0, false).square().sum() + v[0].min().exp(),
        xs,
    );
    assert_second_order(|v| (v[0].sum_axis(0, true) * v[0]).sum(), xs);
}

#[test]
fn second_order_through_unary_and_binary_rules() {
    let mut r = rng(6);
    let pos = uniform(&mut r, [2, 3], 0.5, 2.0);
    let any = uniform(&mut r, [2, 3], -1.5, 1.5);
    let off = signed(&mut r, [2, 3], 0.3, 1.5);
    let p = std::slice::from_ref(&pos);
    assert_second_order(|v| v[0].ln().square().sum(), p);
    assert_second_order(|v| v[0].sqrt().exp().sum(), p);
    assert_second_order(|v| v[0].powf(2.5).sum() + v[0].powf(-0.5).sum(), p);
    assert_second_order(|v| (v[0].recip() * v[0].exp()).sum(), p);
    let a = std::slice::from_ref(&any);
    assert_second_order(|v| (v[0].sigmoid() * v[0]).sum(), a);
    assert_second_order(|v| v[0].softplus().square().sum(), a);
    assert_second_order(
        |v| (v[0].exp() * 0.5 - 2.0 / (v[0].square() + 1.0)).sum(),
        a,
    );
    let o = std::slice::from_ref(&off);
    assert_second_order(
        |v| (v[0].abs() * v[0]).sum() + v[0].relu().square().sum(),
        o,
    );
    assert_second_order(|v| v[0].clamp(-0.9, 0.8).square().sum(), o);
    // Binary rules with broadcasting: products, quotients, extremes.
    let b = uniform(&mut r, [3], 0.5, 1.5);
    assert_second_order(|v| (v[0] * v[1]).square().sum(), &[any.clone(), b.clone()]);
    assert_second_order(|v| (v[0] / v[1]).exp().sum(), &[any.clone(), b.clone()]);
    assert_second_order(|v| (v[1] / v[0]).sum(), &[pos.clone(), b.clone()]);
    let ab = distinct(&mut r, [2, 6]);
    let (l, rr) = (ab.narrow(1, 0, 3), ab.narrow(1, 3, 3));
    assert_second_order(
        |v| (v[0].maximum(v[1]).square() + v[0].minimum(v[1]).exp()).sum(),
        &[l, rr],
    );
    let mask = Tensor::from_vec(vec![1.0, 0.0, 1.0], [3]);
    assert_second_order(
        |v| {
            where_(
                v[0].tape().constant(mask.clone()),
                v[0].square(),
                v[1].exp(),
            )
            .sum()
        },
        &[any.clone(), b.clone()],
    );
}

#[test]
fn second_order_through_shape_and_index_rules() {
    let mut r = rng(7);
    let x = uniform(&mut r, [2, 3, 4], -1.0, 1.0);
    let xs = std::slice::from_ref(&x);
    assert_second_order(
        |v| {
            v[0].permute(&[2, 0, 1])
                .reshape([4, 6])
                .tanh()
                .square()
                .sum()
        },
        xs,
    );
    assert_second_order(
        |v| (v[0].narrow(2, 1, 2).pad(0, 1, 0) * v[0].narrow(2, 0, 2).pad(0, 0, 1)).sum(),
        xs,
    );
    assert_second_order(|v| concat(&[v[0], v[0].square()], 1).exp().sum(), xs);
    assert_second_order(
        |v| v[0].sum_to([3, 1]).square().sum() + v[0].broadcast_to([2, 2, 3, 4]).tanh().sum(),
        xs,
    );
    let m = uniform(&mut r, [3, 4], -1.0, 1.0);
    let ms = std::slice::from_ref(&m);
    assert_second_order(|v| v[0].index_select(0, &[2, 0, 2]).square().sum(), ms);
    assert_second_order(|v| v[0].gather(1, &[3, 1, 1]).exp().sum() * v[0].sum(), ms);
    assert_second_order(|v| v[0].index_add(1, &[0, 2, 0, 1], 3).square().sum(), ms);
    assert_second_order(
        |v| {
            v[0].scatter_add(0, &[1, 0, 0, 1, 2, 2, 0, 1, 1, 0, 2, 2], 3)
                .tanh()
                .sum()
        },
        ms,
    );
    let a = uniform(&mut r, [3, 2], -1.0, 1.0);
    let b = uniform(&mut r, [4, 2], -1.0, 1.0);
    assert_second_order(|v| v[0].pairwise_sq_dists(v[1]).sqrt().sum(), &[a, b]);
}

#[test]
fn grad_graph_of_an_unused_input_is_zero() {
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from_vec(vec![1.0, 2.0], [2]));
    let unused = tape.var(Tensor::from_vec(vec![5.0, 6.0, 7.0], [3]));
    let gs = tape.grad_graph(x.square().sum(), &[x, unused]);
    assert_eq!(gs[0].value().data(), &[2.0, 4.0]);
    assert_eq!(gs[1].value(), Tensor::zeros([3]));
    // A gradient that does not depend on x (linear f) has zero second derivative.
    let lin = tape.grad_graph((x * 3.0).sum(), &[x])[0];
    assert_eq!(lin.value().data(), &[3.0, 3.0]);
    let second = tape.grad_graph(lin.sum(), &[x])[0];
    assert_eq!(second.value().data(), &[0.0, 0.0]);
}

#[test]
fn gradient_penalty_objective() {
    // loss = f(w) + ||grad f(w)||^2 with f(w) = sum(sigmoid(X w)): trains through the gradient.
    let mut r = rng(8);
    let x = uniform(&mut r, [5, 3], -1.0, 1.0);
    let w = uniform(&mut r, [3, 1], -1.0, 1.0);
    crate::common::check(
        |v| {
            let t = v[0].tape();
            let f = t.constant(x.clone()).matmul(v[0]).sigmoid().sum();
            let g = t.grad_graph(f, &[v[0]])[0];
            f + g.square().sum()
        },
        std::slice::from_ref(&w),
    );
    // By hand for one input row: f = sigmoid(x.w), grad = s (1 - s) x.
    let tape = Tape::<f64>::new();
    let wv = tape.var(w.clone());
    let row = x.narrow(0, 0, 1);
    let f = tape.constant(row.clone()).matmul(wv).sigmoid().sum();
    let g = tape.grad_graph(f, &[wv])[0];
    let s = 1.0 / (1.0 + (-row.matmul(&w).item()).exp());
    for k in 0..3 {
        assert_relative_eq!(
            g.value().data()[k],
            s * (1.0 - s) * row.data()[k],
            max_relative = 1e-14
        );
    }
}
