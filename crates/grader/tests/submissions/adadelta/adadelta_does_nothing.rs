//! Keeps its averages but never moves the parameters: the state is right,
//! the update is missing.
use crate::student_api::{Hyper, StudentOptimizer};

pub struct Adadelta {
    h: Hyper,
    square_avg: Vec<f64>,
    acc_delta: Vec<f64>,
}

pub fn build(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(Adadelta { h: *h, square_avg: Vec::new(), acc_delta: Vec::new() })
}

impl StudentOptimizer for Adadelta {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        if self.square_avg.is_empty() {
            self.square_avg = vec![0.0; params.len()];
            self.acc_delta = vec![0.0; params.len()];
        }
        let (rho, eps) = (self.h.rho, self.h.eps);
        for i in 0..params.len() {
            let mut g = if self.h.maximize { -grads[i] } else { grads[i] };
            g += self.h.weight_decay * params[i];
            self.square_avg[i] = rho * self.square_avg[i] + (1.0 - rho) * g * g;
            let delta = (self.acc_delta[i] + eps).sqrt() / (self.square_avg[i] + eps).sqrt() * g;
            self.acc_delta[i] = rho * self.acc_delta[i] + (1.0 - rho) * delta * delta;
            let _ = delta;
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        vec![("square_avg".into(), self.square_avg.clone()), ("acc_delta".into(), self.acc_delta.clone())]
    }
}
