//! Adamax: Adam with the infinity norm (Kingma & Ba, section 7.1, Algorithm 2).
//!
//! # Algorithm (torch.optim.Adamax)
//!
//! ```text
//! input:  γ (lr), β1, β2 (betas), θ0 (params), f(θ) (objective),
//!         λ (weight_decay), ε (eps), maximize
//! initialize: m0 ← 0 (exp_avg), u0 ← 0 (exp_inf)
//! for t = 1, 2, ... do
//!     g_t ← ∇f(θ_{t-1})                 (−∇f if maximize)
//!     if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
//!     m_t ← β1 m_{t-1} + (1 − β1) g_t
//!     u_t ← max(β2 u_{t-1}, |g_t| + ε)
//!     θ_t ← θ_{t-1} − γ / (1 − β1^t) · m_t / u_t
//! return θ_t
//! ```
//!
//! The paper has `u_t = max(β2 u_{t-1}, |g_t|)` with no ε; torch adds ε inside
//! the max so that `u` is never 0. `u` needs no bias correction: a max is not
//! biased towards its zero start the way an average is.
//!
//! # References
//! - D. P. Kingma, J. Ba, "Adam: A Method for Stochastic Optimization", ICLR
//!   2015, section 7.1, <https://arxiv.org/abs/1412.6980>.

use super::adam::check_betas_eps;
use super::common::{bias_correction, buffers_like, check_non_negative, lerp, update_with_two_buffers, GradTransform};
use super::rule::{Optim, Rule};
use crate::{Element, Result};
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`Adamax`], named and defaulted as in torch.optim.Adamax.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdamaxConfig {
    /// γ: the learning rate. Default 2e-3.
    pub lr: f64,
    /// (β1, β2). Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// ε: inside the max. Default 1e-8.
    pub eps: f64,
    /// λ: L2 penalty added to the gradient. Default 0.
    pub weight_decay: f64,
    /// Ascend instead of descend. Default false.
    pub maximize: bool,
}

impl Default for AdamaxConfig {
    fn default() -> Self {
        AdamaxConfig { lr: 2e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, maximize: false }
    }
}

/// State of [`Adamax`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdamaxState<T: Element> {
    /// m: running average of gradients.
    pub exp_avg: Vec<ArrayD<T>>,
    /// u: exponentially weighted infinity norm of the gradients.
    pub exp_inf: Vec<ArrayD<T>>,
}

/// Adamax: see the [module docs](self).
pub type Adamax<T> = Optim<AdamaxConfig, T>;

impl<T: Element> Rule<T> for AdamaxConfig {
    const NAME: &'static str = "Adamax";
    rule_common!(AdamaxState { exp_avg, exp_inf });

    fn validate(&self) -> Result<()> {
        let op = <Self as Rule<T>>::NAME;
        check_betas_eps(op, self.betas, self.eps)?;
        check_non_negative(op, "weight_decay", self.weight_decay)
    }

    fn init(&self, params: &[&mut ArrayD<T>]) -> AdamaxState<T> {
        AdamaxState { exp_avg: buffers_like(params, 0.0), exp_inf: buffers_like(params, 0.0) }
    }

    fn update(&self, state: &mut AdamaxState<T>, t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) {
        let transform = GradTransform::new(self.maximize, self.weight_decay, false);
        let (beta1, beta2) = self.betas;
        let clr = self.lr / bias_correction(beta1, t);
        let (neg_clr, one_minus_beta1, beta2, eps) = (T::of(-clr), T::of(1.0 - beta1), T::of(beta2), T::of(self.eps));
        update_with_two_buffers(params, grads, &mut state.exp_avg, &mut state.exp_inf, |p, g, m, u| {
            let g = transform.apply(g, *p);
            *m = lerp(*m, g, one_minus_beta1);
            *u = (*u * beta2).max(g.abs() + eps);
            *p += neg_clr * *m / *u;
        });
    }
}
