//! `ReLU` as a layer.

use super::{Module, Param};
use crate::autodiff::{Tape, Var};
use crate::{Element, Result};

/// `max(x, 0)` elementwise; no parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReLU;

impl<T: Element> Module<T> for ReLU {
    fn forward<'t>(&self, _: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        Ok(x.relu())
    }
    fn is_relu(&self) -> bool {
        true
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        Vec::new()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        Vec::new()
    }
    fn describe(&self) -> String {
        "ReLU".into()
    }
}
