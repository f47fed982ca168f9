//! 2-D convolution (NCHW) by im2col + GEMM, in parallel over samples.
//!
//! For each sample, the receptive fields are unrolled into a matrix
//! `cols_n: (C*KH*KW, OH*OW)` (im2col), so its convolution is one matrix
//! product `out_n = W cols_n + b` with `W: (O, C*KH*KW)`, written straight
//! into the sample's slice of the `(N, O, P)` output. The backward pass is two
//! more products per sample and the adjoint of im2col (col2im, which adds
//! overlapping patches back). im2col copies whole rows (a `copy_from_slice`
//! per kernel tap and output row at stride 1), never indexes element by
//! element through ndarray.
//!
//! Samples are processed in parallel on rayon's pool, in fixed groups of
//! [`GROUP`]: each group's weight and bias gradients are summed inside the
//! group, and the groups' partial sums are then added in group order, so the
//! result is bit-identical whatever the number of threads. The unrolled
//! matrices live in [`Buffer`]s, reused from one training step to the next.

use crate::autodiff::workspace::{self, Buffer};
use crate::autodiff::{Backward, Var};
use crate::{Element, Error, Result};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array1, Array2, ArrayD, ArrayView2, ArrayViewMut2, Axis, IxDyn};
use rayon::prelude::*;

/// Samples per parallel task; fixed, so that the order of the reductions
/// (and hence every bit of the result) does not depend on the thread count.
const GROUP: usize = 16;

/// Stride and zero padding of a convolution, per spatial dimension `(h, w)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Conv2dOptions {
    /// Step between receptive fields, `(sh, sw)`; PyTorch's `stride`.
    pub stride: (usize, usize),
    /// Zeros added on each side, `(ph, pw)`; PyTorch's `padding`.
    pub padding: (usize, usize),
}

impl Default for Conv2dOptions {
    /// Stride 1, no padding (PyTorch's defaults).
    fn default() -> Self {
        Conv2dOptions { stride: (1, 1), padding: (0, 0) }
    }
}

/// Sizes of one convolution.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    kh: usize,
    kw: usize,
    opts: Conv2dOptions,
    oh: usize,
    ow: usize,
}

impl Geometry {
    /// Rows of `cols`: one per (channel, kernel row, kernel column).
    fn k(&self) -> usize {
        self.c * self.kh * self.kw
    }
    /// Columns of `cols`: one per output pixel.
    fn p(&self) -> usize {
        self.oh * self.ow
    }
    /// Input elements per sample.
    fn image(&self) -> usize {
        self.c * self.h * self.w
    }

    /// The range of output columns `ow` whose input column
    /// `ow*sw + kw - pw` falls inside the image, for kernel column `kw`.
    fn valid_cols(&self, kw: usize) -> (usize, usize) {
        let (sw, pw) = (self.opts.stride.1, self.opts.padding.1);
        // First ow with ow*sw + kw >= pw, and first ow with ow*sw + kw >= pw + w.
        let lo = pw.saturating_sub(kw).div_ceil(sw).min(self.ow);
        let hi = (pw + self.w).saturating_sub(kw).div_ceil(sw).min(self.ow);
        (lo, hi.max(lo))
    }

    /// Input row for output row `oh` and kernel row `kh`, if inside the image.
    fn input_row(&self, oh: usize, kh: usize) -> Option<usize> {
        let ih = (oh * self.opts.stride.0 + kh).checked_sub(self.opts.padding.0)?;
        (ih < self.h).then_some(ih)
    }

    /// Calls `f(cols_index, image_index, lo, hi, first_input_col)` for every
    /// (kernel tap, output row) whose input row exists, where output columns
    /// `lo..hi` read input columns `first_input_col + (ow - lo) * sw`.
    /// Shared by im2col and col2im, so that the two are exact adjoints.
    fn for_each_tap(&self, mut f: impl FnMut(usize, usize, usize, usize, usize)) {
        for c in 0..self.c {
            for kh in 0..self.kh {
                for kw in 0..self.kw {
                    let row = (c * self.kh + kh) * self.kw + kw;
                    let (lo, hi) = self.valid_cols(kw);
                    if lo == hi {
                        continue;
                    }
                    let first = lo * self.opts.stride.1 + kw - self.opts.padding.1;
                    for oh in 0..self.oh {
                        if let Some(ih) = self.input_row(oh, kh) {
                            f(row * self.p() + oh * self.ow, (c * self.h + ih) * self.w, lo, hi, first);
                        }
                    }
                }
            }
        }
    }

    /// Stride 1 and no padding: the common case, with a faster im2col.
    fn dense(&self) -> bool {
        self.opts == Conv2dOptions::default()
    }

    /// Whether im2col leaves some entries of `cols` unwritten (padding).
    fn pads(&self) -> bool {
        self.opts.padding != (0, 0)
    }
}

/// Unrolls one sample `image: (C, H, W)` into `cols: (K, P)`. Entries over
/// padding are left as they are (zero-filled by the caller when it pads).
fn im2col<T: Element>(g: &Geometry, image: &[T], cols: &mut [T]) {
    if g.dense() {
        // Stride 1, no padding: every row of `cols` is `oh` input row
        // segments of length `ow`, copied by an inlined loop (short rows
        // make a `memcpy` call per segment the bottleneck).
        for (row, dst) in cols.chunks_exact_mut(g.p()).enumerate() {
            let (c, kh, kw) = (row / (g.kh * g.kw), row / g.kw % g.kh, row % g.kw);
            for (oh, dst) in dst.chunks_exact_mut(g.ow).enumerate() {
                let start = (c * g.h + oh + kh) * g.w + kw;
                for (d, s) in dst.iter_mut().zip(&image[start..start + g.ow]) {
                    *d = *s;
                }
            }
        }
        return;
    }
    let sw = g.opts.stride.1;
    g.for_each_tap(|dst, src, lo, hi, first| {
        let dst = &mut cols[dst + lo..dst + hi];
        if sw == 1 {
            dst.copy_from_slice(&image[src + first..src + first + (hi - lo)]);
        } else {
            for (d, s) in dst.iter_mut().zip(image[src + first..].iter().step_by(sw)) {
                *d = *s;
            }
        }
    });
}

/// The adjoint of [`im2col`]: adds `cols: (K, P)` back into `image: (C, H, W)`.
fn col2im<T: Element>(g: &Geometry, cols: &[T], image: &mut [T]) {
    if g.dense() {
        for (row, src) in cols.chunks_exact(g.p()).enumerate() {
            let (c, kh, kw) = (row / (g.kh * g.kw), row / g.kw % g.kh, row % g.kw);
            for (oh, src) in src.chunks_exact(g.ow).enumerate() {
                let start = (c * g.h + oh + kh) * g.w + kw;
                for (d, s) in image[start..start + g.ow].iter_mut().zip(src) {
                    *d += *s;
                }
            }
        }
        return;
    }
    let sw = g.opts.stride.1;
    g.for_each_tap(|src, dst, lo, hi, first| {
        let src = &cols[src + lo..src + hi];
        if sw == 1 {
            for (d, s) in image[dst + first..dst + first + (hi - lo)].iter_mut().zip(src) {
                *d += *s;
            }
        } else {
            for (d, s) in image[dst + first..].iter_mut().step_by(sw).zip(src) {
                *d += *s;
            }
        }
    });
}

/// One group's sums of the weight and bias gradients (when wanted).
type Partial<T> = (Option<Array2<T>>, Option<Array1<T>>);

struct Conv2d<T: Element> {
    geometry: Geometry,
    /// im2col of every sample, `(N, K, P)`, kept for the weight gradient.
    cols: Buffer<T>,
    has_bias: bool,
}

impl<T: Element> Backward<T> for Conv2d<T> {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        _: &ArrayD<T>,
        grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        let g = &self.geometry;
        let (k, p, image) = (g.k(), g.p(), g.image());
        let weight =
            ArrayView2::from_shape((g.o, k), inputs[1].as_slice().expect("standard layout")).expect("weight size");
        let grad_out = grad.as_slice().expect("standard layout");
        let (want_x, want_w) = (wants[0], wants[1]);
        let want_b = self.has_bias && wants[2];
        // dx has one slice per sample; without it, give each group an empty one.
        let mut grad_x = if want_x { workspace::filled(g.n * image, T::zero()) } else { Vec::new() };
        let x_chunk = if want_x { GROUP * image } else { 1 };
        let mut empty = vec![T::zero(); g.n.div_ceil(GROUP)];
        let x_slices: Vec<&mut [T]> =
            if want_x { grad_x.chunks_mut(x_chunk).collect() } else { empty.chunks_mut(1).collect() };
        // Per group: (sum of dW_n, sum of db_n) over its samples.
        let partials: Vec<Partial<T>> = x_slices
            .into_par_iter()
            .zip(grad_out.par_chunks(GROUP * g.o * p))
            .zip(self.cols.par_chunks(GROUP * k * p))
            .map(|((grad_x, grad_out), cols)| {
                let mut grad_w = want_w.then(|| Array2::<T>::zeros((g.o, k)));
                let mut grad_b = want_b.then(|| Array1::<T>::zeros(g.o));
                let mut grad_cols = want_x.then(|| Buffer::uninit(k * p, T::zero()));
                for (i, (grad_n, cols_n)) in grad_out.chunks_exact(g.o * p).zip(cols.chunks_exact(k * p)).enumerate() {
                    let grad_n = ArrayView2::from_shape((g.o, p), grad_n).expect("grad size");
                    if let Some(grad_w) = grad_w.as_mut() {
                        // dW += dOut_n cols_n^T
                        let cols_n = ArrayView2::from_shape((k, p), cols_n).expect("cols size");
                        general_mat_mul(T::one(), &grad_n, &cols_n.t(), T::one(), grad_w);
                    }
                    if let Some(grad_b) = grad_b.as_mut() {
                        *grad_b += &grad_n.sum_axis(Axis(1));
                    }
                    if let Some(grad_cols) = grad_cols.as_mut() {
                        // dcols = W^T dOut_n, then col2im adds the patches back.
                        let mut gc = ArrayViewMut2::from_shape((k, p), &mut grad_cols[..]).expect("cols size");
                        general_mat_mul(T::one(), &weight.t(), &grad_n, T::zero(), &mut gc);
                        col2im(g, grad_cols, &mut grad_x[i * image..(i + 1) * image]);
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

fn geometry(x: &[usize], w: &[usize], opts: Conv2dOptions) -> Result<Geometry> {
    if x.len() != 4 || w.len() != 4 {
        return Err(Error::shape("conv2d", x, w, "input must be (N, C, H, W) and weight (O, C, KH, KW)"));
    }
    if x[1] != w[1] {
        return Err(Error::shape("conv2d", x, w, format!("input has {} channels, weight expects {}", x[1], w[1])));
    }
    if opts.stride.0 == 0 || opts.stride.1 == 0 {
        return Err(Error::invalid("conv2d", "stride", format!("{:?} must be positive", opts.stride)));
    }
    let (h, wd) = (x[2] + 2 * opts.padding.0, x[3] + 2 * opts.padding.1);
    if h < w[2] || wd < w[3] || w[2] == 0 || w[3] == 0 {
        return Err(Error::shape(
            "conv2d",
            x,
            w,
            format!("kernel {}x{} does not fit the padded input {h}x{wd}", w[2], w[3]),
        ));
    }
    Ok(Geometry {
        n: x[0],
        c: x[1],
        h: x[2],
        w: x[3],
        o: w[0],
        kh: w[2],
        kw: w[3],
        opts,
        oh: (h - w[2]) / opts.stride.0 + 1,
        ow: (wd - w[3]) / opts.stride.1 + 1,
    })
}

impl<'t, T: Element> Var<'t, T> {
    /// 2-D cross-correlation `y[n,o] = b[o] + sum_c W[o,c] * x[n,c]` (NCHW),
    /// computed as `W cols` per sample after im2col.
    ///
    /// # Gradient
    /// `dW = sum_n dY_n cols_n^T`, `dx_n = col2im(W^T dY_n)`,
    /// `db[o] = sum over n and pixels of dY[n, o]`.
    ///
    /// # Shapes
    /// `x: (N, C, H, W)`, `weight: (O, C, KH, KW)`, `bias: (O)` ->
    /// `(N, O, (H + 2ph - KH) / sh + 1, (W + 2pw - KW) / sw + 1)`.
    ///
    /// PyTorch equivalent: `torch.nn.functional.conv2d(x, w, b, stride, padding)`
    pub fn conv2d(&self, weight: &Var<'t, T>, bias: Option<&Var<'t, T>>, opts: Conv2dOptions) -> Result<Var<'t, T>> {
        self.same_tape("conv2d", weight)?;
        let (x, w) = (self.value(), weight.value());
        let g = geometry(x.shape(), w.shape(), opts)?;
        let (k, p) = (g.k(), g.p());
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
        let xs = x.as_slice().expect("standard layout");
        let mut cols =
            if g.pads() { Buffer::filled(g.n * k * p, T::zero()) } else { Buffer::uninit(g.n * k * p, T::zero()) };
        let mut out = workspace::filled(g.n * g.o * p, T::zero());
        let weight2 = ArrayView2::from_shape((g.o, k), w.as_slice().expect("standard layout")).expect("weight size");
        let bias_column = bias.as_ref().map(|b| b.view().into_shape_with_order((g.o, 1)).expect("1-D"));
        cols.par_chunks_mut(k * p).zip(out.par_chunks_mut(g.o * p)).zip(xs.par_chunks(g.image())).for_each(
            |((cols_n, out_n), image)| {
                im2col(&g, image, cols_n);
                let mut out_n = ArrayViewMut2::from_shape((g.o, p), out_n).expect("output size");
                let beta = match &bias_column {
                    Some(b) => {
                        out_n.assign(&b.broadcast((g.o, p)).expect("bias broadcasts"));
                        T::one()
                    }
                    None => T::zero(),
                };
                let cols_n = ArrayView2::from_shape((k, p), &*cols_n).expect("cols size");
                general_mat_mul(T::one(), &weight2, &cols_n, beta, &mut out_n);
            },
        );
        let y = ArrayD::from_shape_vec(IxDyn(&[g.n, g.o, g.oh, g.ow]), out).expect("output size");
        Ok(self.tape.push(y, &parents, Conv2d { geometry: g, cols, has_bias: bias.is_some() }))
    }
}

#[cfg(test)]
mod tests {
    use super::Conv2dOptions;
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;

    fn opts(stride: (usize, usize), padding: (usize, usize)) -> Conv2dOptions {
        Conv2dOptions { stride, padding }
    }

    #[test]
    fn gradients_match_central_differences_for_strides_and_paddings() {
        let cases = [
            ((1, 1), (0, 0), [2, 2, 5, 6], [3, 2, 3, 3]),
            ((2, 2), (1, 1), [2, 2, 5, 6], [3, 2, 3, 3]),
            ((2, 1), (0, 2), [1, 3, 7, 5], [2, 3, 3, 2]),
            ((3, 2), (2, 1), [2, 1, 6, 7], [2, 1, 2, 4]),
            // Kernel covering padding only at some positions, stride > kernel.
            ((3, 3), (1, 1), [1, 2, 4, 4], [2, 2, 1, 1]),
        ];
        for (i, (stride, padding, xs, ws)) in cases.into_iter().enumerate() {
            let seed = 100 + 3 * i as u64;
            let (x, w, b) = (randn(&xs, seed), randn(&ws, seed + 1), randn(&[ws[0]], seed + 2));
            let o = opts(stride, padding);
            assert_gradcheck(|_, v| v[0].conv2d(&v[1], Some(&v[2]), o), &[x.clone(), w.clone(), b]);
            assert_gradcheck(|_, v| v[0].conv2d(&v[1], None, o), &[x, w]);
        }
    }

    #[test]
    fn gradients_are_right_across_groups_of_samples() {
        // 18 samples: one full group of 16 and a partial one of 2, with
        // padding (general im2col) and without (the dense path).
        for (i, o) in [opts((1, 1), (1, 0)), Conv2dOptions::default()].into_iter().enumerate() {
            let seed = 200 + 3 * i as u64;
            let (x, w, b) = (randn(&[18, 1, 4, 3], seed), randn(&[2, 1, 2, 2], seed + 1), randn(&[2], seed + 2));
            assert_gradcheck(|_, v| v[0].conv2d(&v[1], Some(&v[2]), o), &[x, w, b]);
        }
    }

    #[test]
    fn forward_matches_a_direct_sum_over_the_window() {
        // Strided and padded (general im2col), then the dense fast path; 2
        // samples (one group), then 35 (two full groups and a partial one).
        for n in [2, 35] {
            for (o, shape) in [(opts((2, 1), (1, 1)), [n, 3, 3, 5]), (Conv2dOptions::default(), [n, 3, 3, 3])] {
                check_direct_sum(o, &shape);
            }
        }
    }

    fn check_direct_sum(o: Conv2dOptions, shape: &[usize]) {
        let (x, w) = (randn(&[shape[0], 2, 5, 4], 1), randn(&[3, 2, 3, 2], 2));
        let tape = Tape::<f64>::new();
        let y = tape.constant(x.clone()).conv2d(&tape.constant(w.clone()), None, o).unwrap().value();
        assert_eq!(y.shape(), shape);
        let (ph, pw) = (o.padding.0 as isize, o.padding.1 as isize);
        for ((n, oc, i, j), &got) in y.view().into_dimensionality::<ndarray::Ix4>().unwrap().indexed_iter() {
            let mut want = 0.0;
            for c in 0..2 {
                for ki in 0..3 {
                    for kj in 0..2 {
                        let (r, s) = ((i * o.stride.0 + ki) as isize - ph, (j * o.stride.1 + kj) as isize - pw);
                        if r >= 0 && s >= 0 && r < 5 && s < 4 {
                            want += x[[n, c, r as usize, s as usize]] * w[[oc, c, ki, kj]];
                        }
                    }
                }
            }
            assert!((got - want).abs() < 1e-12, "({n},{oc},{i},{j}): {got} vs {want}");
        }
    }

    #[test]
    fn bad_shapes_and_options_are_errors() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(ndarray::ArrayD::zeros(vec![1, 2, 4, 4]));
        let wrong_channels = tape.leaf(ndarray::ArrayD::zeros(vec![3, 1, 3, 3]));
        assert!(matches!(
            x.conv2d(&wrong_channels, None, Conv2dOptions::default()),
            Err(Error::Shape { op: "conv2d", .. })
        ));
        let too_big = tape.leaf(ndarray::ArrayD::zeros(vec![3, 2, 5, 5]));
        assert!(matches!(x.conv2d(&too_big, None, Conv2dOptions::default()), Err(Error::Shape { op: "conv2d", .. })));
        let w = tape.leaf(ndarray::ArrayD::zeros(vec![3, 2, 3, 3]));
        assert!(matches!(x.conv2d(&w, None, opts((0, 1), (0, 0))), Err(Error::InvalidArgument { op: "conv2d", .. })));
        let bad_bias = tape.leaf(ndarray::ArrayD::zeros(vec![2]));
        assert!(matches!(
            x.conv2d(&w, Some(&bad_bias), Conv2dOptions::default()),
            Err(Error::Shape { op: "conv2d", .. })
        ));
    }
}
