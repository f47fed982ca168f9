//! Adadelta's step for `f32` on AVX-512, sixteen lanes at a time, with the
//! bits of the general step in `optim::adadelta` on every input, subnormal
//! numbers included, and without their cost.
//!
//! Both running averages (of squared gradients and of squared updates)
//! decay by `rho` every step where the gradient is 0, into f32's subnormal
//! range within two MNIST epochs; the general step then took microcode
//! assists on them (`kernels::subnormal`): an MNIST MLP's step more than
//! doubled from the first epoch to the fifth on the Intel Xeon. A block
//! where some average is tiny computes its decay with `kernels::subnormal`'s
//! exact `f64` products, and one where a gradient is tiny the products that
//! gradient reaches; every other operation (the quotient of two roots of
//! values at least `eps` among them) is the `f32` instruction of the
//! general code, in its order.
//! The tests compare this kernel with the general step bit for bit
//! (`optim::tests`).

use crate::kernels::cpu::cpu_has_avx512;
use crate::kernels::subnormal::GradientF32;
#[cfg(target_arch = "x86_64")]
use crate::kernels::subnormal::{block_mask, mul, tiny_lanes, transformed_gradient};
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// The step's constants, in `f32`, as `optim::adadelta` computes them.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernel only
pub(crate) struct AdadeltaF32 {
    /// The gradient's sign and L2 term.
    pub gradient: GradientF32,
    pub rho: f32,
    pub one_minus_rho: f32,
    pub eps: f32,
    pub neg_lr: f32,
}

/// Updates `p`, the average of squared gradients `square_avg` and that of
/// squared updates `acc_delta` in place from `g` (all of one length): what
/// `optim::adadelta`'s general step computes, bit for bit. The CPU must have
/// AVX-512F (asserted).
pub(crate) fn update(k: &AdadeltaF32, p: &mut [f32], g: &[f32], square_avg: &mut [f32], acc_delta: &mut [f32]) {
    assert!(cpu_has_avx512(), "the AVX-512 Adadelta step on a CPU without it");
    let n = p.len();
    assert!(g.len() == n && square_avg.len() == n && acc_delta.len() == n, "Adadelta's buffers differ in length");
    #[cfg(not(target_arch = "x86_64"))]
    let _ = k; // unreachable: no other CPU has AVX-512
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F, AVX2 and FMA are present (asserted); the slices
    // have `n` elements (asserted), and every block reads and writes lanes
    // `i .. i + lanes <= n` only (masked loads and stores).
    unsafe {
        update_avx512(k, p.as_mut_ptr(), g.as_ptr(), square_avg.as_mut_ptr(), acc_delta.as_mut_ptr(), n)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn update_avx512(k: &AdadeltaF32, p: *mut f32, g: *const f32, sq: *mut f32, acc: *mut f32, n: usize) {
    let (rho, one_minus_rho) = (_mm512_set1_ps(k.rho), _mm512_set1_ps(k.one_minus_rho));
    let (eps, neg_lr) = (_mm512_set1_ps(k.eps), _mm512_set1_ps(k.neg_lr));
    let mut i = 0;
    while i < n {
        let mask = block_mask(i, n);
        let pv = _mm512_maskz_loadu_ps(mask, p.add(i));
        let gv = transformed_gradient(_mm512_maskz_loadu_ps(mask, g.add(i)), pv, k.gradient);
        let sv = _mm512_maskz_loadu_ps(mask, sq.add(i));
        let av = _mm512_maskz_loadu_ps(mask, acc.add(i));
        // Each product exactly where an operand may be tiny: the decayed
        // averages', and where a gradient is tiny, the ones it reaches.
        let (tiny_s, tiny_a, tiny_g) = (tiny_lanes(sv) != 0, tiny_lanes(av) != 0, tiny_lanes(gv) != 0);
        let s_new = _mm512_add_ps(mul(tiny_s, sv, rho), mul(tiny_g, mul(tiny_g, one_minus_rho, gv), gv));
        let std = _mm512_sqrt_ps(_mm512_add_ps(s_new, eps));
        let delta = mul(tiny_g, _mm512_div_ps(_mm512_sqrt_ps(_mm512_add_ps(av, eps)), std), gv);
        let a_new = _mm512_add_ps(mul(tiny_a, av, rho), mul(tiny_g, mul(tiny_g, one_minus_rho, delta), delta));
        _mm512_mask_storeu_ps(p.add(i), mask, _mm512_add_ps(pv, mul(tiny_g, neg_lr, delta)));
        _mm512_mask_storeu_ps(sq.add(i), mask, s_new);
        _mm512_mask_storeu_ps(acc.add(i), mask, a_new);
        i += 16;
    }
}
