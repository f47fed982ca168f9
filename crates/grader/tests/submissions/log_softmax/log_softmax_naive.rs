// A student's log-softmax: the textbook forward, ln(exp(x) / Σ exp(x)).
#[allow(unused_imports)]
use crate::student_api::*;

/// Log-softmax over the last axis.
pub struct LogSoftmax;

impl StudentOp for LogSoftmax {
    fn forward(&self, x: &[f64], shape: &[usize]) -> Vec<f64> {
        let columns = shape[shape.len() - 1];
        let mut out = Vec::with_capacity(x.len());
        for row in x.chunks(columns) {
            let sum: f64 = row.iter().map(|v| v.exp()).sum();
            out.extend(row.iter().map(|v| (v.exp() / sum).ln()));
        }
        out
    }

    fn backward(&self, x: &[f64], shape: &[usize], dy: &[f64]) -> Vec<f64> {
        let columns = shape[shape.len() - 1];
        let y = self.forward(x, shape);
        let mut dx = Vec::with_capacity(x.len());
        for (y_row, dy_row) in y.chunks(columns).zip(dy.chunks(columns)) {
            // dx_i = dy_i − softmax_i · Σ_j dy_j
            let total: f64 = dy_row.iter().sum();
            dx.extend(y_row.iter().zip(dy_row).map(|(yi, gi)| gi - yi.exp() * total));
        }
        dx
    }
}

pub fn build_op() -> Box<dyn StudentOp> {
    Box::new(LogSoftmax)
}
