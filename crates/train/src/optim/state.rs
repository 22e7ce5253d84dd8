//! What an optimiser carries from one step to the next, in the form a checkpoint stores, and
//! the checks that a stored state fits the model it is restored into.

use tape::{Float, Tensor};

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
pub(super) fn named_state<T: Float>(
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
pub(super) fn unpack_state<T: Float>(
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
