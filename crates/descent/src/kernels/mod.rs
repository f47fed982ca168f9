//! The compute kernels the autodiff rules call: matrix products, the
//! convolution's direct AVX-512 kernels, pooling's fast path, the scratch
//! buffers they share, and the choice of code path by CPU.
//!
//! Every kernel here computes the same bits as the general code it replaces
//! (matrixmultiply's products, im2col, the scalar pooling loop), on every
//! path: `DESCENT_BASELINE=1` (or [`cpu::force_baseline`]) forces the
//! general code, and each fast path's test compares the two bit for bit.
//!
//! ## Layout
//! - `cpu.rs`: loops compiled for baseline x86-64 and for AVX2 + FMA, chosen
//!   at run time; whether the CPU has AVX-512; the baseline switch.
//! - `gemm.rs`: every matrix product, and how large ones run in parallel.
//! - `adadelta.rs`: Adadelta's `f32` step, the same way as Adam's.
//! - `adam.rs`: Adam's `f32` update on AVX-512, subnormal numbers without
//!   their assists.
//! - `avx512.rs`: the `f32` product without packing, the transpose, the
//!   slice casts.
//! - `conv/`: a convolution's geometry and its direct AVX-512 kernels.
//! - `momentum.rs`: SGD's momentum step (its three forms), the same way.
//! - `subnormal.rs`: `f32` products and quotients without the assists,
//!   and the pieces those three kernels share.
//! - `pool_2x2.rs`: 2x2/stride-2 max pooling on AVX-512.
//! - `transpose.rs`: transposes and axis permutations (copies).
//! - `workspace.rs`: the per-thread pool of scratch buffers.

pub(crate) mod adadelta;
pub(crate) mod adam;
pub(crate) mod avx512;
pub mod conv;
pub mod cpu;
pub(crate) mod gemm;
pub(crate) mod join;
pub(crate) mod momentum;
pub(crate) mod pool_2x2;
pub(crate) mod subnormal;
pub(crate) mod transpose;
pub(crate) mod workspace;
