//! AdamW: Adam with decoupled weight decay (Loshchilov & Hutter). A
//! configuration of [`Adam`](super::Adam), not new code.
//!
//! # Algorithm (torch.optim.AdamW)
//!
//! ```text
//! input:  γ (lr), β1, β2 (betas), ε (eps), λ (weight_decay, default 1e-2)
//! for t = 1, 2, ... do
//!     θ_{t-1} ← θ_{t-1} (1 − γ λ)          (decay the weights, not the gradient)
//!     ... the Adam update of [`adam`](super::Adam) with g_t = ∇f(θ_{t-1}) ...
//! return θ_t
//! ```
//!
//! With L2 regularisation inside Adam (`weight_decay` without decoupling) the
//! penalty's gradient `λθ` is divided by `sqrt(v̂)` like any other gradient, so
//! weights with large gradients are barely decayed; decoupling applies the same
//! relative decay to every weight. Note torch multiplies λ by the *current* lr,
//! so a schedule scales the decay too (the paper schedules it separately with
//! `η_t`).
//!
//! # References
//! - I. Loshchilov, F. Hutter, "Decoupled Weight Decay Regularization", ICLR
//!   2019, <https://arxiv.org/abs/1711.05101>.

use super::AdamConfig;

/// torch.optim.AdamW's defaults: Adam with `decoupled_weight_decay` and
/// `weight_decay = 1e-2`. Override fields with struct update syntax:
/// `AdamConfig { lr: 3e-4, ..adamw() }`.
pub fn adamw() -> AdamConfig {
    AdamConfig { weight_decay: 1e-2, decoupled_weight_decay: true, ..AdamConfig::default() }
}
