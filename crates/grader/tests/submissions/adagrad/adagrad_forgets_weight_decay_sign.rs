//! Subtracts the weight decay from the gradient: a slip the grader does not
//! know (its sum of squares is wrong from the first step with decay).
use crate::student_api::{Hyper, StudentOptimizer};

pub struct Adagrad {
    h: Hyper,
    t: i32,
    sum: Vec<f64>,
}

pub fn build(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(Adagrad { h: *h, t: 0, sum: Vec::new() })
}

impl StudentOptimizer for Adagrad {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        if self.sum.is_empty() {
            self.sum = vec![self.h.initial_accumulator_value; params.len()];
        }
        self.t += 1;
        let lr = self.h.lr / (1.0 + f64::from(self.t - 1) * self.h.lr_decay);
        for i in 0..params.len() {
            let mut g = if self.h.maximize { -grads[i] } else { grads[i] };
            g -= self.h.weight_decay * params[i];
            self.sum[i] += g * g;
            params[i] -= lr * g / (self.sum[i].sqrt() + self.h.eps);
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        vec![("sum".into(), self.sum.clone())]
    }
}
