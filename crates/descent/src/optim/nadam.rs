//! NAdam: Adam with Nesterov momentum (Dozat), in torch's form with the
//! momentum-decay schedule `μ_t`.
//!
//! # Algorithm (torch.optim.NAdam)
//!
//! ```text
//! input:  γ (lr), β1, β2 (betas), θ0 (params), f(θ) (objective),
//!         λ (weight_decay), ψ (momentum_decay), ε (eps), decoupled_weight_decay
//! initialize: m0 ← 0 (exp_avg), v0 ← 0 (exp_avg_sq), Π0 ← 1 (mu_product)
//! for t = 1, 2, ... do
//!     g_t ← ∇f(θ_{t-1})                       (−∇f if maximize)
//!     if λ ≠ 0:
//!         if decoupled:  θ_{t-1} ← θ_{t-1} (1 − γ λ)
//!         else:          g_t ← g_t + λ θ_{t-1}
//!     μ_t ← β1 (1 − ½ · 0.96^(t ψ))
//!     μ_{t+1} ← β1 (1 − ½ · 0.96^((t+1) ψ))
//!     Π_t ← Π_{t-1} μ_t
//!     m_t ← β1 m_{t-1} + (1 − β1) g_t
//!     v_t ← β2 v_{t-1} + (1 − β2) g_t²
//!     denom ← sqrt(v_t / (1 − β2^t)) + ε
//!     θ_t ← θ_{t-1} − γ (1 − μ_t) / (1 − Π_t) · g_t / denom
//!                   − γ μ_{t+1} / (1 − Π_t μ_{t+1}) · m_t / denom
//! return θ_t
//! ```
//!
//! The first term is the current gradient, the second the momentum looked
//! ahead one step (Nesterov): that is Dozat's idea. The warming schedule
//! `μ_t` (ψ = 0.004) follows Dozat's paper; torch keeps `Π_t` per parameter
//! as a float tensor of the default dtype, descent keeps one `f64`.
//!
//! # References
//! - T. Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016
//!   workshop, <https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ>.

use super::adam::check_betas_eps;
use super::common::{buffers_like, check_non_negative, decay_parameters, lerp, update_with_two_buffers, GradTransform};
use super::rule::{Optim, Rule};
use crate::{Element, Result};
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`NAdam`], named and defaulted as in torch.optim.NAdam.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NAdamConfig {
    /// γ: the learning rate. Default 2e-3.
    pub lr: f64,
    /// (β1, β2). Default (0.9, 0.999).
    pub betas: (f64, f64),
    /// ε: added to the root. Default 1e-8.
    pub eps: f64,
    /// λ: weight decay. Default 0.
    pub weight_decay: f64,
    /// ψ: speed of the momentum warm-up. Default 4e-3.
    pub momentum_decay: f64,
    /// Decay the weights directly (as AdamW). Default false.
    pub decoupled_weight_decay: bool,
    /// Ascend instead of descend. Default false.
    pub maximize: bool,
}

impl Default for NAdamConfig {
    fn default() -> Self {
        NAdamConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

/// State of [`NAdam`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct NAdamState<T: Element> {
    /// m: running average of gradients.
    pub exp_avg: Vec<ArrayD<T>>,
    /// v: running average of squared gradients.
    pub exp_avg_sq: Vec<ArrayD<T>>,
    /// Π_t: product of the momentum coefficients μ_1 ... μ_t.
    pub mu_product: f64,
}

/// NAdam: see the [module docs](self).
pub type NAdam<T> = Optim<NAdamConfig, T>;

impl<T: Element> Rule<T> for NAdamConfig {
    const NAME: &'static str = "NAdam";
    rule_common!(NAdamState { exp_avg, exp_avg_sq });

    fn validate(&self) -> Result<()> {
        let op = <Self as Rule<T>>::NAME;
        check_betas_eps(op, self.betas, self.eps)?;
        check_non_negative(op, "weight_decay", self.weight_decay)?;
        check_non_negative(op, "momentum_decay", self.momentum_decay)
    }

    fn init(&self, params: &[&mut ArrayD<T>]) -> NAdamState<T> {
        NAdamState { exp_avg: buffers_like(params, 0.0), exp_avg_sq: buffers_like(params, 0.0), mu_product: 1.0 }
    }

    fn update(&self, state: &mut NAdamState<T>, t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) {
        if self.decoupled_weight_decay {
            decay_parameters(params, self.lr, self.weight_decay);
        }
        let transform = GradTransform::new(self.maximize, self.weight_decay, self.decoupled_weight_decay);
        let (beta1, beta2) = self.betas;
        let step = t as f64;
        let bias_correction2 = super::common::bias_correction(beta2, t);
        let mu = beta1 * (1.0 - 0.5 * 0.96_f64.powf(step * self.momentum_decay));
        let mu_next = beta1 * (1.0 - 0.5 * 0.96_f64.powf((step + 1.0) * self.momentum_decay));
        state.mu_product *= mu;
        let mu_product_next = state.mu_product * mu_next;
        let grad_coefficient = T::of(-self.lr * (1.0 - mu) / (1.0 - state.mu_product));
        let exp_avg_coefficient = T::of((-self.lr * mu_next) / (1.0 - mu_product_next));
        let (one_minus_beta1, beta2, one_minus_beta2, bias_correction2, eps) =
            (T::of(1.0 - beta1), T::of(beta2), T::of(1.0 - beta2), T::of(bias_correction2), T::of(self.eps));
        update_with_two_buffers(params, grads, &mut state.exp_avg, &mut state.exp_avg_sq, |p, g, m, v| {
            let g = transform.apply(g, *p);
            *m = lerp(*m, g, one_minus_beta1);
            *v = *v * beta2 + one_minus_beta2 * g * g;
            let denom = (*v / bias_correction2).sqrt() + eps;
            *p += grad_coefficient * g / denom;
            *p += exp_avg_coefficient * *m / denom;
        });
    }
}
