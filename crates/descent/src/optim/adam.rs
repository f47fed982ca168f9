//! Adam: adaptive moment estimation (Kingma & Ba, Algorithm 1), with torch's
//! options: L2 or decoupled weight decay (AdamW), AMSGrad, and a switch for
//! the bias correction (off: Reddi et al.'s AMSGrad, or RMSprop-with-momentum).
//!
//! # Algorithm (torch.optim.Adam)
//!
//! ```text
//! input:  γ (lr), β1, β2 (betas), θ0 (params), f(θ) (objective),
//!         λ (weight_decay), ε (eps), amsgrad, decoupled_weight_decay, maximize
//! initialize: m0 ← 0 (exp_avg), v0 ← 0 (exp_avg_sq), v̂0 ← 0 (max_exp_avg_sq)
//! for t = 1, 2, ... do
//!     g_t ← ∇f(θ_{t-1})                        (−∇f if maximize)
//!     if λ ≠ 0:
//!         if decoupled:  θ_{t-1} ← θ_{t-1} (1 − γ λ)
//!         else:          g_t ← g_t + λ θ_{t-1}
//!     m_t ← β1 m_{t-1} + (1 − β1) g_t
//!     v_t ← β2 v_{t-1} + (1 − β2) g_t²
//!     bias_correction1 ← 1 − β1^t,  bias_correction2 ← 1 − β2^t   (1 if bias_correction is off)
//!     step_size ← γ / bias_correction1
//!     if amsgrad:  v̂_t ← max(v̂_{t-1}, v_t);  denom ← sqrt(v̂_t) / sqrt(bias_correction2) + ε
//!     else:        denom ← sqrt(v_t) / sqrt(bias_correction2) + ε
//!     θ_t ← θ_{t-1} − step_size · m_t / denom
//! return θ_t
//! ```
//!
//! This is Kingma & Ba's Algorithm 1 written with the corrections folded into
//! the step size: `m̂ = m / (1 − β1^t)`, `v̂ = v / (1 − β2^t)`,
//! `θ ← θ − γ m̂ / (sqrt(v̂) + ε)`. The paper's "more efficient" order
//! (section 2) puts ε inside the correction, `ε̂ = ε sqrt(1 − β2^t)`; torch and
//! seeds 000/003 use the form above. Why the correction: with `m0 = 0`,
//! `E[m_t] = (1 − β1^t) E[g]`, so at `t = 1` the raw `m` is `(1 − β1)` = 10 %
//! of the gradient; corrected, the first step moves every coordinate by about
//! `γ` (`m̂1 / sqrt(v̂1) = g / |g|`).
//!
//! # Variants on this one update
//! - AdamW = `decoupled_weight_decay` ([`adamw`](fn@super::adamw)).
//! - AMSGrad, torch's and Reddi et al.'s ([`amsgrad`](fn@super::amsgrad)).
//! - RMSprop with `alpha = β2` is Adam with `β1 = 0` and no bias correction
//!   (the tests prove it).
//!
//! # References
//! - D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR
//!   2015, <https://arxiv.org/abs/1412.6980>.
//! - I. Loshchilov, F. Hutter, "Decoupled Weight Decay Regularization", ICLR
//!   2019, <https://arxiv.org/abs/1711.05101>.
//! - S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond",
//!   ICLR 2018, <https://arxiv.org/abs/1904.09237>.

use super::common::{
    bias_correction, buffers_like, check_non_negative, check_positive, check_unit_open, decay_parameters, lerp,
    update_on_avx512, update_with_two_buffers, GradTransform,
};
use super::rule::{Optim, Rule};
use crate::kernels;
use crate::kernels::adam::AdamF32;
use crate::{Element, Result};
use ndarray::{ArrayD, Zip};
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`Adam`], named and defaulted as in torch.optim.Adam.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamConfig {
    /// γ: the learning rate. Default 1e-3.
    pub lr: f64,
    /// (β1, β2): decay rates of the first and second moment estimates.
    /// Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// ε: added to the root for numerical stability. Default 1e-8.
    pub eps: f64,
    /// λ: weight decay. Default 0.
    pub weight_decay: f64,
    /// Decay the weights directly (AdamW) instead of adding `λθ` to the
    /// gradient. Default false.
    pub decoupled_weight_decay: bool,
    /// Use the maximum of all `v_t` so far (AMSGrad). Default false.
    pub amsgrad: bool,
    /// Divide by `1 − β^t`. Default true; false gives Reddi et al.'s AMSGrad
    /// (with `amsgrad`) or RMSprop with momentum (with `β1 = 0`: plain RMSprop).
    pub bias_correction: bool,
    /// Ascend instead of descend. Default false.
    pub maximize: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            amsgrad: false,
            bias_correction: true,
            maximize: false,
        }
    }
}

/// State of [`Adam`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdamState<T: Element> {
    /// m: exponential moving average of gradients (first moment).
    pub exp_avg: Vec<ArrayD<T>>,
    /// v: exponential moving average of squared gradients (second moment).
    pub exp_avg_sq: Vec<ArrayD<T>>,
    /// v̂: running maximum of `v` (AMSGrad only; empty otherwise).
    pub max_exp_avg_sq: Vec<ArrayD<T>>,
}

/// Adam and its configurations (AdamW, AMSGrad): see the [module docs](self).
pub type Adam<T> = Optim<AdamConfig, T>;

/// Checks `betas` and `eps` the way every Adam-family optimizer needs.
pub(crate) fn check_betas_eps(op: &'static str, betas: (f64, f64), eps: f64) -> Result<()> {
    check_unit_open(op, "betas[0]", betas.0)?;
    check_unit_open(op, "betas[1]", betas.1)?;
    check_positive(op, "eps", eps)
}

impl<T: Element> Rule<T> for AdamConfig {
    const NAME: &'static str = "Adam";
    rule_common!(AdamState { exp_avg, exp_avg_sq, max_exp_avg_sq if |c: &Self| c.amsgrad });

    fn validate(&self) -> Result<()> {
        let op = <Self as Rule<T>>::NAME;
        check_betas_eps(op, self.betas, self.eps)?;
        check_non_negative(op, "weight_decay", self.weight_decay)
    }

    fn init(&self, params: &[&mut ArrayD<T>]) -> AdamState<T> {
        AdamState {
            exp_avg: buffers_like(params, 0.0),
            exp_avg_sq: buffers_like(params, 0.0),
            max_exp_avg_sq: if self.amsgrad { buffers_like(params, 0.0) } else { Vec::new() },
        }
    }

    fn update(&self, state: &mut AdamState<T>, t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) {
        if self.decoupled_weight_decay {
            decay_parameters(params, self.lr, self.weight_decay);
        }
        let transform = GradTransform::new(self.maximize, self.weight_decay, self.decoupled_weight_decay);
        let (beta1, beta2) = self.betas;
        let (bias_correction1, bias_correction2) =
            if self.bias_correction { (bias_correction(beta1, t), bias_correction(beta2, t)) } else { (1.0, 1.0) };
        let step_size = self.lr / bias_correction1;
        let neg_step_size = T::of(-step_size);
        let bias_correction2_sqrt = T::of(bias_correction2.powf(0.5));
        let (one_minus_beta1, beta2, one_minus_beta2, eps) =
            (T::of(1.0 - beta1), T::of(beta2), T::of(1.0 - beta2), T::of(self.eps));
        let moments = |p: &mut T, g: T, m: &mut T, v: &mut T| {
            let g = transform.apply(g, *p);
            *m = lerp(*m, g, one_minus_beta1);
            *v = *v * beta2 + one_minus_beta2 * g * g;
        };
        // AVX-512's copy of the update (`kernels::adam`), where it applies.
        let f = |x: T| x.as_f64() as f32;
        let k = AdamF32 {
            gradient: transform.in_f32(),
            weight: f(one_minus_beta1),
            beta2: f(beta2),
            one_minus_beta2: f(one_minus_beta2),
            bias_correction2_sqrt: f(bias_correction2_sqrt),
            eps: f(eps),
            neg_step: f(neg_step_size),
        };
        if self.amsgrad {
            let buffers = [&mut state.exp_avg[..], &mut state.exp_avg_sq[..], &mut state.max_exp_avg_sq[..]];
            let fast = |p: &mut [f32], g: &[f32], [m, v, v_max]: [&mut [f32]; 3]| {
                kernels::adam::update(&k, p, g, m, v, Some(v_max));
            };
            if update_on_avx512(params, grads, buffers, fast) {
                return;
            }
            for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
                let zip = Zip::from(&mut **p).and(g).and(&mut state.exp_avg[i]).and(&mut state.exp_avg_sq[i]);
                zip.and(&mut state.max_exp_avg_sq[i]).for_each(|p, &g, m, v, v_max| {
                    moments(p, g, m, v);
                    *v_max = v_max.max(*v);
                    let denom = v_max.sqrt() / bias_correction2_sqrt + eps;
                    *p += neg_step_size * *m / denom;
                });
            }
        } else {
            let fast = |p: &mut [f32], g: &[f32], [m, v]: [&mut [f32]; 2]| kernels::adam::update(&k, p, g, m, v, None);
            if update_on_avx512(params, grads, [&mut state.exp_avg[..], &mut state.exp_avg_sq[..]], fast) {
                return;
            }
            update_with_two_buffers(params, grads, &mut state.exp_avg, &mut state.exp_avg_sq, |p, g, m, v| {
                moments(p, g, m, v);
                let denom = v.sqrt() / bias_correction2_sqrt + eps;
                *p += neg_step_size * *m / denom;
            });
        }
    }
}
