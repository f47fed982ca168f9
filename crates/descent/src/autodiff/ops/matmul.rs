//! Matrix products: `matmul` and the fused affine map `linear`.
//!
//! Both go to a real GEMM (`matrixmultiply`'s sgemm/dgemm, large products
//! in parallel blocks: `autodiff/gemm.rs`); transposes are strided
//! views, never copies.

use crate::autodiff::{Backward, Var};
use crate::kernels::gemm::{dot, gemm};
use crate::{Element, Error, Result};
use ndarray::{ArrayD, ArrayView2, Axis, Ix2};

fn as_matrix<'a, T: Element>(a: &'a ArrayD<T>) -> ArrayView2<'a, T> {
    a.view().into_dimensionality::<Ix2>().expect("checked 2-D in forward")
}

struct Matmul;

impl<T: Element> Backward<T> for Matmul {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        _: &ArrayD<T>,
        grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        let (a, b, g) = (as_matrix(inputs[0]), as_matrix(inputs[1]), as_matrix(&grad));
        vec![
            wants[0].then(|| dot(&g, &b.t()).into_dyn()), // dA = G B^T
            wants[1].then(|| dot(&a.t(), &g).into_dyn()), // dB = A^T G
        ]
    }
}

struct Linear {
    has_bias: bool,
}

impl<T: Element> Backward<T> for Linear {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        _: &ArrayD<T>,
        grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        let (x, w, g) = (as_matrix(inputs[0]), as_matrix(inputs[1]), as_matrix(&grad));
        let mut grads = vec![
            wants[0].then(|| dot(&g, &w).into_dyn()),     // dX = G W
            wants[1].then(|| dot(&g.t(), &x).into_dyn()), // dW = G^T X
        ];
        if self.has_bias {
            grads.push(wants[2].then(|| g.sum_axis(Axis(0)).into_dyn())); // db = sum over the batch
        }
        grads
    }
}

fn check_matrix(op: &'static str, a: &[usize], b: &[usize]) -> Result<()> {
    if a.len() != 2 || b.len() != 2 {
        return Err(Error::shape(op, a, b, "both operands must be 2-D matrices"));
    }
    Ok(())
}

impl<'t, T: Element> Var<'t, T> {
    /// Matrix product `C = A B`.
    ///
    /// # Gradient
    /// `dA = dC B^T`, `dB = A^T dC`
    ///
    /// # Shapes
    /// `(m, k) x (k, n) -> (m, n)`; anything else is [`Error::Shape`].
    ///
    /// PyTorch equivalent: `a @ b` (2-D).
    ///
    /// ```
    /// # use descent::autodiff::Tape; use ndarray::array;
    /// let tape = Tape::<f64>::new();
    /// let a = tape.leaf(array![[1.0, 2.0]].into_dyn());
    /// let b = tape.leaf(array![[3.0], [4.0]].into_dyn());
    /// assert_eq!(a.matmul(&b).unwrap().item(), Some(11.0));
    /// assert!(b.matmul(&b).is_err());
    /// ```
    pub fn matmul(&self, other: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.same_tape("matmul", other)?;
        let (a, b) = (self.value(), other.value());
        check_matrix("matmul", a.shape(), b.shape())?;
        if a.shape()[1] != b.shape()[0] {
            return Err(Error::shape("matmul", a.shape(), b.shape(), "inner dimensions differ"));
        }
        let c = dot(&as_matrix(&a), &as_matrix(&b));
        Ok(self.tape.push(c.into_dyn(), &[self.id, other.id], Matmul))
    }

    /// Affine map `Y = X W^T + b`, fused (one GEMM, bias as its initial value).
    ///
    /// `W` is stored `(out_features, in_features)` as in PyTorch, so weights
    /// and golden values carry over unchanged.
    ///
    /// # Gradient
    /// `dX = dY W`, `dW = dY^T X`, `db = sum_rows(dY)`
    ///
    /// # Shapes
    /// `X: (n, in)`, `W: (out, in)`, `b: (out)` -> `(n, out)`.
    ///
    /// PyTorch equivalent: `torch.nn.functional.linear(x, w, b)`
    pub fn linear(&self, weight: &Var<'t, T>, bias: Option<&Var<'t, T>>) -> Result<Var<'t, T>> {
        self.same_tape("linear", weight)?;
        let (x, w) = (self.value(), weight.value());
        check_matrix("linear", x.shape(), w.shape())?;
        if x.shape()[1] != w.shape()[1] {
            return Err(Error::shape(
                "linear",
                x.shape(),
                w.shape(),
                format!("input has {} features, weight expects {}", x.shape()[1], w.shape()[1]),
            ));
        }
        let (n, out) = (x.shape()[0], w.shape()[0]);
        let mut y = crate::kernels::workspace::zeroed_matrix::<T>(n, out);
        let mut parents = vec![self.id, weight.id];
        if let Some(bias) = bias {
            self.same_tape("linear", bias)?;
            let b = bias.value();
            if b.shape() != [out] {
                return Err(Error::shape("linear", b.shape(), &[out], "bias must have one entry per output feature"));
            }
            y.assign(&b.view().into_dimensionality::<ndarray::Ix1>().expect("1-D"));
            parents.push(bias.id);
        }
        let beta = if bias.is_some() { T::one() } else { T::zero() };
        gemm(T::one(), &as_matrix(&x), &as_matrix(&w).t(), beta, &mut y.view_mut());
        Ok(self.tape.push(y.into_dyn(), &parents, Linear { has_bias: bias.is_some() }))
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;

    #[test]
    fn matmul_gradients_match_central_differences() {
        assert_gradcheck(|_, v| v[0].matmul(&v[1]), &[randn(&[3, 5], 1), randn(&[5, 2], 2)]);
    }

    #[test]
    fn linear_gradients_match_central_differences() {
        let (x, w, b) = (randn(&[4, 5], 3), randn(&[3, 5], 4), randn(&[3], 5));
        assert_gradcheck(|_, v| v[0].linear(&v[1], Some(&v[2])), &[x.clone(), w.clone(), b]);
        assert_gradcheck(|_, v| v[0].linear(&v[1], None), &[x, w]);
    }

    #[test]
    fn linear_equals_matmul_with_transposed_weight_plus_bias() {
        let tape = Tape::<f64>::new();
        let (x, w, b) = (tape.leaf(randn(&[4, 5], 3)), tape.leaf(randn(&[3, 5], 4)), tape.leaf(randn(&[3], 5)));
        let fused = x.linear(&w, Some(&b)).unwrap().value();
        let composed = x.matmul(&w.transpose().unwrap()).unwrap().add(&b).unwrap().value();
        let diff = (fused.as_ref() - composed.as_ref()).mapv(f64::abs).fold(0.0f64, |m, &v| m.max(v));
        assert!(diff < 1e-12, "{diff}");
    }

    #[test]
    fn mismatched_shapes_are_errors() {
        let tape = Tape::<f32>::new();
        let a = tape.leaf(ndarray::ArrayD::zeros(vec![2, 3]));
        let b = tape.leaf(ndarray::ArrayD::zeros(vec![2, 3]));
        assert!(matches!(a.matmul(&b), Err(Error::Shape { op: "matmul", .. })));
        let v = tape.leaf(ndarray::ArrayD::zeros(vec![3]));
        assert!(matches!(a.matmul(&v), Err(Error::Shape { op: "matmul", .. })));
        let w = tape.leaf(ndarray::ArrayD::zeros(vec![4, 5]));
        assert!(matches!(a.linear(&w, None), Err(Error::Shape { op: "linear", .. })));
    }
}
