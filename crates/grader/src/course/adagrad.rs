//! The `adagrad` assignment's reference code: torch's Adagrad written out
//! on a flat vector ([`AdagradLike`], one switch per slip; with every switch
//! off it is torch.optim.Adagrad, checked against PyTorch in the tests), and
//! the slips a student makes.

use super::{always, changed, l2_grad, Variant};
use crate::{Hyper, StudentOptimizer};

/// Adagrad with a switch for each slip.
#[derive(Debug, Clone)]
pub struct AdagradLike {
    h: Hyper,
    eps_inside: bool,
    decay_one_ahead: bool,
    ignore_initial: bool,
    ema: bool,
    ascend: bool,
    t: i32,
    sum: Vec<f64>,
}

impl AdagradLike {
    /// torch.optim.Adagrad.
    pub fn torch(h: &Hyper) -> AdagradLike {
        AdagradLike {
            h: *h,
            eps_inside: false,
            decay_one_ahead: false,
            ignore_initial: false,
            ema: false,
            ascend: false,
            t: 0,
            sum: Vec::new(),
        }
    }
}

impl StudentOptimizer for AdagradLike {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        let n = params.len();
        if self.sum.len() != n {
            let start = if self.ignore_initial { 0.0 } else { self.h.initial_accumulator_value };
            self.sum = vec![start; n];
        }
        self.t += 1;
        let steps_before = if self.decay_one_ahead { self.t } else { self.t - 1 };
        let clr = self.h.lr / (1.0 + f64::from(steps_before) * self.h.lr_decay);
        for i in 0..n {
            let g = l2_grad(&self.h, grads[i], params[i]);
            self.sum[i] = if self.ema { 0.99 * self.sum[i] + 0.01 * g * g } else { self.sum[i] + g * g };
            let std = if self.eps_inside { (self.sum[i] + self.h.eps).sqrt() } else { self.sum[i].sqrt() + self.h.eps };
            let step = clr * g / std;
            params[i] += if self.ascend { step } else { -step };
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        vec![("sum".to_string(), self.sum.clone())]
    }
}

/// torch.optim.Adagrad for a case's hyperparameters.
pub fn reference(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(AdagradLike::torch(h))
}

fn adagrad_with(h: &Hyper, change: impl FnOnce(&mut AdagradLike)) -> Box<dyn StudentOptimizer> {
    changed(AdagradLike::torch(h), change)
}

/// The slips of Adagrad.
pub const SLIPS: &[Variant] = &[
    Variant {
        key: "eps_inside_root",
        description: "ε inside the square root (√(G + ε) instead of √G + ε)",
        build: |h| adagrad_with(h, |a| a.eps_inside = true),
        applies: always,
    },
    Variant {
        key: "lr_decay_one_ahead",
        description: "the learning-rate decay one step ahead (lr / (1 + t · lr_decay) instead of (t − 1))",
        build: |h| adagrad_with(h, |a| a.decay_one_ahead = true),
        applies: |h| h.lr_decay != 0.0,
    },
    Variant {
        key: "no_lr_decay",
        description: "no learning-rate decay at all",
        build: |h| adagrad_with(&Hyper { lr_decay: 0.0, ..*h }, |_| {}),
        applies: |h| h.lr_decay != 0.0,
    },
    Variant {
        key: "initial_accumulator_ignored",
        description: "the sum of squares starts at 0 instead of initial_accumulator_value",
        build: |h| adagrad_with(h, |a| a.ignore_initial = true),
        applies: |h| h.initial_accumulator_value != 0.0,
    },
    Variant {
        key: "ema_accumulator",
        description: "RMSprop's decaying average (0.99 G + 0.01 g²) where Adagrad's sum was asked",
        build: |h| adagrad_with(h, |a| a.ema = true),
        applies: always,
    },
    Variant {
        key: "ascends",
        description: "a sign error: the update climbs the gradient (θ + step)",
        build: |h| adagrad_with(h, |a| a.ascend = true),
        applies: always,
    },
    Variant {
        key: "no_weight_decay",
        description: "no weight decay at all",
        build: |h| adagrad_with(&Hyper { weight_decay: 0.0, ..*h }, |_| {}),
        applies: |h| h.weight_decay != 0.0,
    },
];
