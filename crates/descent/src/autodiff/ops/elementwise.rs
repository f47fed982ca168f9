//! Elementwise arithmetic: `neg`, scalar ops, `powf`, `exp`, `log`, `sqrt`, `abs`.

use super::pointwise::Pointwise;
use crate::autodiff::Var;
use crate::Element;

/// `-x`; derivative `-1`.
pub struct Neg;
impl<T: Element> Pointwise<T> for Neg {
    fn f(&self, x: T) -> T {
        -x
    }
    fn df(&self, _: T, _: T) -> T {
        -T::one()
    }
}

/// `x + c`; derivative `1`.
pub struct AddScalar<T>(pub T);
impl<T: Element> Pointwise<T> for AddScalar<T> {
    fn f(&self, x: T) -> T {
        x + self.0
    }
    fn df(&self, _: T, _: T) -> T {
        T::one()
    }
}

/// `c * x`; derivative `c`.
pub struct MulScalar<T>(pub T);
impl<T: Element> Pointwise<T> for MulScalar<T> {
    fn f(&self, x: T) -> T {
        self.0 * x
    }
    fn df(&self, _: T, _: T) -> T {
        self.0
    }
}

/// `x^p`; derivative `p x^(p-1)`.
pub struct Powf<T>(pub T);
impl<T: Element> Pointwise<T> for Powf<T> {
    fn f(&self, x: T) -> T {
        x.powf(self.0)
    }
    fn df(&self, x: T, _: T) -> T {
        self.0 * x.powf(self.0 - T::one())
    }
}

/// `e^x`; derivative `e^x = y`.
pub struct Exp;
impl<T: Element> Pointwise<T> for Exp {
    fn f(&self, x: T) -> T {
        x.exp()
    }
    fn df(&self, _: T, y: T) -> T {
        y
    }
}

/// `ln x`; derivative `1 / x`.
pub struct Log;
impl<T: Element> Pointwise<T> for Log {
    fn f(&self, x: T) -> T {
        x.ln()
    }
    fn df(&self, x: T, _: T) -> T {
        x.recip()
    }
}

/// `sqrt x`; derivative `1 / (2 sqrt x) = 1 / (2y)` (infinite at 0, as in PyTorch).
pub struct Sqrt;
impl<T: Element> Pointwise<T> for Sqrt {
    fn f(&self, x: T) -> T {
        x.sqrt()
    }
    fn df(&self, _: T, y: T) -> T {
        (y + y).recip()
    }
}

/// `|x|`; derivative `sign(x)`, taken as 0 at 0 (PyTorch's subgradient).
pub struct Abs;
impl<T: Element> Pointwise<T> for Abs {
    fn f(&self, x: T) -> T {
        x.abs()
    }
    fn df(&self, x: T, _: T) -> T {
        if x > T::zero() {
            T::one()
        } else if x < T::zero() {
            -T::one()
        } else {
            T::zero()
        }
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// `-x`.
    ///
    /// # Gradient
    /// `dx = -grad`
    ///
    /// PyTorch equivalent: `torch.neg(x)`
    pub fn neg(&self) -> Var<'t, T> {
        self.pointwise(Neg)
    }

    /// `x + c` for a scalar `c` (use `add_scalar(-c)` to subtract).
    ///
    /// # Gradient
    /// `dx = grad`
    ///
    /// PyTorch equivalent: `x + c`
    pub fn add_scalar(&self, c: T) -> Var<'t, T> {
        self.pointwise(AddScalar(c))
    }

    /// `c * x` for a scalar `c` (use `mul_scalar(1 / c)` to divide).
    ///
    /// # Gradient
    /// `dx = c * grad`
    ///
    /// PyTorch equivalent: `c * x`
    pub fn mul_scalar(&self, c: T) -> Var<'t, T> {
        self.pointwise(MulScalar(c))
    }

    /// `x^p` for a scalar exponent `p`.
    ///
    /// # Gradient
    /// `dx = p x^(p-1) * grad`
    ///
    /// PyTorch equivalent: `torch.pow(x, p)`
    pub fn powf(&self, p: T) -> Var<'t, T> {
        self.pointwise(Powf(p))
    }

    /// `e^x`.
    ///
    /// # Gradient
    /// `dx = e^x * grad`
    ///
    /// PyTorch equivalent: `torch.exp(x)`
    pub fn exp(&self) -> Var<'t, T> {
        self.pointwise(Exp)
    }

    /// `ln x` (NaN for negative x, -inf at 0, as in PyTorch).
    ///
    /// # Gradient
    /// `dx = grad / x`
    ///
    /// PyTorch equivalent: `torch.log(x)`
    pub fn log(&self) -> Var<'t, T> {
        self.pointwise(Log)
    }

    /// `sqrt x`.
    ///
    /// # Gradient
    /// `dx = grad / (2 sqrt x)`
    ///
    /// PyTorch equivalent: `torch.sqrt(x)`
    pub fn sqrt(&self) -> Var<'t, T> {
        self.pointwise(Sqrt)
    }

    /// `|x|`.
    ///
    /// # Gradient
    /// `dx = sign(x) * grad`, with `sign(0) = 0`
    ///
    /// PyTorch equivalent: `torch.abs(x)`
    pub fn abs(&self) -> Var<'t, T> {
        self.pointwise(Abs)
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn, randn_away_from_zero};

    #[test]
    fn gradients_match_central_differences() {
        let x = randn(&[3, 4], 1);
        let positive = x.mapv(|v| v.abs() + 0.5);
        assert_gradcheck(|_, v| Ok(v[0].neg()), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| Ok(v[0].add_scalar(2.5)), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| Ok(v[0].mul_scalar(-1.7)), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| Ok(v[0].exp()), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| Ok(v[0].powf(3.0)), std::slice::from_ref(&x));
        assert_gradcheck(|_, v| Ok(v[0].powf(-1.5)), std::slice::from_ref(&positive));
        assert_gradcheck(|_, v| Ok(v[0].log()), std::slice::from_ref(&positive));
        assert_gradcheck(|_, v| Ok(v[0].sqrt()), &[positive]);
        assert_gradcheck(|_, v| Ok(v[0].abs()), &[randn_away_from_zero(&[3, 4], 2)]);
    }

    #[test]
    fn abs_subgradient_at_zero_is_zero_as_in_pytorch() {
        let tape = crate::autodiff::Tape::<f64>::new();
        let x = tape.leaf(ndarray::array![0.0, -2.0, 3.0].into_dyn());
        let g = tape.backward(&x.abs().sum()).unwrap();
        assert_eq!(g.wrt(&x).unwrap().unwrap(), &ndarray::array![0.0, -1.0, 1.0].into_dyn());
    }
}
