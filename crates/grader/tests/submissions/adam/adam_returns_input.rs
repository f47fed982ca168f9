//! Writes its input back: a copy of the parameters, then the copy again.
use crate::student_api::{Hyper, StudentOptimizer};

pub struct Adam;

pub fn build(_h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(Adam)
}

impl StudentOptimizer for Adam {
    fn step(&mut self, params: &mut [f64], _grads: &[f64]) {
        let copy = params.to_vec();
        params.copy_from_slice(&copy);
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        Vec::new()
    }
}
