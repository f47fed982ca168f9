//! The `Module` trait: a forward pass plus an ordered list of parameters.

use super::Param;
use crate::autodiff::{Tape, Var};
use crate::{Element, Result};

/// A layer or a model.
pub trait Module<T: Element>: Send {
    /// Records the layer's computation of `x` on `tape`.
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>>;

    /// The parameters with their full names, in a stable order (PyTorch's
    /// `named_parameters()` order for the same architecture).
    fn named_parameters(&self) -> Vec<(String, &Param<T>)>;

    /// The parameters, mutably, in the same order as [`Module::named_parameters`].
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>>;

    /// The parameters in the stable order.
    fn parameters(&self) -> Vec<&Param<T>> {
        self.named_parameters().into_iter().map(|(_, p)| p).collect()
    }

    /// Number of scalar parameters.
    fn num_parameters(&self) -> usize {
        self.parameters().iter().map(|p| p.value().len()).sum()
    }

    /// A short description for summaries (`"Linear(784 -> 256)"`).
    fn describe(&self) -> String;

    /// Switches between training mode (`true`, the initial mode: batch
    /// norm normalises with the batch's statistics and updates its running
    /// ones) and evaluation mode (`false`: it uses the running ones).
    /// PyTorch's `model.train()` / `model.eval()`. Layers without a mode
    /// ignore it.
    fn set_training(&mut self, _training: bool) {}

    /// The state that is not trained by the optimizer (batch norm's running
    /// statistics), named as in PyTorch's `state_dict`, as `f64` copies.
    fn named_buffers(&self) -> Vec<(String, ndarray::ArrayD<f64>)> {
        Vec::new()
    }
}
