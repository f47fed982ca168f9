//! Shared machinery of elementwise functions `y = f(x)`.
//!
//! An elementwise op only states `f` and its derivative; the forward map and
//! the backward product `grad * f'(x)` are written once, here, as tight
//! monomorphised loops over contiguous memory (no boxing, no allocation per
//! element).

use crate::autodiff::{workspace, Backward, Var};
use crate::Element;
use ndarray::{ArrayD, Zip};

/// An elementwise function and its derivative, side by side.
pub trait Pointwise<T: Element>: Send + 'static {
    /// `y = f(x)`.
    fn f(&self, x: T) -> T;
    /// `dy/dx`, given both the input `x` and the output `y = f(x)` (many
    /// derivatives are cheapest from `y`: `exp`, `sigmoid`, `tanh`).
    fn df(&self, x: T, y: T) -> T;
}

struct PointwiseOp<P>(P);

impl<T: Element, P: Pointwise<T>> Backward<T> for PointwiseOp<P> {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        output: &ArrayD<T>,
        mut grad: ArrayD<T>,
        _: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        Zip::from(&mut grad).and(inputs[0]).and(output).for_each(|g, &x, &y| *g *= self.0.df(x, y));
        vec![Some(grad)]
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// Applies an elementwise function (public so that notebooks and tests
    /// can define their own and check them with [`gradcheck`](crate::autodiff::gradcheck)).
    pub fn pointwise<P: Pointwise<T>>(&self, p: P) -> Var<'t, T> {
        let x = self.value();
        let xs = x.as_slice().expect("standard layout");
        let mut y = workspace::take(xs.len());
        y.extend(xs.iter().map(|&v| p.f(v)));
        let y = ArrayD::from_shape_vec(x.raw_dim(), y).expect("same length");
        self.tape.push(y, &[self.id], PointwiseOp(p))
    }
}
