//! NumPy/PyTorch broadcasting, and its adjoint for the backward pass.

use crate::{Element, Error, Result};
use ndarray::{ArrayD, Axis};

/// The shape two operands broadcast to, or a shape error naming `op`.
///
/// Shapes are aligned at their trailing dimensions; two dimensions fit when
/// they are equal or one of them is 1 (NumPy's rule, which PyTorch follows).
///
/// ```
/// use descent::autodiff::broadcast_shape;
/// assert_eq!(broadcast_shape("add", &[4, 1, 3], &[5, 1]).unwrap(), vec![4, 5, 3]);
/// assert!(broadcast_shape("add", &[2, 3], &[4]).is_err());
/// ```
pub fn broadcast_shape(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let ndim = a.len().max(b.len());
    let mut out = vec![0; ndim];
    for i in 0..ndim {
        // Dimension i counted from the right; missing dimensions are 1.
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 1 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 1 };
        out[ndim - 1 - i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            (x, y) => {
                return Err(Error::shape(
                    op,
                    a,
                    b,
                    format!("dimension {x} does not broadcast against {y} ({} from the right)", i + 1),
                ))
            }
        };
    }
    Ok(out)
}

/// Sums a broadcast gradient back to the operand's `shape`: the adjoint of
/// broadcasting. Leading dimensions that broadcasting added are summed away;
/// dimensions where the operand had size 1 are summed and kept.
///
/// ```
/// use descent::autodiff::sum_to_shape;
/// use ndarray::{array, ArrayD};
/// let g = ArrayD::from_elem(vec![2, 3], 1.0);
/// assert_eq!(sum_to_shape(g.clone(), &[3]), array![2.0, 2.0, 2.0].into_dyn());
/// assert_eq!(sum_to_shape(g, &[2, 1]), array![[3.0], [3.0]].into_dyn());
/// ```
pub fn sum_to_shape<T: Element>(grad: ArrayD<T>, shape: &[usize]) -> ArrayD<T> {
    if grad.shape() == shape {
        return grad;
    }
    let mut g = grad;
    while g.ndim() > shape.len() {
        g = g.sum_axis(Axis(0));
    }
    for (axis, &dim) in shape.iter().enumerate() {
        if dim == 1 && g.shape()[axis] != 1 {
            g = g.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        }
    }
    debug_assert_eq!(g.shape(), shape);
    g
}
