//! Momentum and Nesterov in the seeds' conventions, as configurations of
//! [`Sgd`](super::Sgd) (the update and its proofs live in `sgd.rs`).
//!
//! # EMA momentum (seeds 000 and 002)
//! ```text
//! input: η (lr), β (momentum, usually 0.9)
//! initialize: v0 ← 0 (momentum_buffer)
//! for t = 1, 2, ... do
//!     v_t ← β v_{t-1} + (1 − β) ∇J(θ_{t-1})
//!     θ_t ← θ_{t-1} − η v_t
//! ```
//! # Heavy ball (seed 004)
//! ```text
//! input: η (lr), μ (momentum)
//! initialize: Δw0 ← 0 (momentum_buffer)
//! for τ = 1, 2, ... do
//!     Δw_τ ← −η ∇E(w_{τ-1}) + μ Δw_{τ-1}
//!     w_τ ← w_{τ-1} + Δw_τ
//! ```
//! On a constant gradient `Δw → −η g / (1 − μ)`: the effective learning rate
//! is `η / (1 − μ)` (10 η for μ = 0.9). The EMA form's is `η`: the two are one
//! algorithm with `η_heavy = η_ema (1 − β)`.
//!
//! # Nesterov, look-ahead form (seed 004)
//! ```text
//!     Δw_τ ← −η ∇E(w_{τ-1} + μ Δw_{τ-1}) + μ Δw_{τ-1}
//!     w_τ ← w_{τ-1} + Δw_τ
//! ```
//! The gradient is taken at the look-ahead point
//! [`gradient_point`](super::Optimizer::gradient_point); torch's
//! `nesterov=True` is the same method tracking `w + μ Δw` instead of `w`.

use super::{MomentumForm, SgdConfig};

/// Seeds 000/002: `v ← β v + (1 − β) g`, `θ ← θ − η v`.
pub fn momentum_ema(lr: f64, beta: f64) -> SgdConfig {
    SgdConfig { lr, momentum: beta, momentum_form: MomentumForm::Ema, ..SgdConfig::default() }
}

/// Seed 004: `Δw ← −η g + μ Δw`, `w ← w + Δw`.
pub fn heavy_ball(lr: f64, mu: f64) -> SgdConfig {
    SgdConfig { lr, momentum: mu, momentum_form: MomentumForm::HeavyBall, ..SgdConfig::default() }
}

/// Seed 004's Nesterov: heavy ball with the gradient at `w + μ Δw`.
pub fn nesterov_lookahead(lr: f64, mu: f64) -> SgdConfig {
    SgdConfig { nesterov: true, ..heavy_ball(lr, mu) }
}
