//! Adam's update (AMSGrad's too) for `f32` on AVX-512, sixteen lanes at a
//! time, with the bits of the general update in `optim::adam` on every
//! input, subnormal numbers included, and without their cost.
//!
//! **Why.** Adam's first moment `m` of a weight whose gradient is mostly 0
//! (first-layer weights of pixels that are rarely on, rows of units that
//! never fire) decays by `beta1` every step into f32's subnormal range
//! within two MNIST epochs, where it stays (`k·2⁻¹⁴⁹` with `k ≤ 5` no longer
//! decays: `0.1·k` rounds to 0). After a few epochs about a quarter of the
//! MLP's 16-lane blocks hold one, and the general update took three
//! microcode assists per vector of them (`kernels::subnormal`): a quarter of
//! the MLP's median epoch on the Intel Xeon. Flushing subnormals to zero
//! would be fast and would change bits against PyTorch, which keeps them.
//!
//! **How.** A block where some `m` or gradient is tiny computes the
//! products of the first moment's chain (the lerp's `w·(g - m)`, the step's
//! `-lr/bc1 · m` and its division by the denominator) with
//! `kernels::subnormal`'s exact `f64` products and quotients; where a
//! gradient is tiny, the second moment's `(1 - beta2)·g·g` too. Every other
//! operation is the `f32` instruction of the general code, in its order.
//! The tests compare this kernel with the general update bit for bit, on
//! subnormal and random state (`optim::tests`).

use crate::kernels::cpu::cpu_has_avx512;
use crate::kernels::subnormal::GradientF32;
#[cfg(target_arch = "x86_64")]
use crate::kernels::subnormal::{block_mask, div, mul, tiny_lanes, transformed_gradient};
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Adam's per-step constants, in `f32`, as `optim::adam` computes them.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernel only
pub(crate) struct AdamF32 {
    /// The gradient's sign and L2 term.
    pub gradient: GradientF32,
    /// The lerp's weight `1 - beta1`.
    pub weight: f32,
    pub beta2: f32,
    pub one_minus_beta2: f32,
    pub bias_correction2_sqrt: f32,
    pub eps: f32,
    /// `-lr / (1 - beta1^t)`.
    pub neg_step: f32,
}

/// Updates `p`, `m`, `v` in place from `g` (all of one length), and with
/// `v_max` AMSGrad's running maximum of `v` (whose root then divides the
/// step): what `optim::adam`'s general update computes, bit for bit. The
/// CPU must have AVX-512F (asserted).
pub(crate) fn update(k: &AdamF32, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], v_max: Option<&mut [f32]>) {
    assert!(cpu_has_avx512(), "the AVX-512 Adam update on a CPU without it");
    let n = p.len();
    assert!(g.len() == n && m.len() == n && v.len() == n, "Adam's buffers differ in length");
    assert!(v_max.as_ref().is_none_or(|b| b.len() == n), "AMSGrad's maximum differs in length");
    let v_max = v_max.map_or(std::ptr::null_mut(), |b| b.as_mut_ptr());
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (k, v_max); // unreachable: no other CPU has AVX-512
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F, AVX2 and FMA are present (asserted); the slices
    // have `n` elements (asserted; `v_max` is null or one of them), and every
    // block reads and writes lanes `i .. i + lanes <= n` only (masked loads
    // and stores).
    unsafe {
        update_avx512(k, p.as_mut_ptr(), g.as_ptr(), m.as_mut_ptr(), v.as_mut_ptr(), v_max, n)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn update_avx512(k: &AdamF32, p: *mut f32, g: *const f32, m: *mut f32, v: *mut f32, v_max: *mut f32, n: usize) {
    let weight = _mm512_set1_ps(k.weight);
    // torch's lerp: `m + w (g - m)` for |w| < 0.5, else `g - (g - m)(1 - w)`.
    let near_start = k.weight.abs() < 0.5;
    let factor = if near_start { weight } else { _mm512_set1_ps(1.0 - k.weight) };
    let (beta2, one_minus_beta2) = (_mm512_set1_ps(k.beta2), _mm512_set1_ps(k.one_minus_beta2));
    let (bc2, eps, neg_step) =
        (_mm512_set1_ps(k.bias_correction2_sqrt), _mm512_set1_ps(k.eps), _mm512_set1_ps(k.neg_step));
    let mut i = 0;
    while i < n {
        let mask = block_mask(i, n);
        let pv = _mm512_maskz_loadu_ps(mask, p.add(i));
        let gv = transformed_gradient(_mm512_maskz_loadu_ps(mask, g.add(i)), pv, k.gradient);
        let mv = _mm512_maskz_loadu_ps(mask, m.add(i));
        let vv = _mm512_maskz_loadu_ps(mask, v.add(i));
        let tiny_g = tiny_lanes(gv) != 0;
        let exact = tiny_g || tiny_lanes(mv) != 0;
        let d = _mm512_sub_ps(gv, mv);
        let t = mul(exact, factor, d);
        let m_new = if near_start { _mm512_add_ps(mv, t) } else { _mm512_sub_ps(gv, t) };
        let v_new = _mm512_add_ps(_mm512_mul_ps(vv, beta2), mul(tiny_g, mul(tiny_g, one_minus_beta2, gv), gv));
        let v_root = if v_max.is_null() {
            v_new
        } else {
            // `v_max.max(v)`: the other value where one is NaN.
            let old = _mm512_maskz_loadu_ps(mask, v_max.add(i));
            let larger = _mm512_max_ps(v_new, old);
            let larger = _mm512_mask_mov_ps(larger, _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(old, old), v_new);
            _mm512_mask_storeu_ps(v_max.add(i), mask, larger);
            larger
        };
        let denom = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(v_root), bc2), eps);
        let delta = div(exact, mul(exact, neg_step, m_new), denom);
        _mm512_mask_storeu_ps(p.add(i), mask, _mm512_add_ps(pv, delta));
        _mm512_mask_storeu_ps(m.add(i), mask, m_new);
        _mm512_mask_storeu_ps(v.add(i), mask, v_new);
        i += 16;
    }
}
