//! Small dense linear algebra the experiments need (no BLAS): solving
//! symmetric positive-definite systems by Cholesky.

use crate::{Error, Result};
use ndarray::{Array1, Array2};

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
}
