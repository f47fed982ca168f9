//! Reductions: `sum`, `mean`, and their per-axis forms.

use crate::autodiff::{Backward, Var};
use crate::{Element, Error, Result};
use ndarray::{ArrayD, Axis, IxDyn};

/// `y = scale * sum(x)` over all elements or along one axis.
struct Sum<T> {
    axis: Option<usize>,
    keepdim: bool,
    /// 1 for a sum, 1/n for a mean.
    scale: T,
}

impl<T: Element> Backward<T> for Sum<T> {
    fn backward(&self, inputs: &[&ArrayD<T>], _: &ArrayD<T>, grad: ArrayD<T>, _: &[bool]) -> Vec<Option<ArrayD<T>>> {
        // Every input element contributed once (times `scale`) to its output.
        let grad = match (self.axis, self.keepdim) {
            (Some(axis), false) => grad.insert_axis(Axis(axis)),
            _ => grad,
        };
        let spread = grad.broadcast(inputs[0].raw_dim()).expect("reduced shape broadcasts back");
        vec![Some(spread.mapv(|g| g * self.scale))]
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// `sum(x)` over all elements, a 0-d scalar.
    ///
    /// # Gradient
    /// `dx = grad` broadcast to `x.shape`
    ///
    /// PyTorch equivalent: `x.sum()`
    pub fn sum(&self) -> Var<'t, T> {
        let x = self.value();
        let y = ArrayD::from_elem(IxDyn(&[]), x.sum());
        self.tape.push(y, &[self.id], Sum { axis: None, keepdim: false, scale: T::one() })
    }

    /// `mean(x)` over all elements, a 0-d scalar.
    ///
    /// # Gradient
    /// `dx = grad / n` broadcast to `x.shape`
    ///
    /// PyTorch equivalent: `x.mean()`
    pub fn mean(&self) -> Var<'t, T> {
        let x = self.value();
        let n = T::of(x.len() as f64);
        let y = ArrayD::from_elem(IxDyn(&[]), x.sum() / n);
        self.tape.push(y, &[self.id], Sum { axis: None, keepdim: false, scale: n.recip() })
    }

    /// Sum along `axis`, keeping it as size 1 if `keepdim`.
    ///
    /// # Gradient
    /// `dx = grad` broadcast back along `axis`
    ///
    /// PyTorch equivalent: `x.sum(dim=axis, keepdim=keepdim)`
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Result<Var<'t, T>> {
        self.reduce_axis("sum_axis", axis, keepdim, false)
    }

    /// Mean along `axis`, keeping it as size 1 if `keepdim`.
    ///
    /// # Gradient
    /// `dx = grad / n_axis` broadcast back along `axis`
    ///
    /// PyTorch equivalent: `x.mean(dim=axis, keepdim=keepdim)`
    pub fn mean_axis(&self, axis: usize, keepdim: bool) -> Result<Var<'t, T>> {
        self.reduce_axis("mean_axis", axis, keepdim, true)
    }

    fn reduce_axis(&self, op: &'static str, axis: usize, keepdim: bool, mean: bool) -> Result<Var<'t, T>> {
        let x = self.value();
        if axis >= x.ndim() {
            return Err(Error::invalid(op, "axis", format!("axis {axis} is out of range for shape {:?}", x.shape())));
        }
        let n = x.shape()[axis];
        if mean && n == 0 {
            return Err(Error::invalid(op, "axis", format!("axis {axis} of shape {:?} is empty", x.shape())));
        }
        let scale = if mean { T::of(n as f64).recip() } else { T::one() };
        let mut y = x.sum_axis(Axis(axis));
        if mean {
            y.mapv_inplace(|v| v * scale);
        }
        if keepdim {
            y = y.insert_axis(Axis(axis));
        }
        Ok(self.tape.push(y, &[self.id], Sum { axis: Some(axis), keepdim, scale }))
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;

    #[test]
    fn gradients_match_central_differences() {
        let x = randn(&[3, 4, 2], 11);
        assert_gradcheck(|_, v| Ok(v[0].sum()), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| Ok(v[0].mean()), std::slice::from_ref(&x));
        for axis in 0..3 {
            for keepdim in [false, true] {
                assert_gradcheck(|_, v| v[0].sum_axis(axis, keepdim), std::slice::from_ref(&x));
                assert_gradcheck(|_, v| v[0].mean_axis(axis, keepdim), std::slice::from_ref(&x));
            }
        }
    }

    #[test]
    fn axis_out_of_range_is_an_error() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(randn(&[3, 4], 12));
        assert!(matches!(x.sum_axis(2, false), Err(Error::InvalidArgument { op: "sum_axis", .. })));
    }
}
