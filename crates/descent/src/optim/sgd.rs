//! Stochastic gradient descent, with momentum in three conventions and Nesterov
//! in two.
//!
//! Batch, stochastic and mini-batch gradient descent are all this update; they
//! differ in which examples the gradient averages over (the batching of the
//! training loop), not in the optimizer.
//!
//! # Algorithm (torch.optim.SGD, `momentum_form = Torch`)
//!
//! ```text
//! input:  γ (lr), θ0 (params), f(θ) (objective), λ (weight_decay),
//!         μ (momentum), τ (dampening), nesterov, maximize
//! for t = 1, 2, ... do
//!     g_t ← ∇f(θ_{t-1})                  (−∇f if maximize)
//!     if λ ≠ 0:  g_t ← g_t + λ θ_{t-1}
//!     if μ ≠ 0:
//!         if t = 1:  b_t ← g_t             (the first-step rule: no dampening)
//!         else:      b_t ← μ b_{t-1} + (1 − τ) g_t
//!         if nesterov:  g_t ← g_t + μ b_t
//!         else:         g_t ← b_t
//!     θ_t ← θ_{t-1} − γ g_t
//! return θ_t
//! ```
//! `b` is the `momentum_buffer`.
//!
//! # The seeds' forms ([`MomentumForm`])
//!
//! - `Ema` (seed 000, seed 002): `v_t = β v_{t-1} + (1 − β) g_t`,
//!   `θ_t = θ_{t-1} − η v_t` with `v_0 = 0`; `β` is `momentum`, `η` is `lr`,
//!   `v` is the `momentum_buffer`.
//! - `HeavyBall` (seed 004, Polyak): `Δw_t = −η g_t + μ Δw_{t-1}`,
//!   `w_t = w_{t-1} + Δw_t`; `Δw` is the `momentum_buffer`. With `nesterov`,
//!   seed 004's look-ahead form: the gradient is taken at `w_{t-1} + μ Δw_{t-1}`
//!   ([`Optimizer::gradient_point`](super::Optimizer::gradient_point) gives that
//!   point; the caller evaluates the gradient there).
//!
//! # Where the forms are the same algorithm
//!
//! - Heavy ball is torch's momentum with `τ = 0`: `b = −Δw / η` satisfies
//!   torch's recursion, including its first step (`b_1 = g_1`). Same `lr`.
//! - EMA momentum with rate `η` is torch's momentum (`τ = 0`) with
//!   `lr = η (1 − β)`: `b = v / (1 − β)`. So the EMA form's effective step
//!   size on a constant gradient is `η`, the heavy ball's is `η / (1 − μ)`
//!   (seed 004's "effective learning rate"). It is *not* torch's
//!   `dampening = β`: torch's first step ignores dampening (`b_1 = g_1`), the
//!   EMA's does not (`v_1 = (1 − β) g_1`).
//! - Seed 004's look-ahead Nesterov is torch's `nesterov = True` after the
//!   change of variables `θ = w + μ Δw` (Sutskever et al. 2013): torch's
//!   parameters are the look-ahead point. The tests prove all three.
//!
//! # References
//! - B. T. Polyak, "Some methods of speeding up the convergence of iteration
//!   methods", 1964.
//! - Y. Nesterov, "A method of solving a convex programming problem with
//!   convergence rate O(1/k^2)", 1983.
//! - I. Sutskever, J. Martens, G. Dahl, G. Hinton, "On the importance of
//!   initialization and momentum in deep learning", ICML 2013.

use super::common::{check_non_negative, check_unit_closed, check_unit_open, update_on_avx512, GradTransform};
use super::rule::{Optim, Rule};
use crate::kernels;
use crate::kernels::momentum::{Form, MomentumF32};
use crate::{Element, Error, Result};
use ndarray::{ArrayD, Zip};
use serde::{Deserialize, Serialize};

/// Which convention `momentum` follows. Each is a typed choice on one update,
/// not a copy of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MomentumForm {
    /// torch.optim.SGD: `b ← μ b + (1 − τ) g` (`b_1 = g_1`), `θ ← θ − γ b`.
    #[default]
    Torch,
    /// Seeds 000/002: `v ← β v + (1 − β) g`, `θ ← θ − η v`.
    Ema,
    /// Seed 004 (Polyak's heavy ball): `Δw ← −η g + μ Δw`, `w ← w + Δw`;
    /// with `nesterov`, the gradient is taken at the look-ahead point.
    HeavyBall,
}

/// Hyperparameters of [`Sgd`], named and defaulted as in torch.optim.SGD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SgdConfig {
    /// γ (η in the seeds): the learning rate. Default 1e-3.
    pub lr: f64,
    /// μ (β in the EMA form). Default 0 (plain gradient descent).
    pub momentum: f64,
    /// τ: the share of the gradient withheld from the buffer. Default 0.
    pub dampening: f64,
    /// λ: L2 penalty added to the gradient. Default 0.
    pub weight_decay: f64,
    /// Nesterov momentum (torch's form, or the look-ahead form with
    /// `HeavyBall`). Default false.
    pub nesterov: bool,
    /// Ascend instead of descend. Default false.
    pub maximize: bool,
    /// The convention `momentum` follows. Default torch's.
    pub momentum_form: MomentumForm,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
            momentum_form: MomentumForm::Torch,
        }
    }
}

/// State of [`Sgd`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct SgdState<T: Element> {
    /// `b` (torch), `v` (EMA) or `Δw` (heavy ball); empty without momentum.
    pub momentum_buffer: Vec<ArrayD<T>>,
}

/// Gradient descent with optional momentum: see the [module docs](self).
pub type Sgd<T> = Optim<SgdConfig, T>;

impl<T: Element> Rule<T> for SgdConfig {
    const NAME: &'static str = "SGD";
    rule_common!(SgdState { momentum_buffer if |c: &Self| c.momentum != 0.0 });

    fn validate(&self) -> Result<()> {
        let op = <Self as Rule<T>>::NAME;
        check_non_negative(op, "weight_decay", self.weight_decay)?;
        check_unit_closed(op, "dampening", self.dampening)?;
        match self.momentum_form {
            MomentumForm::Ema => check_unit_open(op, "momentum", self.momentum)?,
            _ => check_non_negative(op, "momentum", self.momentum)?,
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return Err(Error::invalid(op, "nesterov", "Nesterov momentum requires momentum > 0 and dampening = 0"));
        }
        if self.momentum_form != MomentumForm::Torch && self.dampening != 0.0 {
            return Err(Error::invalid(op, "dampening", "dampening exists only in torch's momentum form"));
        }
        if self.momentum_form == MomentumForm::Ema && self.nesterov {
            return Err(Error::invalid(
                op,
                "nesterov",
                "the seeds define Nesterov in the heavy-ball form only; use momentum_form Torch or HeavyBall",
            ));
        }
        Ok(())
    }

    fn init(&self, params: &[&mut ArrayD<T>]) -> SgdState<T> {
        let momentum_buffer = if self.momentum != 0.0 { super::common::buffers_like(params, 0.0) } else { Vec::new() };
        SgdState { momentum_buffer }
    }

    fn update(&self, state: &mut SgdState<T>, t: u64, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) {
        let transform = GradTransform::new(self.maximize, self.weight_decay, false);
        let (lr, mu) = (T::of(self.lr), T::of(self.momentum));
        let neg_lr = -lr;
        if self.momentum == 0.0 {
            for (p, g) in params.iter_mut().zip(grads) {
                Zip::from(&mut **p).and(g).for_each(|p, &g| *p = *p + neg_lr * transform.apply(g, *p));
            }
            return;
        }
        let one_minus_beta = T::one() - mu;
        // torch's recursion as b ← decay b + keep g; the first step's rule b_1 = g_1 is
        // decay = 0, keep = 1 (exact: the buffer starts at 0). Branch-free, so it vectorises.
        let (decay, keep) = if t == 1 { (T::zero(), T::one()) } else { (mu, T::of(1.0 - self.dampening)) };
        // direction = g + μ b (nesterov) or b, as `along_g g + along_b b` (exact: 0 g + 1 b = b).
        let (along_g, along_b) = if self.nesterov { (T::one(), mu) } else { (T::zero(), T::one()) };
        // AVX-512's copy of the step (`kernels::momentum`), where it applies.
        let f = |x: T| x.as_f64() as f32;
        let k = MomentumF32 {
            form: match self.momentum_form {
                MomentumForm::Torch => Form::Torch,
                MomentumForm::Ema => Form::Ema,
                MomentumForm::HeavyBall => Form::HeavyBall,
            },
            gradient: transform.in_f32(),
            decay: f(decay),
            keep: f(keep),
            along_g: f(along_g),
            along_b: f(along_b),
            mu: f(mu),
            one_minus_mu: f(one_minus_beta),
            lr: f(lr),
            neg_lr: f(neg_lr),
        };
        let fast = |p: &mut [f32], g: &[f32], [b]: [&mut [f32]; 1]| kernels::momentum::update(&k, p, g, b);
        if update_on_avx512(params, grads, [&mut state.momentum_buffer[..]], fast) {
            return;
        }
        for ((p, g), buf) in params.iter_mut().zip(grads).zip(&mut state.momentum_buffer) {
            let zip = Zip::from(&mut **p).and(g).and(buf);
            match (self.momentum_form, self.nesterov) {
                (MomentumForm::Torch, _) => zip.for_each(|p, &g, b| {
                    let g = transform.apply(g, *p);
                    *b = *b * decay + keep * g;
                    *p += neg_lr * (along_g * g + along_b * *b);
                }),
                (MomentumForm::Ema, _) => zip.for_each(|p, &g, v| {
                    *v = mu * *v + one_minus_beta * transform.apply(g, *p);
                    *p -= lr * *v;
                }),
                // The look-ahead form differs only in where the caller took the gradient.
                (MomentumForm::HeavyBall, _) => zip.for_each(|p, &g, dw| {
                    *dw = neg_lr * transform.apply(g, *p) + mu * *dw;
                    *p += *dw;
                }),
            }
        }
    }

    fn gradient_point(&self, state: Option<&SgdState<T>>, params: &[&ArrayD<T>]) -> Option<Vec<ArrayD<T>>> {
        if !(self.nesterov && self.momentum_form == MomentumForm::HeavyBall) {
            return None;
        }
        let mu = T::of(self.momentum);
        Some(match state {
            // Before the first step Δw = 0: the look-ahead point is w itself.
            None => params.iter().map(|p| (*p).clone()).collect(),
            Some(s) => params.iter().zip(&s.momentum_buffer).map(|(p, dw)| *p + &(dw * mu)).collect(),
        })
    }
}
