//! Adadelta (Zeiler): RMSprop whose step size is the root mean square of past
//! updates, so that the update has the units of the parameter.
//!
//! # Algorithm (torch.optim.Adadelta)
//!
//! ```text
//! input:  γ (lr, a multiplier; 1 in the paper), θ0 (params), f(θ) (objective),
//!         ρ (rho), ε (eps), λ (weight_decay), maximize
//! initialize: v0 ← 0 (square_avg), u0 ← u_init (acc_delta; 0 in torch)
//! for t = 1, 2, ... do
//!     g_t ← ∇f(θ_{t-1})                  (−∇f if maximize)
//!     if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
//!     v_t ← ρ v_{t-1} + (1 − ρ) g_t²                   E[g²]_t
//!     Δx_t ← sqrt(u_{t-1} + ε) / sqrt(v_t + ε) · g_t   RMS[Δx]_{t-1} / RMS[g]_t · g_t
//!     u_t ← ρ u_{t-1} + (1 − ρ) Δx_t²                  E[Δx²]_t
//!     θ_t ← θ_{t-1} − γ Δx_t
//! return θ_t
//! ```
//!
//! # torch, the paper and the seeds
//! - Zeiler's Algorithm 1 has no learning rate (γ = 1) and uses ρ = 0.95,
//!   ε = 1e-6 ([`AdadeltaConfig::zeiler`]); torch defaults to ρ = 0.9 and lets
//!   γ scale the update. With γ ≠ 1 torch still accumulates the *unscaled*
//!   Δx in `acc_delta`, so it is not the paper's method run on γ-scaled
//!   steps. Seed 000 writes the same update as the paper.
//! - ε sits inside both roots. At the start `u = 0`, so the first steps are
//!   `sqrt(ε) / RMS[g]`: ε acts as the initial learning rate (seed 002's
//!   remark), which is why Adadelta is sensitive to it. `initial_acc_delta`
//!   (u0, not in torch; 0 by default) sets the initial accumulated update
//!   instead, the other knob of seed 002's remark: the first step becomes
//!   `sqrt(u0 + ε) / RMS[g]`.
//!
//! # References
//! - M. D. Zeiler, "ADADELTA: An Adaptive Learning Rate Method", 2012,
//!   <https://arxiv.org/abs/1212.5701>.

use super::common::{
    buffers_like, check_non_negative, check_positive, check_unit_closed, update_on_avx512, update_with_two_buffers,
    GradTransform,
};
use super::rule::{Optim, Rule};
use crate::kernels;
use crate::kernels::adadelta::AdadeltaF32;
use crate::{Element, Result};
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`Adadelta`], named and defaulted as in torch.optim.Adadelta.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdadeltaConfig {
    /// γ: multiplier of the update. Default 1.0 (the paper has none).
    pub lr: f64,
    /// ρ: decay rate of both running averages. Default 0.9 (paper: 0.95).
    pub rho: f64,
    /// ε: inside both roots; the initial step size. Default 1e-6.
    pub eps: f64,
    /// λ: L2 penalty added to the gradient. Default 0.
    pub weight_decay: f64,
    /// Ascend instead of descend. Default false.
    pub maximize: bool,
    /// u0: initial value of the accumulated squared update E\[Δx²\]. Default 0
    /// (torch and the paper); not a torch option.
    pub initial_acc_delta: f64,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        AdadeltaConfig { lr: 1.0, rho: 0.9, eps: 1e-6, weight_decay: 0.0, maximize: false, initial_acc_delta: 0.0 }
    }
}

impl AdadeltaConfig {
    /// Zeiler's Algorithm 1 as in the paper's experiments: no learning rate
    /// (γ = 1), ρ = 0.95, ε = 1e-6.
    pub fn zeiler() -> Self {
        AdadeltaConfig { rho: 0.95, ..AdadeltaConfig::default() }
    }
}

/// State of [`Adadelta`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdadeltaState<T: Element> {
    /// E\[g²\]: running average of squared gradients.
    pub square_avg: Vec<ArrayD<T>>,
    /// E\[Δx²\]: running average of squared (unscaled) updates.
    pub acc_delta: Vec<ArrayD<T>>,
}

/// Adadelta: see the [module docs](self).
pub type Adadelta<T> = Optim<AdadeltaConfig, T>;

impl<T: Element> Rule<T> for AdadeltaConfig {
    const NAME: &'static str = "Adadelta";
    rule_common!(AdadeltaState { square_avg, acc_delta });

    fn validate(&self) -> Result<()> {
        let op = <Self as Rule<T>>::NAME;
        check_unit_closed(op, "rho", self.rho)?;
        check_positive(op, "eps", self.eps)?;
        check_non_negative(op, "weight_decay", self.weight_decay)?;
        check_non_negative(op, "initial_acc_delta", self.initial_acc_delta)
    }

    fn init(&self, params: &[&mut ArrayD<T>]) -> AdadeltaState<T> {
        AdadeltaState { square_avg: buffers_like(params, 0.0), acc_delta: buffers_like(params, self.initial_acc_delta) }
    }

    fn update(&self, state: &mut AdadeltaState<T>, _t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) {
        let transform = GradTransform::new(self.maximize, self.weight_decay, false);
        let (neg_lr, rho, one_minus_rho, eps) =
            (T::of(-self.lr), T::of(self.rho), T::of(1.0 - self.rho), T::of(self.eps));
        // AVX-512's copy of the step (`kernels::adadelta`), where it applies.
        let f = |x: T| x.as_f64() as f32;
        let k = AdadeltaF32 {
            gradient: transform.in_f32(),
            rho: f(rho),
            one_minus_rho: f(one_minus_rho),
            eps: f(eps),
            neg_lr: f(neg_lr),
        };
        let fast = |p: &mut [f32], g: &[f32], [s, a]: [&mut [f32]; 2]| kernels::adadelta::update(&k, p, g, s, a);
        if update_on_avx512(params, grads, [&mut state.square_avg[..], &mut state.acc_delta[..]], fast) {
            return;
        }
        let (square_avg, acc_delta) = (&mut state.square_avg, &mut state.acc_delta);
        update_with_two_buffers(params, grads, square_avg, acc_delta, |p, g, square_avg, acc_delta| {
            let g = transform.apply(g, *p);
            *square_avg = *square_avg * rho + one_minus_rho * g * g;
            let std = (*square_avg + eps).sqrt();
            let delta = (*acc_delta + eps).sqrt() / std * g;
            *acc_delta = *acc_delta * rho + one_minus_rho * delta * delta;
            *p += neg_lr * delta;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{Adadelta, AdadeltaConfig};
    use crate::optim::Optimizer;
    use ndarray::ArrayD;

    #[test]
    fn the_initial_accumulated_update_sets_the_first_step() {
        for (u0, g) in [(0.0, 2.0), (1e-2, 2.0), (1.0, -0.5)] {
            let config = AdadeltaConfig { initial_acc_delta: u0, ..AdadeltaConfig::default() };
            let mut opt = Adadelta::<f64>::new(config).unwrap();
            let mut x = ArrayD::from_elem(vec![1], 0.0);
            opt.step(&mut [&mut x], &[ArrayD::from_elem(vec![1], g)]).unwrap();
            let want = -((u0 + 1e-6f64).sqrt() / (0.1 * g * g + 1e-6f64).sqrt() * g);
            assert!((x[[0]] - want).abs() <= 1e-15 * want.abs(), "u0 {u0}: {} vs {want}", x[[0]]);
        }
        let bad = AdadeltaConfig { initial_acc_delta: -1.0, ..AdadeltaConfig::default() };
        assert!(Adadelta::<f64>::new(bad).is_err());
    }
}
