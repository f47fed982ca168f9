// ReLU's gradient passes at x = 0 (the mask x >= 0).
use crate::student_api::{StudentFunction, Tensor};

/// `a b` for `a` of `[m, k]` and `b` of `[k, n]`.
pub struct MatMul;

impl StudentFunction for MatMul {
    fn forward(&self, inputs: &[Tensor]) -> Vec<f64> {
        let (a, b) = (inputs[0], inputs[1]);
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1]);
        let mut y = vec![0.0; m * n];
        for i in 0..m {
            for p in 0..k {
                for j in 0..n {
                    y[i * n + j] += a.data[i * k + p] * b.data[p * n + j];
                }
            }
        }
        y
    }

    fn backward(&self, inputs: &[Tensor], dy: &[f64]) -> Vec<Vec<f64>> {
        let (a, b) = (inputs[0], inputs[1]);
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1]);
        let mut da = vec![0.0; m * k];
        let mut db = vec![0.0; k * n];
        for i in 0..m {
            for p in 0..k {
                for j in 0..n {
                    // y[i, j] += a[i, p] b[p, j]
                    da[i * k + p] += dy[i * n + j] * b.data[p * n + j];
                    db[p * n + j] += a.data[i * k + p] * dy[i * n + j];
                }
            }
        }
        vec![da, db]
    }
}

/// `max(x, 0)`, element by element.
pub struct Relu;

impl StudentFunction for Relu {
    fn forward(&self, inputs: &[Tensor]) -> Vec<f64> {
        inputs[0].data.iter().map(|&v| v.max(0.0)).collect()
    }

    fn backward(&self, inputs: &[Tensor], dy: &[f64]) -> Vec<Vec<f64>> {
        let x = inputs[0].data;
        vec![x.iter().zip(dy).map(|(&v, &g)| if v >= 0.0 { g } else { 0.0 }).collect()]
    }
}

/// `x + b`, `b` added to every row of `x`.
pub struct AddBias;

impl StudentFunction for AddBias {
    fn forward(&self, inputs: &[Tensor]) -> Vec<f64> {
        let (x, b) = (inputs[0], inputs[1]);
        x.data.chunks(b.data.len()).flat_map(|row| row.iter().zip(b.data).map(|(v, c)| v + c)).collect()
    }

    fn backward(&self, inputs: &[Tensor], dy: &[f64]) -> Vec<Vec<f64>> {
        let columns = inputs[1].data.len();
        let mut db = vec![0.0; columns];
        for row in dy.chunks(columns) {
            for (s, g) in db.iter_mut().zip(row) {
                *s += g;
            }
        }
        vec![dy.to_vec(), db]
    }
}

/// The mean over rows of `−log softmax(logits)[label]`.
pub struct SoftmaxCrossEntropy;

impl StudentFunction for SoftmaxCrossEntropy {
    fn forward(&self, inputs: &[Tensor]) -> Vec<f64> {
        let (logits, labels) = (inputs[0], inputs[1]);
        let (n, c) = (logits.shape[0], logits.shape[1]);
        let mut total = 0.0;
        for (row, &label) in logits.data.chunks(c).zip(labels.data) {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
            total += log_sum - row[label as usize];
        }
        vec![total / n as f64]
    }

    fn backward(&self, inputs: &[Tensor], dy: &[f64]) -> Vec<Vec<f64>> {
        let (logits, labels) = (inputs[0], inputs[1]);
        let (n, c) = (logits.shape[0], logits.shape[1]);
        let mut dlogits = Vec::with_capacity(n * c);
        for (row, &label) in logits.data.chunks(c).zip(labels.data) {
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
            for (j, v) in row.iter().enumerate() {
                let onehot = if j == label as usize { 1.0 } else { 0.0 };
                dlogits.push(dy[0] * ((v - max).exp() / sum - onehot) / n as f64);
            }
        }
        vec![dlogits, Vec::new()]
    }
}

pub fn build_function(op: &str) -> Option<Box<dyn StudentFunction>> {
    match op {
        "matmul" => Some(Box::new(MatMul)),
        "relu" => Some(Box::new(Relu)),
        "add" => Some(Box::new(AddBias)),
        "softmax_cross_entropy" => Some(Box::new(SoftmaxCrossEntropy)),
        _ => None,
    }
}
