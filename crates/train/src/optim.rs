//! Optimisers (SGD with momentum/Nesterov/weight decay, Adam, AdamW) and learning-rate
//! schedules, on one skeleton.
//!
//! An optimiser is written as an [`UpdateRule`]: its update of one parameter's elements and the
//! names of the state tensors it keeps per parameter, nothing else. A [`Stepper`] drives the
//! rule and does what every optimiser shares: the walk over the parameters that have a
//! gradient, the learning rate and its schedule, the step count, the state tensors (allocated
//! zeroed on a parameter's first gradient and reused after, so a steady-state step allocates
//! nothing) and their checkpoints, large parameters on two threads, and the clearing of the
//! gradients: a step consumes the gradients it applied, which is the `zero_grad` of other
//! frameworks, so the next step starts from empty gradient slots.
//!
//! [`Sgd`] and [`Adam`] are steppers driving [`SgdRule`] and [`AdamRule`].

use tape::{Float, Tensor};

use crate::params::{ParamId, ParamStore};

mod adam;
mod schedule;
mod sgd;
mod state;

pub use adam::{Adam, AdamRule};
pub use schedule::LrSchedule;
pub use sgd::{Sgd, SgdRule};
pub use state::OptimizerState;

/// The common interface of the optimisers: what a training loop calls.
///
/// Implemented by every [`Stepper`]; to write a new optimiser, implement [`UpdateRule`] rather
/// than this trait.
pub trait Optimizer<T: Float = f32> {
    /// Updates every parameter that has a gradient, in place, then clears all gradients.
    ///
    /// Call it after [`ParamStore::compute_grads`] (which leaves the tape reset, so the update
    /// writes into the parameters' own buffers instead of copying them).
    fn step(&mut self, store: &mut ParamStore<T>);

    /// The learning rate the next step will use (the base rate times the schedule's factor).
    fn learning_rate(&self) -> f64;

    /// The number of steps taken so far.
    fn steps(&self) -> usize;

    /// The state a resumed run needs (step count, moments or velocities), or `None` for an
    /// optimiser that cannot be checkpointed (the default).
    fn state(&self) -> Option<OptimizerState<T>> {
        None
    }

    /// Restores a state taken by [`Optimizer::state`], checked against `store`: the kind of
    /// optimiser must match and every tensor must belong to a parameter of the same shape.
    fn load_state(
        &mut self,
        state: OptimizerState<T>,
        store: &ParamStore<T>,
    ) -> Result<(), String> {
        let _ = (state, store);
        Err("this optimiser cannot be restored from a checkpoint".into())
    }
}

/// What a rule's update may depend on besides its own settings, handed to it by the
/// [`Stepper`].
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct StepContext {
    /// This step's learning rate: the base rate times the schedule's factor.
    pub lr: f64,
    /// This step's number, counting from 1 (Adam's `t`).
    pub t: usize,
    /// The parameter being updated (for rules that treat some parameters differently).
    pub param: ParamId,
}

/// An optimiser's update of one parameter, with `N` state tensors of the parameter's shape
/// (Adam's two moments: `N = 2`). A [`Stepper`] turns it into an [`Optimizer`].
///
/// The stepper calls [`UpdateRule::update`] for each parameter that has a gradient, and for a
/// large parameter once per half, on two threads: the update must be elementwise, each element
/// computed from its own value, gradient and state only. That also makes it bit-identical
/// whatever the split.
///
/// Adagrad (Duchi et al., 2011), `s <- s + g^2`, `w <- w - lr g / (sqrt(s) + eps)`, in full:
///
/// ```
/// use tape::{Float, Tape, Tensor};
/// use train::optim::{StepContext, Stepper, UpdateRule};
/// use train::{Optimizer, ParamStore};
///
/// struct Adagrad {
///     eps: f64,
/// }
///
/// impl<T: Float> UpdateRule<T, 1> for Adagrad {
///     const STATE: [&'static str; 1] = ["sum_sq"];
///
///     fn kind(&self) -> &'static str {
///         "adagrad"
///     }
///
///     fn update(&self, ctx: StepContext, w: &mut [T], g: &[T], [s]: [&mut [T]; 1]) {
///         let (lr, eps) = (T::from_f64(ctx.lr), T::from_f64(self.eps));
///         for ((w, &g), s) in w.iter_mut().zip(g).zip(s) {
///             *s += g * g;
///             *w -= lr * g / (s.sqrt() + eps);
///         }
///     }
/// }
///
/// let mut store = ParamStore::<f64>::new();
/// let w = store.add("w", Tensor::from_vec(vec![1.0, -2.0], [2]));
/// let mut opt = Stepper::with_rule(Adagrad { eps: 1e-10 }, 0.1);
/// let mut tape = Tape::new();
/// store.compute_grads(&mut tape, |p| (p[w] * p[w]).sum()); // g = 2 w = [2, -4]
/// opt.step(&mut store);
/// // s = g^2 on the first step: each weight moves by lr against its gradient's sign.
/// let got = store.value(w).data();
/// assert!((got[0] - 0.9).abs() < 1e-9 && (got[1] + 1.9).abs() < 1e-9);
/// // The stepper counted the step, cleared the gradient and kept the state for checkpoints.
/// assert_eq!(opt.steps(), 1);
/// assert!(store.grad(w).is_none());
/// assert_eq!(opt.state().unwrap().tensors[0].0, "sum_sq");
/// ```
pub trait UpdateRule<T: Float, const N: usize>: Sync {
    /// The names of the state tensors, as checkpoints store them (Adam: `["m", "v"]`).
    const STATE: [&'static str; N];

    /// The optimiser's name in checkpoints (`sgd`, `adam`, `adamw`): a checkpoint is
    /// restored only into a rule of the same kind.
    fn kind(&self) -> &'static str;

    /// Whether this rule, as configured, uses its state tensors (by default when it has any).
    /// When it does not, the stepper allocates none and `update` receives empty state slices
    /// (plain SGD has no velocity).
    fn keeps_state(&self) -> bool {
        N > 0
    }

    /// Updates the elements `value` of a parameter (all of them or one half) in place from
    /// their gradient `grad` and their state, which starts at zero.
    fn update(&self, ctx: StepContext, value: &mut [T], grad: &[T], state: [&mut [T]; N]);
}

/// Parameters with at least this many elements are updated in two halves on two threads
/// (`tape::join_halves`). Adam's update streams four arrays and takes a square root and a
/// division per element: 14% of the MNIST MLP example's main thread for its 200,704
/// first-layer weights, with the helper thread idle meanwhile. Every rule is elementwise, so
/// the split changes no result.
const PARALLEL_UPDATE: usize = 1 << 15;

/// An optimiser made of an [`UpdateRule`] and everything optimisers share: the base learning
/// rate and its schedule, the step count, the rule's state tensors per parameter, the walk
/// over the parameters and the clearing of their gradients (see the [module docs](self)).
#[derive(Debug)]
pub struct Stepper<R, T: Float, const N: usize> {
    rule: R,
    lr: f64,
    schedule: LrSchedule,
    steps: usize,
    /// Indexed by parameter: its state tensors, from its first gradient on.
    state: Vec<Option<[Tensor<T>; N]>>,
}

impl<R: UpdateRule<T, N>, T: Float, const N: usize> Stepper<R, T, N> {
    /// An optimiser following `rule` with base learning rate `lr`.
    pub fn with_rule(rule: R, lr: f64) -> Self {
        Stepper {
            rule,
            lr,
            schedule: LrSchedule::Constant,
            steps: 0,
            state: Vec::new(),
        }
    }

    /// A learning-rate schedule.
    pub fn schedule(mut self, schedule: LrSchedule) -> Self {
        self.schedule = schedule;
        self
    }

    /// The rule this optimiser follows.
    pub fn rule(&self) -> &R {
        &self.rule
    }
}

impl<R: UpdateRule<T, N>, T: Float, const N: usize> Optimizer<T> for Stepper<R, T, N> {
    fn step(&mut self, store: &mut ParamStore<T>) {
        let (lr, t) = (self.learning_rate(), self.steps + 1);
        if self.state.len() < store.len() {
            self.state.resize_with(store.len(), || None);
        }
        let rule = &self.rule;
        for id in store.ids() {
            let Some((w, g)) = store.value_and_grad_mut(id) else {
                continue;
            };
            let ctx = StepContext { lr, t, param: id };
            let slot = &mut self.state[id.index()];
            if slot.is_none() && !rule.keeps_state() {
                let data = (w.data_mut(), g.data());
                tape::join_halves(data, PARALLEL_UPDATE, |(w, g)| {
                    rule.update(ctx, w, g, std::array::from_fn(|_| &mut [][..]));
                });
                continue;
            }
            let zeros = || Tensor::zeros(w.shape().clone());
            let state = slot.get_or_insert_with(|| std::array::from_fn(|_| zeros()));
            let data = (
                w.data_mut(),
                g.data(),
                state.each_mut().map(Tensor::data_mut),
            );
            tape::join_halves(data, PARALLEL_UPDATE, |(w, g, s)| rule.update(ctx, w, g, s));
        }
        store.zero_grad();
        self.steps += 1;
    }

    fn learning_rate(&self) -> f64 {
        self.lr * self.schedule.factor(self.steps)
    }

    fn steps(&self) -> usize {
        self.steps
    }

    fn state(&self) -> Option<OptimizerState<T>> {
        Some(self.checkpoint_state())
    }

    fn load_state(
        &mut self,
        state: OptimizerState<T>,
        store: &ParamStore<T>,
    ) -> Result<(), String> {
        self.restore_state(state, store)
    }
}
