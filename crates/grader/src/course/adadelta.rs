//! The `adadelta` assignment's reference code: torch's Adadelta written out
//! on a flat vector ([`AdadeltaLike`], one switch per slip; with every
//! switch off it is torch.optim.Adadelta, checked against PyTorch in the
//! tests; with lr = 1 it is Zeiler's Algorithm 1), and the slips a student
//! makes.

use super::{always, changed, l2_grad, Variant};
use crate::{Hyper, StudentOptimizer};

/// Adadelta with a switch for each slip.
#[derive(Debug, Clone)]
pub struct AdadeltaLike {
    h: Hyper,
    eps_outside: bool,
    stale_square_avg: bool,
    ascend: bool,
    square_avg: Vec<f64>,
    acc_delta: Vec<f64>,
}

impl AdadeltaLike {
    /// torch.optim.Adadelta.
    pub fn torch(h: &Hyper) -> AdadeltaLike {
        AdadeltaLike {
            h: *h,
            eps_outside: false,
            stale_square_avg: false,
            ascend: false,
            square_avg: Vec::new(),
            acc_delta: Vec::new(),
        }
    }
}

impl StudentOptimizer for AdadeltaLike {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        let n = params.len();
        if self.square_avg.len() != n {
            (self.square_avg, self.acc_delta) = (vec![0.0; n], vec![0.0; n]);
        }
        let (rho, eps) = (self.h.rho, self.h.eps);
        let rms = |v: f64, outside: bool| if outside { v.sqrt() + eps } else { (v + eps).sqrt() };
        for i in 0..n {
            let g = l2_grad(&self.h, grads[i], params[i]);
            let old = self.square_avg[i];
            self.square_avg[i] = rho * old + (1.0 - rho) * g * g;
            let second = if self.stale_square_avg { old } else { self.square_avg[i] };
            let delta = rms(self.acc_delta[i], self.eps_outside) / rms(second, self.eps_outside) * g;
            self.acc_delta[i] = rho * self.acc_delta[i] + (1.0 - rho) * delta * delta;
            let step = self.h.lr * delta;
            params[i] += if self.ascend { step } else { -step };
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        vec![("square_avg".to_string(), self.square_avg.clone()), ("acc_delta".to_string(), self.acc_delta.clone())]
    }
}

/// torch.optim.Adadelta for a case's hyperparameters.
pub fn reference(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(AdadeltaLike::torch(h))
}

fn adadelta_with(h: &Hyper, change: impl FnOnce(&mut AdadeltaLike)) -> Box<dyn StudentOptimizer> {
    changed(AdadeltaLike::torch(h), change)
}

/// The slips of Adadelta.
pub const SLIPS: &[Variant] = &[
    Variant {
        key: "eps_outside_root",
        description: "ε outside the square roots (√E[Δx²] + ε and √E[g²] + ε instead of √(E + ε))",
        build: |h| adadelta_with(h, |a| a.eps_outside = true),
        applies: always,
    },
    Variant {
        key: "stale_square_avg",
        description: "the step divides by last step's E[g²], before this gradient is averaged in",
        build: |h| adadelta_with(h, |a| a.stale_square_avg = true),
        applies: always,
    },
    Variant {
        key: "lr_ignored",
        description: "the paper's Adadelta with no learning rate (lr taken as 1)",
        build: |h| adadelta_with(&Hyper { lr: 1.0, ..*h }, |_| {}),
        applies: |h| h.lr != 1.0,
    },
    Variant {
        key: "rho_swapped",
        description: "the averages keep 1 − ρ of the old value (E ← (1 − ρ)E + ρg² instead of ρE + (1 − ρ)g²)",
        build: |h| adadelta_with(&Hyper { rho: 1.0 - h.rho, ..*h }, |_| {}),
        applies: |h| h.rho != 0.5,
    },
    Variant {
        key: "ascends",
        description: "a sign error: the update climbs the gradient (θ + step)",
        build: |h| adadelta_with(h, |a| a.ascend = true),
        applies: always,
    },
    Variant {
        key: "no_weight_decay",
        description: "no weight decay at all",
        build: |h| adadelta_with(&Hyper { weight_decay: 0.0, ..*h }, |_| {}),
        applies: |h| h.weight_decay != 0.0,
    },
];
