//! The conventions and slips a student's optimizer is matched against when
//! it does not match the reference: each is a complete optimizer, run under
//! the same teacher forcing, so "your updates match Adam without bias
//! correction" is a statement about every step, not a guess.
//!
//! Adam's family is written out here ([`AdamLike`], with one switch per
//! slip; with every switch off it is torch.optim.Adam, checked against
//! PyTorch in the tests); SGD's conventions are descent's own
//! ([`crate::optim::SgdConfig`]).

use super::{Hyper, StudentOptimizer};
use crate::optim::{MomentumForm, Optimizer, OptimizerSpec, SgdConfig};
use ndarray::{ArrayD, IxDyn};

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

/// One of descent's optimizers as a student's: the flat vector as one tensor.
pub struct Descent(Box<dyn Optimizer<f64>>);

impl Descent {
    /// The optimizer `spec` describes.
    pub fn new(spec: OptimizerSpec) -> crate::Result<Descent> {
        Ok(Descent(spec.build::<f64>()?))
    }
}

impl StudentOptimizer for Descent {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        let mut p = ArrayD::from_shape_vec(IxDyn(&[params.len()]), params.to_vec()).expect("1-D");
        let g = ArrayD::from_shape_vec(IxDyn(&[grads.len()]), grads.to_vec()).expect("1-D");
        // A variant that refuses a step (a non-finite gradient) leaves the
        // parameters as they were: it then simply does not match.
        if self.0.step(&mut [&mut p], &[g]).is_ok() {
            params.copy_from_slice(p.as_slice().expect("standard layout"));
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        self.0
            .state_names()
            .into_iter()
            .filter_map(|name| self.0.buffer(name).map(|b| (name.to_string(), b[0].iter().copied().collect())))
            .collect()
    }
}

/// Builds an optimizer for a case's hyperparameters.
pub type Build = fn(&Hyper) -> Box<dyn StudentOptimizer>;

/// A way to implement the assignment's optimizer: the reference's own
/// convention or a known slip.
pub struct Variant {
    /// Short key (`no_bias_correction`), for the gradebook and the class page.
    pub key: &'static str,
    /// What the student's code does, in words ("Adam without bias correction").
    pub description: &'static str,
    /// Builds it for the case's hyperparameters.
    pub build: Build,
    /// Whether it differs from the reference under `h` (a weight-decay slip
    /// needs `weight_decay > 0`).
    pub applies: fn(&Hyper) -> bool,
}

fn adam_with(h: &Hyper, change: impl FnOnce(&mut AdamLike)) -> Box<dyn StudentOptimizer> {
    let mut a = AdamLike::torch(h);
    change(&mut a);
    Box::new(a)
}

fn always(_: &Hyper) -> bool {
    true
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

/// The slips of Adam, AdamW and AMSGrad.
pub const ADAM_SLIPS: &[Variant] = &[
    Variant {
        key: "no_bias_correction",
        description: "Adam without bias correction (m and v are not divided by 1 − β^t)",
        build: |h| adam_with(h, |a| a.bias = BiasCorrection::Off),
        // With AMSGrad this is Reddi et al.'s flavour, named as such below.
        applies: |h| !h.amsgrad,
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
        key: "amsgrad_reddi",
        description: "Reddi et al.'s AMSGrad (Algorithm 2: no bias correction)",
        build: |h| adam_with(h, |a| a.bias = BiasCorrection::Off),
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

/// The slips of SGD with momentum and Nesterov.
pub const SGD_SLIPS: &[Variant] = &[
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

/// The reference implementation and the slips for a case of the torch
/// optimizer `class` (`"Adam"`, `"AdamW"`, `"SGD"`).
pub fn for_class(class: &str) -> Option<(Build, &'static [Variant])> {
    match class {
        "Adam" | "AdamW" => Some((|h| Box::new(AdamLike::torch(h)), ADAM_SLIPS)),
        "SGD" => Some((|h| sgd(h, |_| {}), SGD_SLIPS)),
        _ => None,
    }
}

/// What the slip `key` is, in words (the first list that has it).
pub fn description(key: &str) -> Option<&'static str> {
    ADAM_SLIPS.iter().chain(SGD_SLIPS).find(|v| v.key == key).map(|v| v.description)
}
