//! Binary arithmetic with NumPy/PyTorch broadcasting: `add`, `sub`, `mul`, `div`.
//!
//! Each op states `f(a, b)` and its two partial derivatives side by side; the
//! broadcasting forward and backward (a broadcast operand's gradient is
//! summed back to its shape by [`sum_to_shape`]) are written once.

use crate::autodiff::{broadcast_shape, sum_to_shape, Backward, Var};
use crate::{Element, Result};
use ndarray::{ArrayD, IxDyn, Zip};

/// A binary elementwise function and its partial derivatives.
pub trait Binary<T: Element>: Send + 'static {
    /// The op's name in error messages.
    const NAME: &'static str;
    /// `y = f(a, b)`.
    fn f(a: T, b: T) -> T;
    /// `dy/da` at `(a, b)` with `y = f(a, b)`.
    fn da(a: T, b: T, y: T) -> T;
    /// `dy/db` at `(a, b)` with `y = f(a, b)`.
    fn db(a: T, b: T, y: T) -> T;
}

/// `a + b`: `dy/da = 1`, `dy/db = 1`.
pub struct Add;
impl<T: Element> Binary<T> for Add {
    const NAME: &'static str = "add";
    fn f(a: T, b: T) -> T {
        a + b
    }
    fn da(_: T, _: T, _: T) -> T {
        T::one()
    }
    fn db(_: T, _: T, _: T) -> T {
        T::one()
    }
}

/// `a - b`: `dy/da = 1`, `dy/db = -1`.
pub struct Sub;
impl<T: Element> Binary<T> for Sub {
    const NAME: &'static str = "sub";
    fn f(a: T, b: T) -> T {
        a - b
    }
    fn da(_: T, _: T, _: T) -> T {
        T::one()
    }
    fn db(_: T, _: T, _: T) -> T {
        -T::one()
    }
}

/// `a * b`: `dy/da = b`, `dy/db = a`.
pub struct Mul;
impl<T: Element> Binary<T> for Mul {
    const NAME: &'static str = "mul";
    fn f(a: T, b: T) -> T {
        a * b
    }
    fn da(_: T, b: T, _: T) -> T {
        b
    }
    fn db(a: T, _: T, _: T) -> T {
        a
    }
}

/// `a / b`: `dy/da = 1 / b`, `dy/db = -a / b^2 = -y / b`.
pub struct Div;
impl<T: Element> Binary<T> for Div {
    const NAME: &'static str = "div";
    fn f(a: T, b: T) -> T {
        a / b
    }
    fn da(_: T, b: T, _: T) -> T {
        b.recip()
    }
    fn db(_: T, b: T, y: T) -> T {
        -y / b
    }
}

struct BinaryOp<B> {
    out_shape: Vec<usize>,
    _op: std::marker::PhantomData<fn() -> B>,
}

impl<T: Element, B: Binary<T>> Backward<T> for BinaryOp<B> {
    fn backward(
        &self,
        inputs: &[&ArrayD<T>],
        output: &ArrayD<T>,
        grad: ArrayD<T>,
        wants: &[bool],
    ) -> Vec<Option<ArrayD<T>>> {
        let shape = IxDyn(&self.out_shape);
        let a = inputs[0].broadcast(shape.clone()).expect("checked in forward");
        let b = inputs[1].broadcast(shape).expect("checked in forward");
        let partial = |d: fn(T, T, T) -> T, operand: &ArrayD<T>| {
            let g = Zip::from(&grad).and(&a).and(&b).and(output).map_collect(|&g, &a, &b, &y| g * d(a, b, y));
            sum_to_shape(g, operand.shape())
        };
        vec![wants[0].then(|| partial(B::da, inputs[0])), wants[1].then(|| partial(B::db, inputs[1]))]
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// Applies a broadcasting binary op (public so that new ones can be
    /// defined and checked with [`gradcheck`](mod@crate::autodiff::gradcheck)).
    pub fn binary<B: Binary<T>>(&self, other: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.same_tape(B::NAME, other)?;
        let (a, b) = (self.value(), other.value());
        let out_shape = broadcast_shape(B::NAME, a.shape(), b.shape())?;
        let dim = IxDyn(&out_shape);
        let a_view = a.broadcast(dim.clone()).expect("broadcast_shape checked it");
        let b_view = b.broadcast(dim).expect("broadcast_shape checked it");
        let y = Zip::from(&a_view).and(&b_view).map_collect(|&a, &b| B::f(a, b));
        let op = BinaryOp::<B> { out_shape, _op: std::marker::PhantomData };
        Ok(self.tape.push(y, &[self.id, other.id], op))
    }

    /// `a + b`, broadcasting.
    ///
    /// # Gradient
    /// `da = sum_to(grad, a.shape)`, `db = sum_to(grad, b.shape)`
    ///
    /// # Shapes
    /// Any two shapes that broadcast; else [`Error::Shape`](crate::Error::Shape).
    ///
    /// PyTorch equivalent: `a + b`
    pub fn add(&self, other: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary::<Add>(other)
    }

    /// `a - b`, broadcasting.
    ///
    /// # Gradient
    /// `da = sum_to(grad, a.shape)`, `db = -sum_to(grad, b.shape)`
    ///
    /// PyTorch equivalent: `a - b`
    pub fn sub(&self, other: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary::<Sub>(other)
    }

    /// `a * b` elementwise, broadcasting.
    ///
    /// # Gradient
    /// `da = sum_to(grad * b, a.shape)`, `db = sum_to(grad * a, b.shape)`
    ///
    /// PyTorch equivalent: `a * b`
    pub fn mul(&self, other: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary::<Mul>(other)
    }

    /// `a / b` elementwise, broadcasting.
    ///
    /// # Gradient
    /// `da = sum_to(grad / b, a.shape)`, `db = -sum_to(grad * a / b^2, b.shape)`
    ///
    /// PyTorch equivalent: `a / b`
    pub fn div(&self, other: &Var<'t, T>) -> Result<Var<'t, T>> {
        self.binary::<Div>(other)
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;
    use ndarray::array;

    /// Pairs of shapes covering equal shapes, a broadcast right operand, a
    /// broadcast left operand, and both broadcasting at once.
    const SHAPES: [(&[usize], &[usize]); 5] =
        [(&[3, 4], &[3, 4]), (&[3, 4], &[4]), (&[1, 4], &[3, 1]), (&[2, 1, 4], &[3, 1]), (&[], &[2, 3])];

    #[test]
    fn gradients_match_central_differences_with_broadcasting_both_ways() {
        for (i, (sa, sb)) in SHAPES.iter().enumerate() {
            let a = randn(sa, 10 + i as u64);
            // Divisors kept away from zero.
            let b = randn(sb, 20 + i as u64).mapv(|v| v.abs() + 0.5);
            assert_gradcheck(|_, v| v[0].add(&v[1]), &[a.clone(), b.clone()]);
            assert_gradcheck(|_, v| v[0].sub(&v[1]), &[a.clone(), b.clone()]);
            assert_gradcheck(|_, v| v[0].mul(&v[1]), &[a.clone(), b.clone()]);
            assert_gradcheck(|_, v| v[0].div(&v[1]), &[a.clone(), b.clone()]);
            assert_gradcheck(|_, v| v[1].div(&v[0].mul_scalar(0.1).exp()), &[a.clone(), b.clone()]);
        }
    }

    #[test]
    fn a_value_used_twice_gets_both_contributions() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(array![1.5, -2.0].into_dyn());
        let y = x.mul(&x).unwrap().add(&x).unwrap().sum(); // x^2 + x
        let g = tape.backward(&y).unwrap();
        assert_eq!(g.wrt(&x).unwrap().unwrap(), &array![4.0, -3.0].into_dyn()); // 2x + 1
    }

    #[test]
    fn incompatible_shapes_are_a_typed_error_naming_the_op_and_both_shapes() {
        let tape = Tape::<f32>::new();
        let a = tape.leaf(ndarray::ArrayD::zeros(vec![2, 3]));
        let b = tape.leaf(ndarray::ArrayD::zeros(vec![4]));
        let err = a.mul(&b).unwrap_err();
        assert!(matches!(&err, Error::Shape { op: "mul", lhs, rhs, .. } if lhs == &[2, 3] && rhs == &[4]), "{err:?}");
        assert!(err.to_string().contains("[2, 3]") && err.to_string().contains("[4]"), "{err}");
    }

    #[test]
    fn operands_from_two_tapes_are_an_error() {
        let (t1, t2) = (Tape::<f64>::new(), Tape::<f64>::new());
        let a = t1.leaf(array![1.0].into_dyn());
        let b = t2.leaf(array![1.0].into_dyn());
        assert!(matches!(a.add(&b), Err(Error::Graph(_))));
    }
}
