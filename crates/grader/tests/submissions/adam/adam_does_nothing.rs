//! Does nothing: the parameters stay as they were and the buffers stay at
//! zero. lr = 0, maximize and determinism would hold vacuously.
use crate::student_api::{Hyper, StudentOptimizer};

pub struct Adam {
    n: usize,
}

pub fn build(_h: &Hyper) -> Box<dyn StudentOptimizer> {
    Box::new(Adam { n: 0 })
}

impl StudentOptimizer for Adam {
    fn step(&mut self, params: &mut [f64], _grads: &[f64]) {
        self.n = params.len();
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        vec![("exp_avg".into(), vec![0.0; self.n]), ("exp_avg_sq".into(), vec![0.0; self.n])]
    }
}
