//! Activation functions: `relu`, `sigmoid`, `tanh`.

use super::pointwise::Pointwise;
use crate::autodiff::Var;
use crate::Element;

/// `max(x, 0)` as `torch.relu`: `0` where `x < 0`, else `x` itself, so a
/// NaN stays NaN and `-0` stays `-0`. Its gradient selects as PyTorch's
/// `threshold_backward` does: `0` where the output is `<= 0`, else the
/// incoming gradient (0 at the kink; an infinite or NaN gradient where the
/// output is 0 gives 0, not the NaN of a multiplication by 0; at a NaN
/// output the gradient passes).
pub struct Relu;
impl<T: Element> Pointwise<T> for Relu {
    fn f(&self, x: T) -> T {
        if x < T::zero() {
            T::zero()
        } else {
            x
        }
    }
    fn df(&self, _: T, y: T) -> T {
        if y <= T::zero() {
            T::zero()
        } else {
            T::one()
        }
    }
    fn grad(&self, _: T, y: T, grad: T) -> T {
        if y <= T::zero() {
            T::zero()
        } else {
            grad
        }
    }
}

/// `1 / (1 + e^-x)`, evaluated without overflow for large `|x|`;
/// derivative `y (1 - y)`.
pub struct Sigmoid;
impl<T: Element> Pointwise<T> for Sigmoid {
    fn f(&self, x: T) -> T {
        if x >= T::zero() {
            (T::one() + (-x).exp()).recip()
        } else {
            let e = x.exp();
            e / (T::one() + e)
        }
    }
    fn df(&self, _: T, y: T) -> T {
        y * (T::one() - y)
    }
}

/// `tanh x`; derivative `1 - y^2`.
pub struct Tanh;
impl<T: Element> Pointwise<T> for Tanh {
    fn f(&self, x: T) -> T {
        x.tanh()
    }
    fn df(&self, _: T, y: T) -> T {
        T::one() - y * y
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// `relu(x) = max(x, 0)`; `relu(NaN)` is NaN and `relu(-0)` is `-0`, as
    /// in PyTorch.
    ///
    /// # Gradient
    /// `dx = grad` where `relu(x) > 0` or is NaN, else 0 (selected, not
    /// multiplied: an infinite `grad` where `x <= 0` gives 0).
    ///
    /// PyTorch equivalent: `torch.relu(x)`
    pub fn relu(&self) -> Var<'t, T> {
        self.pointwise(Relu)
    }

    /// `sigmoid(x) = 1 / (1 + e^-x)`.
    ///
    /// # Gradient
    /// `dx = y (1 - y) * grad`
    ///
    /// PyTorch equivalent: `torch.sigmoid(x)`
    pub fn sigmoid(&self) -> Var<'t, T> {
        self.pointwise(Sigmoid)
    }

    /// `tanh(x)`.
    ///
    /// # Gradient
    /// `dx = (1 - y^2) * grad`
    ///
    /// PyTorch equivalent: `torch.tanh(x)`
    pub fn tanh(&self) -> Var<'t, T> {
        self.pointwise(Tanh)
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn, randn_away_from_zero};
    use crate::autodiff::Tape;
    use ndarray::array;

    #[test]
    fn gradients_match_central_differences() {
        assert_gradcheck(|_, v| Ok(v[0].relu()), &[randn_away_from_zero(&[4, 5], 3)]);
        assert_gradcheck(|_, v| Ok(v[0].sigmoid()), &[randn(&[4, 5], 4).mapv(|v| 3.0 * v)]);
        assert_gradcheck(|_, v| Ok(v[0].tanh()), &[randn(&[4, 5], 5)]);
    }

    #[test]
    fn sigmoid_is_stable_at_extreme_inputs() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(array![-1000.0, 1000.0, 0.0].into_dyn());
        let y = x.sigmoid();
        assert_eq!(y.value().as_ref(), &array![0.0, 1.0, 0.5].into_dyn());
        let g = tape.backward(&y.sum()).unwrap();
        assert_eq!(g.wrt(&x).unwrap().unwrap(), &array![0.0, 0.0, 0.25].into_dyn());
    }

    #[test]
    fn relu_gradient_at_zero_is_zero_as_in_pytorch() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(array![0.0f32, -1.0, 2.0].into_dyn());
        let g = tape.backward(&x.relu().sum()).unwrap();
        assert_eq!(g.wrt(&x).unwrap().unwrap(), &array![0.0f32, 0.0, 1.0].into_dyn());
    }
}
