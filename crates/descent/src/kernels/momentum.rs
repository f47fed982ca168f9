//! SGD's momentum step in its three forms (torch's `momentum` and
//! `nesterov`, the EMA form, heavy ball) for `f32` on AVX-512, sixteen
//! lanes at a time, with the bits of the general step in `optim::sgd` on
//! every input, subnormal numbers included, and without their cost.
//!
//! The momentum buffer of a weight whose gradient is mostly 0 decays by `mu`
//! every step into f32's subnormal range within two MNIST epochs, and the
//! general step then took three microcode assists per vector of such
//! buffers (`kernels::subnormal`): an MNIST MLP's step doubled from the
//! first epoch to the fifth on the Intel Xeon. A block where some buffer
//! value or gradient is tiny computes its products with
//! `kernels::subnormal`'s exact `f64` products; every other operation is
//! the `f32` instruction of the general code, in its order. The tests
//! compare this kernel with the general step bit for bit (`optim::tests`).

use crate::kernels::cpu::cpu_has_avx512;
use crate::kernels::subnormal::GradientF32;
#[cfg(target_arch = "x86_64")]
use crate::kernels::subnormal::{block_mask, mul, tiny_lanes, transformed_gradient};
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Which recursion, as `optim::sgd` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `b <- decay b + keep g`, `p <- p + neg_lr (along_g g + along_b b)`.
    Torch,
    /// `v <- mu v + (1 - mu) g`, `p <- p - lr v`.
    Ema,
    /// `dw <- neg_lr g + mu dw`, `p <- p + dw`.
    HeavyBall,
}

/// The step's constants, in `f32`, as `optim::sgd` computes them.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernel only
pub(crate) struct MomentumF32 {
    pub form: Form,
    /// The gradient's sign and L2 term.
    pub gradient: GradientF32,
    pub decay: f32,
    pub keep: f32,
    pub along_g: f32,
    pub along_b: f32,
    pub mu: f32,
    pub one_minus_mu: f32,
    pub lr: f32,
    pub neg_lr: f32,
}

/// Updates `p` and the buffer `b` in place from `g` (all of one length):
/// what `optim::sgd`'s general step computes in `k.form`, bit for bit.
/// The CPU must have AVX-512F (asserted).
pub(crate) fn update(k: &MomentumF32, p: &mut [f32], g: &[f32], b: &mut [f32]) {
    assert!(cpu_has_avx512(), "the AVX-512 momentum step on a CPU without it");
    let n = p.len();
    assert!(g.len() == n && b.len() == n, "the momentum step's buffers differ in length");
    #[cfg(not(target_arch = "x86_64"))]
    let _ = k; // unreachable: no other CPU has AVX-512
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F, AVX2 and FMA are present (asserted); the slices
    // have `n` elements (asserted), and every block reads and writes lanes
    // `i .. i + lanes <= n` only (masked loads and stores).
    unsafe {
        update_avx512(k, p.as_mut_ptr(), g.as_ptr(), b.as_mut_ptr(), n)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn update_avx512(k: &MomentumF32, p: *mut f32, g: *const f32, b: *mut f32, n: usize) {
    let (decay, keep) = (_mm512_set1_ps(k.decay), _mm512_set1_ps(k.keep));
    let (along_g, along_b, neg_lr) = (_mm512_set1_ps(k.along_g), _mm512_set1_ps(k.along_b), _mm512_set1_ps(k.neg_lr));
    let (mu, one_minus_mu, lr) = (_mm512_set1_ps(k.mu), _mm512_set1_ps(k.one_minus_mu), _mm512_set1_ps(k.lr));
    let mut i = 0;
    while i < n {
        let mask = block_mask(i, n);
        let pv = _mm512_maskz_loadu_ps(mask, p.add(i));
        let gv = transformed_gradient(_mm512_maskz_loadu_ps(mask, g.add(i)), pv, k.gradient);
        let bv = _mm512_maskz_loadu_ps(mask, b.add(i));
        let exact = (tiny_lanes(bv) | tiny_lanes(gv)) != 0;
        let (b_new, p_new) = match k.form {
            Form::Torch => {
                let b_new = _mm512_add_ps(mul(exact, bv, decay), mul(exact, keep, gv));
                let direction = _mm512_add_ps(mul(exact, along_g, gv), mul(exact, along_b, b_new));
                (b_new, _mm512_add_ps(pv, mul(exact, neg_lr, direction)))
            }
            Form::Ema => {
                let v_new = _mm512_add_ps(mul(exact, mu, bv), mul(exact, one_minus_mu, gv));
                (v_new, _mm512_sub_ps(pv, mul(exact, lr, v_new)))
            }
            Form::HeavyBall => {
                let dw = _mm512_add_ps(mul(exact, neg_lr, gv), mul(exact, mu, bv));
                (dw, _mm512_add_ps(pv, dw))
            }
        };
        _mm512_mask_storeu_ps(p.add(i), mask, p_new);
        _mm512_mask_storeu_ps(b.add(i), mask, b_new);
        i += 16;
    }
}
