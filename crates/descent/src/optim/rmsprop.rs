//! RMSprop (Hinton's lecture 6e): divide the gradient by a running root mean
//! square of recent gradients.
//!
//! # Algorithm (torch.optim.RMSprop)
//!
//! ```text
//! input:  α (alpha), γ (lr), θ0 (params), f(θ) (objective), λ (weight_decay),
//!         μ (momentum), ε (eps), centered, maximize
//! initialize: v0 ← 0 (square_avg), b0 ← 0 (momentum_buffer), g0^ave ← 0 (grad_avg)
//! for t = 1, 2, ... do
//!     g_t ← ∇f(θ_{t-1})                  (−∇f if maximize)
//!     if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
//!     v_t ← α v_{t-1} + (1 − α) g_t²
//!     ṽ_t ← v_t
//!     if centered:
//!         g_t^ave ← α g_{t-1}^ave + (1 − α) g_t
//!         ṽ_t ← ṽ_t − (g_t^ave)²
//!     denom ← sqrt(ṽ_t) + ε              (eps_placement = OutsideRoot)
//!           | sqrt(ṽ_t + ε)              (eps_placement = InsideRoot, seed 000)
//!     if μ > 0:
//!         b_t ← μ b_{t-1} + g_t / denom
//!         θ_t ← θ_{t-1} − γ b_t
//!     else:
//!         θ_t ← θ_{t-1} − γ g_t / denom
//! return θ_t
//! ```
//!
//! Seed 000 writes `θ ← θ − η / sqrt(E[g²] + ε) · g` with α = 0.9: ε inside
//! the root ([`EpsPlacement::InsideRoot`]); torch and Hinton's slides put it
//! outside. RMSprop with `α = β2` is Adam with `β1 = 0` and no bias
//! correction (tested). "Centered" normalises by an estimate of the variance
//! instead of the raw second moment (Graves 2013).
//!
//! # References
//! - G. Hinton, N. Srivastava, K. Swersky, "Neural Networks for Machine
//!   Learning", lecture 6e, 2012.
//! - A. Graves, "Generating Sequences With Recurrent Neural Networks", 2013,
//!   <https://arxiv.org/abs/1308.0850>.

use super::common::{
    buffers_like, check_non_negative, check_positive, check_unit_closed, lerp, EpsPlacement, GradTransform,
};
use super::rule::{Optim, Rule};
use crate::{Element, Result};
use ndarray::{ArrayD, Zip};
use serde::{Deserialize, Serialize};

/// Hyperparameters of [`RmsProp`], named and defaulted as in torch.optim.RMSprop.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RmsPropConfig {
    /// γ: the learning rate. Default 1e-2.
    pub lr: f64,
    /// α: decay rate of the running averages. Default 0.99 (seed 000: 0.9).
    pub alpha: f64,
    /// ε: added to the root, or inside it. Default 1e-8.
    pub eps: f64,
    /// λ: L2 penalty added to the gradient. Default 0.
    pub weight_decay: f64,
    /// μ: momentum on the normalised gradient. Default 0.
    pub momentum: f64,
    /// Normalise by the estimated variance instead of the second moment.
    /// Default false.
    pub centered: bool,
    /// Ascend instead of descend. Default false.
    pub maximize: bool,
    /// ε outside the root (torch) or inside (seed 000). Default outside.
    pub eps_placement: EpsPlacement,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 1e-2,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
            eps_placement: EpsPlacement::OutsideRoot,
        }
    }
}

/// State of [`RmsProp`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct RmsPropState<T: Element> {
    /// v: running average of squared gradients.
    pub square_avg: Vec<ArrayD<T>>,
    /// g^ave: running average of gradients (centered only; empty otherwise).
    pub grad_avg: Vec<ArrayD<T>>,
    /// b: momentum of the normalised gradient (momentum > 0 only).
    pub momentum_buffer: Vec<ArrayD<T>>,
}

/// RMSprop: see the [module docs](self).
pub type RmsProp<T> = Optim<RmsPropConfig, T>;

impl<T: Element> Rule<T> for RmsPropConfig {
    const NAME: &'static str = "RMSprop";
    rule_common!(RmsPropState { square_avg, grad_avg if |c: &Self| c.centered, momentum_buffer if |c: &Self| c.momentum > 0.0 });

    fn validate(&self) -> Result<()> {
        let op = <Self as Rule<T>>::NAME;
        check_unit_closed(op, "alpha", self.alpha)?;
        check_positive(op, "eps", self.eps)?;
        check_non_negative(op, "weight_decay", self.weight_decay)?;
        check_non_negative(op, "momentum", self.momentum)
    }

    fn init(&self, params: &[&mut ArrayD<T>]) -> RmsPropState<T> {
        let optional = |on: bool| if on { buffers_like(params, 0.0) } else { Vec::new() };
        RmsPropState {
            square_avg: buffers_like(params, 0.0),
            grad_avg: optional(self.centered),
            momentum_buffer: optional(self.momentum > 0.0),
        }
    }

    fn update(&self, state: &mut RmsPropState<T>, _t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) {
        let transform = GradTransform::new(self.maximize, self.weight_decay, false);
        let (neg_lr, alpha, one_minus_alpha, eps, momentum) =
            (T::of(-self.lr), T::of(self.alpha), T::of(1.0 - self.alpha), T::of(self.eps), T::of(self.momentum));
        let placement = self.eps_placement;
        // One element's update; `grad_avg` and `buf` are present when centered / with momentum.
        let step = |p: &mut T, g: T, square_avg: &mut T, grad_avg: Option<&mut T>, buf: Option<&mut T>| {
            let g = transform.apply(g, *p);
            *square_avg = *square_avg * alpha + one_minus_alpha * g * g;
            let variance = match grad_avg {
                Some(grad_avg) => {
                    *grad_avg = lerp(*grad_avg, g, one_minus_alpha);
                    *square_avg + -*grad_avg * *grad_avg
                }
                None => *square_avg,
            };
            let avg = placement.denom(variance, eps);
            match buf {
                Some(buf) => {
                    *buf = *buf * momentum + g / avg;
                    *p += neg_lr * *buf;
                }
                None => *p += neg_lr * g / avg,
            }
        };
        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            let zip = Zip::from(&mut **p).and(g).and(&mut state.square_avg[i]);
            match (self.centered, self.momentum > 0.0) {
                (true, true) => zip
                    .and(&mut state.grad_avg[i])
                    .and(&mut state.momentum_buffer[i])
                    .for_each(|p, &g, v, a, b| step(p, g, v, Some(a), Some(b))),
                (true, false) => zip.and(&mut state.grad_avg[i]).for_each(|p, &g, v, a| step(p, g, v, Some(a), None)),
                (false, true) => {
                    zip.and(&mut state.momentum_buffer[i]).for_each(|p, &g, v, b| step(p, g, v, None, Some(b)))
                }
                (false, false) => zip.for_each(|p, &g, v| step(p, g, v, None, None)),
            }
        }
    }
}
