//! 2-D convolution (NCHW) by im2col + GEMM, in parallel over groups of
//! samples.
//!
//! Forward, per sample: the receptive fields are unrolled into a matrix
//! `cols_n: (C*KH*KW, OH*OW)` (im2col) in a small scratch buffer, and the
//! convolution is one matrix product `out_n = W cols_n + b`, written straight
//! into the sample's slice of the `(N, O, P)` output. Nothing unrolled is kept
//! for the backward pass.
//!
//! Backward, per group of [`GROUP`] samples: the weight gradient
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
//! ([`Geometry::for_each_tap`]), so that the three agree on every index and
//! row2im stays the exact adjoint of im2row.
//!
//! Groups are fixed at [`GROUP`] samples: each group's weight and bias
//! gradients are summed inside the group, and the groups' partial sums are
//! then added in group order, so the result is bit-identical whatever the
//! number of threads. Scratch buffers come from the per-thread
//! [`workspace`] pool.

use crate::autodiff::gemm::gemm_serial;
use crate::autodiff::workspace::{self, Buffer};
use crate::autodiff::{Backward, Var};
use crate::{Element, Error, Result};
use ndarray::{Array1, Array2, ArrayD, ArrayView2, ArrayViewMut2, IxDyn};
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
    /// Shared by im2col, im2row and row2im, so that they agree on every index.
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

/// Where each (channel, kernel row) segment of a receptive field starts in
/// the image, for output pixel (0, 0): the dense (stride 1, no padding)
/// im2row and row2im walk these, offset by the pixel's position.
fn segment_starts(g: &Geometry) -> Vec<usize> {
    (0..g.c * g.kh).map(|ckh| (ckh / g.kh * g.h + ckh % g.kh) * g.w).collect()
}

/// Calls `f::<KW>(...)` with the kernel width as a constant for the common
/// widths (so that each segment copy compiles to a few moves instead of a
/// loop), and with 0 ("read `g.kw`") otherwise.
macro_rules! with_kernel_width {
    ($kw:expr, $f:ident, $($arg:expr),*) => {
        match $kw {
            3 => $f::<T, 3>($($arg),*),
            5 => $f::<T, 5>($($arg),*),
            _ => $f::<T, 0>($($arg),*),
        }
    };
}

/// Unrolls one sample `image: (C, H, W)` into `rows: (P, K)`, one output
/// pixel's receptive field per row: the transpose of [`im2col`]. Entries
/// over padding are left as they are (zero-filled by the caller when it pads).
fn im2row<T: Element>(g: &Geometry, starts: &[usize], image: &[T], rows: &mut [T]) {
    if g.dense() {
        return with_kernel_width!(g.kw, im2row_dense, g, starts, image, rows);
    }
    let (p, k, sw) = (g.p(), g.k(), g.opts.stride.1);
    g.for_each_tap(|dst, src, lo, hi, first| {
        let (row, pixel) = (dst / p, dst % p + lo);
        let column = rows[pixel * k + row..].iter_mut().step_by(k).take(hi - lo);
        for (d, s) in column.zip(image[src + first..].iter().step_by(sw)) {
            *d = *s;
        }
    });
}

fn im2row_dense<T: Element, const KW: usize>(g: &Geometry, starts: &[usize], image: &[T], rows: &mut [T]) {
    let kw = if KW == 0 { g.kw } else { KW };
    for (pixel, dst) in rows.chunks_exact_mut(g.k()).enumerate() {
        let offset = pixel / g.ow * g.w + pixel % g.ow;
        for (dst, &start) in dst.chunks_exact_mut(kw).zip(starts) {
            dst.copy_from_slice(&image[start + offset..start + offset + kw]);
        }
    }
}

/// The adjoint of [`im2row`]: adds `rows: (P, K)` back into `image: (C, H, W)`.
fn row2im<T: Element>(g: &Geometry, starts: &[usize], rows: &[T], image: &mut [T]) {
    if g.dense() {
        return with_kernel_width!(g.kw, row2im_dense, g, starts, rows, image);
    }
    let (p, k, sw) = (g.p(), g.k(), g.opts.stride.1);
    g.for_each_tap(|src, dst, lo, hi, first| {
        let (row, pixel) = (src / p, src % p + lo);
        let column = rows[pixel * k + row..].iter().step_by(k).take(hi - lo);
        for (d, s) in image[dst + first..].iter_mut().step_by(sw).zip(column) {
            *d += *s;
        }
    });
}

fn row2im_dense<T: Element, const KW: usize>(g: &Geometry, starts: &[usize], rows: &[T], image: &mut [T]) {
    let kw = if KW == 0 { g.kw } else { KW };
    for (pixel, src) in rows.chunks_exact(g.k()).enumerate() {
        let offset = pixel / g.ow * g.w + pixel % g.ow;
        for (src, &start) in src.chunks_exact(kw).zip(starts) {
            for (d, s) in image[start + offset..start + offset + kw].iter_mut().zip(src) {
                *d += *s;
            }
        }
    }
}

/// `dst: (cols, rows) = src^T` for `src: (rows, cols)`. Eight source rows at
/// a time, so that each destination row receives eight contiguous values.
fn transpose<T: Copy>(src: &[T], rows: usize, cols: usize, dst: &mut [T]) {
    const BAND: usize = 8;
    let banded = rows / BAND * BAND;
    for r0 in (0..banded).step_by(BAND) {
        let band: [&[T]; BAND] = std::array::from_fn(|i| &src[(r0 + i) * cols..(r0 + i + 1) * cols]);
        for (c, dst) in dst.chunks_exact_mut(rows).enumerate() {
            let dst: &mut [T; BAND] = (&mut dst[r0..r0 + BAND]).try_into().expect("band width");
            *dst = std::array::from_fn(|i| band[i][c]);
        }
    }
    for r in banded..rows {
        for (c, &v) in src[r * cols..(r + 1) * cols].iter().enumerate() {
            dst[c * rows + r] = v;
        }
    }
}

/// One group's sums of the weight and bias gradients (when wanted).
type Partial<T> = (Option<Array2<T>>, Option<Array1<T>>);

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
        let g = &self.geometry;
        let (k, p, image, out) = (g.k(), g.p(), g.image(), g.o * g.p());
        let xs = inputs[0].as_slice().expect("standard layout");
        let weight =
            ArrayView2::from_shape((g.o, k), inputs[1].as_slice().expect("standard layout")).expect("weight size");
        let grad_out = grad.as_slice().expect("standard layout");
        let (want_x, want_w) = (wants[0], wants[1]);
        let want_b = self.has_bias && wants[2];
        let starts = segment_starts(g);
        // dx has one slice per sample; without it, give each group an empty one.
        // Zeroed group by group, in parallel, before row2im adds into it.
        let mut grad_x = if want_x { workspace::stale(g.n * image, T::zero()) } else { Vec::new() };
        let x_chunk = if want_x { GROUP * image } else { 1 };
        let mut empty = vec![T::zero(); g.n.div_ceil(GROUP)];
        let x_slices: Vec<&mut [T]> =
            if want_x { grad_x.chunks_mut(x_chunk).collect() } else { empty.chunks_mut(1).collect() };
        // Per group: (sum of dW_n, sum of db_n) over its samples.
        let partials: Vec<Partial<T>> = x_slices
            .into_par_iter()
            .zip(grad_out.par_chunks(GROUP * out))
            .zip(xs.par_chunks(GROUP * image))
            .map(|((grad_x, grad_out), xs)| {
                let samples = xs.len() / image;
                let grad_b = want_b.then(|| {
                    // db[o] = sum over the group's samples and pixels of dY[n, o].
                    let mut grad_b = Array1::<T>::zeros(g.o);
                    for grad_n in grad_out.chunks_exact(out) {
                        for (b, row) in grad_b.iter_mut().zip(grad_n.chunks_exact(p)) {
                            *b += row.iter().fold(T::zero(), |acc, &v| acc + v);
                        }
                    }
                    grad_b
                });
                if !(want_w || want_x) {
                    return (None, grad_b);
                }
                // The group's output gradients, one pixel per row: dYt_g (G*P, O).
                let mut grad_t = Buffer::uninit(samples * p * g.o, T::zero());
                for (grad_n, grad_t) in grad_out.chunks_exact(out).zip(grad_t.chunks_exact_mut(p * g.o)) {
                    transpose(grad_n, g.o, p, grad_t);
                }
                let grad_t = ArrayView2::from_shape((samples * p, g.o), &grad_t[..]).expect("grad size");
                // The group's receptive fields, rows_g (G*P, K); reused for drows_g.
                // Only im2row leaves entries (over padding) unwritten.
                let mut rows = if g.pads() && want_w {
                    Buffer::filled(samples * p * k, T::zero())
                } else {
                    Buffer::uninit(samples * p * k, T::zero())
                };
                let grad_w = want_w.then(|| {
                    for (image, rows) in xs.chunks_exact(image).zip(rows.chunks_exact_mut(p * k)) {
                        im2row(g, &starts, image, rows);
                    }
                    // dW_g = dYt_g^T rows_g: the group's pixels as the inner dimension.
                    let rows = ArrayView2::from_shape((samples * p, k), &rows[..]).expect("rows size");
                    let mut grad_w = Array2::<T>::zeros((g.o, k));
                    gemm_serial(T::one(), &grad_t.t(), &rows, T::zero(), &mut grad_w.view_mut());
                    grad_w
                });
                if want_x {
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
    /// `dW = sum_n dY_n cols_n^T`, `dx_n = row2im(dY_n^T W)`,
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
        // Every element is written below: the bias, or the product with beta 0
        // (which matrixmultiply never reads).
        let mut out = workspace::stale(g.n * g.o * p, T::zero());
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
