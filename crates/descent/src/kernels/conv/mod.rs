//! A convolution's sizes and the walk over its kernel taps (shared by
//! im2col, im2row and row2im in `autodiff::ops::conv`), and the direct
//! kernels that compute its products straight from the image on AVX-512.

pub(crate) mod direct;
mod geometry;

pub use geometry::Conv2dOptions;
pub(crate) use geometry::{geometry, Geometry};
