//! 2-D convolution (NCHW) by im2col + GEMM, in parallel over groups of
//! samples.
//!
//! Forward, per sample: the receptive fields are unrolled into a matrix
//! `cols_n: (C*KH*KW, OH*OW)` (im2col) in a small scratch buffer, and the
//! convolution is one matrix product `out_n = W cols_n + b`, written straight
//! into the sample's slice of the `(N, O, P)` output. Nothing unrolled is kept
//! for the backward pass.
//!
//! Backward, per group of `GROUP` samples: the weight gradient
//! `dW = sum_n dY_n cols_n^T` is one product over the whole group,
//! `dYt_g^T rows_g`, where `rows_g: (G*P, K)` holds the group's receptive
//! fields one output pixel per row (im2row, rebuilt from the input) and
//! `dYt_g: (G*P, O)` the transposed output gradients. The input gradient
//! goes the same way: `drows_g = dYt_g W` (one product per group, into the
//! same buffer), then each pixel's row is added back into its receptive field
//! by row2im, the adjoint of im2row.
//!
//! Why these layouts: the GEMM (matrixmultiply) copies its operands into
//! packed panels first, and that copy is fast only when the left operand is
//! column-major and the right one row-major; the other way round it goes
//! element by element and costs more than the arithmetic of these small
//! products. `W` is therefore used through its transpose (copied once per
//! call), and `dW` contracts over the rows of `dYt_g` and `rows_g`; in
//! `dYt_g W` only the small `dYt_g` is packed the slow way.
//!
//! im2col, im2row and row2im copy whole runs of a row (no per-element
//! indexing through ndarray; kernel widths 3 and 5 as constants); the
//! strided and padded cases share one walk over the kernel taps
//! (`Geometry::for_each_tap`), so that the three agree on every index and
//! row2im stays the exact adjoint of im2row.
//!
//! Groups are fixed at `GROUP` samples: each group's weight and bias
//! gradients are summed inside the group, and the groups' partial sums are
//! then added in group order, so the result is bit-identical whatever the
//! number of threads. Scratch buffers come from the per-thread
//! `workspace` pool.
//!
//! ## Layout
//! - `mod.rs`: the options, the forward op (`Var::conv2d`) and its backward.
//! - `geometry.rs`: the sizes of one convolution and the walk over kernel
//!   taps that im2col, im2row and row2im share.
//! - `pooled.rs`: a convolution and the 2x2 max pooling after it as one op
//!   (`Var::conv2d_max_pool2x2`, which `Sequential` records for the pair),
//!   and with a ReLU after them (`Var::conv2d_max_pool2x2_relu`): the same
//!   bits, the convolution's output pooled a sample at a time.
//! - `unroll.rs`: im2col, im2row, row2im (the adjoint) and a transpose.
//! - `direct.rs`: for `f32` on AVX-512, stride 1 and no padding, the forward
//!   product and the weight gradient straight from the image (no im2col or
//!   im2row, no GEMM packing), and the input gradient straight from the
//!   output gradients (no GEMM, no row2im), in the GEMM's order of
//!   additions: the same bits, about twice as fast on the MNIST CNN's
//!   convolutions.
//! - `tests.rs`: finite-difference checks and edge cases.

mod pooled;
#[cfg(test)]
mod tests;
mod unroll;

use crate::autodiff::ops::activation::Relu;
use crate::autodiff::ops::pointwise::Pointwise;
use crate::autodiff::ops::pool::MaxPool2d;
use crate::autodiff::{Backward, Var};
pub use crate::kernels::conv::Conv2dOptions;
use crate::kernels::conv::{direct, geometry, Geometry};
use crate::kernels::gemm::gemm_serial;
use crate::kernels::transpose::transpose;
use crate::kernels::workspace::{self, Buffer};
use crate::{Element, Error, Result};
use ndarray::{Array1, Array2, ArrayD, ArrayView2, ArrayViewMut2, IxDyn};
use rayon::prelude::*;
use std::sync::Arc;
use unroll::{im2col, im2row, row2im, segment_starts};

/// One group's sums of the weight and bias gradients (when wanted).
type Partial<T> = (Option<Array2<T>>, Option<Array1<T>>);

/// A convolution's checked geometry, its parents on the tape and its bias.
type Operands<T> = (Geometry, Vec<usize>, Option<Arc<ArrayD<T>>>);

/// Samples per parallel task; fixed, so that the order of the reductions
/// (and hence every bit of the result) does not depend on the thread count.
const GROUP: usize = 16;

struct Conv2d {
    geometry: Geometry,
    has_bias: bool,
}

impl<T: Element> Backward<T> for Conv2d {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        _: &ArrayD<T>,
        grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        self.backward_from(inputs, grad, None, wants)
    }
}

/// Where a convolution's backward reads its output's gradient, a group of
/// samples at a time.
enum GradSource<'a, T> {
    /// The gradient itself, `(N, O, P)`.
    Dense(&'a [T]),
    /// The gradient of the 2x2 max pooling after it (`Var::conv2d_max_pool2x2`),
    /// unpooled a group at a time into a scratch of the group's size; with
    /// `relu`, the outputs of a ReLU after the pooling
    /// (`Var::conv2d_max_pool2x2_relu`), whose gradient `grad` then is.
    Pooled { grad: &'a [T], pool: &'a MaxPool2d, relu: Option<&'a [T]> },
}

impl<T: Element> GradSource<'_, T> {
    /// The scratch [`GradSource::group`] needs for `len` values.
    fn scratch(&self, len: usize) -> Buffer<T> {
        match self {
            GradSource::Dense(_) => Buffer::uninit(0, T::zero()),
            GradSource::Pooled { .. } => Buffer::uninit(len, T::zero()),
        }
    }

    /// Group `i`'s output gradients with one pixel per row, `(G P, O)`, into
    /// `grad_t` (its length says how many samples): each sample's `(O, P)`
    /// transposed, or, where the pooling can, unpooled straight into that
    /// layout (the same values).
    fn group_transposed(&self, i: usize, g: &Geometry, grad_t: &mut [T]) {
        let (out, samples) = (g.o * g.p(), grad_t.len() / (g.o * g.p()));
        if let GradSource::Pooled { grad, pool, relu } = self {
            if pool.unpools_transposed::<T>(g.o) {
                // A sample's windows: its first plane's index, and how many.
                let windows = g.o * pool.plane_out();
                let mut masked = relu_scratch(*relu, windows);
                for (n, grad_t) in grad_t.chunks_exact_mut(out).enumerate() {
                    let first = (i * GROUP + n) * g.o;
                    let at = first * pool.plane_out()..first * pool.plane_out() + windows;
                    let gy = through_relu(grad, *relu, at, &mut masked);
                    pool.unpool_transposed(first, gy, g.o, grad_t);
                }
                return;
            }
        }
        let mut unpooled = self.scratch(samples * out);
        let grad_out = self.group(i, samples, out, &mut unpooled);
        for (grad_n, grad_t) in grad_out.chunks_exact(out).zip(grad_t.chunks_exact_mut(out)) {
            transpose(grad_n, g.o, g.p(), grad_t);
        }
    }

    /// Group `i`'s `samples` output gradients (`out` values each), `(O, P)`
    /// per sample, from the source or unpooled into `scratch`.
    fn group<'s>(&'s self, i: usize, samples: usize, out: usize, scratch: &'s mut Buffer<T>) -> &'s [T] {
        match self {
            GradSource::Dense(grad) => &grad[i * GROUP * out..][..samples * out],
            GradSource::Pooled { grad, pool, relu } => {
                let planes = samples * out / pool.plane_in();
                let first = i * GROUP * out / pool.plane_in();
                let at = first * pool.plane_out()..(first + planes) * pool.plane_out();
                let mut masked = relu_scratch(*relu, at.len());
                let gy = through_relu(grad, *relu, at, &mut masked);
                pool.unpool_planes(first, gy, scratch);
                &scratch[..samples * out]
            }
        }
    }
}

/// The scratch [`through_relu`] needs for `len` values: none without a ReLU.
fn relu_scratch<T: Element>(relu: Option<&[T]>, len: usize) -> Buffer<T> {
    Buffer::uninit(if relu.is_some() { len } else { 0 }, T::zero())
}

/// The pooled gradient's values `at`, or, with the outputs `relu` of a ReLU
/// after the pooling, the ReLU's gradient of them into `masked` (from
/// [`relu_scratch`]): `Var::relu`'s backward, value for value.
fn through_relu<'m, T: Element>(
    grad: &'m [T],
    relu: Option<&[T]>,
    at: std::ops::Range<usize>,
    masked: &'m mut [T],
) -> &'m [T] {
    let Some(y) = relu else { return &grad[at] };
    let masked = &mut masked[..at.len()];
    for ((m, &g), &y) in masked.iter_mut().zip(&grad[at.clone()]).zip(&y[at]) {
        *m = Pointwise::<T>::grad(&Relu, y, y, g);
    }
    masked
}

impl Conv2d {
    /// The gradients of the inputs that want one, from `grad`: the output's
    /// gradient, or with `pooled` that of the 2x2 max pooling after it
    /// (`Var::conv2d_max_pool2x2`), unpooled a group at a time; with the
    /// outputs of a ReLU after the pooling too, `grad` is the ReLU's
    /// (`Var::conv2d_max_pool2x2_relu`). `grad`'s storage goes back to the
    /// pool.
    pub(crate) fn backward_from<T: Element>(
        &self,
        inputs: &[&ArrayD<T>],
        grad: ArrayD<T>,
        pooled: Option<(&MaxPool2d, Option<&[T]>)>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        let values = grad.as_slice().expect("standard layout");
        let source = match pooled {
            None => GradSource::Dense(values),
            Some((pool, relu)) => GradSource::Pooled { grad: values, pool, relu },
        };
        let g = &self.geometry;
        let (k, p, image, out) = (g.k(), g.p(), g.image(), g.o * g.p());
        let xs = inputs[0].as_slice().expect("standard layout");
        let weight =
            ArrayView2::from_shape((g.o, k), inputs[1].as_slice().expect("standard layout")).expect("weight size");
        let (want_x, want_w) = (wants[0], wants[1]);
        let want_b = self.has_bias && wants[2];
        let starts = segment_starts(g);
        // The weight gradient straight from the images (the same bits as
        // im2row and the GEMM), where the direct kernel takes it.
        let direct_w = want_w && direct::weight_grad_applies::<T>(g);
        // And the input gradient straight from the output gradients (the
        // same bits as the GEMM and row2im).
        let direct_x = (want_x && direct::input_grad_applies::<T>(g))
            .then(|| direct::InputGrad::new(g, direct::as_f32(inputs[1].as_slice().expect("standard layout"))));
        // dx in one slice per group (empty ones without it), zeroed group by
        // group, in parallel, before row2im adds into it.
        let mut grad_x = if want_x { workspace::stale(g.n * image, T::zero()) } else { Vec::new() };
        let x_slices = per_group(&mut grad_x, GROUP * image, g.n.div_ceil(GROUP));
        // Per group: (sum of dW_n, sum of db_n) over its samples.
        let partials: Vec<Partial<T>> = x_slices
            .into_par_iter()
            .enumerate()
            .zip(xs.par_chunks(GROUP * image))
            .map(|((group, grad_x), xs)| {
                let samples = xs.len() / image;
                if !(want_w || want_x) {
                    let mut unpooled = source.scratch(samples * out);
                    let grad_out = source.group(group, samples, out, &mut unpooled);
                    return (None, want_b.then(|| bias_grad(grad_out, g.o, p, GradLayout::Planes)));
                }
                // The group's output gradients, one pixel per row: dYt_g (G*P, O).
                let mut grad_t = Buffer::uninit(samples * p * g.o, T::zero());
                source.group_transposed(group, g, &mut grad_t);
                // From the transposed gradients, where each pixel's O values
                // are contiguous: the same sums, vectorised across channels.
                let grad_b = want_b.then(|| bias_grad(&grad_t, g.o, p, GradLayout::Pixels));
                let grad_t = ArrayView2::from_shape((samples * p, g.o), &grad_t[..]).expect("grad size");
                // The group's receptive fields, rows_g (G*P, K); reused for drows_g.
                // Only im2row leaves entries (over padding) unwritten.
                let needs_rows = (want_w && !direct_w) || (want_x && direct_x.is_none());
                let mut rows = if !needs_rows {
                    Buffer::uninit(0, T::zero())
                } else if g.pads() && want_w {
                    Buffer::filled(samples * p * k, T::zero())
                } else {
                    Buffer::uninit(samples * p * k, T::zero())
                };
                let grad_w = if direct_w {
                    let mut grad_wt = Buffer::uninit(k * g.o, T::zero());
                    let grad_t = direct::as_f32(grad_t.as_slice().expect("standard layout"));
                    direct::weight_grad(g, direct::as_f32(xs), grad_t, direct::as_f32_mut(&mut grad_wt));
                    let mut grad_w = Array2::<T>::zeros((g.o, k));
                    transpose(&grad_wt, k, g.o, grad_w.as_slice_mut().expect("standard layout"));
                    Some(grad_w)
                } else {
                    want_w.then(|| {
                        for (image, rows) in xs.chunks_exact(image).zip(rows.chunks_exact_mut(p * k)) {
                            im2row(g, &starts, image, rows);
                        }
                        // dW_g = dYt_g^T rows_g: the group's pixels as the inner dimension.
                        let rows = ArrayView2::from_shape((samples * p, k), &rows[..]).expect("rows size");
                        let mut grad_w = Array2::<T>::zeros((g.o, k));
                        gemm_serial(T::one(), &grad_t.t(), &rows, T::zero(), &mut grad_w.view_mut());
                        grad_w
                    })
                };
                if let Some(direct_x) = &direct_x {
                    let grad_t = direct::as_f32(grad_t.as_slice().expect("standard layout"));
                    let mut dxt = Buffer::uninit(image, T::zero());
                    let dxt = direct::as_f32_mut(&mut dxt);
                    for (grad_t, grad_x) in grad_t.chunks_exact(p * g.o).zip(grad_x.chunks_exact_mut(image)) {
                        direct_x.sample(grad_t, dxt, direct::as_f32_mut(grad_x));
                    }
                } else if want_x {
                    // drows_g = dYt_g W, then row2im adds each pixel's field back.
                    let mut grad_rows = ArrayViewMut2::from_shape((samples * p, k), &mut rows[..]).expect("rows size");
                    gemm_serial(T::one(), &grad_t, &weight, T::zero(), &mut grad_rows);
                    grad_x.fill(T::zero());
                    for (grad_rows, grad_x) in rows.chunks_exact(p * k).zip(grad_x.chunks_exact_mut(image)) {
                        row2im(g, &starts, grad_rows, grad_x);
                    }
                }
                (grad_w, grad_b)
            })
            .collect();
        workspace::give_array(grad);
        // Groups' partial sums, added in group order.
        let mut grad_w = want_w.then(|| Array2::<T>::zeros((g.o, k)));
        let mut grad_b = want_b.then(|| Array1::<T>::zeros(g.o));
        for (w, b) in partials {
            if let (Some(acc), Some(w)) = (grad_w.as_mut(), w) {
                *acc += &w;
            }
            if let (Some(acc), Some(b)) = (grad_b.as_mut(), b) {
                *acc += &b;
            }
        }
        let mut grads = vec![
            want_x.then(|| ArrayD::from_shape_vec(IxDyn(&[g.n, g.c, g.h, g.w]), grad_x).expect("input size")),
            grad_w.map(|w| w.into_shape_with_order(IxDyn(&[g.o, g.c, g.kh, g.kw])).expect("weight size")),
        ];
        if self.has_bias {
            grads.push(grad_b.map(Array1::into_dyn));
        }
        grads
    }
}

/// `data` in slices of `chunk` values, one per group of samples; an empty
/// `data` (a result not wanted) gives each of the `groups` an empty slice.
fn per_group<U>(data: &mut [U], chunk: usize, groups: usize) -> Vec<&mut [U]> {
    if data.is_empty() {
        (0..groups).map(|_| Default::default()).collect()
    } else {
        data.chunks_mut(chunk).collect()
    }
}

/// How a group's output gradients are laid out for [`bias_grad`].
#[derive(Clone, Copy)]
enum GradLayout {
    /// `(N, O, P)`: as the op's output, one plane per channel.
    Planes,
    /// `(N * P, O)`: transposed per sample, one pixel's channels per row.
    Pixels,
}

/// `db[o]`, the sum over a group's samples and pixels of `dY[n, o]`.
///
/// Per channel the additions go in one fixed order whatever the layout: each
/// sample's pixels summed from zero in pixel order, then that sum added to
/// the total in sample order; so both layouts give the same bits. From
/// `Pixels` the sums run across channels at once (vectorised); from
/// `Planes` each channel is one serial chain.
fn bias_grad<T: Element>(grads: &[T], o: usize, p: usize, layout: GradLayout) -> Array1<T> {
    let mut total = Array1::<T>::zeros(o);
    if matches!(layout, GradLayout::Pixels) && direct::bias_grad_applies::<T>(o) {
        let total_f32 = direct::as_f32_mut(total.as_slice_mut().expect("standard layout"));
        direct::bias_grad(direct::as_f32(grads), p, total_f32);
        return total;
    }
    let mut sample = vec![T::zero(); o];
    for grads_n in grads.chunks_exact(o * p) {
        match layout {
            GradLayout::Planes => {
                for (s, plane) in sample.iter_mut().zip(grads_n.chunks_exact(p)) {
                    *s = plane.iter().fold(T::zero(), |acc, &v| acc + v);
                }
            }
            GradLayout::Pixels => {
                sample.fill(T::zero());
                for pixel in grads_n.chunks_exact(o) {
                    for (s, &v) in sample.iter_mut().zip(pixel) {
                        *s += v;
                    }
                }
            }
        }
        for (t, &s) in total.iter_mut().zip(&sample) {
            *t += s;
        }
    }
    total
}

impl<'t, T: Element> Var<'t, T> {
    /// The geometry of `self.conv2d(weight, bias, opts)`, its parents on the
    /// tape and the bias's value, all checked.
    fn conv_operands(
        &self,
        weight: &Var<'t, T>,
        bias: Option<&Var<'t, T>>,
        opts: Conv2dOptions,
    ) -> Result<Operands<T>> {
        self.same_tape("conv2d", weight)?;
        let g = geometry(&self.shape(), &weight.shape(), opts)?;
        let mut parents = vec![self.id, weight.id];
        let bias = match bias {
            Some(bias) => {
                self.same_tape("conv2d", bias)?;
                let b = bias.value();
                if b.shape() != [g.o] {
                    return Err(Error::shape(
                        "conv2d",
                        b.shape(),
                        &[g.o],
                        "bias must have one entry per output channel",
                    ));
                }
                parents.push(bias.id);
                Some(b)
            }
            None => None,
        };
        Ok((g, parents, bias))
    }

    /// 2-D cross-correlation `y[n,o] = b[o] + sum_c W[o,c] * x[n,c]` (NCHW),
    /// computed as `W cols` per sample after im2col.
    ///
    /// # Gradient
    /// `dW = sum_n dY_n cols_n^T`, `dx_n = row2im(dY_n^T W)`,
    /// `db[o] = sum over n and pixels of dY[n, o]`.
    ///
    /// # Shapes
    /// `x: (N, C, H, W)`, `weight: (O, C, KH, KW)`, `bias: (O)` ->
    /// `(N, O, (H + 2ph - KH) / sh + 1, (W + 2pw - KW) / sw + 1)`.
    ///
    /// PyTorch equivalent: `torch.nn.functional.conv2d(x, w, b, stride, padding)`
    pub fn conv2d(&self, weight: &Var<'t, T>, bias: Option<&Var<'t, T>>, opts: Conv2dOptions) -> Result<Var<'t, T>> {
        let (g, parents, bias) = self.conv_operands(weight, bias, opts)?;
        let (x, w) = (self.value(), weight.value());
        let (k, p) = (g.k(), g.p());
        let xs = x.as_slice().expect("standard layout");
        // Every element is written below: the bias, or the product with beta 0
        // (which matrixmultiply never reads).
        let mut out = workspace::stale(g.n * g.o * p, T::zero());
        if direct::applies::<T>(&g) {
            // Straight from the images: the same bits as im2col and the GEMM.
            let b = bias.as_ref().map(|b| direct::as_f32(b.as_slice().expect("standard layout")));
            let forward = direct::Forward::new(&g, direct::as_f32(w.as_slice().expect("standard layout")), b);
            out.par_chunks_mut(GROUP * g.o * p).zip(xs.par_chunks(GROUP * g.image())).for_each(|(out, xs)| {
                for (out_n, image) in out.chunks_exact_mut(g.o * p).zip(xs.chunks_exact(g.image())) {
                    forward.sample(direct::as_f32(image), direct::as_f32_mut(out_n));
                }
            });
            let y = ArrayD::from_shape_vec(IxDyn(&[g.n, g.o, g.oh, g.ow]), out).expect("output size");
            return Ok(self.tape.push(y, &parents, Conv2d { geometry: g, has_bias: bias.is_some() }));
        }
        // W through its transpose: the GEMM packs a column-major left operand
        // fast (see the module notes).
        let mut weight_t = vec![T::zero(); g.o * k];
        transpose(w.as_slice().expect("standard layout"), g.o, k, &mut weight_t);
        let weight_t = ArrayView2::from_shape((k, g.o), &weight_t[..]).expect("weight size");
        out.par_chunks_mut(GROUP * g.o * p).zip(xs.par_chunks(GROUP * g.image())).for_each(|(out, xs)| {
            // Padding entries are never written by im2col: zero them once.
            let mut cols = if g.pads() { Buffer::filled(k * p, T::zero()) } else { Buffer::uninit(k * p, T::zero()) };
            for (out_n, image) in out.chunks_exact_mut(g.o * p).zip(xs.chunks_exact(g.image())) {
                im2col(&g, image, &mut cols);
                let beta = match &bias {
                    Some(b) => {
                        for (row, &b) in out_n.chunks_exact_mut(p).zip(b.iter()) {
                            row.fill(b);
                        }
                        T::one()
                    }
                    None => T::zero(),
                };
                let mut out_n = ArrayViewMut2::from_shape((g.o, p), out_n).expect("output size");
                let cols = ArrayView2::from_shape((k, p), &cols[..]).expect("cols size");
                gemm_serial(T::one(), &weight_t.t(), &cols, beta, &mut out_n);
            }
        });
        let y = ArrayD::from_shape_vec(IxDyn(&[g.n, g.o, g.oh, g.ow]), out).expect("output size");
        Ok(self.tape.push(y, &parents, Conv2d { geometry: g, has_bias: bias.is_some() }))
    }
}
