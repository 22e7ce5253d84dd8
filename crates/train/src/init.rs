//! Weight initialisers: Xavier/Glorot and He, uniform and normal.
//!
//! Why the scale matters: with weights of variance `s`, a layer multiplies the variance of its
//! signal by about `fan_in * s`. Xavier/Glorot keeps that product near 1 in both directions
//! (forward and backward) for symmetric activations such as tanh; He doubles it for ReLU, which
//! zeroes half of its inputs.

use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};
use tape::{Float, Shape, Tensor};

/// How to draw a weight tensor's initial values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// All zeros (biases; softmax regression).
    Zeros,
    /// Xavier/Glorot uniform: `U(-a, a)` with `a = sqrt(6 / (fan_in + fan_out))`.
    XavierUniform,
    /// Xavier/Glorot normal: `N(0, s^2)` with `s = sqrt(2 / (fan_in + fan_out))`.
    XavierNormal,
    /// He/Kaiming uniform (for ReLU): `U(-a, a)` with `a = sqrt(6 / fan_in)`.
    HeUniform,
    /// He/Kaiming normal (for ReLU): `N(0, s^2)` with `s = sqrt(2 / fan_in)`.
    HeNormal,
    /// Uniform on `[-a, a]` for a given `a`.
    Uniform(f64),
    /// Normal with mean 0 and the given standard deviation.
    Normal(f64),
}

impl Init {
    /// The standard deviation of the values this initialiser draws for the given fans.
    pub fn std_dev(self, fan_in: usize, fan_out: usize) -> f64 {
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        match self {
            Init::Zeros => 0.0,
            // The variance of U(-a, a) is a^2 / 3.
            Init::XavierUniform => (6.0 / (fi + fo)).sqrt() / 3f64.sqrt(),
            Init::XavierNormal => (2.0 / (fi + fo)).sqrt(),
            Init::HeUniform => (6.0 / fi).sqrt() / 3f64.sqrt(),
            Init::HeNormal => (2.0 / fi).sqrt(),
            Init::Uniform(a) => a / 3f64.sqrt(),
            Init::Normal(s) => s,
        }
    }

    /// A tensor of `shape` drawn from this initialiser, for a layer with `fan_in` inputs and
    /// `fan_out` outputs per unit.
    ///
    /// ```
    /// use rand::{SeedableRng, rngs::StdRng};
    /// use train::Init;
    /// let mut rng = StdRng::seed_from_u64(0);
    /// let w = Init::HeUniform.sample::<f32>([784, 256], 784, 256, &mut rng);
    /// let bound = (6.0f32 / 784.0).sqrt();
    /// assert!(w.data().iter().all(|x| x.abs() <= bound));
    /// ```
    pub fn sample<T: Float>(
        self,
        shape: impl Into<Shape>,
        fan_in: usize,
        fan_out: usize,
        rng: &mut impl Rng,
    ) -> Tensor<T> {
        assert!(
            fan_in > 0 && fan_out > 0,
            "Init::sample: fans must be positive, got fan_in {fan_in}, fan_out {fan_out}"
        );
        let shape = shape.into();
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        let uniform = |a: f64, rng: &mut _| -> Tensor<T> {
            let dist = Uniform::new_inclusive(-a, a).expect("a finite, non-negative bound");
            Tensor::from_fn(shape.clone(), |_| T::from_f64(dist.sample(rng)))
        };
        let normal = |s: f64, rng: &mut _| -> Tensor<T> {
            let dist = Normal::new(0.0, s).expect("a finite, non-negative deviation");
            Tensor::from_fn(shape.clone(), |_| T::from_f64(dist.sample(rng)))
        };
        match self {
            Init::Zeros => Tensor::zeros(shape.clone()),
            Init::XavierUniform => uniform((6.0 / (fi + fo)).sqrt(), rng),
            Init::XavierNormal => normal((2.0 / (fi + fo)).sqrt(), rng),
            Init::HeUniform => uniform((6.0 / fi).sqrt(), rng),
            Init::HeNormal => normal((2.0 / fi).sqrt(), rng),
            Init::Uniform(a) => uniform(a, rng),
            Init::Normal(s) => normal(s, rng),
        }
    }
}
