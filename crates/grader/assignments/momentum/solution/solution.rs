//! SGD with momentum and Nesterov momentum, as torch.optim.SGD: the
//! reference solution.
//!
//! b₁ = g₁, then bₜ = μ bₜ₋₁ + gₜ (g including λθ); the step is
//! θ ← θ − η bₜ, or θ ← θ − η (gₜ + μ bₜ) with Nesterov.
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
        // BEGIN SOLUTION
        let first = self.buffer.is_empty();
        if first {
            self.buffer = vec![0.0; params.len()];
        }
        for i in 0..params.len() {
            let grad = if self.h.maximize { -grads[i] } else { grads[i] };
            let g = grad + self.h.weight_decay * params[i];
            self.buffer[i] = if first { g } else { self.h.momentum * self.buffer[i] + g };
            let direction = if self.h.nesterov { g + self.h.momentum * self.buffer[i] } else { self.buffer[i] };
            params[i] -= self.h.lr * direction;
        }
        // END SOLUTION
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        vec![("momentum_buffer".into(), self.buffer.clone())]
    }
}
