//! A convolution and the 2x2 max pooling with stride 2 after it, as one op.
//!
//! The values and gradients are those of `x.conv2d(..)` then
//! `.max_pool2d((2, 2), (2, 2))`, bit for bit: the same direct kernel
//! computes each sample's output, the same AVX-512 loop pools it, the same
//! unpooling and convolution backward make the gradients. What changes is
//! where the convolution's output lives: one sample at a time in a scratch
//! buffer that stays in the cache while it is pooled, instead of a whole
//! batch's (19 MB a step for the MNIST CNN's first layer) written to memory
//! and read back by the pooling. Only the pooled output and the arg-maxes
//! are kept, and the backward pass unpools the gradient a group of samples
//! at a time, into a scratch that the convolution's backward reads while
//! it is in the cache. Where the direct kernel does not apply (other types, CPUs,
//! strides or paddings), the op is the two ops in turn.
//!
//! With a ReLU after the pooling (`conv2d_max_pool2x2_relu`, which
//! `Sequential` records for the three layers), each sample's pooled maps go
//! through it while in the cache, and the backward pass multiplies a
//! sample's pooled gradient by the ReLU's derivative just before unpooling
//! it: the passes of a separate ReLU op over the batch's pooled maps (4.7 MB
//! a step for the first layer, forward and backward) are gone.

use super::{direct, per_group, Conv2d, Conv2dOptions, GROUP};
use crate::autodiff::ops::activation::Relu;
use crate::autodiff::ops::pointwise::Pointwise;
use crate::autodiff::ops::pool::MaxPool2d;
use crate::autodiff::{Backward, Var};
use crate::kernels::pool_2x2::pool_plane_2x2_avx512;
use crate::kernels::workspace::{self, Buffer};
use crate::{Element, Result};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

/// The recorded pair (or three): the ReLU's gradient, unpool, then the
/// convolution's backward.
struct ConvPool {
    conv: Conv2d,
    pool: MaxPool2d,
    relu: bool,
}

impl<T: Element> Backward<T> for ConvPool {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        output: &ArrayD<T>,
        grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        let relu = self.relu.then(|| output.as_slice().expect("standard layout"));
        self.conv.backward_from(inputs, grad, Some((&self.pool, relu)), wants)
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// `self.conv2d(weight, bias, opts)?.max_pool2d((2, 2), (2, 2))` as one
    /// op: the same values and gradients, bit for bit, without keeping the
    /// convolution's output (see the module notes).
    ///
    /// # Gradient
    /// Those of [`Var::max_pool2d`] and then [`Var::conv2d`].
    ///
    /// # Shapes
    /// `x: (N, C, H, W)`, `weight: (O, C, KH, KW)`, `bias: (O)` ->
    /// `(N, O, OH / 2, OW / 2)` with `OH, OW` the convolution's.
    ///
    /// PyTorch equivalent: `F.max_pool2d(F.conv2d(x, w, b, stride, padding), 2)`
    pub fn conv2d_max_pool2x2(
        &self,
        weight: &Var<'t, T>,
        bias: Option<&Var<'t, T>>,
        opts: Conv2dOptions,
    ) -> Result<Var<'t, T>> {
        self.conv_pool(weight, bias, opts, false)
    }

    /// `self.conv2d(weight, bias, opts)?.max_pool2d((2, 2), (2, 2))?.relu()`
    /// as one op: the same values and gradients, bit for bit, without
    /// keeping the convolution's output or the pooling's: each sample's
    /// pooled maps go through the ReLU while in the cache, and the backward
    /// pass applies the ReLU's gradient to a sample's pooled gradient just
    /// before unpooling it.
    ///
    /// # Gradient
    /// Those of [`Var::relu`], [`Var::max_pool2d`] and then [`Var::conv2d`].
    ///
    /// # Shapes
    /// As [`Var::conv2d_max_pool2x2`].
    ///
    /// PyTorch equivalent: `F.relu(F.max_pool2d(F.conv2d(x, w, b, stride, padding), 2))`
    pub fn conv2d_max_pool2x2_relu(
        &self,
        weight: &Var<'t, T>,
        bias: Option<&Var<'t, T>>,
        opts: Conv2dOptions,
    ) -> Result<Var<'t, T>> {
        self.conv_pool(weight, bias, opts, true)
    }

    /// [`Var::conv2d_max_pool2x2`], and the ReLU after it when `relu`
    /// ([`Var::conv2d_max_pool2x2_relu`]).
    pub(crate) fn conv_pool(
        &self,
        weight: &Var<'t, T>,
        bias: Option<&Var<'t, T>>,
        opts: Conv2dOptions,
        relu: bool,
    ) -> Result<Var<'t, T>> {
        let (g, parents, bias_value) = self.conv_operands(weight, bias, opts)?;
        if !direct::applies::<T>(&g) || g.oh < 2 || g.ow < 2 {
            let y = self.conv2d(weight, bias, opts)?.max_pool2d((2, 2), (2, 2))?;
            return Ok(if relu { y.relu() } else { y });
        }
        let (x, w) = (self.value(), weight.value());
        let (p, oh, ow) = (g.p(), g.oh / 2, g.ow / 2);
        let plane_out = oh * ow;
        let keep = self.requires_grad() || weight.requires_grad() || bias.is_some_and(|b| b.requires_grad());
        let b = bias_value.as_ref().map(|b| direct::as_f32(b.as_slice().expect("standard layout")));
        let forward = direct::Forward::new(&g, direct::as_f32(w.as_slice().expect("standard layout")), b);
        let xs = x.as_slice().expect("standard layout");
        let mut y = workspace::stale(g.n * g.o * plane_out, T::zero());
        let mut argmax = Buffer::uninit(if keep { g.n * g.o * plane_out } else { 0 }, 0u32);
        // Per group of samples (as the convolution alone): each sample's
        // output into a scratch, then pooled plane by plane, row by row.
        let sample_out = g.o * plane_out;
        let argmax_groups = per_group(&mut argmax, GROUP * sample_out, g.n.div_ceil(GROUP));
        y.par_chunks_mut(GROUP * sample_out).zip(argmax_groups).zip(xs.par_chunks(GROUP * g.image())).for_each(
            |((y, argmax), xs)| {
                let mut out = Buffer::uninit(g.o * p, 0.0f32);
                for (n, (y_n, image)) in y.chunks_exact_mut(sample_out).zip(xs.chunks_exact(g.image())).enumerate() {
                    forward.sample(direct::as_f32(image), &mut out[..]);
                    let argmax_n = keep.then(|| &mut argmax[n * sample_out..(n + 1) * sample_out]);
                    pool_sample(&out, g.ow, p, direct::as_f32_mut(y_n), argmax_n);
                    if relu {
                        for y in y_n.iter_mut() {
                            *y = Pointwise::<T>::f(&Relu, *y);
                        }
                    }
                }
            },
        );
        let y = ArrayD::from_shape_vec(IxDyn(&[g.n, g.o, oh, ow]), y).expect("output size");
        let pool = MaxPool2d::two_by_two(argmax, p, plane_out, g.ow);
        let conv = Conv2d { geometry: g, has_bias: bias.is_some() };
        Ok(self.tape.push(y, &parents, ConvPool { conv, pool, relu }))
    }
}

/// One sample's planes (`p` values each, rows of `w`) pooled by 2x2 windows
/// into `y`, with the arg-maxes when kept.
fn pool_sample(out: &[f32], w: usize, p: usize, y: &mut [f32], mut argmax: Option<&mut [u32]>) {
    let plane_out = y.len() / (out.len() / p);
    for (o, (plane, y)) in out.chunks_exact(p).zip(y.chunks_exact_mut(plane_out)).enumerate() {
        let at = argmax.as_deref_mut().map(|a| &mut a[o * plane_out..(o + 1) * plane_out]);
        pool_plane_2x2_avx512(plane, w, y, at);
    }
}

#[cfg(test)]
mod tests {
    use super::super::Conv2dOptions;
    use crate::autodiff::gradcheck::testing::randn;
    use crate::autodiff::Tape;
    use crate::nn::{Init, MaxPool2d, Module, ReLU, Sequential};
    use crate::Element;
    use ndarray::ArrayD;

    fn bits<T: Element>(a: &ArrayD<T>) -> Vec<u64> {
        a.iter().map(|v| v.as_f64().to_bits()).collect()
    }

    /// The values and the three gradients of `conv2d_max_pool2x2` (or
    /// `conv2d_max_pool2x2_relu`) and of `conv2d` then `max_pool2d` (then
    /// `relu`), for a weighted sum of the output.
    fn both<T: Element>(x: &ArrayD<T>, w: &ArrayD<T>, b: &ArrayD<T>, x_grad: bool, relu: bool) -> [Vec<Vec<u64>>; 2] {
        [true, false].map(|fused| {
            let tape = Tape::<T>::new();
            let xv = if x_grad { tape.leaf(x.clone()) } else { tape.constant(x.clone()) };
            let (wv, bv) = (tape.leaf(w.clone()), tape.leaf(b.clone()));
            let o = Conv2dOptions::default();
            let y = match (fused, relu) {
                (true, false) => xv.conv2d_max_pool2x2(&wv, Some(&bv), o).unwrap(),
                (true, true) => xv.conv2d_max_pool2x2_relu(&wv, Some(&bv), o).unwrap(),
                (false, _) => {
                    let y = xv.conv2d(&wv, Some(&bv), o).unwrap().max_pool2d((2, 2), (2, 2)).unwrap();
                    if relu {
                        y.relu()
                    } else {
                        y
                    }
                }
            };
            let weights = randn(&y.shape(), 9).mapv(T::of);
            let loss = y.mul(&tape.constant(weights)).unwrap().sum();
            let g = tape.backward(&loss).unwrap();
            let mut out = vec![bits(&y.value())];
            for v in [&wv, &bv].into_iter().chain(x_grad.then_some(&xv)) {
                out.push(bits(g.wrt(v).unwrap().unwrap()));
            }
            out
        })
    }

    /// Bit for bit against the two ops: the MNIST CNN's shapes over a full
    /// and a partial group of samples, odd output heights (a row no window
    /// covers; with 5 channels, and with 16, unpooled straight into one row
    /// per pixel), channels not a multiple of the kernel's tile, a NaN
    /// in an image, with and without the input's gradient, with and without
    /// the ReLU after the pooling; on this CPU's kernels, on the baseline and
    /// in `f64` (the ops in turn).
    #[test]
    fn the_fused_op_is_the_two_ops_bit_for_bit() {
        // The direct kernel needs an output width that is a multiple of 8:
        // the fourth case (width 9) is the two ops in turn on every path.
        let cases = [
            ([20, 1, 28, 28], [16, 1, 5, 5], false),
            ([3, 3, 13, 20], [5, 3, 5, 5], true),
            ([18, 16, 12, 12], [32, 16, 5, 5], true),
            ([3, 3, 11, 13], [5, 3, 5, 5], true),
            ([3, 2, 13, 20], [16, 2, 5, 5], true),
        ];
        for (i, (xs, ws, x_grad)) in cases.into_iter().enumerate() {
            let seed = 40 + 3 * i as u64;
            let mut x = randn(&xs, seed);
            x[[0, 0, 3, 4]] = f64::NAN;
            let (w, b) = (randn(&ws, seed + 1), randn(&[ws[0]], seed + 2));
            for relu in [false, true] {
                let [fused, apart] = both(&x, &w, &b, x_grad, relu);
                assert_eq!(fused, apart, "f64, case {i}, relu {relu}");
                let f32s = |a: &ArrayD<f64>| a.mapv(|v| v as f32);
                for baseline in [false, true] {
                    let _switch = crate::kernels::cpu::baseline_switch();
                    crate::kernels::cpu::force_baseline(baseline);
                    let [fused, apart] = both(&f32s(&x), &f32s(&w), &f32s(&b), x_grad, relu);
                    crate::kernels::cpu::force_baseline(false);
                    assert_eq!(fused, apart, "f32, case {i}, baseline {baseline}, relu {relu}");
                }
            }
        }
    }

    /// Without a gradient (evaluation), the same values.
    #[test]
    fn without_a_gradient_the_values_are_the_same() {
        let (x, w, b) = (randn(&[17, 1, 12, 12], 1), randn(&[4, 1, 5, 5], 2), randn(&[4], 3));
        let f32s = |a: &ArrayD<f64>| a.mapv(|v| v as f32);
        let tape = Tape::<f32>::no_grad();
        let (xv, wv, bv) = (tape.constant(f32s(&x)), tape.constant(f32s(&w)), tape.constant(f32s(&b)));
        let fused = xv.conv2d_max_pool2x2(&wv, Some(&bv), Conv2dOptions::default()).unwrap();
        let apart = xv.conv2d(&wv, Some(&bv), Conv2dOptions::default()).unwrap().max_pool2d((2, 2), (2, 2)).unwrap();
        assert_eq!(bits(&fused.value()), bits(&apart.value()));
    }

    /// A `Sequential` that fuses each convolution with its pooling gives the
    /// values and parameter gradients of its layers run one by one.
    #[test]
    fn sequential_fuses_without_changing_a_bit() {
        let mut rng = crate::rng::seeded(5);
        let o = Conv2dOptions::default();
        let conv1 = crate::nn::Conv2d::<f32>::new(1, 4, 5, o, Init::TorchDefault, &mut rng).unwrap();
        let conv2 = crate::nn::Conv2d::<f32>::new(4, 6, 3, o, Init::TorchDefault, &mut rng).unwrap();
        let pool = MaxPool2d::new(2);
        let net = Sequential::new().with(conv1.clone()).with(pool).with(ReLU).with(conv2.clone()).with(pool);
        // The first convolution's output is 17 x 16 (fused on AVX-512), the
        // second's 6 x 6 (too narrow for the direct kernel: two ops).
        let x = randn(&[19, 1, 21, 20], 6).mapv(|v| v as f32);
        let fused = {
            let tape = Tape::<f32>::new();
            let y = net.forward(&tape, tape.constant(x.clone())).unwrap();
            let g = tape.backward(&y.sum()).unwrap();
            let grads: Vec<_> = net.parameters().iter().map(|p| bits(g.param(p).unwrap())).collect();
            (bits(&y.value()), grads)
        };
        let apart = {
            let tape = Tape::<f32>::new();
            let layers: [&dyn Module<f32>; 5] = [&conv1, &pool, &ReLU, &conv2, &pool];
            let mut y = tape.constant(x.clone());
            for layer in layers {
                y = layer.forward(&tape, y).unwrap();
            }
            let g = tape.backward(&y.sum()).unwrap();
            let params = conv1.parameters().into_iter().chain(conv2.parameters());
            let grads: Vec<_> = params.map(|p| bits(g.param(p).unwrap())).collect();
            (bits(&y.value()), grads)
        };
        assert_eq!(fused, apart);
    }
}
