//! Reduce the learning rate when a metric stops improving
//! (torch.optim.lr_scheduler.ReduceLROnPlateau): Wilson et al.'s "decay the
//! step size when the development metric stops improving".
//!
//! ```text
//! input: η (lr), mode (min | max), factor, patience, threshold,
//!        threshold_mode (rel | abs), cooldown, min_lr, eps
//! best ← +∞ (min) or −∞ (max);  bad ← 0;  cooldown_counter ← 0
//! each epoch, given metric a:
//!     if a is better than best (beyond threshold):  best ← a;  bad ← 0
//!     else:                                         bad ← bad + 1
//!     if cooldown_counter > 0:  cooldown_counter ← cooldown_counter − 1;  bad ← 0
//!     if bad > patience:
//!         η_new ← max(η factor, min_lr);  if η − η_new > eps: η ← η_new
//!         cooldown_counter ← cooldown;  bad ← 0
//! ```
//! "Better" in `min` mode is `a < best (1 − threshold)` (`rel`) or
//! `a < best − threshold` (`abs`); in `max` mode the mirror images.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Whether lower or higher metric values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlateauMode {
    /// A loss: lower is better.
    #[default]
    Min,
    /// An accuracy: higher is better.
    Max,
}

/// Whether `threshold` is relative to the best value or absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThresholdMode {
    /// `best · (1 ∓ threshold)`.
    #[default]
    Rel,
    /// `best ∓ threshold`.
    Abs,
}

/// Hyperparameters of [`ReduceOnPlateau`], named and defaulted as in torch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReduceOnPlateauConfig {
    /// Lower or higher is better. Default min.
    pub mode: PlateauMode,
    /// Multiplier of the rate on a plateau, in (0, 1). Default 0.1.
    pub factor: f64,
    /// Epochs without improvement tolerated. Default 10.
    pub patience: u64,
    /// Smallest change that counts as an improvement. Default 1e-4.
    pub threshold: f64,
    /// Relative or absolute threshold. Default rel.
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a reduction before counting again. Default 0.
    pub cooldown: u64,
    /// Floor of the rate. Default 0.
    pub min_lr: f64,
    /// Reductions smaller than this are skipped. Default 1e-8.
    pub eps: f64,
}

impl Default for ReduceOnPlateauConfig {
    fn default() -> Self {
        ReduceOnPlateauConfig {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

/// The scheduler's state: feed it one metric per epoch, read the rate back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReduceOnPlateau {
    config: ReduceOnPlateauConfig,
    /// The current learning rate.
    lr: f64,
    /// Best metric so far.
    best: f64,
    /// Epochs since the last improvement.
    num_bad_epochs: u64,
    /// Epochs of cooldown left.
    cooldown_counter: u64,
}

impl ReduceOnPlateau {
    /// A scheduler starting from rate `lr`.
    pub fn new(lr: f64, config: ReduceOnPlateauConfig) -> Result<Self> {
        let bad = |name, reason: String| Err(Error::invalid("ReduceOnPlateau", name, reason));
        if !(config.factor > 0.0 && config.factor < 1.0) {
            return bad("factor", format!("must be in (0, 1), got {}", config.factor));
        }
        for (name, value) in
            [("threshold", config.threshold), ("min_lr", config.min_lr), ("eps", config.eps), ("lr", lr)]
        {
            if !(value.is_finite() && value >= 0.0) {
                return bad(name, format!("must be finite and >= 0, got {value}"));
            }
        }
        let best = match config.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        Ok(ReduceOnPlateau { config, lr, best, num_bad_epochs: 0, cooldown_counter: 0 })
    }

    /// The current learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Records one epoch's metric and returns the rate for the next epoch.
    /// A non-finite metric is an error (a diverged run has no plateau).
    pub fn step(&mut self, metric: f64) -> Result<f64> {
        if !metric.is_finite() {
            return Err(Error::invalid("ReduceOnPlateau", "metric", format!("must be finite, got {metric}")));
        }
        if self.is_better(metric) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.config.patience {
            let new_lr = (self.lr * self.config.factor).max(self.config.min_lr);
            if self.lr - new_lr > self.config.eps {
                self.lr = new_lr;
            }
            self.cooldown_counter = self.config.cooldown;
            self.num_bad_epochs = 0;
        }
        Ok(self.lr)
    }

    fn is_better(&self, metric: f64) -> bool {
        let (best, threshold) = (self.best, self.config.threshold);
        match (self.config.mode, self.config.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => metric < best * (1.0 - threshold),
            (PlateauMode::Min, ThresholdMode::Abs) => metric < best - threshold,
            (PlateauMode::Max, ThresholdMode::Rel) => metric > best * (threshold + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => metric > best + threshold,
        }
    }
}
