//! `f32` products and quotients on AVX-512 that take no microcode assist
//! on subnormal numbers and round exactly as the `f32` instructions do, and
//! the pieces the optimizers' kernels share (a block's mask, the gradient's
//! transform).
//!
//! On the Intel Xeon a multiplication, division, fused multiply-add or
//! square root whose operand or result is subnormal takes a microcode
//! assist: about 34 ns for one 16-lane instruction against 2 ns (measured
//! with each instruction in a loop); additions, subtractions and the
//! conversions between `f32` and `f64` take none, subnormal or not. The
//! assist is paid per instruction, so one subnormal lane slows a whole
//! vector. Optimizer states that decay geometrically where the gradient is
//! 0 (Adam's moments, momentum buffers) end up there within a few MNIST
//! epochs and stay.
//!
//! [`mul`] and [`div`] with `exact` set compute in `f64` instead: both operands
//! converted exactly, the product exact (24 + 24 bits), the quotient rounded
//! once to 53 bits, then rounded to `f32` by the conversion, which rounds to
//! the subnormal grid like the `f32` instruction would. A quotient rounded to
//! 53 bits and then to 24 is the quotient rounded to 24 once, since
//! 53 ≥ 2·24 + 2 (Figueroa, "When is double rounding innocuous?", 1995).
//! They cost a few instructions more than `f32`'s, so a kernel takes them for
//! the blocks where [`tiny_lanes`] finds a value below 2⁻¹⁰⁰ only; both ways
//! give the same bits, so a value the test misses costs an assist, never a
//! different number.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Bits of 2⁻¹⁰⁰: nonzero values below it send their block the exact way.
#[cfg(target_arch = "x86_64")]
const TINY: i32 = (127 - 100) << 23;

/// The lanes `i .. min(i + 16, n)` of a block (`i < n`).
#[cfg(target_arch = "x86_64")]
#[inline]
pub(crate) fn block_mask(i: usize, n: usize) -> __mmask16 {
    let lanes = (n - i).min(16);
    if lanes == 16 {
        0xffff
    } else {
        (1u16 << lanes) - 1
    }
}

/// `optim`'s `GradTransform` in `f32`, for the kernels' constants.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernels only
pub(crate) struct GradientF32 {
    /// `g <- -g` first.
    pub maximize: bool,
    /// L2 weight decay `g <- g + l2·p` (0: off).
    pub l2: f32,
}

/// The gradient an update uses, as `optim`'s `GradTransform` makes it:
/// negated (its sign flipped) when maximizing, then plus `l2·p` when `l2`
/// is not 0.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn transformed_gradient(g: __m512, p: __m512, t: GradientF32) -> __m512 {
    let GradientF32 { maximize, l2 } = t;
    let g = if maximize {
        _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(g), _mm512_set1_epi32(i32::MIN)))
    } else {
        g
    };
    if l2 != 0.0 {
        _mm512_add_ps(g, _mm512_mul_ps(_mm512_set1_ps(l2), p))
    } else {
        g
    }
}

/// The lanes of `x` that are nonzero and below 2⁻¹⁰⁰ in magnitude.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn tiny_lanes(x: __m512) -> __mmask16 {
    let magnitude = _mm512_andnot_si512(_mm512_set1_epi32(i32::MIN), _mm512_castps_si512(x));
    _mm512_cmplt_epu32_mask(_mm512_sub_epi32(magnitude, _mm512_set1_epi32(1)), _mm512_set1_epi32(TINY - 1))
}

/// The two halves of `x` in `f64`, exactly (no assist on subnormals).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn widen(x: __m512) -> (__m512d, __m512d) {
    let bits = _mm512_castps_pd(x);
    let low = _mm256_castpd_ps(_mm512_castpd512_pd256(bits));
    let high = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(bits));
    (_mm512_cvtps_pd(low), _mm512_cvtps_pd(high))
}

/// `f64` halves rounded to `f32` (the MXCSR's rounding, subnormals
/// included, without an assist) and joined.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn narrow(low: __m512d, high: __m512d) -> __m512 {
    let low = _mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(low)));
    let high = _mm256_castps_pd(_mm512_cvtpd_ps(high));
    _mm512_castpd_ps(_mm512_insertf64x4::<1>(low, high))
}

/// `a·b` rounded to `f32`: by [`mul_exact`] where `exact` (a block that may
/// hold a subnormal operand or result), else by `_mm512_mul_ps`. The same
/// bits either way.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn mul(exact: bool, a: __m512, b: __m512) -> __m512 {
    if exact {
        mul_exact(a, b)
    } else {
        _mm512_mul_ps(a, b)
    }
}

/// `a/b` rounded to `f32`: by [`div_exact`] where `exact`, else by
/// `_mm512_div_ps`. The same bits either way.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
pub(crate) fn div(exact: bool, a: __m512, b: __m512) -> __m512 {
    if exact {
        div_exact(a, b)
    } else {
        _mm512_div_ps(a, b)
    }
}

/// `a·b` rounded to `f32` as `_mm512_mul_ps` rounds it: the product of two
/// `f32` values is exact in `f64`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn mul_exact(a: __m512, b: __m512) -> __m512 {
    let ((a0, a1), (b0, b1)) = (widen(a), widen(b));
    narrow(_mm512_mul_pd(a0, b0), _mm512_mul_pd(a1, b1))
}

/// `a/b` rounded to `f32` as `_mm512_div_ps` rounds it: rounded to 53 bits,
/// then to 24, which is innocuous (53 ≥ 2·24 + 2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn div_exact(a: __m512, b: __m512) -> __m512 {
    let ((a0, a1), (b0, b1)) = (widen(a), widen(b));
    narrow(_mm512_div_pd(a0, b0), _mm512_div_pd(a1, b1))
}
