//! RAdam: rectified Adam (Liu et al.). While the variance of the adaptive
//! learning rate is intractable (the first few steps), RAdam takes plain
//! bias-corrected momentum steps; after, Adam steps scaled by a rectification
//! term `r_t`.
//!
//! # Algorithm (torch.optim.RAdam)
//!
//! ```text
//! input:  γ (lr), β1, β2 (betas), θ0 (params), f(θ) (objective),
//!         λ (weight_decay), ε (eps), decoupled_weight_decay
//! initialize: m0 ← 0 (exp_avg), v0 ← 0 (exp_avg_sq),
//!             ρ∞ ← 2 / (1 − β2) − 1
//! for t = 1, 2, ... do
//!     g_t ← ∇f(θ_{t-1})                       (−∇f if maximize)
//!     if λ ≠ 0:
//!         if decoupled:  θ_{t-1} ← θ_{t-1} (1 − γ λ)
//!         else:          g_t ← g_t + λ θ_{t-1}
//!     m_t ← β1 m_{t-1} + (1 − β1) g_t
//!     v_t ← β2 v_{t-1} + (1 − β2) g_t²
//!     m̂_t ← m_t / (1 − β1^t)
//!     ρ_t ← ρ∞ − 2 t β2^t / (1 − β2^t)
//!     if ρ_t > 5:
//!         l_t ← sqrt(1 − β2^t) / (sqrt(v_t) + ε)
//!         r_t ← sqrt((ρ_t − 4)(ρ_t − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρ_t))
//!         θ_t ← θ_{t-1} − γ m̂_t l_t r_t
//!     else:
//!         θ_t ← θ_{t-1} − γ m̂_t
//! return θ_t
//! ```
//!
//! The paper's threshold is `ρ_t > 4`; torch (and descent) use 5, the value in
//! the authors' released code. With β2 = 0.999 the first 5 steps are
//! momentum-SGD steps.
//!
//! # References
//! - L. Liu et al., "On the Variance of the Adaptive Learning Rate and
//!   Beyond", ICLR 2020, <https://arxiv.org/abs/1908.03265>.

use super::adam::check_betas_eps;
use super::common::{
    bias_correction, buffers_like, check_non_negative, decay_parameters, lerp, update_with_two_buffers, GradTransform,
};
use super::rule::{Optim, Rule};
use crate::{Element, Result};
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`RAdam`], named and defaulted as in torch.optim.RAdam.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RAdamConfig {
    /// γ: the learning rate. Default 1e-3.
    pub lr: f64,
    /// (β1, β2). Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// ε: added to the root. Default 1e-8.
    pub eps: f64,
    /// λ: weight decay. Default 0.
    pub weight_decay: f64,
    /// Decay the weights directly (as AdamW). Default false.
    pub decoupled_weight_decay: bool,
    /// Ascend instead of descend. Default false.
    pub maximize: bool,
}

impl Default for RAdamConfig {
    fn default() -> Self {
        RAdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

/// State of [`RAdam`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RAdamState<T: Element> {
    /// m: running average of gradients.
    pub exp_avg: Vec<ArrayD<T>>,
    /// v: running average of squared gradients.
    pub exp_avg_sq: Vec<ArrayD<T>>,
}

/// RAdam: see the [module docs](self).
pub type RAdam<T> = Optim<RAdamConfig, T>;

impl<T: Element> Rule<T> for RAdamConfig {
    const NAME: &'static str = "RAdam";
    rule_common!(RAdamState { exp_avg, exp_avg_sq });

    fn validate(&self) -> Result<()> {
        let op = <Self as Rule<T>>::NAME;
        check_betas_eps(op, self.betas, self.eps)?;
        check_non_negative(op, "weight_decay", self.weight_decay)
    }

    fn init(&self, params: &[&mut ArrayD<T>]) -> RAdamState<T> {
        RAdamState { exp_avg: buffers_like(params, 0.0), exp_avg_sq: buffers_like(params, 0.0) }
    }

    fn update(&self, state: &mut RAdamState<T>, t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) {
        if self.decoupled_weight_decay {
            decay_parameters(params, self.lr, self.weight_decay);
        }
        let transform = GradTransform::new(self.maximize, self.weight_decay, self.decoupled_weight_decay);
        let (beta1, beta2) = self.betas;
        let step = t as f64;
        let bias_correction1 = bias_correction(beta1, t);
        let bias_correction2 = bias_correction(beta2, t);
        let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        let rho_t = rho_inf - 2.0 * step * beta2.powf(step) / bias_correction2;
        // Some(r_t) once the variance of the adaptive rate is tractable.
        let rect = (rho_t > 5.0)
            .then(|| ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)).powf(0.5));
        let (one_minus_beta1, beta2, one_minus_beta2) = (T::of(1.0 - beta1), T::of(beta2), T::of(1.0 - beta2));
        let (lr, eps, bias_correction1) = (T::of(self.lr), T::of(self.eps), T::of(bias_correction1));
        let bias_correction2_sqrt = T::of(bias_correction2.powf(0.5));
        let rect = rect.map(T::of);
        update_with_two_buffers(params, grads, &mut state.exp_avg, &mut state.exp_avg_sq, |p, g, m, v| {
            let g = transform.apply(g, *p);
            *m = lerp(*m, g, one_minus_beta1);
            *v = *v * beta2 + one_minus_beta2 * g * g;
            let bias_corrected_exp_avg = *m / bias_correction1;
            *p -= match rect {
                Some(rect) => {
                    let adaptive_lr = bias_correction2_sqrt / (v.sqrt() + eps);
                    bias_corrected_exp_avg * lr * adaptive_lr * rect
                }
                None => bias_corrected_exp_avg * lr,
            };
        });
    }
}
