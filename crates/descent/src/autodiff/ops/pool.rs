//! Max pooling over 2-D windows (NCHW).

use crate::autodiff::{Backward, Var};
use crate::kernels::avx512;
use crate::kernels::pool_2x2::{pool_plane_2x2_avx512, unpool_row_2x2_avx512, unpool_transposed_2x2_avx512};
use crate::kernels::workspace::{self, Buffer};
use crate::{Element, Error, Result};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

pub(crate) struct MaxPool2d {
    /// Per output element, the index of its maximum within its input plane.
    argmax: Buffer<u32>,
    /// Elements per input plane `H*W` and per output plane `OH*OW`.
    plane_in: usize,
    plane_out: usize,
    /// The input's width `W` when the windows are 2x2 with stride 2: they
    /// do not overlap, and the gradient is written window by window.
    two_by_two: Option<usize>,
}

impl MaxPool2d {
    /// The record of 2x2 windows with stride 2 over planes of width `w`
    /// (`plane_in` values each, `plane_out` windows), from their arg-maxes.
    pub(crate) fn two_by_two(argmax: Buffer<u32>, plane_in: usize, plane_out: usize, w: usize) -> Self {
        MaxPool2d { argmax, plane_in, plane_out, two_by_two: Some(w) }
    }

    /// Values per input plane.
    pub(crate) fn plane_in(&self) -> usize {
        self.plane_in
    }

    /// Windows per plane.
    pub(crate) fn plane_out(&self) -> usize {
        self.plane_out
    }

    /// The input gradient of the planes `first..` (as many as `grad` has
    /// windows for) into `gx`, on this thread: what [`MaxPool2d::unpool`]
    /// writes there.
    pub(crate) fn unpool_planes<T: Element>(&self, first: usize, grad: &[T], gx: &mut [T]) {
        let argmax = &self.argmax[first * self.plane_out..][..grad.len()];
        let planes = gx.chunks_exact_mut(self.plane_in).zip(grad.chunks_exact(self.plane_out));
        for ((gx, gy), argmax) in planes.zip(argmax.chunks_exact(self.plane_out)) {
            self.unpool_one(gx, gy, argmax);
        }
    }

    /// Whether [`MaxPool2d::unpool_transposed`] takes a sample of
    /// `channels` planes: 2x2 windows, `f32` on AVX-512, channels a multiple
    /// of 16.
    pub(crate) fn unpools_transposed<T: 'static>(&self, channels: usize) -> bool {
        self.two_by_two.is_some() && channels.is_multiple_of(16) && avx512::takes::<T>()
    }

    /// One sample's input gradient, its planes `first .. first + channels`,
    /// from their windows' gradients `gy`, written transposed: `grad_t:
    /// (plane_in, channels)`, one input pixel's channels per row. The values
    /// of [`MaxPool2d::unpool_planes`] then a transpose; only where
    /// [`MaxPool2d::unpools_transposed`] holds.
    pub(crate) fn unpool_transposed<T: 'static>(&self, first: usize, gy: &[T], channels: usize, grad_t: &mut [T]) {
        let w = self.two_by_two.expect("2x2 windows");
        let argmax = &self.argmax[first * self.plane_out..][..gy.len()];
        let (mut scratch_g, mut scratch_a) = (Buffer::uninit(gy.len(), 0.0f32), Buffer::uninit(gy.len(), 0u32));
        let (gy, grad_t) = (avx512::as_f32(gy), avx512::as_f32_mut(grad_t));
        let shape = (channels, self.plane_in / w, w);
        unpool_transposed_2x2_avx512(gy, argmax, shape, &mut scratch_g, &mut scratch_a, grad_t);
    }

    /// One plane's input gradient, by the windows' own rule.
    fn unpool_one<T: Element>(&self, gx: &mut [T], gy: &[T], argmax: &[u32]) {
        match self.two_by_two {
            Some(w) => unpool_plane_2x2(gx, gy, argmax, w),
            None => unpool_plane(gx, gy, argmax),
        }
    }

    /// The input's gradient (of shape `input`) from the output's `grad`.
    pub(crate) fn unpool<T: Element>(&self, grad: ArrayD<T>, input: IxDyn) -> ArrayD<T> {
        // Every element is written plane by plane in the parallel loop below.
        let mut gx = workspace::stale(ndarray::Dimension::size(&input), T::zero());
        let grad_y = grad.as_slice().expect("standard layout");
        // In parallel over (sample, channel) planes: each plane's windows
        // only touch that plane, and within it the order is fixed.
        gx.par_chunks_mut(self.plane_in)
            .zip(grad_y.par_chunks(self.plane_out))
            .zip(self.argmax.par_chunks(self.plane_out))
            .for_each(|((gx, gy), argmax)| self.unpool_one(gx, gy, argmax));
        workspace::give_array(grad);
        ArrayD::from_shape_vec(input, gx).expect("input size")
    }
}

impl<T: Element> Backward<T> for MaxPool2d {
    fn backward(&self, inputs: &[&ArrayD<T>], _: &ArrayD<T>, grad: ArrayD<T>, _: &[bool]) -> Vec<Option<ArrayD<T>>> {
        vec![Some(self.unpool(grad, inputs[0].raw_dim()))]
    }
}

/// One plane's input gradient, for any windows: zero, then each output
/// routes its gradient to the one input it copied; with overlapping windows
/// an input may receive several (`+=`, in output order).
fn unpool_plane<T: Element>(gx: &mut [T], gy: &[T], argmax: &[u32]) {
    gx.fill(T::zero());
    for (&i, &g) in argmax.iter().zip(gy) {
        gx[i as usize] += g;
    }
}

/// [`unpool_plane`] for 2x2 windows with stride 2 on a plane of width `w`:
/// the windows do not overlap, so each input is written once, window by
/// window (`0 + g` at the arg-max, 0 at the other taps), and the odd last
/// column and row no window covers are zeroed. The same bits, without a
/// zero fill before the scatter.
fn unpool_plane_2x2<T: Element>(gx: &mut [T], gy: &[T], argmax: &[u32], w: usize) {
    let ow = w / 2;
    let vector = avx512::takes::<T>();
    let mut covered = 0;
    for (i, (gy, argmax)) in gy.chunks_exact(ow).zip(argmax.chunks_exact(ow)).enumerate() {
        let (upper, lower) = gx[2 * i * w..(2 * i + 2) * w].split_at_mut(w);
        let first = (2 * i * w) as u32;
        if vector {
            let (upper, lower) = (avx512::as_f32_mut(upper), avx512::as_f32_mut(lower));
            unpool_row_2x2_avx512(upper, lower, avx512::as_f32(gy), argmax, first, w);
        } else {
            unpool_row_2x2(upper, lower, gy, argmax, first, w);
        }
        upper[2 * ow..].fill(T::zero());
        lower[2 * ow..].fill(T::zero());
        covered = (2 * i + 2) * w;
    }
    gx[covered..].fill(T::zero());
}

/// One row of 2x2 windows' gradients into their two input rows (see
/// [`unpool_plane_2x2`]); `first` is the plane index of `upper[0]`.
fn unpool_row_2x2<T: Element>(upper: &mut [T], lower: &mut [T], gy: &[T], argmax: &[u32], first: u32, w: usize) {
    let windows = upper.chunks_exact_mut(2).zip(lower.chunks_exact_mut(2)).zip(gy.iter().zip(argmax));
    for (j, ((u, l), (&g, &at))) in windows.enumerate() {
        // The general loop's `0 + g` (a -0 gradient arrives as +0).
        let g = T::zero() + g;
        let offset = (at - (first + 2 * j as u32)) as usize;
        let tap = |k: usize| if offset == k { g } else { T::zero() };
        (u[0], u[1], l[0], l[1]) = (tap(0), tap(1), tap(w), tap(w + 1));
    }
}

/// One row of outputs: the maximum (and its index in the plane `x`, of
/// width `w`) of each window whose top row is `top`, for any window. The
/// 2x2 windows with stride 2 have faster copies of it, [`pool_row_2x2`] and
/// a whole plane's, [`pool_plane_2x2_avx512`].
pub(crate) fn pool_row<T: Element>(
    x: &[T],
    w: usize,
    top: usize,
    kernel: (usize, usize),
    sw: usize,
    y: &mut [T],
    argmax: &mut [u32],
) {
    // The window's taps in row-major order, each compared with the whole
    // row's running maxima.
    for r in top..top + kernel.0 {
        for c in 0..kernel.1 {
            let start = r * w + c;
            let taps = x[start..].iter().step_by(sw).zip(y.iter_mut().zip(argmax.iter_mut()));
            if r == top && c == 0 {
                for (j, (&v, (y, a))) in taps.enumerate() {
                    *y = v;
                    *a = (start + j * sw) as u32;
                }
                continue;
            }
            for (j, (&v, (y, a))) in taps.enumerate() {
                // Strictly greater keeps the first maximum; a NaN wins.
                if v > *y || (v.is_nan() && !y.is_nan()) {
                    *y = v;
                    *a = (start + j * sw) as u32;
                }
            }
        }
    }
}

/// [`pool_row`] for the common 2x2 window with stride 2, written so that it
/// vectorises: no branches (a branch per comparison mispredicts on real
/// activations about every other time), the four taps side by side. NaN
/// needs the ordered comparisons of the general loop, so a row holding one
/// is left to it (returns false).
fn pool_row_2x2<T: Element>(x: &[T], w: usize, top: usize, y: &mut [T], argmax: &mut [u32]) -> bool {
    let (upper, lower) = (&x[top * w..(top + 1) * w], &x[(top + 1) * w..(top + 2) * w]);
    let (first, wide) = ((top * w) as u32, w as u32);
    let mut nan = false;
    for (j, (((u, l), y), a)) in
        upper.chunks_exact(2).zip(lower.chunks_exact(2)).zip(y.iter_mut()).zip(argmax.iter_mut()).enumerate()
    {
        nan |= u[0].is_nan() | u[1].is_nan() | l[0].is_nan() | l[1].is_nan();
        // Strictly greater keeps the first maximum in row-major order.
        let (mut best, mut offset) = (u[0], 0);
        (best, offset) = if u[1] > best { (u[1], 1) } else { (best, offset) };
        (best, offset) = if l[0] > best { (l[0], wide) } else { (best, offset) };
        (best, offset) = if l[1] > best { (l[1], wide + 1) } else { (best, offset) };
        *y = best;
        *a = first + 2 * j as u32 + offset;
    }
    !nan
}

impl<'t, T: Element> Var<'t, T> {
    /// Max pooling `y[n,c,i,j] = max over the window (i*s.., j*s..) of x[n,c]`.
    ///
    /// Ties go to the first maximum in row-major order within the window
    /// (as PyTorch's CPU kernel), and a NaN in a window wins (propagates), so
    /// the result and its gradient are deterministic.
    ///
    /// # Gradient
    /// `dx` is zero except at each window's arg-max, which receives the
    /// window's `grad` (summed where windows overlap).
    ///
    /// # Shapes
    /// `(N, C, H, W)` -> `(N, C, (H - k) / s + 1, (W - k) / s + 1)` with
    /// `kernel = (kh, kw)`, `stride = (sh, sw)`.
    ///
    /// PyTorch equivalent: `torch.nn.functional.max_pool2d(x, kernel, stride)`
    pub fn max_pool2d(&self, kernel: (usize, usize), stride: (usize, usize)) -> Result<Var<'t, T>> {
        let x = self.value();
        let shape = x.shape();
        if shape.len() != 4 {
            return Err(Error::shape("max_pool2d", shape, &[], "input must be (N, C, H, W)"));
        }
        if kernel.0 == 0 || kernel.1 == 0 || stride.0 == 0 || stride.1 == 0 {
            return Err(Error::invalid(
                "max_pool2d",
                "kernel/stride",
                format!("kernel {kernel:?} and stride {stride:?} must be positive"),
            ));
        }
        let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3]);
        if h < kernel.0 || w < kernel.1 {
            return Err(Error::shape(
                "max_pool2d",
                shape,
                &[kernel.0, kernel.1],
                "the window is larger than the input",
            ));
        }
        let (oh, ow) = ((h - kernel.0) / stride.0 + 1, (w - kernel.1) / stride.1 + 1);
        if h * w > u32::MAX as usize {
            return Err(Error::shape("max_pool2d", shape, &[], "planes above 2^32 elements are not supported"));
        }
        let xs = x.as_slice().expect("standard layout");
        let (plane_in, plane_out) = (h * w, oh * ow);
        let mut y = workspace::stale(planes * plane_out, T::zero());
        let vector = kernel == (2, 2) && stride == (2, 2) && avx512::takes::<T>();
        let plane = |x: &[T], y: &mut [T], argmax: &mut [u32], keep: bool| {
            if vector {
                return pool_plane_2x2_avx512(avx512::as_f32(x), w, avx512::as_f32_mut(y), keep.then_some(argmax));
            }
            for ((i, y), argmax) in y.chunks_exact_mut(ow).enumerate().zip(argmax.chunks_exact_mut(ow)) {
                let top = i * stride.0;
                if !(kernel == (2, 2) && stride.1 == 2 && pool_row_2x2(x, w, top, y, argmax)) {
                    pool_row(x, w, top, kernel, stride.1, y, argmax);
                }
            }
        };
        // The arg-max is kept only where a gradient will be wanted (the op is
        // not recorded otherwise). Without one, the AVX-512 path skips it and
        // the scalar paths track it in a plane's scratch per rayon task.
        let argmax = if self.requires_grad() {
            let mut argmax = Buffer::uninit(planes * plane_out, 0u32);
            y.par_chunks_mut(plane_out)
                .zip(argmax.par_chunks_mut(plane_out))
                .zip(xs.par_chunks(plane_in))
                .for_each(|((y, argmax), x)| plane(x, y, argmax, true));
            argmax
        } else {
            y.par_chunks_mut(plane_out)
                .zip(xs.par_chunks(plane_in))
                .for_each_init(|| vec![0u32; plane_out], |argmax, (y, x)| plane(x, y, argmax, false));
            Buffer::uninit(0, 0u32)
        };
        let y = ArrayD::from_shape_vec(IxDyn(&[shape[0], shape[1], oh, ow]), y).expect("output size");
        let two_by_two = (kernel == (2, 2) && stride == (2, 2)).then_some(w);
        Ok(self.tape.push(y, &[self.id], MaxPool2d { argmax, plane_in, plane_out, two_by_two }))
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;
    use ndarray::{array, ArrayD};

    /// The 2x2 gradient, window by window (AVX-512 and the generic copy),
    /// against the general zero fill and scatter, bit for bit: odd and even
    /// heights and widths, more and fewer than 16 windows a row, arg-maxes
    /// at every tap (ties among them), and gradients of either zero's sign,
    /// infinities and NaN.
    #[test]
    fn the_2x2_gradient_is_the_general_scatters_bits() {
        fn check<T: crate::Element>(values: &[T], planes: usize, h: usize, w: usize) {
            let palette = [0.0, -0.0, 1.5, -2.0, f64::INFINITY, f64::NAN, -f64::NAN, 1e-40].map(T::of);
            let (oh, ow) = (h / 2, w / 2);
            // The arg-maxes by the general forward loop.
            let mut argmax = vec![0u32; planes * oh * ow];
            let mut y = vec![T::zero(); ow];
            for (x, argmax) in values.chunks_exact(h * w).zip(argmax.chunks_exact_mut(oh * ow)) {
                for (i, argmax) in argmax.chunks_exact_mut(ow).enumerate() {
                    super::pool_row(x, w, 2 * i, (2, 2), 2, &mut y, argmax);
                }
            }
            let gy: Vec<T> = (0..planes * oh * ow).map(|i| palette[(i * 7 + i / 3) % palette.len()]).collect();
            let bits = |v: &[T]| v.iter().map(|v| v.as_f64().to_bits()).collect::<Vec<_>>();
            let (plane_in, plane_out) = (h * w, oh * ow);
            let mut want = vec![T::of(9.0); planes * plane_in];
            for ((gx, gy), argmax) in want.chunks_mut(plane_in).zip(gy.chunks(plane_out)).zip(argmax.chunks(plane_out))
            {
                super::unpool_plane(gx, gy, argmax);
            }
            for baseline in [false, true] {
                let _switch = crate::kernels::cpu::baseline_switch();
                crate::kernels::cpu::force_baseline(baseline);
                let mut got = vec![T::of(7.0); planes * plane_in];
                for ((gx, gy), argmax) in
                    got.chunks_mut(plane_in).zip(gy.chunks(plane_out)).zip(argmax.chunks(plane_out))
                {
                    super::unpool_plane_2x2(gx, gy, argmax, w);
                }
                crate::kernels::cpu::force_baseline(false);
                assert_eq!(bits(&got), bits(&want), "{h}x{w}, baseline {baseline}");
            }
        }
        // Few distinct values, so that windows tie and every tap wins somewhere.
        let values: Vec<f64> = (0..4 * 40 * 40).map(|i| ((i * 37 + i / 5) % 4) as f64).collect();
        for (h, w) in [(2, 2), (3, 5), (4, 4), (7, 6), (24, 24), (5, 35), (6, 40), (9, 33)] {
            check::<f64>(&values[..4 * h * w], 4, h, w);
            check::<f32>(&values[..4 * h * w].iter().map(|&v| v as f32).collect::<Vec<_>>(), 4, h, w);
        }
    }

    /// A sample's 2x2 gradient unpooled straight into one row per pixel
    /// (AVX-512, 16 and 32 channels) is the plane-by-plane unpooling then
    /// transposed, bit for bit: odd heights and widths (pixels no window
    /// covers), arg-maxes at every tap, gradients of either zero's sign,
    /// infinities and NaN.
    #[test]
    fn the_2x2_gradient_unpooled_transposed_is_the_planes_transposed() {
        if !crate::kernels::cpu::cpu_has_avx512() {
            return;
        }
        // Another test's baseline run would otherwise turn the AVX-512 path
        // off under this one.
        let _switch = crate::kernels::cpu::baseline_switch();
        let palette = [0.0f32, -0.0, 1.5, -2.0, f32::INFINITY, f32::NAN, -f32::NAN, 1e-40];
        for (o, h, w) in [(16, 24, 24), (32, 8, 8), (16, 9, 16), (32, 7, 5), (16, 2, 3)] {
            let (plane_in, plane_out) = (h * w, (h / 2) * (w / 2));
            // Arg-maxes by the general forward loop over values with ties.
            let x: Vec<f32> = (0..o * plane_in).map(|i| ((i * 37 + i / 5) % 4) as f32).collect();
            let mut argmax = vec![0u32; o * plane_out];
            let mut y = vec![0.0f32; w / 2];
            for (x, argmax) in x.chunks_exact(plane_in).zip(argmax.chunks_exact_mut(plane_out)) {
                for (i, argmax) in argmax.chunks_exact_mut(w / 2).enumerate() {
                    super::pool_row(x, w, 2 * i, (2, 2), 2, &mut y, argmax);
                }
            }
            let gy: Vec<f32> = (0..o * plane_out).map(|i| palette[(i * 7 + i / 3) % palette.len()]).collect();
            let mut kept = super::Buffer::uninit(argmax.len(), 0u32);
            kept.copy_from_slice(&argmax);
            let pool = super::MaxPool2d::two_by_two(kept, plane_in, plane_out, w);
            let mut planes = vec![7.0f32; o * plane_in];
            pool.unpool_planes(0, &gy, &mut planes);
            let mut want = vec![0.0f32; o * plane_in];
            crate::kernels::transpose::transpose(&planes, o, plane_in, &mut want);
            assert!(pool.unpools_transposed::<f32>(o));
            let mut got = vec![5.0f32; o * plane_in];
            pool.unpool_transposed(0, &gy, o, &mut got);
            let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{o} x {h} x {w}");
        }
    }

    #[test]
    fn gradients_match_central_differences() {
        // Distinct values (no ties), so the max is differentiable; windows
        // overlapping (stride < kernel) exercise the accumulation.
        let x = randn(&[2, 3, 7, 6], 31);
        assert_gradcheck(|_, v| v[0].max_pool2d((2, 2), (2, 2)), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| v[0].max_pool2d((3, 2), (1, 2)), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| v[0].max_pool2d((3, 3), (2, 1)), &[x]);
    }

    #[test]
    fn ties_go_to_the_first_maximum_in_row_major_order() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(array![[[[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]]]].into_dyn());
        // Overlapping 2x2 windows with stride 1: every window is all-ones
        // or has several tied maxima.
        let y = x.max_pool2d((2, 2), (1, 1)).unwrap();
        assert_eq!(y.value().as_ref(), &ArrayD::from_elem(vec![1, 1, 2, 2], 1.0));
        let g = tape.backward(&y.sum()).unwrap();
        // Windows at (0,0), (0,1), (1,0), (1,1) pick (0,0), (0,1), (1,0), (1,1).
        assert_eq!(
            g.wrt(&x).unwrap().unwrap(),
            &array![[[[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]].into_dyn()
        );
    }

    #[test]
    fn the_2x2_fast_path_keeps_the_first_maximum_and_drops_odd_edges() {
        // 2x2 windows with stride 2 on a 3x5 plane: one row of two windows
        // (the last column and row are not covered), one window all ties.
        let tape = Tape::<f64>::new();
        let x = tape.leaf(
            array![[[[1.0, 1.0, 0.0, 2.0, 9.0], [1.0, 1.0, 3.0, 2.0, 9.0], [9.0, 9.0, 9.0, 9.0, 9.0]]]].into_dyn(),
        );
        let y = x.max_pool2d((2, 2), (2, 2)).unwrap();
        assert_eq!(y.value().as_ref(), &array![[[[1.0, 3.0]]]].into_dyn());
        let g = tape.backward(&y.sum()).unwrap();
        let want =
            array![[[[1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]]].into_dyn();
        assert_eq!(g.wrt(&x).unwrap().unwrap(), &want);
    }

    #[test]
    fn without_a_gradient_the_values_are_the_same_bits() {
        let x = randn(&[3, 4, 9, 10], 5).mapv(|v| v as f32);
        for kernel in [(2, 2), (3, 2)] {
            let recorded = Tape::<f32>::new();
            let bits = |v: &ndarray::ArrayD<f32>| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let want = bits(&recorded.leaf(x.clone()).max_pool2d(kernel, (2, 2)).unwrap().value());
            for baseline in [false, true] {
                let _switch = crate::kernels::cpu::baseline_switch();
                crate::kernels::cpu::force_baseline(baseline);
                let tape = Tape::<f32>::no_grad();
                let y = tape.leaf(x.clone()).max_pool2d(kernel, (2, 2)).unwrap();
                crate::kernels::cpu::force_baseline(false);
                assert!(!y.requires_grad());
                assert_eq!(bits(&y.value()), want, "kernel {kernel:?}, baseline {baseline}");
                let Err(err) = tape.backward(&y.sum()) else { panic!("backward on a no-grad tape") };
                assert!(err.to_string().contains("no_grad"), "{err}");
            }
        }
    }

    #[test]
    fn nan_propagates() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(array![[[[1.0f32, f32::NAN], [3.0, 2.0]]]].into_dyn());
        assert!(x.max_pool2d((2, 2), (2, 2)).unwrap().value().iter().all(|v| v.is_nan()));
    }

    #[test]
    fn bad_input_is_an_error() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(ArrayD::zeros(vec![1, 1, 3, 3]));
        assert!(matches!(x.max_pool2d((4, 4), (1, 1)), Err(Error::Shape { op: "max_pool2d", .. })));
        assert!(matches!(x.max_pool2d((2, 2), (0, 1)), Err(Error::InvalidArgument { op: "max_pool2d", .. })));
        let flat = tape.leaf(ArrayD::zeros(vec![3, 3]));
        assert!(matches!(flat.max_pool2d((2, 2), (2, 2)), Err(Error::Shape { op: "max_pool2d", .. })));
    }
}
