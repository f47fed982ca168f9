//! `MaxPool2d` as a layer.

use super::{Module, Param};
use crate::autodiff::{Tape, Var};
use crate::{Element, Result};

/// Max pooling with a square `kernel` and `stride` (PyTorch's default
/// stride is the kernel size: [`MaxPool2d::new`] does the same).
#[derive(Debug, Clone, Copy)]
pub struct MaxPool2d {
    /// Window size `(kh, kw)`.
    pub kernel: (usize, usize),
    /// Step between windows `(sh, sw)`.
    pub stride: (usize, usize),
}

impl MaxPool2d {
    /// Non-overlapping `k x k` windows.
    pub fn new(k: usize) -> Self {
        MaxPool2d { kernel: (k, k), stride: (k, k) }
    }
}

impl<T: Element> Module<T> for MaxPool2d {
    fn forward<'t>(&self, _: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        x.max_pool2d(self.kernel, self.stride)
    }
    fn max_pool_windows(&self) -> Option<((usize, usize), (usize, usize))> {
        Some((self.kernel, self.stride))
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        Vec::new()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        Vec::new()
    }
    fn describe(&self) -> String {
        format!("MaxPool2d(kernel {:?}, stride {:?})", self.kernel, self.stride)
    }
}
