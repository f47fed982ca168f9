//! The `rmsprop` assignment's reference code: torch's RMSprop, plain and
//! centered (descent's own [`RmsPropConfig`], checked against PyTorch), and
//! the slips a student makes, each a complete optimizer.

use super::{always, Descent, Variant};
use crate::{Hyper, StudentOptimizer};
use descent::optim::{AdagradConfig, EpsPlacement, OptimizerSpec, RmsPropConfig};

/// torch.optim.RMSprop for a case's hyperparameters.
pub fn reference(h: &Hyper) -> Box<dyn StudentOptimizer> {
    rmsprop(h, |_| {})
}

fn config(h: &Hyper) -> RmsPropConfig {
    RmsPropConfig {
        lr: h.lr,
        alpha: h.alpha,
        eps: h.eps,
        weight_decay: h.weight_decay,
        momentum: h.momentum,
        centered: h.centered,
        maximize: h.maximize,
        ..RmsPropConfig::default()
    }
}

fn rmsprop(h: &Hyper, change: impl FnOnce(&mut RmsPropConfig)) -> Box<dyn StudentOptimizer> {
    let mut c = config(h);
    change(&mut c);
    Box::new(Descent::new(OptimizerSpec::RmsProp(c)).expect("a valid RMSprop configuration"))
}

/// The slips of RMSprop.
pub const SLIPS: &[Variant] = &[
    Variant {
        key: "eps_inside_root",
        description: "ε inside the square root (√(v + ε) instead of √v + ε; seed 000's form)",
        build: |h| rmsprop(h, |c| c.eps_placement = EpsPlacement::InsideRoot),
        applies: always,
    },
    Variant {
        key: "alpha_swapped",
        description: "the average keeps 1 − α of the old value (v ← (1 − α)v + αg² instead of αv + (1 − α)g²)",
        build: |h| rmsprop(h, |c| c.alpha = 1.0 - c.alpha),
        applies: |h| h.alpha != 0.5,
    },
    Variant {
        key: "not_centered",
        description: "plain RMSprop where the centered form was asked (no grad_avg² subtracted)",
        build: |h| rmsprop(h, |c| c.centered = false),
        applies: |h| h.centered,
    },
    Variant {
        key: "centered_unasked",
        description: "the centered form (grad_avg² subtracted) where plain RMSprop was asked",
        build: |h| rmsprop(h, |c| c.centered = true),
        applies: |h| !h.centered,
    },
    Variant {
        key: "adagrad_accumulator",
        description: "Adagrad's accumulator: the squared gradients are summed, never decayed",
        build: |h| {
            let c = AdagradConfig {
                lr: h.lr,
                eps: h.eps,
                weight_decay: h.weight_decay,
                maximize: h.maximize,
                ..AdagradConfig::default()
            };
            Box::new(Descent::new(OptimizerSpec::Adagrad(c)).expect("a valid Adagrad configuration"))
        },
        applies: |h| !h.centered && h.momentum == 0.0,
    },
    Variant {
        key: "ascends",
        description: "a sign error: the update climbs the gradient (θ + step)",
        build: |h| rmsprop(h, |c| c.maximize = !c.maximize),
        applies: always,
    },
    Variant {
        key: "no_weight_decay",
        description: "no weight decay at all",
        build: |h| rmsprop(h, |c| c.weight_decay = 0.0),
        applies: |h| h.weight_decay != 0.0,
    },
];
