// StepLR decays a little every epoch instead of in steps.
use crate::student_api::{ScheduleHyper, StudentSchedule};

/// StepLR.
pub struct StepLr {
    h: ScheduleHyper,
    epoch: usize,
}

impl StudentSchedule for StepLr {
    fn lr(&self) -> f64 {
        self.h.lr * self.h.gamma.powf(self.epoch as f64 / self.h.step_size as f64)
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
        self.h.lr * self.h.gamma.powi(self.epoch as i32)
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
        let w = h.warmup_epochs as f64;
        if t < w {
            h.lr * (h.start_factor + (1.0 - h.start_factor) * t / w)
        } else {
            let phase = std::f64::consts::PI * (t - w) / h.t_max as f64;
            h.eta_min + (h.lr - h.eta_min) * (1.0 + phase.cos()) / 2.0
        }
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
