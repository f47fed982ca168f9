//! Max pooling over 2-D windows (NCHW).

use crate::autodiff::avx512;
use crate::autodiff::workspace::{self, Buffer};
use crate::autodiff::{Backward, Var};
use crate::cpu::cpu_has_avx512;
use crate::{Element, Error, Result};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

struct MaxPool2d {
    /// Per output element, the index of its maximum within its input plane.
    argmax: Buffer<u32>,
    /// Elements per input plane `H*W` and per output plane `OH*OW`.
    plane_in: usize,
    plane_out: usize,
}

impl<T: Element> Backward<T> for MaxPool2d {
    fn backward(&self, inputs: &[&ArrayD<T>], _: &ArrayD<T>, grad: ArrayD<T>, _: &[bool]) -> Vec<Option<ArrayD<T>>> {
        // Each output routes its gradient to the one input it copied; with
        // overlapping windows an input may receive several (+=).
        // Zeroed plane by plane in the parallel loop below.
        let mut gx = workspace::stale(inputs[0].len(), T::zero());
        let grad_y = grad.as_slice().expect("standard layout");
        // In parallel over (sample, channel) planes: each plane's windows
        // only touch that plane, and within it the order is fixed.
        gx.par_chunks_mut(self.plane_in)
            .zip(grad_y.par_chunks(self.plane_out))
            .zip(self.argmax.par_chunks(self.plane_out))
            .for_each(|((gx, gy), argmax)| {
                gx.fill(T::zero());
                for (&i, &g) in argmax.iter().zip(gy) {
                    gx[i as usize] += g;
                }
            });
        workspace::give_array(grad);
        vec![Some(ArrayD::from_shape_vec(inputs[0].raw_dim(), gx).expect("input size"))]
    }
}

/// One row of outputs: the maximum (and its index in the plane `x`, of
/// width `w`) of each window whose top row is `top`, for any window. The
/// 2x2 windows with stride 2 have faster copies of it, [`pool_row_2x2`] and
/// [`pool_row_2x2_avx512`].
fn pool_row<T: Element>(
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

/// [`pool_row`] for 2x2 windows with stride 2 on `f32` with AVX-512: 16
/// windows at a time, their four taps compared in the general loop's order
/// and by its rule (strictly greater, or a NaN over a number), so the values
/// and arg-maxes are its bits, NaN included. The arg-max is written only when
/// given.
fn pool_row_2x2_avx512(x: &[f32], w: usize, top: usize, y: &mut [f32], argmax: Option<&mut [u32]>) {
    assert!(cpu_has_avx512(), "the AVX-512 pooling on a CPU without it");
    assert!(2 * y.len() <= w && (top + 2) * w <= x.len() && (top * w + w + 1) <= u32::MAX as usize);
    let argmax = argmax.map(|a| {
        assert_eq!(a.len(), y.len());
        a.as_mut_ptr()
    });
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F is present (asserted); the loads read the two rows
    // `top` and `top + 1` of width `w` up to column 2 * y.len() <= w, within
    // `x`, and the stores write within `y` and `argmax` (lengths asserted).
    unsafe {
        pool_2x2_kernel(x.as_ptr().add(top * w), w, (top * w) as u32, y, argmax);
    }
}

/// The first `n` lanes (up to 16).
#[cfg(target_arch = "x86_64")]
fn lanes(n: usize) -> __mmask16 {
    if n >= 16 {
        0xFFFF
    } else {
        ((1u32 << n) - 1) as __mmask16
    }
}

/// Lane `j` holds `2 j`: the even columns of 32 values, and each window's
/// first tap relative to the first window's.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn even_columns() -> __m512i {
    _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
}

/// The `2 n` values of a row from column `2 j0` (`n <= 16`, zeros past
/// them), as (even columns, odd columns).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn split(row: *const f32, j0: usize, n: usize) -> (__m512, __m512) {
    let even = even_columns();
    let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    let lo = _mm512_maskz_loadu_ps(lanes(2 * n), row.add(2 * j0));
    let hi = if n > 8 { _mm512_maskz_loadu_ps(lanes(2 * n - 16), row.add(2 * j0 + 16)) } else { _mm512_setzero_ps() };
    (_mm512_permutex2var_ps(lo, even, hi), _mm512_permutex2var_ps(lo, odd, hi))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pool_2x2_kernel(upper: *const f32, w: usize, first: u32, y: &mut [f32], argmax: Option<*mut u32>) {
    let (lower, even) = (upper.add(w), even_columns());
    for j0 in (0..y.len()).step_by(16) {
        let n = (y.len() - j0).min(16);
        let ((u0, u1), (l0, l1)) = (split(upper, j0, n), split(lower, j0, n));
        let start = _mm512_add_epi32(_mm512_set1_epi32((first as usize + 2 * j0) as i32), even);
        let (mut best, mut at) = (u0, start);
        for (v, offset) in [(u1, 1), (l0, w), (l1, w + 1)] {
            // v > best, or v NaN and best not: "not v <= best" (true also when
            // either is NaN) where best is ordered.
            let take = _mm512_cmp_ps_mask::<_CMP_NLE_UQ>(v, best) & _mm512_cmp_ps_mask::<_CMP_ORD_Q>(best, best);
            best = _mm512_mask_mov_ps(best, take, v);
            at = _mm512_mask_mov_epi32(at, take, _mm512_add_epi32(start, _mm512_set1_epi32(offset as i32)));
        }
        _mm512_mask_storeu_ps(y.as_mut_ptr().add(j0), lanes(n), best);
        if let Some(argmax) = argmax {
            _mm512_mask_storeu_epi32(argmax.add(j0).cast(), lanes(n), at);
        }
    }
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
            for ((i, y), argmax) in y.chunks_exact_mut(ow).enumerate().zip(argmax.chunks_exact_mut(ow)) {
                let top = i * stride.0;
                if vector {
                    pool_row_2x2_avx512(avx512::as_f32(x), w, top, avx512::as_f32_mut(y), keep.then_some(argmax));
                } else if !(kernel == (2, 2) && stride.1 == 2 && pool_row_2x2(x, w, top, y, argmax)) {
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
        Ok(self.tape.push(y, &[self.id], MaxPool2d { argmax, plane_in, plane_out }))
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;
    use ndarray::{array, ArrayD};

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

    /// Rows of 2x2 windows on values with many ties (signed zeros among
    /// them) and NaNs, odd and even widths, more and fewer than 16 windows.
    #[test]
    fn the_avx512_2x2_path_is_the_general_loops_bits() {
        if !crate::cpu::cpu_has_avx512() {
            return;
        }
        let palette = [0.0f32, -0.0, 1.0, -1.0, 2.5, f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
        let mut state = 7u64;
        let mut pick = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            // NaN in about one tap of 16.
            let k = (state >> 33) as usize % 24;
            if k < 16 {
                palette[k % 5]
            } else {
                palette[5 + k % 4]
            }
        };
        let mut checked_nan = false;
        for w in [2, 3, 8, 17, 24, 31, 32, 33, 48, 70] {
            for _ in 0..40 {
                let x: Vec<f32> = (0..3 * w).map(|_| pick()).collect();
                let ow = w / 2;
                let (mut y, mut a) = (vec![9.0f32; ow], vec![7u32; ow]);
                let (mut y_ref, mut a_ref) = (vec![0.0f32; ow], vec![0u32; ow]);
                super::pool_row(&x, w, 1, (2, 2), 2, &mut y_ref, &mut a_ref);
                super::pool_row_2x2_avx512(&x, w, 1, &mut y, Some(&mut a));
                let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&y), bits(&y_ref), "values, width {w}, input {x:?}");
                assert_eq!(a, a_ref, "arg-max, width {w}, input {x:?}");
                let mut y_only = vec![5.0f32; ow];
                super::pool_row_2x2_avx512(&x, w, 1, &mut y_only, None);
                assert_eq!(bits(&y_only), bits(&y_ref), "values without arg-max, width {w}");
                checked_nan |= y_ref.iter().any(|v| v.is_nan());
            }
        }
        assert!(checked_nan, "no NaN reached an output: the test does not cover NaN");
    }

    #[test]
    fn without_a_gradient_the_values_are_the_same_bits() {
        let x = randn(&[3, 4, 9, 10], 5).mapv(|v| v as f32);
        for kernel in [(2, 2), (3, 2)] {
            let recorded = Tape::<f32>::new();
            let bits = |v: &ndarray::ArrayD<f32>| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            let want = bits(&recorded.leaf(x.clone()).max_pool2d(kernel, (2, 2)).unwrap().value());
            for baseline in [false, true] {
                let _switch = crate::cpu::baseline_switch();
                crate::cpu::force_baseline(baseline);
                let tape = Tape::<f32>::no_grad();
                let y = tape.leaf(x.clone()).max_pool2d(kernel, (2, 2)).unwrap();
                crate::cpu::force_baseline(false);
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
