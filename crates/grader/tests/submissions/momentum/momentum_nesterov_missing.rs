//! Ignores `nesterov`: classical momentum always.
use crate::student_api::{Hyper, StudentOptimizer};

pub struct Momentum {
    h: Hyper,
    buffer: Vec<f64>,
}

pub fn build(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(Momentum { h: *h, buffer: Vec::new() })
}

impl StudentOptimizer for Momentum {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        let first = self.buffer.is_empty();
        if first {
            self.buffer = vec![0.0; params.len()];
        }
        for i in 0..params.len() {
            let grad = if self.h.maximize { -grads[i] } else { grads[i] };
            let g = grad + self.h.weight_decay * params[i];
            self.buffer[i] = if first { g } else { self.h.momentum * self.buffer[i] + g };
            let direction = self.buffer[i];
            params[i] -= self.h.lr * direction;
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        vec![("momentum_buffer".into(), self.buffer.clone())]
    }
}
