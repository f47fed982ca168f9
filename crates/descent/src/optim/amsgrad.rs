//! AMSGrad (Reddi et al.): Adam whose second-moment estimate never decreases,
//! so its effective step `α / sqrt(v̂_t)` never increases. A configuration of
//! [`Adam`](super::Adam), in two flavours that differ in the bias correction.
//!
//! # Algorithm 2 of Reddi et al. (`AmsgradFlavour::Reddi`)
//!
//! ```text
//! input:  x1 (params), step sizes α_t (lr, with a schedule such as α/sqrt(t)),
//!         β1, β2 (betas)
//! initialize: m0 ← 0 (exp_avg), v0 ← 0 (exp_avg_sq), v̂0 ← 0 (max_exp_avg_sq)
//! for t = 1, 2, ... do
//!     g_t ← ∇f_t(x_t)
//!     m_t ← β1 m_{t-1} + (1 − β1) g_t
//!     v_t ← β2 v_{t-1} + (1 − β2) g_t²
//!     v̂_t ← max(v̂_{t-1}, v_t)
//!     x_{t+1} ← x_t − α_t m_t / (sqrt(v̂_t) + ε)      (no bias correction)
//! return x
//! ```
//! The paper has no ε (and allows a decaying `β1t`; its experiments keep β1
//! constant, as here). descent keeps `ε > 0` so that a zero gradient history
//! is not 0/0; set it as small as you like. The paper's projection `Π_F` onto
//! the feasible set is the caller's (the counterexample clips `x` to [−1, 1]).
//!
//! # torch's `amsgrad=True` (`AmsgradFlavour::Torch`)
//! The maximum is taken of the raw `v_t`, then divided by `1 − β2^t`, and `m`
//! is bias-corrected as in Adam: `denom = sqrt(v̂_t) / sqrt(1 − β2^t) + ε`.
//! Because `1 − β2^t` grows with t, torch's effective step
//! `γ / (1 − β1^t) / denom` can still increase; Reddi's cannot (tested).
//!
//! # References
//! - S. J. Reddi, S. Kale, S. Kumar, "On the Convergence of Adam and Beyond",
//!   ICLR 2018, <https://arxiv.org/abs/1904.09237>.

use super::AdamConfig;
use serde::{Deserialize, Serialize};

/// Which AMSGrad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmsgradFlavour {
    /// torch.optim.Adam(amsgrad=True): max of raw `v`, then bias correction.
    Torch,
    /// Reddi et al.'s Algorithm 2: max of `v`, no bias correction.
    Reddi,
}

/// Adam's defaults with AMSGrad in the chosen flavour.
pub fn amsgrad(flavour: AmsgradFlavour) -> AdamConfig {
    AdamConfig { amsgrad: true, bias_correction: flavour == AmsgradFlavour::Torch, ..AdamConfig::default() }
}
