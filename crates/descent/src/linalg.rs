//! Small dense linear algebra the experiments need (no BLAS): solving
//! symmetric positive-definite systems by Cholesky; and the engine's matrix
//! product on its own ([`matmul_into`]), for benchmarks that time it alone.

use crate::{Element, Error, Result};
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2};

/// `C = A B` by the matrix product the autodiff ops run (`Var::matmul`,
/// `Var::linear` and their gradients), on this thread, whole: the AVX-512
/// product for `f32` where the CPU has it (in matrixmultiply's order of
/// additions), matrixmultiply otherwise. `A` and `B` may be transposed
/// views. For benchmarks and checks of the product alone.
pub fn matmul_into<T: Element>(
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    c: &mut ArrayViewMut2<'_, T>,
) -> Result<()> {
    if a.ncols() != b.nrows() || c.dim() != (a.nrows(), b.ncols()) {
        return Err(Error::shape(
            "matmul_into",
            a.shape(),
            b.shape(),
            format!("C must be {}x{} and A's columns B's rows; C is {:?}", a.nrows(), b.ncols(), c.shape()),
        ));
    }
    crate::kernels::gemm::gemm_serial(T::one(), a, b, T::zero(), c);
    Ok(())
}

/// Solves `A z = b` for a symmetric positive-definite `A` (Cholesky).
pub fn solve_spd(a: &Array2<f64>, b: &Array1<f64>) -> Result<Array1<f64>> {
    if a.nrows() != a.ncols() || b.len() != a.nrows() {
        return Err(Error::shape("solve_spd", a.shape(), b.shape(), "A must be square with one row per entry of b"));
    }
    cholesky_solve(a, b).ok_or_else(|| Error::invalid("solve_spd", "a", "the matrix is not positive definite"))
}

/// Solves `A z = b` for symmetric positive-definite `A`; `None` if it is not.
pub(crate) fn cholesky_solve(a: &Array2<f64>, b: &Array1<f64>) -> Option<Array1<f64>> {
    let n = a.nrows();
    let mut l = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[[i, k]] * l[[j, k]]).sum();
            if i == j {
                let diag = a[[i, i]] - dot;
                if diag <= 1e-12 * a[[i, i]].abs().max(1.0) {
                    return None;
                }
                l[[i, i]] = diag.sqrt();
            } else {
                l[[i, j]] = (a[[i, j]] - dot) / l[[j, j]];
            }
        }
    }
    let mut z = Array1::<f64>::zeros(n);
    for i in 0..n {
        z[i] = (b[i] - (0..i).map(|k| l[[i, k]] * z[k]).sum::<f64>()) / l[[i, i]];
    }
    let mut w = Array1::<f64>::zeros(n);
    for i in (0..n).rev() {
        w[i] = (z[i] - (i + 1..n).map(|k| l[[k, i]] * w[k]).sum::<f64>()) / l[[i, i]];
    }
    Some(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn solves_a_positive_definite_system_and_refuses_others() {
        let a = array![[4.0, 1.0], [1.0, 3.0]];
        let z = solve_spd(&a, &array![1.0, 2.0]).unwrap();
        assert!((a.dot(&z) - array![1.0, 2.0]).iter().all(|r| r.abs() < 1e-12));
        assert!(solve_spd(&array![[1.0, 2.0], [2.0, 1.0]], &array![1.0, 1.0]).is_err(), "indefinite");
        assert!(solve_spd(&a, &array![1.0]).is_err(), "shapes");
    }

    #[test]
    fn matmul_into_is_the_product_and_refuses_wrong_shapes() {
        let a = Array2::from_shape_fn((9, 300), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.1 - 0.5);
        let b = Array2::from_shape_fn((50, 300), |(i, j)| ((i * 5 + j * 2) % 13) as f32 * 0.1 - 0.6);
        let mut got = Array2::from_elem((9, 50), f32::NAN);
        matmul_into(&a.view(), &b.t(), &mut got.view_mut()).unwrap();
        let mut want = Array2::zeros((9, 50));
        ndarray::linalg::general_mat_mul(1.0, &a, &b.t(), 0.0, &mut want);
        let bits = |m: &Array2<f32>| m.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "matrixmultiply's bits");
        let mut wrong = Array2::zeros((9, 49));
        assert!(matches!(matmul_into(&a.view(), &b.t(), &mut wrong.view_mut()), Err(Error::Shape { .. })));
        assert!(matches!(matmul_into(&a.view(), &b.view(), &mut got.view_mut()), Err(Error::Shape { .. })));
    }
}
