//! Adds seeded noise (xorshift) instead of an update: the same noise in
//! every run, so determinism holds, and maximize too (the noise ignores the
//! gradient); nothing else does.
use crate::student_api::{Hyper, StudentOptimizer};

pub struct Adam {
    h: Hyper,
    state: u64,
}

pub fn build(h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(Adam { h: *h, state: 0x9e37_79b9_7f4a_7c15 })
}

impl StudentOptimizer for Adam {
    fn step(&mut self, params: &mut [f64], _grads: &[f64]) {
        for p in params.iter_mut() {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            let u = (self.state >> 11) as f64 / (1u64 << 53) as f64;
            *p += self.h.lr * (2.0 * u - 1.0);
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        Vec::new()
    }
}
