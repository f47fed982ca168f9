// Every schedule keeps the base rate: it does no work.
use crate::student_api::{ScheduleHyper, StudentSchedule};

/// StepLR.
pub struct StepLr {
    h: ScheduleHyper,
    epoch: usize,
}

impl StudentSchedule for StepLr {
    fn lr(&self) -> f64 {
        self.h.lr
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
        self.h.lr
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
        let _ = t;
        h.lr
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
        let _ = loss;
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
