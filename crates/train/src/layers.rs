//! Layers: `Linear` and `Mlp`, which own parameter handles and record their forward pass.

use rand::Rng;
use tape::{Float, Var};

use crate::init::Init;
use crate::params::{ParamId, ParamStore, Params};

/// Anything that maps an input batch to an output batch with parameters from a store.
///
/// A module keeps only [`ParamId`]s; the values live in the [`ParamStore`] and are bound to the
/// tape once per step, so the same module serves training (leaves) and evaluation (constants).
pub trait Module<T: Float = f32> {
    /// The forward pass: `x` of shape `[batch, inputs]` to `[batch, outputs]`.
    fn forward<'t>(&self, params: &Params<'t, T>, x: Var<'t, T>) -> Var<'t, T>;
}

/// An elementwise non-linearity between layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `x` (no non-linearity).
    Identity,
    /// `max(x, 0)`.
    Relu,
    /// `tanh(x)`.
    Tanh,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
}

impl Activation {
    /// Applies the activation.
    pub fn apply<'t, T: Float>(self, x: Var<'t, T>) -> Var<'t, T> {
        match self {
            Activation::Identity => x,
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
        }
    }

    /// The initialiser that keeps signal variance stable through this activation: He for ReLU,
    /// Xavier/Glorot otherwise.
    pub fn default_init(self) -> Init {
        match self {
            Activation::Relu => Init::HeUniform,
            _ => Init::XavierUniform,
        }
    }
}

/// A fully connected layer: `y = x W + b`, with `W` of shape `[inputs, outputs]` and `b` of
/// shape `[outputs]`.
///
/// Its parameters are registered as `{name}.weight` and `{name}.bias`.
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use tape::{Tape, Tensor};
/// use train::{Init, Linear, Module, ParamStore};
///
/// let mut rng = StdRng::seed_from_u64(0);
/// let mut store = ParamStore::<f32>::new();
/// let layer = Linear::new(&mut store, "fc", 3, 2, Init::XavierUniform, &mut rng);
/// let tape = Tape::new();
/// let params = store.bind(&tape);
/// let y = layer.forward(&params, tape.constant(Tensor::ones([4, 3])));
/// assert_eq!(y.dims().as_slice(), &[4, 2]);
/// ```
#[derive(Clone, Debug)]
pub struct Linear {
    /// The weight matrix `[inputs, outputs]`.
    pub weight: ParamId,
    /// The bias `[outputs]` (initialised to zero).
    pub bias: ParamId,
    /// Input features.
    pub inputs: usize,
    /// Output features.
    pub outputs: usize,
}

impl Linear {
    /// A layer with weights drawn from `init` and a zero bias, registered in `store` under
    /// `name`.
    pub fn new<T: Float>(
        store: &mut ParamStore<T>,
        name: &str,
        inputs: usize,
        outputs: usize,
        init: Init,
        rng: &mut impl Rng,
    ) -> Self {
        let w = init.sample([inputs, outputs], inputs, outputs, rng);
        let weight = store.add(format!("{name}.weight"), w);
        let bias = store.add(format!("{name}.bias"), tape::Tensor::zeros([outputs]));
        Linear {
            weight,
            bias,
            inputs,
            outputs,
        }
    }
}

impl<T: Float> Module<T> for Linear {
    fn forward<'t>(&self, params: &Params<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        x.linear(params[self.weight], params[self.bias])
    }
}

/// A multi-layer perceptron: linear layers of the given widths with an activation between
/// consecutive layers and none after the last (it outputs logits or raw values).
///
/// `Mlp::new(store, "mlp", &[784, 256, 10], Activation::Relu, rng)` is 784-256-10 with one
/// ReLU hidden layer; its parameters are `mlp.0.weight`, `mlp.0.bias`, `mlp.1.weight`, ...
#[derive(Clone, Debug)]
pub struct Mlp {
    /// The layers, input first.
    pub layers: Vec<Linear>,
    /// The activation between layers.
    pub activation: Activation,
}

impl Mlp {
    /// An MLP with `widths[0]` inputs and `widths[last]` outputs, initialised with the
    /// activation's default initialiser ([`Activation::default_init`]).
    pub fn new<T: Float>(
        store: &mut ParamStore<T>,
        name: &str,
        widths: &[usize],
        activation: Activation,
        rng: &mut impl Rng,
    ) -> Self {
        Self::with_init(
            store,
            name,
            widths,
            activation,
            activation.default_init(),
            rng,
        )
    }

    /// An MLP whose hidden layers use `init`; the output layer uses Xavier/Glorot uniform, as
    /// no activation follows it.
    pub fn with_init<T: Float>(
        store: &mut ParamStore<T>,
        name: &str,
        widths: &[usize],
        activation: Activation,
        init: Init,
        rng: &mut impl Rng,
    ) -> Self {
        assert!(
            widths.len() >= 2,
            "Mlp::new: need at least input and output widths, got {widths:?}"
        );
        let last = widths.len() - 2;
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let layer_init = if i == last { Init::XavierUniform } else { init };
                Linear::new(store, &format!("{name}.{i}"), w[0], w[1], layer_init, rng)
            })
            .collect();
        Mlp { layers, activation }
    }

    /// Input features.
    pub fn inputs(&self) -> usize {
        self.layers[0].inputs
    }

    /// Output features.
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].outputs
    }
}

impl<T: Float> Module<T> for Mlp {
    fn forward<'t>(&self, params: &Params<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let last = self.layers.len() - 1;
        self.layers.iter().enumerate().fold(x, |h, (i, layer)| {
            if i == last {
                layer.forward(params, h)
            } else if self.activation == Activation::Relu {
                // One node and one pass over the output instead of two (`Var::linear_relu`).
                h.linear_relu(params[layer.weight], params[layer.bias])
            } else {
                self.activation.apply(layer.forward(params, h))
            }
        })
    }
}
