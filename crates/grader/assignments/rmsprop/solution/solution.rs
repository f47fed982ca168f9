//! RMSprop, plain and centered, as torch.optim.RMSprop: the reference
//! solution.
//!
//! g ← g + λθ; v ← αv + (1 − α)g²; centered: ḡ ← αḡ + (1 − α)g and the
//! denominator is √(v − ḡ²) + ε, else √v + ε; θ ← θ − η g / denominator.
use crate::student_api::{Hyper, StudentOptimizer};

pub struct RmsProp {
    h: Hyper,
    square_avg: Vec<f64>,
    grad_avg: Vec<f64>,
}

pub fn build(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(RmsProp { h: *h, square_avg: Vec::new(), grad_avg: Vec::new() })
}

impl StudentOptimizer for RmsProp {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        // BEGIN SOLUTION
        if self.square_avg.is_empty() {
            self.square_avg = vec![0.0; params.len()];
            self.grad_avg = vec![0.0; params.len()];
        }
        let a = self.h.alpha;
        for i in 0..params.len() {
            let mut g = if self.h.maximize { -grads[i] } else { grads[i] };
            g += self.h.weight_decay * params[i];
            self.square_avg[i] = a * self.square_avg[i] + (1.0 - a) * g * g;
            let second = if self.h.centered {
                self.grad_avg[i] += (1.0 - a) * (g - self.grad_avg[i]);
                self.square_avg[i] - self.grad_avg[i] * self.grad_avg[i]
            } else {
                self.square_avg[i]
            };
            params[i] -= self.h.lr * g / (second.sqrt() + self.h.eps);
        }
        // END SOLUTION
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        let mut s = vec![("square_avg".into(), self.square_avg.clone())];
        if self.h.centered {
            s.push(("grad_avg".into(), self.grad_avg.clone()));
        }
        s
    }
}
