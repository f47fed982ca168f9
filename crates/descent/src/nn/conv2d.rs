//! `Conv2d`: 2-D convolution layer (NCHW).

use super::{Init, Module, Param};
use crate::autodiff::{Conv2dOptions, Tape, Var};
use crate::rng::Rng;
use crate::{Element, Result};

/// A convolution with weight `(out_channels, in_channels, k, k)` and bias
/// `(out_channels)`, laid out as PyTorch's `nn.Conv2d`.
#[derive(Debug, Clone)]
pub struct Conv2d<T: Element> {
    /// `(out_channels, in_channels, kh, kw)`.
    pub weight: Param<T>,
    /// `(out_channels)`, if the layer has a bias.
    pub bias: Option<Param<T>>,
    /// Stride and padding.
    pub options: Conv2dOptions,
}

impl<T: Element> Conv2d<T> {
    /// A `kernel x kernel` convolution `in_channels -> out_channels` with a bias.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        options: Conv2dOptions,
        init: Init,
        rng: &mut Rng,
    ) -> Result<Self> {
        let weight = init.weight(&[out_channels, in_channels, kernel, kernel], rng)?;
        let bias = init.bias(out_channels, in_channels * kernel * kernel, rng);
        Ok(Conv2d { weight: Param::new("weight", weight), bias: Some(Param::new("bias", bias)), options })
    }

    /// The weight and the bias as leaves of `tape`.
    fn on<'t>(&self, tape: &'t Tape<T>) -> (Var<'t, T>, Option<Var<'t, T>>) {
        (tape.param(&self.weight), self.bias.as_ref().map(|b| tape.param(b)))
    }
}

impl<T: Element> Module<T> for Conv2d<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let (w, b) = self.on(tape);
        x.conv2d(&w, b.as_ref(), self.options)
    }
    fn forward_then_max_pool2x2<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>, relu: bool) -> Option<Result<Var<'t, T>>> {
        let (w, b) = self.on(tape);
        Some(x.conv_pool(&w, b.as_ref(), self.options, relu))
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        std::iter::once(&self.weight).chain(&self.bias).map(|p| (p.name().to_string(), p)).collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        std::iter::once(&mut self.weight).chain(&mut self.bias).collect()
    }
    fn describe(&self) -> String {
        let s = self.weight.value().shape();
        format!(
            "Conv2d({} -> {}, {}x{}, stride {:?}, padding {:?})",
            s[1], s[0], s[2], s[3], self.options.stride, self.options.padding
        )
    }
}
