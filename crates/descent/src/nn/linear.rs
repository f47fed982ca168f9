//! `Linear`: the affine layer `y = x W^T + b`.

use super::{Init, Module, Param};
use crate::autodiff::{Tape, Var};
use crate::rng::Rng;
use crate::{Element, Result};

/// A fully connected layer with weight `(out_features, in_features)` and an
/// optional bias `(out_features)`, laid out as PyTorch's `nn.Linear`.
#[derive(Debug, Clone)]
pub struct Linear<T: Element> {
    /// `(out_features, in_features)`.
    pub weight: Param<T>,
    /// `(out_features)`, if the layer has a bias.
    pub bias: Option<Param<T>>,
}

impl<T: Element> Linear<T> {
    /// A layer `in_features -> out_features` with a bias, drawn from `init`.
    pub fn new(in_features: usize, out_features: usize, init: Init, rng: &mut Rng) -> Result<Self> {
        let weight = init.weight(&[out_features, in_features], rng)?;
        let bias = init.bias(out_features, in_features, rng);
        Ok(Linear { weight: Param::new("weight", weight), bias: Some(Param::new("bias", bias)) })
    }

    /// A layer without a bias.
    pub fn without_bias(in_features: usize, out_features: usize, init: Init, rng: &mut Rng) -> Result<Self> {
        let weight = init.weight(&[out_features, in_features], rng)?;
        Ok(Linear { weight: Param::new("weight", weight), bias: None })
    }

    /// `(in_features, out_features)`.
    pub fn features(&self) -> (usize, usize) {
        let s = self.weight.value().shape();
        (s[1], s[0])
    }
}

impl<T: Element> Module<T> for Linear<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let w = tape.param(&self.weight);
        let b = self.bias.as_ref().map(|b| tape.param(b));
        x.linear(&w, b.as_ref())
    }
    fn forward_then_relu<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Option<Result<Var<'t, T>>> {
        let w = tape.param(&self.weight);
        let b = self.bias.as_ref().map(|b| tape.param(b));
        Some(x.linear_relu(&w, b.as_ref()))
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        std::iter::once(&self.weight).chain(&self.bias).map(|p| (p.name().to_string(), p)).collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        std::iter::once(&mut self.weight).chain(&mut self.bias).collect()
    }
    fn describe(&self) -> String {
        let (i, o) = self.features();
        format!("Linear({i} -> {o})")
    }
}
