//! Learning-rate schedules: values you can evaluate at any step and plot.
//!
//! A [`Schedule`] maps the number of scheduler steps taken, `t = 0, 1, ...`,
//! and the base rate `η` to the learning rate, in closed form. Each variant
//! names the `torch.optim.lr_scheduler` class it reproduces (tested against
//! torch's recursive implementations). Reduce-on-plateau depends on a metric,
//! not on `t`, and lives in [`ReduceOnPlateau`](super::ReduceOnPlateau).
//!
//! ```
//! use descent::optim::Schedule;
//! let cosine = Schedule::Cosine { t_max: 10, eta_min: 0.0 };
//! assert_eq!(cosine.lr(0.1, 0), 0.1);
//! assert!((cosine.lr(0.1, 10)).abs() < 1e-12);
//! let warm = Schedule::warmup(5, 0.1, cosine);
//! assert!((warm.lr(0.1, 0) - 0.01).abs() < 1e-12);
//! ```

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A learning-rate schedule: `lr(η, t)` for `t` scheduler steps taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    /// `η` (torch: no scheduler).
    Constant,
    /// `η γ^⌊t / step_size⌋` (StepLR).
    Step {
        /// Steps between decays.
        step_size: u64,
        /// Decay factor γ.
        gamma: f64,
    },
    /// `η γ^(number of milestones ≤ t)` (MultiStepLR).
    MultiStep {
        /// Increasing steps at which the rate decays.
        milestones: Vec<u64>,
        /// Decay factor γ.
        gamma: f64,
    },
    /// `η γ^t` (ExponentialLR).
    Exponential {
        /// Decay factor γ per step.
        gamma: f64,
    },
    /// `η / (1 + k t)` (LambdaLR); seed 004's inverse-time decay.
    InverseTime {
        /// Decay speed k.
        k: f64,
    },
    /// `η / sqrt(t + 1)` (LambdaLR): Reddi et al.'s `α_t = α / sqrt(t)` with
    /// their `t` counting from 1.
    InverseSqrt,
    /// `η_min + (η − η_min)(1 + cos(π t / t_max)) / 2` (CosineAnnealingLR).
    Cosine {
        /// Half period, in steps.
        t_max: u64,
        /// Floor η_min.
        eta_min: f64,
    },
    /// Linear warm-up from `start_factor · η` to `η` over `steps`, then
    /// `then` evaluated at `t − steps` (SequentialLR of LinearLR and `then`).
    Warmup {
        /// Length of the warm-up.
        steps: u64,
        /// Factor of `η` at `t = 0`, in (0, 1].
        start_factor: f64,
        /// The schedule after the warm-up.
        then: Box<Schedule>,
    },
}

impl Schedule {
    /// Linear warm-up composed with any schedule.
    pub fn warmup(steps: u64, start_factor: f64, then: Schedule) -> Schedule {
        Schedule::Warmup { steps, start_factor, then: Box::new(then) }
    }

    /// Checks the schedule's parameters, naming the one out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &'static str, reason: String| Err(Error::invalid("Schedule", name, reason));
        match self {
            Schedule::Constant | Schedule::InverseSqrt => Ok(()),
            Schedule::Step { step_size, gamma } => {
                if *step_size == 0 {
                    return bad("step_size", "must be at least 1".into());
                }
                check_gamma(*gamma)
            }
            Schedule::MultiStep { milestones, gamma } => {
                if milestones.windows(2).any(|w| w[0] >= w[1]) {
                    return bad("milestones", format!("must be strictly increasing, got {milestones:?}"));
                }
                check_gamma(*gamma)
            }
            Schedule::Exponential { gamma } => check_gamma(*gamma),
            Schedule::InverseTime { k } if !(k.is_finite() && *k >= 0.0) => bad("k", format!("must be >= 0, got {k}")),
            Schedule::InverseTime { .. } => Ok(()),
            Schedule::Cosine { t_max, eta_min } => {
                if *t_max == 0 {
                    return bad("t_max", "must be at least 1".into());
                }
                if !(eta_min.is_finite() && *eta_min >= 0.0) {
                    return bad("eta_min", format!("must be >= 0, got {eta_min}"));
                }
                Ok(())
            }
            Schedule::Warmup { steps, start_factor, then } => {
                if *steps == 0 {
                    return bad("steps", "a warm-up needs at least 1 step".into());
                }
                if !(*start_factor > 0.0 && *start_factor <= 1.0) {
                    return bad("start_factor", format!("must be in (0, 1], got {start_factor}"));
                }
                then.validate()
            }
        }
    }

    /// The learning rate after `t` scheduler steps, for base rate `base`.
    pub fn lr(&self, base: f64, t: u64) -> f64 {
        match self {
            Schedule::Constant => base,
            Schedule::Step { step_size, gamma } => base * gamma.powi((t / step_size) as i32),
            Schedule::MultiStep { milestones, gamma } => {
                base * gamma.powi(milestones.iter().filter(|&&m| m <= t).count() as i32)
            }
            Schedule::Exponential { gamma } => base * gamma.powf(t as f64),
            Schedule::InverseTime { k } => base / (1.0 + k * t as f64),
            Schedule::InverseSqrt => base / ((t + 1) as f64).sqrt(),
            Schedule::Cosine { t_max, eta_min } => {
                eta_min + (base - eta_min) * (1.0 + (std::f64::consts::PI * t as f64 / *t_max as f64).cos()) / 2.0
            }
            Schedule::Warmup { steps, start_factor, then } => {
                if t < *steps {
                    base * (start_factor + (1.0 - start_factor) * t as f64 / *steps as f64)
                } else {
                    then.lr(base, t - steps)
                }
            }
        }
    }

    /// The first `n` rates, for plotting (`lr` against step).
    pub fn trace(&self, base: f64, n: u64) -> Vec<f64> {
        (0..n).map(|t| self.lr(base, t)).collect()
    }
}

fn check_gamma(gamma: f64) -> Result<()> {
    if gamma > 0.0 && gamma <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid("Schedule", "gamma", format!("must be in (0, 1], got {gamma}")))
    }
}
