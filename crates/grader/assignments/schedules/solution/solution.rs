//! A learning-rate schedule changes the optimizer's rate from epoch to
//! epoch. Write four, as `torch.optim.lr_scheduler` defines them; `lr()`
//! is read before the first epoch (`t = 0`) and after each `step`:
//!
//! - `step_lr`: `lr · γ^⌊t / step_size⌋` (StepLR).
//! - `exponential_lr`: `lr · γ^t` (ExponentialLR).
//! - `cosine_warmup`: a linear warm-up from `start_factor · lr` to `lr` over
//!   `warmup_epochs` (LinearLR), then the cosine
//!   `η_min + (lr − η_min)(1 + cos(π (t − warmup_epochs) / t_max)) / 2`
//!   (CosineAnnealingLR), the two joined by SequentialLR.
//! - `reduce_on_plateau` (ReduceLROnPlateau, mode `min`): an epoch improves
//!   when its loss is below `best · (1 − threshold)`; after more than
//!   `patience` epochs without improvement the rate is multiplied by
//!   `factor` (never below `min_lr`), and the `cooldown` epochs after a
//!   reduction do not count as bad ones.
//!
//! The grader compares your rates with PyTorch's, epoch by epoch, for
//! several settings of each schedule.
use crate::student_api::{ScheduleHyper, StudentSchedule};

/// StepLR.
pub struct StepLr {
    h: ScheduleHyper,
    epoch: usize,
}

impl StudentSchedule for StepLr {
    fn lr(&self) -> f64 {
        // BEGIN SOLUTION
        self.h.lr * self.h.gamma.powi((self.epoch / self.h.step_size) as i32)
        // END SOLUTION
    }

    fn step(&mut self, _loss: f64) {
        self.epoch += 1;
    }
}

/// ExponentialLR.
pub struct ExponentialLr {
    h: ScheduleHyper,
    epoch: usize,
}

impl StudentSchedule for ExponentialLr {
    fn lr(&self) -> f64 {
        // BEGIN SOLUTION
        self.h.lr * self.h.gamma.powi(self.epoch as i32)
        // END SOLUTION
    }

    fn step(&mut self, _loss: f64) {
        self.epoch += 1;
    }
}

/// A linear warm-up, then a cosine.
pub struct CosineWarmup {
    h: ScheduleHyper,
    epoch: usize,
}

impl StudentSchedule for CosineWarmup {
    fn lr(&self) -> f64 {
        let (h, t) = (&self.h, self.epoch as f64);
        // BEGIN SOLUTION
        let w = h.warmup_epochs as f64;
        if t < w {
            h.lr * (h.start_factor + (1.0 - h.start_factor) * t / w)
        } else {
            let phase = std::f64::consts::PI * (t - w) / h.t_max as f64;
            h.eta_min + (h.lr - h.eta_min) * (1.0 + phase.cos()) / 2.0
        }
        // END SOLUTION
    }

    fn step(&mut self, _loss: f64) {
        self.epoch += 1;
    }
}

/// ReduceLROnPlateau, mode `min`, relative threshold.
pub struct ReduceOnPlateau {
    h: ScheduleHyper,
    lr: f64,
    best: f64,
    bad_epochs: usize,
    cooldown_left: usize,
}

impl StudentSchedule for ReduceOnPlateau {
    fn lr(&self) -> f64 {
        self.lr
    }

    fn step(&mut self, loss: f64) {
        // BEGIN SOLUTION
        if loss < self.best * (1.0 - self.h.threshold) {
            self.best = loss;
            self.bad_epochs = 0;
        } else {
            self.bad_epochs += 1;
        }
        if self.cooldown_left > 0 {
            self.cooldown_left -= 1;
            self.bad_epochs = 0;
        }
        if self.bad_epochs > self.h.patience {
            let reduced = (self.lr * self.h.factor).max(self.h.min_lr);
            // torch's eps: a change smaller than 1e-8 is not made.
            if self.lr - reduced > 1e-8 {
                self.lr = reduced;
            }
            self.cooldown_left = self.h.cooldown;
            self.bad_epochs = 0;
        }
        // END SOLUTION
    }
}

pub fn build_schedule(name: &str, h: &ScheduleHyper) -> Option<Box<dyn StudentSchedule>> {
    let h = *h;
    Some(match name {
        "step_lr" => Box::new(StepLr { h, epoch: 0 }),
        "exponential_lr" => Box::new(ExponentialLr { h, epoch: 0 }),
        "cosine_warmup" => Box::new(CosineWarmup { h, epoch: 0 }),
        "reduce_on_plateau" => {
            Box::new(ReduceOnPlateau { h, lr: h.lr, best: f64::INFINITY, bad_epochs: 0, cooldown_left: 0 })
        }
        _ => return None,
    })
}
