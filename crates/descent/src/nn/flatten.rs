//! `Flatten` as a layer.

use super::{Module, Param};
use crate::autodiff::{Tape, Var};
use crate::{Element, Result};

/// `(N, d1, d2, ...) -> (N, d1*d2*...)`; no parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flatten;

impl<T: Element> Module<T> for Flatten {
    fn forward<'t>(&self, _: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        x.flatten()
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        Vec::new()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        Vec::new()
    }
    fn describe(&self) -> String {
        "Flatten".into()
    }
}
