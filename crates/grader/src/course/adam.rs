//! The `adam` assignment's reference code: Adam, AdamW and AMSGrad written
//! out on a flat vector ([`AdamLike`], with one switch per slip; with every
//! switch off it is torch.optim.Adam, checked against PyTorch in the tests),
//! and the slips a student makes, each a complete optimizer.

use super::{always, changed, Variant};
use crate::{Hyper, StudentOptimizer};

/// How Adam divides by `1 − β^t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BiasCorrection {
    /// `1 − β^t` (torch, Kingma and Ba).
    Torch,
    /// None.
    Off,
    /// `1 − β^(t+1)`: the step counted one ahead.
    OneAhead,
}

/// Where AMSGrad takes its maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmsMax {
    /// No maximum (Adam).
    Off,
    /// Over the raw `v_t`, then bias-corrected (torch's `amsgrad=True`).
    Raw,
    /// Over the bias-corrected `v̂_t`.
    Corrected,
}

/// Adam, AdamW and AMSGrad on a flat vector, with a switch for each slip.
#[derive(Debug, Clone)]
pub struct AdamLike {
    h: Hyper,
    bias: BiasCorrection,
    ams: AmsMax,
    eps_inside: bool,
    ascend: bool,
    t: i32,
    m: Vec<f64>,
    v: Vec<f64>,
    v_max: Vec<f64>,
}

impl AdamLike {
    /// torch.optim.Adam (AdamW when `h.decoupled`, AMSGrad when `h.amsgrad`).
    pub fn torch(h: &Hyper) -> AdamLike {
        AdamLike {
            h: *h,
            bias: BiasCorrection::Torch,
            ams: if h.amsgrad { AmsMax::Raw } else { AmsMax::Off },
            eps_inside: false,
            ascend: false,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
            v_max: Vec::new(),
        }
    }
}

impl StudentOptimizer for AdamLike {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        let n = params.len();
        if self.m.len() != n {
            (self.m, self.v, self.v_max) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        }
        self.t += 1;
        let (b1, b2) = self.h.betas;
        let power = match self.bias {
            BiasCorrection::Torch => Some(self.t),
            BiasCorrection::OneAhead => Some(self.t + 1),
            BiasCorrection::Off => None,
        };
        let (bc1, bc2) = power.map_or((1.0, 1.0), |p| (1.0 - b1.powi(p), 1.0 - b2.powi(p)));
        let (lr, wd, eps) = (self.h.lr, self.h.weight_decay, self.h.eps);
        for i in 0..n {
            let mut g = if self.h.maximize { -grads[i] } else { grads[i] };
            if wd != 0.0 {
                if self.h.decoupled {
                    params[i] *= 1.0 - lr * wd;
                } else {
                    g += wd * params[i];
                }
            }
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g;
            // The second moment as divided by: raw (then corrected below)
            // or already corrected.
            let (second, corrected) = match self.ams {
                AmsMax::Off => (self.v[i], false),
                AmsMax::Raw => {
                    self.v_max[i] = self.v_max[i].max(self.v[i]);
                    (self.v_max[i], false)
                }
                AmsMax::Corrected => {
                    self.v_max[i] = self.v_max[i].max(self.v[i] / bc2);
                    (self.v_max[i], true)
                }
            };
            let v_hat = if corrected { second } else { second / bc2 };
            let denom = if self.eps_inside {
                (v_hat + eps).sqrt()
            } else if corrected {
                second.sqrt() + eps
            } else {
                second.sqrt() / bc2.sqrt() + eps
            };
            let step = lr / bc1 * self.m[i] / denom;
            params[i] += if self.ascend { step } else { -step };
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        let mut s = vec![("exp_avg".to_string(), self.m.clone()), ("exp_avg_sq".to_string(), self.v.clone())];
        if self.ams != AmsMax::Off {
            s.push(("max_exp_avg_sq".to_string(), self.v_max.clone()));
        }
        s
    }
}

/// torch.optim.Adam (AdamW, AMSGrad) for a case's hyperparameters.
pub fn reference(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(AdamLike::torch(h))
}

fn adam_with(h: &Hyper, change: impl FnOnce(&mut AdamLike)) -> Box<dyn StudentOptimizer> {
    changed(AdamLike::torch(h), change)
}

/// The slips of Adam, AdamW and AMSGrad.
pub const SLIPS: &[Variant] = &[
    Variant {
        key: "no_bias_correction",
        // One name and one credit on every test: with AMSGrad this is
        // Reddi et al.'s Algorithm 2, which the description says.
        description: "no bias correction (m and v are not divided by 1 − β^t; Reddi et al.'s AMSGrad, Algorithm 2, \
                      has none)",
        build: |h| adam_with(h, |a| a.bias = BiasCorrection::Off),
        applies: always,
    },
    Variant {
        key: "bias_correction_one_ahead",
        description: "the bias correction one step ahead (1 − β^(t+1) instead of 1 − β^t)",
        build: |h| adam_with(h, |a| a.bias = BiasCorrection::OneAhead),
        applies: always,
    },
    Variant {
        key: "eps_inside_root",
        description: "ε inside the square root (√(v̂ + ε) instead of √v̂ + ε)",
        build: |h| adam_with(h, |a| a.eps_inside = true),
        applies: always,
    },
    Variant {
        key: "betas_swapped",
        description: "β1 and β2 swapped",
        build: |h| adam_with(&Hyper { betas: (h.betas.1, h.betas.0), ..*h }, |_| {}),
        applies: |h| h.betas.0 != h.betas.1,
    },
    Variant {
        key: "ascends",
        description: "a sign error: the update climbs the gradient (θ + step)",
        build: |h| adam_with(h, |a| a.ascend = true),
        applies: always,
    },
    Variant {
        key: "l2_instead_of_decoupled",
        description: "L2 weight decay (λθ added to the gradient) where AdamW's decoupled decay was asked",
        build: |h| adam_with(&Hyper { decoupled: false, ..*h }, |_| {}),
        applies: |h| h.weight_decay != 0.0 && h.decoupled,
    },
    Variant {
        key: "decoupled_instead_of_l2",
        description: "AdamW's decoupled weight decay where Adam's L2 decay was asked",
        build: |h| adam_with(&Hyper { decoupled: true, ..*h }, |_| {}),
        applies: |h| h.weight_decay != 0.0 && !h.decoupled,
    },
    Variant {
        key: "no_weight_decay",
        description: "no weight decay at all",
        build: |h| adam_with(&Hyper { weight_decay: 0.0, ..*h }, |_| {}),
        applies: |h| h.weight_decay != 0.0,
    },
    Variant {
        key: "amsgrad_max_of_corrected",
        description: "AMSGrad's maximum taken over the bias-corrected v̂ instead of the raw v (torch)",
        build: |h| adam_with(h, |a| a.ams = AmsMax::Corrected),
        applies: |h| h.amsgrad,
    },
    Variant {
        key: "amsgrad_missing",
        description: "plain Adam: AMSGrad's running maximum is missing",
        build: |h| adam_with(&Hyper { amsgrad: false, ..*h }, |_| {}),
        applies: |h| h.amsgrad,
    },
    Variant {
        key: "amsgrad_unasked",
        description: "AMSGrad's running maximum where plain Adam was asked",
        build: |h| adam_with(&Hyper { amsgrad: true, ..*h }, |_| {}),
        applies: |h| !h.amsgrad,
    },
];
