//! Corrects the first moment only (v is not divided by 1 − β2^t): a slip the
//! grader does not know. Its moments are right; the update that uses them is not.
use crate::student_api::{Hyper, StudentOptimizer};

pub struct Adam {
    h: Hyper,
    t: i32,
    m: Vec<f64>,
    v: Vec<f64>,
    v_max: Vec<f64>,
}

pub fn build(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(Adam { h: *h, t: 0, m: Vec::new(), v: Vec::new(), v_max: Vec::new() })
}

impl StudentOptimizer for Adam {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        if self.m.is_empty() {
            self.m = vec![0.0; params.len()];
            self.v = vec![0.0; params.len()];
            self.v_max = vec![0.0; params.len()];
        }
        self.t += 1;
        let (b1, b2) = self.h.betas;
        for i in 0..params.len() {
            let mut g = if self.h.maximize { -grads[i] } else { grads[i] };
            if self.h.decoupled {
                params[i] *= 1.0 - self.h.lr * self.h.weight_decay;
            } else {
                g += self.h.weight_decay * params[i];
            }
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g;
            self.v_max[i] = self.v_max[i].max(self.v[i]);
            let v = if self.h.amsgrad { self.v_max[i] } else { self.v[i] };
            let m_hat = self.m[i] / (1.0 - b1.powi(self.t));
            let v_hat = v;
            params[i] -= self.h.lr * m_hat / (v_hat.sqrt() + self.h.eps);
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        let mut s = vec![("exp_avg".into(), self.m.clone()), ("exp_avg_sq".into(), self.v.clone())];
        if self.h.amsgrad {
            s.push(("max_exp_avg_sq".into(), self.v_max.clone()));
        }
        s
    }
}
