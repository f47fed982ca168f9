//! Shape ops: `reshape`, `flatten`, `transpose`, `permute`.
//!
//! Values stay contiguous: a permutation copies into standard layout once,
//! so that every kernel downstream reads memory in order.

use crate::autodiff::tape::standard;
use crate::autodiff::{Backward, Var};
use crate::{Element, Error, Result};
use ndarray::{ArrayD, IxDyn};

struct Reshape {
    input_shape: Vec<usize>,
}

impl<T: Element> Backward<T> for Reshape {
    fn backward(&self, _: &[&ArrayD<T>], _: &ArrayD<T>, grad: ArrayD<T>, _: &[bool]) -> Vec<Option<ArrayD<T>>> {
        vec![Some(grad.into_shape_with_order(IxDyn(&self.input_shape)).expect("same size"))]
    }
}

struct Permute {
    inverse: Vec<usize>,
}

impl<T: Element> Backward<T> for Permute {
    fn backward(&self, _: &[&ArrayD<T>], _: &ArrayD<T>, grad: ArrayD<T>, _: &[bool]) -> Vec<Option<ArrayD<T>>> {
        vec![Some(standard(grad.permuted_axes(IxDyn(&self.inverse))))]
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// Reshape to `shape` in row-major order (no copy).
    ///
    /// # Gradient
    /// `dx = reshape(grad, x.shape)`
    ///
    /// # Shapes
    /// Any `shape` with the same number of elements; else [`Error::Shape`].
    ///
    /// PyTorch equivalent: `x.reshape(shape)`
    pub fn reshape(&self, shape: &[usize]) -> Result<Var<'t, T>> {
        let x = self.value();
        if shape.iter().product::<usize>() != x.len() {
            return Err(Error::shape("reshape", x.shape(), shape, "the number of elements differs"));
        }
        let y = x.as_ref().clone().into_shape_with_order(IxDyn(shape)).expect("sizes checked");
        Ok(self.tape.push(y, &[self.id], Reshape { input_shape: x.shape().to_vec() }))
    }

    /// Flatten all dimensions after the first: `(n, d1, d2, ...) -> (n, d1*d2*...)`.
    ///
    /// # Gradient
    /// `dx = reshape(grad, x.shape)`
    ///
    /// PyTorch equivalent: `torch.flatten(x, 1)`
    pub fn flatten(&self) -> Result<Var<'t, T>> {
        let shape = self.shape();
        if shape.is_empty() {
            return Err(Error::shape("flatten", &shape, &[], "needs at least one (batch) dimension"));
        }
        let rest = shape[1..].iter().product();
        self.reshape(&[shape[0], rest])
    }

    /// Permute dimensions: output dimension `i` is input dimension `axes[i]`.
    ///
    /// # Gradient
    /// `dx = permute(grad, inverse(axes))`
    ///
    /// PyTorch equivalent: `x.permute(axes)`
    pub fn permute(&self, axes: &[usize]) -> Result<Var<'t, T>> {
        let x = self.value();
        let mut seen = vec![false; x.ndim()];
        let valid =
            axes.len() == x.ndim() && axes.iter().all(|&a| a < x.ndim() && !std::mem::replace(&mut seen[a], true));
        if !valid {
            return Err(Error::invalid(
                "permute",
                "axes",
                format!("{axes:?} is not a permutation of the {} axes of {:?}", x.ndim(), x.shape()),
            ));
        }
        let mut inverse = vec![0; axes.len()];
        for (i, &a) in axes.iter().enumerate() {
            inverse[a] = i;
        }
        let y = standard(x.view().permuted_axes(IxDyn(axes)).to_owned());
        Ok(self.tape.push(y, &[self.id], Permute { inverse }))
    }

    /// Transpose of a matrix.
    ///
    /// # Gradient
    /// `dx = grad^T`
    ///
    /// # Shapes
    /// `(m, n) -> (n, m)`; other ranks are [`Error::Shape`].
    ///
    /// PyTorch equivalent: `x.t()`
    pub fn transpose(&self) -> Result<Var<'t, T>> {
        let shape = self.shape();
        if shape.len() != 2 {
            return Err(Error::shape(
                "transpose",
                &shape,
                &[],
                "transpose() takes a 2-D matrix; use permute() for other ranks",
            ));
        }
        self.permute(&[1, 0])
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;

    #[test]
    fn gradients_match_central_differences() {
        let x = randn(&[2, 3, 4], 7);
        assert_gradcheck(|_, v| v[0].reshape(&[4, 6]), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| v[0].flatten(), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| v[0].permute(&[2, 0, 1]), &[x]);
        assert_gradcheck(|_, v| v[0].transpose(), &[randn(&[3, 5], 8)]);
    }

    #[test]
    fn invalid_shapes_and_axes_are_errors() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(randn(&[2, 3], 9));
        assert!(matches!(x.reshape(&[4, 2]), Err(Error::Shape { op: "reshape", .. })));
        assert!(matches!(x.permute(&[0, 0]), Err(Error::InvalidArgument { op: "permute", .. })));
        assert!(matches!(x.permute(&[0]), Err(Error::InvalidArgument { op: "permute", .. })));
        let v = tape.leaf(randn(&[3], 9));
        assert!(matches!(v.transpose(), Err(Error::Shape { op: "transpose", .. })));
    }
}
