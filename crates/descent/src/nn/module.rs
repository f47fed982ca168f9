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

    /// The windows `(kernel, stride)` of a max-pooling layer, so that a
    /// [`Sequential`](super::Sequential) can hand the layer before it the
    /// pooling to record with it as one op; `None` for other layers.
    fn max_pool_windows(&self) -> Option<((usize, usize), (usize, usize))> {
        None
    }

    /// Whether this layer is a ReLU, so that a [`Sequential`](super::Sequential)
    /// can hand it to the layer (and pooling) before it, to record them as
    /// one op; `false` for other layers.
    fn is_relu(&self) -> bool {
        false
    }

    /// This layer and then a max pooling of 2x2 windows with stride 2 (and
    /// a ReLU when `relu`), recorded as one op with the same values and
    /// gradients, bit for bit (a convolution: [`Var::conv2d_max_pool2x2`],
    /// [`Var::conv2d_max_pool2x2_relu`]); `None` for a layer without such an
    /// op, which [`Sequential`](super::Sequential) then runs alone.
    fn forward_then_max_pool2x2<'t>(
        &self,
        _tape: &'t Tape<T>,
        _x: Var<'t, T>,
        _relu: bool,
    ) -> Option<Result<Var<'t, T>>> {
        None
    }

    /// This layer and then a ReLU, recorded as one op with the same values
    /// and gradients, bit for bit (a linear layer: [`Var::linear_relu`]);
    /// `None` for a layer without such an op, which
    /// [`Sequential`](super::Sequential) then runs alone.
    fn forward_then_relu<'t>(&self, _tape: &'t Tape<T>, _x: Var<'t, T>) -> Option<Result<Var<'t, T>>> {
        None
    }

    /// The state that is not trained by the optimizer (batch norm's running
    /// statistics), named as in PyTorch's `state_dict`, as `f64` copies.
    fn named_buffers(&self) -> Vec<(String, ndarray::ArrayD<f64>)> {
        Vec::new()
    }
}
