//! What an optimiser carries from one step to the next, in the form a checkpoint stores, and
//! the checks that a stored state fits the model it is restored into.

use tape::{Float, Tensor};

use super::{Stepper, UpdateRule};
use crate::params::{ParamId, ParamStore};

/// An optimiser's state between steps, as a checkpoint stores it: which optimiser, how many
/// steps it took (which also fixes the learning-rate schedule's position) and its
/// per-parameter tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerState<T: Float = f32> {
    /// The rule's kind: `sgd`, `adam`, `adamw` or a user rule's ([`UpdateRule::kind`]).
    pub kind: String,
    /// Steps taken.
    pub steps: usize,
    /// Per-parameter tensors: a role (`m`, `v`, `velocity`: [`UpdateRule::STATE`]), the
    /// parameter, the tensor.
    pub tensors: Vec<(String, ParamId, Tensor<T>)>,
}

impl<R: UpdateRule<T, N>, T: Float, const N: usize> Stepper<R, T, N> {
    /// The step count and the state tensors, role by role.
    pub(super) fn checkpoint_state(&self) -> OptimizerState<T> {
        let per_role = R::STATE.iter().enumerate().flat_map(|(k, &role)| {
            let tensors = self.state.iter().enumerate();
            tensors.filter_map(move |(i, t)| {
                Some((role.into(), ParamId::at(i), t.as_ref()?[k].clone()))
            })
        });
        OptimizerState {
            kind: self.rule.kind().into(),
            steps: self.steps,
            tensors: per_role.collect(),
        }
    }

    /// Restores a state taken by [`Stepper::checkpoint_state`], checked against `store`: the
    /// kind must match, every tensor must have a role of the rule and the shape of its
    /// parameter, and a parameter has all of its state tensors or none.
    pub(super) fn restore_state(
        &mut self,
        state: OptimizerState<T>,
        store: &ParamStore<T>,
    ) -> Result<(), String> {
        let kind = self.rule.kind();
        if state.kind != kind {
            return Err(format!(
                "the checkpoint holds the state of {}, not of {kind}: resume with the optimiser \
                 that wrote it",
                state.kind
            ));
        }
        let mut found: Vec<[Option<Tensor<T>>; N]> = vec![[const { None }; N]; store.len()];
        for (role, id, tensor) in state.tensors {
            let Some(k) = R::STATE.iter().position(|&x| x == role) else {
                return Err(format!("{kind} has no state '{role}'"));
            };
            if id.index() >= store.len() || store.value(id).shape() != tensor.shape() {
                return Err(format!(
                    "the {role} state of parameter {} does not fit the model",
                    id.index()
                ));
            }
            found[id.index()][k] = Some(tensor);
        }
        let all_or_none = |(i, tensors): (usize, [Option<Tensor<T>>; N])| {
            if tensors.iter().all(Option::is_none) {
                return Ok(None);
            }
            match tensors.iter().position(Option::is_none) {
                Some(k) => Err(format!(
                    "the checkpoint lacks the {} state of parameter {i}",
                    R::STATE[k]
                )),
                None => Ok(Some(
                    tensors.map(|t| t.expect("checked: every one is there")),
                )),
            }
        };
        self.state = found
            .into_iter()
            .enumerate()
            .map(all_or_none)
            .collect::<Result<_, _>>()?;
        self.steps = state.steps;
        Ok(())
    }
}
