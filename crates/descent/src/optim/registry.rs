//! Optimizers by name, and [`OptimizerSpec`]: a serialisable description of
//! any configured optimizer (what experiments store and reports print).

use super::{
    adamw, amsgrad, heavy_ball, momentum_ema, nesterov_lookahead, AdadeltaConfig, AdagradConfig, AdamConfig,
    AdamaxConfig, AmsgradFlavour, EpsPlacement, NAdamConfig, Optim, Optimizer, RAdamConfig, RmsPropConfig, SgdConfig,
};
use crate::{Element, Error, Result};
use serde::{Deserialize, Serialize};

/// Every name [`by_name`] and [`OptimizerSpec::by_name`] accept, with what it means.
pub const OPTIMIZER_NAMES: &[(&str, &str)] = &[
    ("sgd", "plain (batch, stochastic or mini-batch) gradient descent, torch.optim.SGD"),
    ("momentum", "torch SGD with momentum 0.9"),
    ("momentum_ema", "seed 000's EMA momentum, beta 0.9"),
    ("heavy_ball", "seed 004's heavy-ball momentum, mu 0.9"),
    ("nesterov", "torch SGD with Nesterov momentum 0.9"),
    ("nesterov_lookahead", "seed 004's look-ahead Nesterov, mu 0.9"),
    ("adagrad", "torch.optim.Adagrad"),
    ("adadelta", "torch.optim.Adadelta (rho 0.9, lr 1)"),
    ("adadelta_zeiler", "Zeiler's Adadelta (rho 0.95, eps 1e-6, no lr)"),
    ("rmsprop", "torch.optim.RMSprop (alpha 0.99, eps outside the root)"),
    ("rmsprop_seed", "seed 000's RMSprop (alpha 0.9, eps inside the root)"),
    ("adam", "torch.optim.Adam"),
    ("amsgrad", "torch.optim.Adam(amsgrad=True)"),
    ("amsgrad_reddi", "Reddi et al.'s AMSGrad, Algorithm 2 (no bias correction)"),
    ("adamw", "torch.optim.AdamW (weight decay 1e-2)"),
    ("nadam", "torch.optim.NAdam"),
    ("radam", "torch.optim.RAdam"),
    ("adamax", "torch.optim.Adamax"),
];

/// A configured optimizer of any kind, serialisable with its hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "optimizer", rename_all = "snake_case")]
pub enum OptimizerSpec {
    /// SGD, momentum, Nesterov in all their forms.
    Sgd(SgdConfig),
    /// Adagrad.
    Adagrad(AdagradConfig),
    /// Adadelta.
    Adadelta(AdadeltaConfig),
    /// RMSprop.
    #[serde(rename = "rmsprop")]
    RmsProp(RmsPropConfig),
    /// Adam, AdamW, AMSGrad.
    Adam(AdamConfig),
    /// NAdam.
    #[serde(rename = "nadam")]
    NAdam(NAdamConfig),
    /// RAdam.
    #[serde(rename = "radam")]
    RAdam(RAdamConfig),
    /// Adamax.
    Adamax(AdamaxConfig),
}

/// `$body` for the configuration inside `$spec`, whichever it is: one
/// match for every method that treats all optimizers alike.
macro_rules! each_config {
    ($spec:expr, $c:ident => $body:expr) => {
        match $spec {
            OptimizerSpec::Sgd($c) => $body,
            OptimizerSpec::Adagrad($c) => $body,
            OptimizerSpec::Adadelta($c) => $body,
            OptimizerSpec::RmsProp($c) => $body,
            OptimizerSpec::Adam($c) => $body,
            OptimizerSpec::NAdam($c) => $body,
            OptimizerSpec::RAdam($c) => $body,
            OptimizerSpec::Adamax($c) => $body,
        }
    };
}

impl OptimizerSpec {
    /// The optimizer called `name` (see [`OPTIMIZER_NAMES`]) with its
    /// defaults, and learning rate `lr` when given. An unknown name is an
    /// error listing the known ones.
    pub fn by_name(name: &str, lr: Option<f64>) -> Result<Self> {
        use OptimizerSpec as S;
        let mut spec = match name {
            "sgd" | "gd" => S::Sgd(SgdConfig::default()),
            "momentum" => S::Sgd(SgdConfig { momentum: 0.9, ..SgdConfig::default() }),
            "momentum_ema" => S::Sgd(momentum_ema(SgdConfig::default().lr, 0.9)),
            "heavy_ball" => S::Sgd(heavy_ball(SgdConfig::default().lr, 0.9)),
            "nesterov" => S::Sgd(SgdConfig { momentum: 0.9, nesterov: true, ..SgdConfig::default() }),
            "nesterov_lookahead" => S::Sgd(nesterov_lookahead(SgdConfig::default().lr, 0.9)),
            "adagrad" => S::Adagrad(AdagradConfig::default()),
            "adadelta" => S::Adadelta(AdadeltaConfig::default()),
            "adadelta_zeiler" => S::Adadelta(AdadeltaConfig::zeiler()),
            "rmsprop" => S::RmsProp(RmsPropConfig::default()),
            "rmsprop_seed" => {
                S::RmsProp(RmsPropConfig { alpha: 0.9, eps_placement: EpsPlacement::InsideRoot, ..Default::default() })
            }
            "adam" => S::Adam(AdamConfig::default()),
            "amsgrad" => S::Adam(amsgrad(AmsgradFlavour::Torch)),
            "amsgrad_reddi" => S::Adam(amsgrad(AmsgradFlavour::Reddi)),
            "adamw" => S::Adam(adamw()),
            "nadam" => S::NAdam(NAdamConfig::default()),
            "radam" => S::RAdam(RAdamConfig::default()),
            "adamax" => S::Adamax(AdamaxConfig::default()),
            _ => {
                let known: Vec<&str> = OPTIMIZER_NAMES.iter().map(|(n, _)| *n).collect();
                return Err(Error::invalid(
                    "optimizer",
                    "name",
                    format!("unknown optimizer {name:?}; known: {}", known.join(", ")),
                ));
            }
        };
        if let Some(lr) = lr {
            spec.set_lr(lr);
        }
        Ok(spec)
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        each_config!(self, c => c.lr)
    }

    /// Sets the learning rate (checked when the optimizer is built).
    pub fn set_lr(&mut self, lr: f64) {
        each_config!(self, c => c.lr = lr)
    }

    /// Builds the optimizer, validating its hyperparameters.
    pub fn build<T: Element>(&self) -> Result<Box<dyn Optimizer<T>>> {
        Ok(each_config!(*self, c => Box::new(Optim::new(c)?)))
    }
}

/// The optimizer called `name` (see [`OPTIMIZER_NAMES`]), with learning rate
/// `lr` when given, ready to step.
pub fn by_name<T: Element>(name: &str, lr: Option<f64>) -> Result<Box<dyn Optimizer<T>>> {
    OptimizerSpec::by_name(name, lr)?.build()
}
