//! The scalar types descent computes in: `f32` for training, `f64` for checks.

use ndarray::{LinalgScalar, ScalarOperand};
use num_traits::{Float, FromPrimitive};
use serde::{de::DeserializeOwned, Serialize};
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// A floating-point element type: implemented for `f32` and `f64` only.
///
/// Matrix products of both go to a real GEMM (`crate::kernels::gemm`:
/// descent's AVX-512 product for `f32` where the CPU has it,
/// matrixmultiply's `sgemm`/`dgemm` otherwise), so generic code pays
/// nothing for being generic.
pub trait Element:
    Float
    + FromPrimitive
    + LinalgScalar
    + ScalarOperand
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + Serialize
    + DeserializeOwned
    + 'static
    + private::Sealed
{
    /// Short name of the type, as PyTorch spells its dtype (`"float32"`).
    const DTYPE: &'static str;

    /// Converts from `f64`, rounding to nearest for `f32`.
    fn of(x: f64) -> Self;

    /// Widens to `f64` (exact for both types).
    fn as_f64(self) -> f64;
}

impl Element for f32 {
    const DTYPE: &'static str = "float32";
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    const DTYPE: &'static str = "float64";
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
}

mod private {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}
