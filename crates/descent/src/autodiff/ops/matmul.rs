//! Matrix products: `matmul`, the fused affine map `linear`, and
//! `linear_relu`, the affine map with the ReLU after it.
//!
//! All go to a real GEMM (`kernels::gemm`: descent's AVX-512
//! product for `f32` where the CPU has it, matrixmultiply's sgemm/dgemm
//! otherwise, large products in parallel blocks); transposes are strided
//! views, never copies.

use super::activation::Relu;
use super::pointwise::grad_in_place;
use crate::autodiff::{Backward, Var};
use crate::kernels::gemm::{affine, dot};
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
    /// Whether the output went through a ReLU (`linear_relu`): the incoming
    /// gradient is the ReLU's output's, taken through its backward first.
    relu: bool,
}

impl<T: Element> Backward<T> for Linear {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        output: &ArrayD<T>,
        mut grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        if self.relu {
            // `Var::relu`'s backward, value for value (its gradient depends
            // on the output only).
            grad_in_place(&Relu, output, output, &mut grad);
        }
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

    /// Affine map `Y = X W^T + b`, fused (one GEMM, which starts each row of
    /// `Y` from the bias).
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
        self.affine("linear", weight, bias, false)
    }

    /// `relu(X W^T + b)` as one op: the values and gradients of
    /// `x.linear(w, b)?.relu()`, bit for bit, with the ReLU applied by the
    /// product as it stores each output where descent's AVX-512 product runs
    /// (`f32` on a CPU with it; elsewhere by each block of the product after
    /// matrixmultiply's), not by a pass over the whole output on one core;
    /// no pre-activation kept. [`Sequential`](crate::nn::Sequential)
    /// records a [`Linear`](crate::nn::Linear) layer and a
    /// [`ReLU`](crate::nn::ReLU) after it as this op.
    ///
    /// # Gradient
    /// `dZ = dY` where `Y > 0` or is NaN, else 0 ([`Var::relu`]'s), then
    /// `dX = dZ W`, `dW = dZ^T X`, `db = sum_rows(dZ)`
    ///
    /// # Shapes
    /// As [`Var::linear`].
    ///
    /// PyTorch equivalent: `torch.relu(torch.nn.functional.linear(x, w, b))`
    pub fn linear_relu(&self, weight: &Var<'t, T>, bias: Option<&Var<'t, T>>) -> Result<Var<'t, T>> {
        self.affine("linear_relu", weight, bias, true)
    }

    fn affine(
        &self,
        op: &'static str,
        weight: &Var<'t, T>,
        bias: Option<&Var<'t, T>>,
        relu: bool,
    ) -> Result<Var<'t, T>> {
        self.same_tape(op, weight)?;
        let (x, w) = (self.value(), weight.value());
        check_matrix(op, x.shape(), w.shape())?;
        if x.shape()[1] != w.shape()[1] {
            return Err(Error::shape(
                op,
                x.shape(),
                w.shape(),
                format!("input has {} features, weight expects {}", x.shape()[1], w.shape()[1]),
            ));
        }
        let (n, out) = (x.shape()[0], w.shape()[0]);
        let mut parents = vec![self.id, weight.id];
        let b = match bias {
            Some(bias) => {
                self.same_tape(op, bias)?;
                let b = bias.value();
                if b.shape() != [out] {
                    return Err(Error::shape(op, b.shape(), &[out], "bias must have one entry per output feature"));
                }
                parents.push(bias.id);
                Some(b)
            }
            None => None,
        };
        let b = b.as_ref().map(|b| b.view().into_dimensionality::<ndarray::Ix1>().expect("1-D"));
        // Every value is written by the product (from the bias, or from
        // zero), so these zeros are never read; still a fresh allocation, not
        // a stale buffer from the workspace pool: taken from the pool, the
        // linear outputs left the first layer's weight gradient missing it at
        // every step of the MNIST MLP (+30 ms an epoch, docs/performance.md).
        let mut y = crate::kernels::workspace::zeroed_matrix::<T>(n, out);
        affine(&as_matrix(&x), &as_matrix(&w).t(), b.as_ref(), relu, &mut y.view_mut());
        Ok(self.tape.push(y.into_dyn(), &parents, Linear { has_bias: bias.is_some(), relu }))
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
    fn linear_relu_gradients_match_central_differences() {
        let (x, w, b) = (randn(&[4, 5], 6), randn(&[3, 5], 7), randn(&[3], 8));
        // Only where no output is near the ReLU's kink.
        let tape = Tape::<f64>::new();
        let y = tape.leaf(x.clone()).linear(&tape.leaf(w.clone()), Some(&tape.leaf(b.clone()))).unwrap().value();
        assert!(y.iter().all(|v| v.abs() > 1e-3) && y.iter().any(|&v| v < 0.0) && y.iter().any(|&v| v > 0.0));
        assert_gradcheck(|_, v| v[0].linear_relu(&v[1], Some(&v[2])), &[x.clone(), w.clone(), b]);
        assert_gradcheck(|_, v| v[0].linear_relu(&v[1], None), &[x, w]);
    }

    /// `linear_relu` against `linear` then `relu`, bit for bit, values and
    /// the gradients of all three inputs: `f32` (the AVX-512 product where
    /// the CPU has it, its output in two parallel blocks for the MNIST MLP's
    /// first layer, sums of four blocks of terms; and with the baseline
    /// forced: matrixmultiply, then the ReLU's pass, against the AVX-512
    /// path's bits) and `f64` (matrixmultiply), with and without a bias,
    /// and with a NaN and infinities in `X`.
    #[test]
    fn linear_relu_equals_linear_then_relu_bit_for_bit() {
        // Not while another test has the baseline forced.
        let _switch = crate::kernels::cpu::baseline_switch();
        type Run = (Vec<String>, [Option<Vec<String>>; 3]);
        fn check<T: crate::Element>(n: usize, i: usize, o: usize, bias: bool, edges: bool) -> Run {
            let cast = |a: ndarray::ArrayD<f64>| a.mapv(|v| T::from(v).unwrap());
            let mut x = cast(randn(&[n, i], 11));
            if edges {
                x[[0, 3]] = T::nan();
                x[[1, 4]] = T::infinity();
                x[[2, 5]] = T::neg_infinity();
            }
            let (w, b, g) = (cast(randn(&[o, i], 12)), cast(randn(&[o], 13)), cast(randn(&[n, o], 14)));
            let run = |fused: bool| {
                let tape = Tape::<T>::new();
                let (xv, wv, bv) = (tape.leaf(x.clone()), tape.leaf(w.clone()), tape.leaf(b.clone()));
                let b_in = bias.then_some(&bv);
                let y = if fused { xv.linear_relu(&wv, b_in).unwrap() } else { xv.linear(&wv, b_in).unwrap().relu() };
                let loss = y.mul(&tape.constant(g.clone())).unwrap().sum();
                let grads = tape.backward(&loss).unwrap();
                let grad = |v| grads.wrt(v).unwrap().cloned();
                (y.value().as_ref().clone(), grad(&xv), grad(&wv), if bias { grad(&bv) } else { None })
            };
            let bits = |a: &ndarray::ArrayD<T>| a.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>();
            let (fused, apart) = (run(true), run(false));
            let what = format!("{n}x{i} -> {o}, {}, bias {bias}, edges {edges}", std::any::type_name::<T>());
            assert_eq!(bits(&fused.0), bits(&apart.0), "values, {what}");
            assert!(fused.0.iter().any(|v| *v == T::zero()) && fused.0.iter().any(|v| *v > T::zero()), "{what}");
            let grads = [fused.1, fused.2, fused.3].map(|g| g.as_ref().map(bits));
            assert_eq!(grads, [apart.1, apart.2, apart.3].map(|g| g.as_ref().map(bits)), "gradients, {what}");
            (bits(&fused.0), grads)
        }
        for bias in [true, false] {
            for edges in [false, true] {
                for (n, i, o) in [(128, 784, 256), (7, 300, 19)] {
                    let fast = check::<f32>(n, i, o, bias, edges);
                    crate::kernels::cpu::force_baseline(true);
                    let baseline = check::<f32>(n, i, o, bias, edges);
                    crate::kernels::cpu::force_baseline(false);
                    assert_eq!(fast, baseline, "{n}x{i} -> {o}, bias {bias}, edges {edges}: baseline");
                }
                check::<f64>(7, 300, 19, bias, edges);
            }
        }
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
        assert!(matches!(a.linear_relu(&w, None), Err(Error::Shape { op: "linear_relu", .. })));
    }
}
