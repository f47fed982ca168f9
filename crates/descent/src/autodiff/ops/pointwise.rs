//! Shared machinery of elementwise functions `y = f(x)`.
//!
//! An elementwise op only states `f` and its derivative; the forward map and
//! the backward product `grad * f'(x)` (or the op's own [`Pointwise::grad`])
//! are written once, here, as tight monomorphised loops over contiguous
//! memory (no boxing, no allocation per element), split into fixed chunks
//! over rayon's workers when the array is large (the CNN's first ReLU sees
//! 4.7 million values per step). Each element is computed alone, so the
//! split never changes a result.

use crate::autodiff::{Backward, Var};
use crate::kernels::workspace;
use crate::Element;
use ndarray::{ArrayD, Zip};
use rayon::prelude::*;

/// Elements per parallel task; arrays up to this size run on the caller.
const CHUNK: usize = 1 << 15;

/// Calls `f(start, chunk)` for consecutive chunks of `out` (`start` is the
/// chunk's offset in `out`): in parallel over rayon's workers for a large
/// `out`, as one call on this thread for a small one.
fn chunked<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync) {
    if out.len() <= CHUNK {
        f(0, out);
    } else {
        out.par_chunks_mut(CHUNK).enumerate().for_each(|(i, chunk)| f(i * CHUNK, chunk));
    }
}

/// An elementwise function and its derivative, side by side.
pub trait Pointwise<T: Element>: Send + Sync + 'static {
    /// `y = f(x)`.
    fn f(&self, x: T) -> T;
    /// `dy/dx`, given both the input `x` and the output `y = f(x)` (many
    /// derivatives are cheapest from `y`: `exp`, `sigmoid`, `tanh`).
    fn df(&self, x: T, y: T) -> T;
    /// The gradient of `x` from the gradient `grad` of `y`: `grad * df(x, y)`
    /// unless the function says otherwise (ReLU selects, as PyTorch does).
    fn grad(&self, x: T, y: T, grad: T) -> T {
        grad * self.df(x, y)
    }
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
        grad_in_place(&self.0, inputs[0], output, &mut grad);
        vec![Some(grad)]
    }
}

/// `grad = p.grad(x, y, grad)` element by element: the backward of `y =
/// p.f(x)`, also for ops that apply `p` inside themselves (the linear layer
/// with its ReLU, `Var::linear_relu`).
pub(crate) fn grad_in_place<T: Element, P: Pointwise<T>>(p: &P, x: &ArrayD<T>, y: &ArrayD<T>, grad: &mut ArrayD<T>) {
    match (x.as_slice(), y.as_slice()) {
        (Some(xs), Some(ys)) if grad.is_standard_layout() => {
            chunked(grad.as_slice_mut().expect("standard layout"), |start, g| {
                for ((g, &x), &y) in g.iter_mut().zip(&xs[start..]).zip(&ys[start..]) {
                    *g = p.grad(x, y, *g);
                }
            });
        }
        _ => Zip::from(grad).and(x).and(y).for_each(|g, &x, &y| *g = p.grad(x, y, *g)),
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// Applies an elementwise function (public so that notebooks and tests
    /// can define their own and check them with [`gradcheck`](mod@crate::autodiff::gradcheck)).
    pub fn pointwise<P: Pointwise<T>>(&self, p: P) -> Var<'t, T> {
        let x = self.value();
        let xs = x.as_slice().expect("standard layout");
        // Every element is overwritten below.
        let mut y = workspace::stale(xs.len(), T::zero());
        chunked(&mut y, |start, y| {
            for (y, &x) in y.iter_mut().zip(&xs[start..]) {
                *y = p.f(x);
            }
        });
        let y = ArrayD::from_shape_vec(x.raw_dim(), y).expect("same length");
        self.tape.push(y, &[self.id], PointwiseOp(p))
    }
}
