//! Max pooling's fast path: 2x2 windows with stride 2 on `f32` with
//! AVX-512, 16 windows at a time, forward and backward, the same bits as the
//! general loops of `autodiff::ops::pool` (which calls them).

use super::cpu::cpu_has_avx512;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// A whole plane `x` of width `w` pooled by 2x2 windows with stride 2 into
/// `y` (rows of `w / 2` windows): each row as
/// [`pool_row`](crate::autodiff::ops::pool::pool_row) pools it, 16 windows
/// at a time, their four taps compared in the general loop's order and by
/// its rule (strictly greater, or a NaN over a number), so the values and
/// arg-maxes (indices in the plane) are its bits, NaN included. The
/// arg-maxes are written only when given. One call per plane: a call per
/// row cost the CNN's small planes more than their comparisons.
pub(crate) fn pool_plane_2x2_avx512(x: &[f32], w: usize, y: &mut [f32], argmax: Option<&mut [u32]>) {
    assert!(cpu_has_avx512(), "the AVX-512 pooling on a CPU without it");
    let ow = w / 2;
    assert!(ow > 0 && y.len().is_multiple_of(ow) && 2 * (y.len() / ow) * w <= x.len() && x.len() <= u32::MAX as usize);
    let argmax = argmax.map(|a| {
        assert_eq!(a.len(), y.len());
        a.as_mut_ptr()
    });
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F is present (asserted); output row `i` reads the
    // plane's rows `2 i` and `2 i + 1` up to column `2 ow <= w`, inside `x`
    // (`(2 i + 2) w <= x.len()`, asserted for the last row), and writes
    // row `i` of `y` and `argmax` (lengths asserted).
    unsafe {
        pool_plane_kernel(x.as_ptr(), w, y, argmax);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pool_plane_kernel(x: *const f32, w: usize, y: &mut [f32], argmax: Option<*mut u32>) {
    let ow = w / 2;
    for (i, y) in y.chunks_exact_mut(ow).enumerate() {
        let top = 2 * i * w;
        pool_2x2_kernel(x.add(top), w, top as u32, y, argmax.map(|a| a.add(i * ow)));
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
#[inline]
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

/// The gradient of one row of 2x2 windows with stride 2, for `f32` with
/// AVX-512: the two input rows `upper` and `lower` (the first `2 gy.len()`
/// columns of each) receive each window's gradient `0 + g` at its arg-max
/// and 0 at its other three taps, 16 windows at a time. The same bits as the
/// general loop's zero fill and `+=` (which turns a `-0` gradient into
/// `+0`, as `0 + g` does here); `first` is the plane index of `upper[0]`,
/// `w` the plane's width, and each arg-max must be one of its window's taps.
pub(crate) fn unpool_row_2x2_avx512(
    upper: &mut [f32],
    lower: &mut [f32],
    gy: &[f32],
    argmax: &[u32],
    first: u32,
    w: usize,
) {
    assert!(cpu_has_avx512(), "the AVX-512 pooling on a CPU without it");
    let n = gy.len();
    assert!(argmax.len() == n && 2 * n <= upper.len() && 2 * n <= lower.len() && w < i32::MAX as usize);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F is present (asserted); the loads read lanes below
    // `n` of `gy` and `argmax`, the stores write the first `2 n` values of
    // `upper` and `lower` (lengths asserted).
    unsafe {
        unpool_2x2_kernel(upper.as_mut_ptr(), lower.as_mut_ptr(), gy, argmax.as_ptr(), first, w);
    }
    // Off x86-64 the assertion above has already failed.
    #[cfg(not(target_arch = "x86_64"))]
    let _ = first;
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn unpool_2x2_kernel(upper: *mut f32, lower: *mut f32, gy: &[f32], argmax: *const u32, first: u32, w: usize) {
    let even = even_columns();
    // Lanes 0..16 of two vectors interleaved: (a0, b0, a1, b1, ...).
    let low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    let high = _mm512_add_epi32(low, _mm512_set1_epi32(8));
    let (one, wide, wide_one) = (_mm512_set1_epi32(1), _mm512_set1_epi32(w as i32), _mm512_set1_epi32(w as i32 + 1));
    for j0 in (0..gy.len()).step_by(16) {
        let n = (gy.len() - j0).min(16);
        let g = _mm512_add_ps(_mm512_setzero_ps(), _mm512_maskz_loadu_ps(lanes(n), gy.as_ptr().add(j0)));
        let at = _mm512_maskz_loadu_epi32(lanes(n), argmax.add(j0).cast());
        let start = _mm512_add_epi32(_mm512_set1_epi32((first as usize + 2 * j0) as i32), even);
        let offset = _mm512_sub_epi32(at, start);
        // Each tap keeps the gradient where it is the arg-max, 0 elsewhere.
        let u0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(offset, _mm512_setzero_si512()), g);
        let u1 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(offset, one), g);
        let l0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(offset, wide), g);
        let l1 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(offset, wide_one), g);
        for (row, (even, odd)) in [(upper, (u0, u1)), (lower, (l0, l1))] {
            let row = row.add(2 * j0);
            _mm512_mask_storeu_ps(row, lanes(2 * n), _mm512_permutex2var_ps(even, low, odd));
            if n > 8 {
                _mm512_mask_storeu_ps(row.add(16), lanes(2 * n - 16), _mm512_permutex2var_ps(even, high, odd));
            }
        }
    }
}

/// One sample's 2x2 max-pooling gradient unpooled straight into the layout
/// the convolution's backward reads, one pixel's channels per row:
/// `grad_t: (H W, O)` from the windows' gradients `gy: (O, H/2 · W/2)` and
/// arg-maxes (indices in the `H × W` plane). The values of the plane-by-plane
/// unpooling (`0 + g` at the arg-max, 0 at the other taps and at the pixels
/// no window covers) then transposed, without writing the `(O, H, W)` planes
/// first: the windows' gradients and arg-maxes are transposed instead (a
/// quarter of the size), then each window writes its four pixels' rows 16
/// channels at a time. `scratch_g` and `scratch_a` hold `gy.len()` values.
/// `O` a multiple of 16.
pub(crate) fn unpool_transposed_2x2_avx512(
    gy: &[f32],
    argmax: &[u32],
    (o, h, w): (usize, usize, usize),
    scratch_g: &mut [f32],
    scratch_a: &mut [u32],
    grad_t: &mut [f32],
) {
    assert!(cpu_has_avx512(), "the AVX-512 pooling on a CPU without it");
    let (ph, pw) = (h / 2, w / 2);
    assert!(o.is_multiple_of(16) && h * w < i32::MAX as usize);
    assert!(gy.len() == o * ph * pw && argmax.len() == gy.len());
    assert!(scratch_g.len() == gy.len() && scratch_a.len() == gy.len() && grad_t.len() == h * w * o);
    let windows = ph * pw;
    super::avx512::transpose(gy, o, windows, scratch_g);
    // The arg-maxes' bits through the same copy.
    // SAFETY: u32 and f32 have the same size and alignment, and every bit
    // pattern is a valid value of both; the transpose only moves bits.
    let (argmax_bits, scratch_bits) = unsafe {
        (
            std::slice::from_raw_parts(argmax.as_ptr().cast::<f32>(), argmax.len()),
            std::slice::from_raw_parts_mut(scratch_a.as_mut_ptr().cast::<f32>(), scratch_a.len()),
        )
    };
    super::avx512::transpose(argmax_bits, o, windows, scratch_bits);
    // Pixels past the last whole window: the last column of an odd width,
    // the last row of an odd height.
    for r in 0..h {
        let first = if r < 2 * ph { 2 * pw } else { 0 };
        grad_t[(r * w + first) * o..(r + 1) * w * o].fill(0.0);
    }
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F is present (asserted); window (i, j) reads its row of
    // `o` values in the scratches (`windows * o` each) and writes the rows
    // of its four pixels, all below `h * w`, in `grad_t` (sizes asserted).
    unsafe {
        unpool_transposed_kernel(scratch_g, scratch_a, (o, ph, pw, w), grad_t);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn unpool_transposed_kernel(
    gyt: &[f32],
    at: &[u32],
    (o, ph, pw, w): (usize, usize, usize, usize),
    out: &mut [f32],
) {
    let out = out.as_mut_ptr();
    for i in 0..ph {
        for j in 0..pw {
            let window = (i * pw + j) * o;
            let top = 2 * i * w + 2 * j;
            let taps = [top, top + 1, top + w, top + w + 1];
            for c0 in (0..o).step_by(16) {
                let g = _mm512_add_ps(_mm512_setzero_ps(), _mm512_loadu_ps(gyt.as_ptr().add(window + c0)));
                let a = _mm512_loadu_epi32(at.as_ptr().add(window + c0).cast());
                for tap in taps {
                    let here = _mm512_cmpeq_epi32_mask(a, _mm512_set1_epi32(tap as i32));
                    _mm512_storeu_ps(out.add(tap * o + c0), _mm512_maskz_mov_ps(here, g));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Planes of 2x2 windows on values with many ties (signed zeros among
    /// them) and NaNs, odd and even widths and heights, more and fewer than
    /// 16 windows a row.
    #[test]
    fn the_avx512_2x2_path_is_the_general_loops_bits() {
        if !crate::kernels::cpu::cpu_has_avx512() {
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
            for h in [2, 3, 5].into_iter().cycle().take(30) {
                let x: Vec<f32> = (0..h * w).map(|_| pick()).collect();
                let (ow, oh) = (w / 2, h / 2);
                let (mut y, mut a) = (vec![9.0f32; oh * ow], vec![7u32; oh * ow]);
                let (mut y_ref, mut a_ref) = (vec![0.0f32; oh * ow], vec![0u32; oh * ow]);
                for (i, (y, a)) in y_ref.chunks_exact_mut(ow).zip(a_ref.chunks_exact_mut(ow)).enumerate() {
                    crate::autodiff::ops::pool::pool_row(&x, w, 2 * i, (2, 2), 2, y, a);
                }
                super::pool_plane_2x2_avx512(&x, w, &mut y, Some(&mut a));
                let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&y), bits(&y_ref), "values, {h} x {w}, input {x:?}");
                assert_eq!(a, a_ref, "arg-max, {h} x {w}, input {x:?}");
                let mut y_only = vec![5.0f32; oh * ow];
                super::pool_plane_2x2_avx512(&x, w, &mut y_only, None);
                assert_eq!(bits(&y_only), bits(&y_ref), "values without arg-max, {h} x {w}");
                checked_nan |= y_ref.iter().any(|v| v.is_nan());
            }
        }
        assert!(checked_nan, "no NaN reached an output: the test does not cover NaN");
    }
}
