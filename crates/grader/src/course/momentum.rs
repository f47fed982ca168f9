//! The `momentum` assignment's reference code: torch's SGD with momentum
//! and Nesterov (descent's own [`descent::optim::SgdConfig`]), and the slips
//! a student makes.

use super::{always, Descent, Variant};
use crate::{Hyper, StudentOptimizer};
use descent::optim::{MomentumForm, OptimizerSpec, SgdConfig};

/// torch.optim.SGD for a case's hyperparameters.
pub fn reference(h: &Hyper) -> Box<dyn StudentOptimizer> {
    sgd(h, |_| {})
}

fn sgd(h: &Hyper, change: impl FnOnce(&mut SgdConfig)) -> Box<dyn StudentOptimizer> {
    let mut c = SgdConfig {
        lr: h.lr,
        momentum: h.momentum,
        weight_decay: h.weight_decay,
        nesterov: h.nesterov,
        maximize: h.maximize,
        ..SgdConfig::default()
    };
    change(&mut c);
    Box::new(Descent::new(OptimizerSpec::Sgd(c)).expect("a valid SGD configuration"))
}

/// The slips of SGD with momentum and Nesterov.
pub const SLIPS: &[Variant] = &[
    Variant {
        key: "ema_momentum",
        description: "momentum as an exponential moving average (v ← μv + (1 − μ)g, θ ← θ − ηv)",
        build: |h| sgd(h, |c| c.momentum_form = MomentumForm::Ema),
        // descent defines Nesterov in torch's and the heavy-ball form only.
        applies: |h| h.momentum != 0.0 && !h.nesterov,
    },
    Variant {
        key: "nesterov_missing",
        description: "classical momentum: Nesterov's look-ahead correction is missing",
        build: |h| sgd(h, |c| c.nesterov = false),
        applies: |h| h.nesterov,
    },
    Variant {
        key: "nesterov_unasked",
        description: "Nesterov momentum where classical momentum was asked",
        build: |h| sgd(h, |c| c.nesterov = true),
        applies: |h| !h.nesterov && h.momentum != 0.0,
    },
    Variant {
        key: "no_momentum",
        description: "plain gradient descent: the momentum term is missing",
        build: |h| sgd(h, |c| (c.momentum, c.nesterov) = (0.0, false)),
        applies: |h| h.momentum != 0.0,
    },
    Variant {
        key: "ascends",
        description: "a sign error: the update climbs the gradient (θ + step)",
        build: |h| sgd(h, |c| c.maximize = true),
        applies: always,
    },
    Variant {
        key: "no_weight_decay",
        description: "no weight decay at all",
        build: |h| sgd(h, |c| c.weight_decay = 0.0),
        applies: |h| h.weight_decay != 0.0,
    },
];
