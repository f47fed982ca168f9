//! Log-softmax and the losses: fused softmax cross-entropy, mean squared error.

use crate::autodiff::{Backward, Var};
use crate::{Element, Error, Result};
use ndarray::{ArrayD, IxDyn, Zip};

/// `log(sum(exp(row)))` computed as `m + log(sum(exp(row - m)))` with
/// `m = max(row)`, so that no `exp` overflows however large the logits.
fn log_sum_exp<T: Element>(row: &[T]) -> T {
    let m = row.iter().copied().fold(T::neg_infinity(), T::max);
    if m.is_infinite() {
        return m;
    }
    m + row.iter().map(|&v| (v - m).exp()).sum::<T>().ln()
}

struct LogSoftmax {
    classes: usize,
}

impl<T: Element> Backward<T> for LogSoftmax {
    fn backward(
        &self,
        _: &[&ArrayD<T>],
        output: &ArrayD<T>,
        mut grad: ArrayD<T>,
        _: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        // dx = g - softmax(x) * sum(g), row by row; softmax(x) = exp(y).
        let y = output.as_slice().expect("standard layout");
        let g = grad.as_slice_mut().expect("standard layout");
        for (g_row, y_row) in g.chunks_mut(self.classes).zip(y.chunks(self.classes)) {
            let total: T = g_row.iter().copied().sum();
            for (g, &y) in g_row.iter_mut().zip(y_row) {
                *g -= y.exp() * total;
            }
        }
        vec![Some(grad)]
    }
}

struct SoftmaxCrossEntropy<T> {
    /// softmax(logits), `(N, C)`, kept for the backward pass.
    probs: ArrayD<T>,
    labels: Vec<usize>,
}

impl<T: Element> Backward<T> for SoftmaxCrossEntropy<T> {
    fn backward(&self, _: &[&ArrayD<T>], _: &ArrayD<T>, grad: ArrayD<T>, _: &[bool]) -> Vec<Option<ArrayD<T>>> {
        // The fused gradient (softmax - onehot) / N: exact, and free of the
        // cancellation that differentiating log(softmax) step by step suffers.
        let n = self.labels.len();
        let scale = grad.iter().next().copied().unwrap_or_else(T::one) / T::of(n as f64);
        let mut dx = self.probs.clone();
        let classes = dx.shape()[1];
        let d = dx.as_slice_mut().expect("standard layout");
        for (row, &label) in d.chunks_mut(classes).zip(&self.labels) {
            row[label] -= T::one();
            for v in row.iter_mut() {
                *v *= scale;
            }
        }
        vec![Some(dx)]
    }
}

struct MseLoss;

impl<T: Element> Backward<T> for MseLoss {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        _: &ArrayD<T>,
        grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        let n = T::of(inputs[0].len() as f64);
        let scale = grad.iter().next().copied().unwrap_or_else(T::one) * T::of(2.0) / n;
        let d_pred = Zip::from(inputs[0]).and(inputs[1]).map_collect(|&p, &t| scale * (p - t));
        let d_target = wants[1].then(|| d_pred.mapv(|v| -v));
        vec![wants[0].then_some(d_pred), d_target]
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// `log_softmax(x) = x - log(sum(exp(x)))` along the last axis, stable
    /// for large values.
    ///
    /// # Gradient
    /// `dx = grad - softmax(x) * sum(grad)` per row
    ///
    /// # Shapes
    /// Any shape with at least one axis; the last axis holds the classes.
    ///
    /// PyTorch equivalent: `torch.log_softmax(x, dim=-1)`
    pub fn log_softmax(&self) -> Result<Var<'t, T>> {
        let x = self.value();
        let Some(&classes) = x.shape().last().filter(|&&c| c > 0) else {
            return Err(Error::shape("log_softmax", x.shape(), &[], "needs a non-empty last (class) axis"));
        };
        let mut y = x.as_ref().clone();
        for row in y.as_slice_mut().expect("standard layout").chunks_mut(classes) {
            let lse = log_sum_exp(row);
            for v in row.iter_mut() {
                *v -= lse;
            }
        }
        Ok(self.tape.push(y, &[self.id], LogSoftmax { classes }))
    }

    /// Mean softmax cross-entropy of logits against integer class labels:
    /// `mean_i (log(sum_c exp(x[i,c])) - x[i, label_i])`, fused and stable
    /// for large logits.
    ///
    /// # Gradient
    /// `dx = grad * (softmax(x) - onehot(labels)) / N`
    ///
    /// # Shapes
    /// `x: (N, C)` and `N` labels in `0..C` -> a 0-d scalar. A label out of
    /// range or a count mismatch is an error, not a panic.
    ///
    /// PyTorch equivalent: `torch.nn.functional.cross_entropy(x, labels)`
    pub fn softmax_cross_entropy(&self, labels: &[usize]) -> Result<Var<'t, T>> {
        let x = self.value();
        let shape = x.shape();
        if shape.len() != 2 || shape[0] == 0 || shape[1] == 0 {
            return Err(Error::shape(
                "softmax_cross_entropy",
                shape,
                &[labels.len()],
                "logits must be a non-empty (N, C) matrix",
            ));
        }
        let (n, classes) = (shape[0], shape[1]);
        if labels.len() != n {
            return Err(Error::shape("softmax_cross_entropy", shape, &[labels.len()], "one label per row of logits"));
        }
        if let Some((i, &bad)) = labels.iter().enumerate().find(|(_, &l)| l >= classes) {
            return Err(Error::invalid(
                "softmax_cross_entropy",
                "labels",
                format!("label {bad} at index {i} is not a class in 0..{classes}"),
            ));
        }
        let mut probs = x.as_ref().clone();
        let mut total = T::zero();
        for (row, &label) in probs.as_slice_mut().expect("standard layout").chunks_mut(classes).zip(labels) {
            let lse = log_sum_exp(row);
            total += lse - row[label];
            for v in row.iter_mut() {
                *v = (*v - lse).exp();
            }
        }
        let loss = ArrayD::from_elem(IxDyn(&[]), total / T::of(n as f64));
        Ok(self.tape.push(loss, &[self.id], SoftmaxCrossEntropy { probs, labels: labels.to_vec() }))
    }

    /// Mean squared error `mean((pred - target)^2)`.
    ///
    /// # Gradient
    /// `dpred = grad * 2 (pred - target) / n`, `dtarget = -dpred`
    ///
    /// # Shapes
    /// `pred` and `target` of the same shape (no broadcasting: a silent
    /// `(N, 1)` vs `(N,)` broadcast is a classic bug) -> a 0-d scalar.
    ///
    /// PyTorch equivalent: `torch.nn.functional.mse_loss(pred, target)`
    pub fn mse_loss(&self, target: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.same_tape("mse_loss", target)?;
        let (p, t) = (self.value(), target.value());
        if p.shape() != t.shape() {
            return Err(Error::shape(
                "mse_loss",
                p.shape(),
                t.shape(),
                "prediction and target must have the same shape",
            ));
        }
        if p.is_empty() {
            return Err(Error::shape("mse_loss", p.shape(), t.shape(), "empty input"));
        }
        let sum: T = Zip::from(p.as_ref()).and(t.as_ref()).fold(T::zero(), |acc, &p, &t| acc + (p - t) * (p - t));
        let loss = ArrayD::from_elem(IxDyn(&[]), sum / T::of(p.len() as f64));
        Ok(self.tape.push(loss, &[self.id, target.id], MseLoss))
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;
    use ndarray::{array, ArrayD};

    #[test]
    fn log_softmax_gradient_matches_central_differences() {
        assert_gradcheck(|_, v| v[0].log_softmax(), &[randn(&[4, 5], 41)]);
        assert_gradcheck(|_, v| v[0].log_softmax(), &[randn(&[2, 3, 4], 42)]);
    }

    #[test]
    fn cross_entropy_gradient_matches_central_differences() {
        let labels = [0, 3, 4, 1];
        assert_gradcheck(|_, v| v[0].softmax_cross_entropy(&labels), &[randn(&[4, 5], 43)]);
    }

    #[test]
    fn cross_entropy_gradient_matches_at_extreme_logits() {
        // Logits in the hundreds: exp() of any of them overflows f64 unless
        // the max is subtracted first. Row 0 is confidently right, row 1
        // confidently wrong, row 2 nearly tied at a huge offset.
        let logits = array![[500.0, -300.0, 0.0], [-800.0, 400.0, 399.0], [1000.0, 1000.5, 999.0]].into_dyn();
        let labels = [0, 0, 2];
        assert_gradcheck(|_, v| v[0].softmax_cross_entropy(&labels), std::slice::from_ref(&logits));
        let tape = Tape::<f64>::new();
        let loss = tape.leaf(logits).softmax_cross_entropy(&labels).unwrap();
        // Row 1 costs 1200 - ln(1 + e^-1) + ... : finite, never inf or NaN.
        assert!(loss.item().unwrap().is_finite());
    }

    #[test]
    fn cross_entropy_of_f32_logits_at_1e4_is_finite() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(array![[1e4f32, -1e4, 0.0]].into_dyn());
        let loss = x.softmax_cross_entropy(&[1]).unwrap();
        assert_eq!(loss.item(), Some(2e4));
        let g = tape.backward(&loss).unwrap();
        assert_eq!(g.wrt(&x).unwrap().unwrap(), &array![[1.0f32, -1.0, 0.0]].into_dyn());
    }

    #[test]
    fn mse_gradient_matches_central_differences() {
        assert_gradcheck(|_, v| v[0].mse_loss(&v[1]), &[randn(&[5, 2], 44), randn(&[5, 2], 45)]);
    }

    #[test]
    fn bad_labels_and_shapes_are_errors() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(ArrayD::zeros(vec![2, 3]));
        assert!(matches!(
            x.softmax_cross_entropy(&[0, 3]),
            Err(Error::InvalidArgument { op: "softmax_cross_entropy", .. })
        ));
        assert!(matches!(x.softmax_cross_entropy(&[0]), Err(Error::Shape { op: "softmax_cross_entropy", .. })));
        let column = tape.leaf(ArrayD::zeros(vec![2, 1]));
        let flat = tape.leaf(ArrayD::zeros(vec![2]));
        assert!(matches!(column.mse_loss(&flat), Err(Error::Shape { op: "mse_loss", .. })));
    }
}
