//! `Sequential`: layers applied in order.

use super::{Module, Param};
use crate::autodiff::{Tape, Var};
use crate::{Element, Result};

/// Layers applied one after the other. Parameters are named
/// `"{index}.{name}"`, as in PyTorch's `nn.Sequential`.
pub struct Sequential<T: Element> {
    layers: Vec<Box<dyn Module<T>>>,
}

impl<T: Element> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> Sequential<T> {
    /// An empty container.
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a layer (builder style).
    pub fn add(mut self, layer: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a boxed layer.
    pub fn push(&mut self, layer: Box<dyn Module<T>>) {
        self.layers.push(layer);
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<T: Element> Module<T> for Sequential<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        self.layers.iter().try_fold(x, |x, layer| layer.forward(tape, x))
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| layer.named_parameters().into_iter().map(move |(name, p)| (format!("{i}.{name}"), p)))
            .collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        self.layers.iter_mut().flat_map(|layer| layer.parameters_mut()).collect()
    }
    fn describe(&self) -> String {
        let inner: Vec<String> = self.layers.iter().map(|l| l.describe()).collect();
        format!("Sequential[{}]", inner.join(", "))
    }
}
