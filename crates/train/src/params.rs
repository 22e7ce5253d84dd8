//! Parameters: named tensors that outlive a tape, bound to it as leaves for one step at a time.
//!
//! One training step has a fixed lifecycle, and [`ParamStore::compute_grads`] runs it in order:
//!
//! 1. **bind**: each parameter becomes a leaf [`Var`] on a fresh tape (a cheap shared clone);
//! 2. **forward**: the caller's closure records the loss;
//! 3. **backward**: one reverse sweep;
//! 4. **collect**: each leaf's gradient is *moved* out of the tape into the store (no copy);
//! 5. **reset**: the tape is cleared, which drops its clones of the parameters.
//!
//! Only then does an [`Optimizer`](crate::Optimizer) update the parameters, in place: after the
//! reset each parameter tensor is uniquely owned again, so [`Tensor::data_mut`] writes into the
//! existing buffer instead of copying it.

use std::ops::Index;

use smallvec::SmallVec;
use tape::{Anomaly, Float, Tape, Tensor, Var};

/// A parameter's position in its [`ParamStore`].
///
/// Layers keep these handles, so the hot loop looks parameters up by index, never by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamId(usize);

impl ParamId {
    /// The position in the store (also the order of checkpoints and optimiser state).
    pub fn index(self) -> usize {
        self.0
    }

    /// The handle of the parameter at position `index` (checked where it is used).
    pub(crate) fn at(index: usize) -> ParamId {
        ParamId(index)
    }
}

/// Parameters bound to one tape: one [`Var`] per parameter of the store, in store order.
///
/// Up to this many parameters are kept inline, so binding allocates nothing for typical models.
const INLINE_PARAMS: usize = 32;

/// The parameters of a [`ParamStore`] recorded on a tape for one step.
///
/// Index it with a [`ParamId`] (`params[layer.weight]`) or call [`Params::get`].
pub struct Params<'t, T: Float = f32> {
    tape: &'t Tape<T>,
    vars: SmallVec<[Var<'t, T>; INLINE_PARAMS]>,
}

impl<'t, T: Float> Params<'t, T> {
    /// The tape the parameters are recorded on (to add inputs as constants).
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// The variable of one parameter.
    pub fn get(&self, id: ParamId) -> Var<'t, T> {
        self.vars[id.0]
    }

    /// How many parameters are bound.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether no parameter is bound.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// All bound variables, in store order.
    pub fn vars(&self) -> &[Var<'t, T>] {
        &self.vars
    }
}

impl<'t, T: Float> Index<ParamId> for Params<'t, T> {
    type Output = Var<'t, T>;

    fn index(&self, id: ParamId) -> &Var<'t, T> {
        &self.vars[id.0]
    }
}

/// Named parameter tensors that live across training steps, with one gradient slot each.
///
/// Gradients *accumulate* in the store (so two [`ParamStore::compute_grads`] calls before an
/// optimiser step sum the gradients of two micro-batches) until an optimiser step consumes
/// them or [`ParamStore::zero_grad`] discards them. The tape itself keeps gradients only until
/// its next reset.
///
/// ```
/// use tape::{Tape, Tensor};
/// use train::{Optimizer, ParamStore, Sgd};
///
/// let mut store = ParamStore::<f32>::new();
/// let w = store.add("w", Tensor::from_vec(vec![1.0, -2.0], [2]));
/// let mut opt = Sgd::new(0.5);
/// let mut tape = Tape::new();
/// // loss = sum(w^2): gradient 2w
/// let loss = store.compute_grads(&mut tape, |p| p[w].square().sum());
/// assert_eq!(loss, 5.0);
/// assert_eq!(store.grad(w).unwrap().data(), &[2.0, -4.0]);
/// opt.step(&mut store); // w -= 0.5 * 2w
/// assert_eq!(store.value(w).data(), &[0.0, 0.0]);
/// assert!(store.grad(w).is_none()); // the step consumed the gradient
/// ```
#[derive(Default)]
pub struct ParamStore<T: Float = f32> {
    names: Vec<String>,
    values: Vec<Tensor<T>>,
    grads: Vec<Option<Tensor<T>>>,
}

impl<T: Float> ParamStore<T> {
    /// An empty store.
    pub fn new() -> Self {
        ParamStore {
            names: Vec::new(),
            values: Vec::new(),
            grads: Vec::new(),
        }
    }

    /// Registers a parameter under a unique name and returns its handle.
    ///
    /// Panics if the name is already taken: two layers with one name is a programming error,
    /// and checkpoints could not tell them apart.
    pub fn add(&mut self, name: impl Into<String>, value: Tensor<T>) -> ParamId {
        let name = name.into();
        assert!(
            !self.names.contains(&name),
            "ParamStore::add: a parameter named '{name}' already exists"
        );
        self.names.push(name);
        self.values.push(value);
        self.grads.push(None);
        ParamId(self.values.len() - 1)
    }

    /// The number of parameter tensors.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the store holds no parameter.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The total number of scalar parameters.
    pub fn num_scalars(&self) -> usize {
        self.values.iter().map(Tensor::numel).sum()
    }

    /// Every handle, in store order.
    pub fn ids(&self) -> impl Iterator<Item = ParamId> + use<T> {
        (0..self.values.len()).map(ParamId)
    }

    /// The handle of the parameter with this name, if any.
    pub fn id(&self, name: &str) -> Option<ParamId> {
        self.names.iter().position(|n| n == name).map(ParamId)
    }

    /// A parameter's name.
    pub fn name(&self, id: ParamId) -> &str {
        &self.names[id.0]
    }

    /// A parameter's current value.
    pub fn value(&self, id: ParamId) -> &Tensor<T> {
        &self.values[id.0]
    }

    /// Mutable access to a parameter's value (for custom initialisation or updates).
    pub fn value_mut(&mut self, id: ParamId) -> &mut Tensor<T> {
        &mut self.values[id.0]
    }

    /// The gradient collected since the last optimiser step or [`ParamStore::zero_grad`], if
    /// any flowed into this parameter.
    pub fn grad(&self, id: ParamId) -> Option<&Tensor<T>> {
        self.grads[id.0].as_ref()
    }

    /// A parameter's value (mutable) together with its gradient, for optimisers. `None` when
    /// the parameter received no gradient.
    pub fn value_and_grad_mut(&mut self, id: ParamId) -> Option<(&mut Tensor<T>, &Tensor<T>)> {
        let grad = self.grads[id.0].as_ref()?;
        Some((&mut self.values[id.0], grad))
    }

    /// Records every parameter on `tape` as a differentiable leaf.
    ///
    /// The tape holds a shared clone of each tensor until it is reset; reset it before an
    /// optimiser step so the update happens in place (see the module docs).
    pub fn bind<'t>(&self, tape: &'t Tape<T>) -> Params<'t, T> {
        Params {
            tape,
            vars: self.values.iter().map(|v| tape.var(v.clone())).collect(),
        }
    }

    /// Records every parameter on `tape` as a constant: the forward pass of a frozen model
    /// (evaluation, or the other network of a GAN), with no gradient bookkeeping.
    pub fn bind_frozen<'t>(&self, tape: &'t Tape<T>) -> Params<'t, T> {
        Params {
            tape,
            vars: self
                .values
                .iter()
                .map(|v| tape.constant(v.clone()))
                .collect(),
        }
    }

    /// Moves the gradients of a backward pass out of the tape into the store, adding them to
    /// any gradient already collected. Parameters that got no gradient keep what they had.
    ///
    /// Panics if `params` was not bound from a store of the same size.
    pub fn collect_grads(&mut self, params: &Params<'_, T>) {
        assert_eq!(
            params.len(),
            self.len(),
            "collect_grads: {} bound variables for a store of {} parameters",
            params.len(),
            self.len()
        );
        for (slot, var) in self.grads.iter_mut().zip(params.vars()) {
            let Some(g) = var.take_grad() else { continue };
            match slot {
                None => *slot = Some(g),
                Some(acc) => acc.add_assign(&g),
            }
        }
    }

    /// One forward/backward pass in the lifecycle's order: resets `tape`, binds the parameters,
    /// records `loss_fn`, runs backward, collects the gradients into the store and resets
    /// `tape` again, so that the parameters are uniquely owned for the optimiser step that
    /// follows. Returns the loss value.
    ///
    /// `loss_fn` must return a one-element variable.
    pub fn compute_grads<F>(&mut self, tape: &mut Tape<T>, loss_fn: F) -> T
    where
        F: for<'t> FnOnce(&Params<'t, T>) -> Var<'t, T>,
    {
        tape.reset();
        let loss_value = {
            let params = self.bind(tape);
            let loss = loss_fn(&params);
            loss.backward();
            self.collect_grads(&params);
            loss.item()
        };
        tape.reset();
        loss_value
    }

    /// [`ParamStore::compute_grads`] that reports a non-finite loss, or with anomaly
    /// detection on the first non-finite value or gradient, instead of collecting gradients
    /// (see [`Var::try_backward`]). The tape is reset either way.
    pub fn try_compute_grads<F>(
        &mut self,
        tape: &mut Tape<T>,
        loss_fn: F,
    ) -> Result<T, Box<Anomaly>>
    where
        F: for<'t> FnOnce(&Params<'t, T>) -> Var<'t, T>,
    {
        tape.reset();
        let result = {
            let params = self.bind(tape);
            let loss = loss_fn(&params);
            let swept = loss.try_backward();
            if swept.is_ok() {
                self.collect_grads(&params);
            }
            swept.map(|()| loss.item())
        };
        tape.reset();
        result
    }

    /// Discards every collected gradient.
    pub fn zero_grad(&mut self) {
        for g in &mut self.grads {
            *g = None;
        }
    }

    /// The Euclidean norm of all collected gradients taken together.
    pub fn grad_norm(&self) -> f64 {
        self.grads
            .iter()
            .flatten()
            .flat_map(|g| g.data())
            .map(|&x| x.to_f64() * x.to_f64())
            .sum::<f64>()
            .sqrt()
    }

    /// Gradient clipping by global norm: when the norm of all gradients together exceeds
    /// `max_norm`, scales every gradient by `max_norm / (norm + 1e-6)` so the update keeps its
    /// direction. Returns the norm before clipping; a non-finite norm leaves the gradients
    /// as they are (no scale can make them finite: the caller should skip the step).
    pub fn clip_grad_norm(&mut self, max_norm: f64) -> f64 {
        let norm = self.grad_norm();
        if norm > max_norm && norm.is_finite() {
            let scale = T::from_f64(max_norm / (norm + 1e-6));
            for g in self.grads.iter_mut().flatten() {
                for x in g.data_mut() {
                    *x *= scale;
                }
            }
        }
        norm
    }
}

impl<T: Float> std::fmt::Debug for ParamStore<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_map();
        for (name, value) in self.names.iter().zip(&self.values) {
            list.entry(name, &format_args!("{}", value.shape()));
        }
        list.finish()
    }
}

/// Gives a loss closure the signature [`ParamStore::compute_grads`] needs, so it can be
/// stored in a `let` and used for many steps.
///
/// `compute_grads` takes a closure that works for the parameters of *any* tape lifetime
/// (`for<'t> Fn(&Params<'t, T>) -> Var<'t, T>`). Rust infers that higher-ranked signature
/// only for a closure written where such a bound is expected: one stored in a plain `let`
/// gets a single lifetime and fails with "implementation of `FnOnce` is not general enough".
/// Passing it through `objective` supplies the bound.
///
/// ```
/// use tape::{Tape, Tensor};
/// use train::{Optimizer, ParamStore, Sgd, objective};
///
/// let mut store = ParamStore::<f64>::new();
/// let w = store.add("w", Tensor::from_vec(vec![3.0], [1]));
/// let target = Tensor::from_vec(vec![1.0], [1]);
/// // (w - 1)^2, stored once, used at every step.
/// let loss = objective(|p| (p[w] - p.tape().constant(target.clone())).square().sum());
/// let (mut tape, mut opt) = (Tape::new(), Sgd::new(0.25));
/// for _ in 0..50 {
///     store.compute_grads(&mut tape, &loss);
///     opt.step(&mut store);
/// }
/// assert!((store.value(w).item() - 1.0).abs() < 1e-9);
/// assert!(store.compute_grads(&mut tape, &loss) < 1e-18);
/// ```
pub fn objective<T, F>(loss: F) -> F
where
    T: Float,
    F: for<'t> Fn(&Params<'t, T>) -> Var<'t, T>,
{
    loss
}
