//! Adagrad: per-coordinate step sizes from the sum of all squared gradients
//! (Duchi, Hazan & Singer).
//!
//! # Algorithm (torch.optim.Adagrad)
//!
//! ```text
//! input:  γ (lr), θ0 (params), f(θ) (objective), λ (weight_decay),
//!         τ (initial_accumulator_value), η (lr_decay), ε (eps), maximize
//! initialize: state_sum0 ← τ (sum)
//! for t = 1, 2, ... do
//!     g_t ← ∇f(θ_{t-1})                 (−∇f if maximize)
//!     if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
//!     γ̃ ← γ / (1 + (t − 1) η)
//!     state_sum_t ← state_sum_{t-1} + g_t²
//!     θ_t ← θ_{t-1} − γ̃ g_t / (sqrt(state_sum_t) + ε)
//! return θ_t
//! ```
//!
//! The sum only grows, so every coordinate's step `γ / sqrt(Σ g²)` only
//! shrinks: the "vanishing learning rate" of seeds 000 and 002, which RMSprop
//! and Adadelta fix by replacing the sum with a moving average. Coordinates
//! with rare (sparse) gradients keep large steps: what Adagrad was made for.
//! The paper writes `G_t^{-1/2}` with ε inside or omitted; torch and seed 002
//! add ε outside the root.
//!
//! # References
//! - J. Duchi, E. Hazan, Y. Singer, "Adaptive Subgradient Methods for Online
//!   Learning and Stochastic Optimization", JMLR 12, 2011.

use super::common::{buffers_like, check_non_negative, check_positive, GradTransform};
use super::rule::{Optim, Rule};
use crate::{Element, Result};
use ndarray::{ArrayD, Zip};
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`Adagrad`], named and defaulted as in torch.optim.Adagrad.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdagradConfig {
    /// γ: the learning rate. Default 1e-2.
    pub lr: f64,
    /// η: the step decays as `γ / (1 + (t − 1) η)`. Default 0.
    pub lr_decay: f64,
    /// λ: L2 penalty added to the gradient. Default 0.
    pub weight_decay: f64,
    /// τ: starting value of the sum of squares. Default 0.
    pub initial_accumulator_value: f64,
    /// ε: added to the root. Default 1e-10.
    pub eps: f64,
    /// Ascend instead of descend. Default false.
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 1e-2,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

/// State of [`Adagrad`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct AdagradState<T: Element> {
    /// Σ g²: the sum of squared gradients so far (torch's `sum`).
    pub sum: Vec<ArrayD<T>>,
}

/// Adagrad: see the [module docs](self).
pub type Adagrad<T> = Optim<AdagradConfig, T>;

impl<T: Element> Rule<T> for AdagradConfig {
    const NAME: &'static str = "Adagrad";
    rule_common!(AdagradState { sum });

    fn validate(&self) -> Result<()> {
        let op = <Self as Rule<T>>::NAME;
        check_non_negative(op, "lr_decay", self.lr_decay)?;
        check_non_negative(op, "weight_decay", self.weight_decay)?;
        check_non_negative(op, "initial_accumulator_value", self.initial_accumulator_value)?;
        check_positive(op, "eps", self.eps)
    }

    fn init(&self, params: &[&mut ArrayD<T>]) -> AdagradState<T> {
        AdagradState { sum: buffers_like(params, self.initial_accumulator_value) }
    }

    fn update(&self, state: &mut AdagradState<T>, t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) {
        let transform = GradTransform::new(self.maximize, self.weight_decay, false);
        let clr = self.lr / (1.0 + (t - 1) as f64 * self.lr_decay);
        let (neg_clr, eps) = (T::of(-clr), T::of(self.eps));
        for ((p, g), sum) in params.iter_mut().zip(grads).zip(&mut state.sum) {
            Zip::from(&mut **p).and(g).and(sum).for_each(|p, &g, sum| {
                let g = transform.apply(g, *p);
                *sum += g * g;
                let std = sum.sqrt() + eps;
                *p += neg_clr * g / std;
            });
        }
    }
}
