//! What an optimiser carries from one step to the next, in the form a checkpoint stores, and
//! the checks that a stored state fits the model it is restored into.

use tape::{Float, Tensor};

use super::{Adam, Sgd};
use crate::params::{ParamId, ParamStore};

/// An optimiser's state between steps, as a checkpoint stores it: which optimiser, how many
/// steps it took (which also fixes the learning-rate schedule's position) and its
/// per-parameter tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState<T: Float = f32> {
    /// `sgd`, `adam` or `adamw`.
    pub kind: String,
    /// Steps taken.
    pub steps: usize,
    /// Per-parameter tensors: a role (`m`, `v`, `velocity`), the parameter, the tensor.
    pub tensors: Vec<(String, ParamId, Tensor<T>)>,
}

/// The state tensors of one role, one per parameter that has one.
fn named_state<T: Float>(
    role: &str,
    state: &[Option<Tensor<T>>],
) -> Vec<(String, ParamId, Tensor<T>)> {
    state
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((role.to_string(), ParamId::at(i), t.clone()?)))
        .collect()
}

/// Checks `state` against the optimiser `kind` and `store`, and returns its tensors of each
/// of `roles`, indexed by parameter.
fn unpack_state<T: Float>(
    kind: &str,
    state: OptimizerState<T>,
    store: &ParamStore<T>,
    roles: &[&str],
) -> Result<Vec<Vec<Option<Tensor<T>>>>, String> {
    if state.kind != kind {
        return Err(format!(
            "the checkpoint holds the state of {}, not of {kind}: resume with the optimiser \
             that wrote it",
            state.kind
        ));
    }
    let mut out = vec![vec![None; store.len()]; roles.len()];
    for (role, id, tensor) in state.tensors {
        let Some(r) = roles.iter().position(|&x| x == role) else {
            return Err(format!("{kind} has no state '{role}'"));
        };
        if id.index() >= store.len() || store.value(id).shape() != tensor.shape() {
            return Err(format!(
                "the {role} state of parameter {} does not fit the model",
                id.index()
            ));
        }
        out[r][id.index()] = Some(tensor);
    }
    Ok(out)
}

impl<T: Float> Sgd<T> {
    /// The step count and the velocities.
    pub(super) fn checkpoint_state(&self) -> OptimizerState<T> {
        OptimizerState {
            kind: "sgd".into(),
            steps: self.steps,
            tensors: named_state("velocity", &self.velocity),
        }
    }

    /// Restores a state taken by [`Sgd::checkpoint_state`], checked against `store`.
    pub(super) fn restore_state(
        &mut self,
        state: OptimizerState<T>,
        store: &ParamStore<T>,
    ) -> Result<(), String> {
        let steps = state.steps;
        let [velocity] = <[_; 1]>::try_from(unpack_state("sgd", state, store, &["velocity"])?)
            .expect("one role");
        self.velocity = velocity;
        self.steps = steps;
        Ok(())
    }
}

impl<T: Float> Adam<T> {
    /// `adam`, or `adamw` with decoupled weight decay.
    fn kind(&self) -> &'static str {
        if self.decoupled { "adamw" } else { "adam" }
    }

    /// The step count and both moment estimates.
    pub(super) fn checkpoint_state(&self) -> OptimizerState<T> {
        let mut tensors = named_state("m", &self.m);
        tensors.extend(named_state("v", &self.v));
        OptimizerState {
            kind: self.kind().into(),
            steps: self.steps,
            tensors,
        }
    }

    /// Restores a state taken by [`Adam::checkpoint_state`], checked against `store`.
    pub(super) fn restore_state(
        &mut self,
        state: OptimizerState<T>,
        store: &ParamStore<T>,
    ) -> Result<(), String> {
        let steps = state.steps;
        let [m, v] = <[_; 2]>::try_from(unpack_state(self.kind(), state, store, &["m", "v"])?)
            .expect("two roles");
        (self.m, self.v, self.steps) = (m, v, steps);
        Ok(())
    }
}
