//! The one entry point for the engine's matrix products.
//!
//! Every product goes to `matrixmultiply`'s sgemm/dgemm (through ndarray's
//! `general_mat_mul`), or, for `f32` on AVX-512 with `alpha = 1` and `beta`
//! 0 or 1, to the unpacked product of [`crate::kernels::avx512`], which
//! computes matrixmultiply's bits; both run on the calling thread.
//! Parallelism is rayon's, at one level only:
//!
//! - the convolution's many small products (one per sample) are spread over
//!   rayon's workers by the convolution itself and each runs single-threaded
//!   ([`gemm_serial`]);
//! - a large product (the linear layers') is cut into blocks of the output's
//!   rows or columns, computed in parallel ([`gemm`]).
//!
//! matrixmultiply's own threads are not used: with them, a product issued
//! from inside a rayon task waits on a second thread pool that the other
//! rayon workers are also waiting on, and the CNN's convolutions spent more
//! time in that hand-off than in arithmetic.
//!
//! The blocks depend on the shapes only, never on the number of threads, and
//! each output element is computed by exactly one block from whole rows of
//! `A` and columns of `B` (the inner dimension is never split), so results
//! are bit-identical whatever the thread count.

use crate::Element;
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2, Axis};

/// Multiply-adds below which a product is not worth splitting.
const MIN_SPLIT_WORK: usize = 1 << 20;

/// Most blocks a product is cut into. Each block packs the operand it
/// shares with the others again; on the MLP (batch 128) four blocks were
/// measurably slower than two. [`gemm`] forks the two as one pair.
const MAX_BLOCKS: usize = 2;
const _: () = assert!(MAX_BLOCKS == 2, "gemm forks a product's blocks as one pair");

/// Fewest rows (or columns) of the output per block: each block packs the
/// whole other operand again, which a narrower block does not repay.
const MIN_BLOCK: usize = 64;

/// `C = alpha A B + beta C` on this thread.
pub(crate) fn gemm_serial<T: Element>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) {
    serial(a, b, &Form::plain(alpha, beta), c);
}

/// What a product computes around `A B`: `C = alpha A B + beta C`, or with
/// a bias (`beta` 0) `C = bias + alpha A B`, each row of `C` from the
/// bias's values; then with `relu` `max(C, 0)` as `torch.relu` (`+0` where
/// `C < 0`, else `C`: NaN and `-0` kept).
#[derive(Clone)]
struct Form<'b, T> {
    alpha: T,
    beta: T,
    bias: Option<ArrayView1<'b, T>>,
    relu: bool,
}

impl<T: Element> Form<'_, T> {
    /// `C = alpha A B + beta C`.
    fn plain(alpha: T, beta: T) -> Self {
        Form { alpha, beta, bias: None, relu: false }
    }
}

/// `form`'s product on this thread. The AVX-512 product adds the bias and
/// applies the ReLU in its stores; after matrixmultiply, `C` is set to the
/// bias first and the ReLU is a pass over it: the same values.
fn serial<T: Element>(a: &ArrayView2<'_, T>, b: &ArrayView2<'_, T>, form: &Form<'_, T>, c: &mut ArrayViewMut2<'_, T>) {
    let Form { alpha, beta, ref bias, relu } = *form;
    let bias_row = bias.as_ref().map(|bias| bias.as_slice());
    if crate::kernels::avx512::gemm_takes(alpha, a, b, beta, c) && bias_row.is_none_or(|row| row.is_some()) {
        return crate::kernels::avx512::gemm(a, b, beta == T::one(), bias_row.flatten(), relu, c);
    }
    let beta = match bias {
        Some(bias) => {
            c.assign(bias);
            T::one()
        }
        None => beta,
    };
    general_mat_mul(alpha, a, b, beta, c);
    if relu {
        c.mapv_inplace(|v| if v < T::zero() { T::zero() } else { v });
    }
}

/// How many blocks, and of which axis of `C`, a product `(m, k) x (k, n)` is
/// cut into: along the rows when `B` is the smaller operand, or when it is
/// read in place (`b_in_place`) and `C` has rows for two blocks; else along
/// the columns, so that a `B` that must be transposed (a linear layer's
/// `W^T`) is transposed half by each block instead of whole by both.
///
/// Rows where they can be: each block then writes a contiguous half of `C`,
/// and the next to read it (the optimizer's update of a weight gradient, in
/// contiguous chunks) finds its half in the same core's cache. On the MNIST
/// MLP at two threads (Intel Xeon), the weight gradient of the first layer by
/// rows instead of columns: backward 0.171 -> 0.165 s an epoch, Adam's step
/// 0.073 -> 0.067 s.
fn split(m: usize, k: usize, n: usize, b_in_place: bool) -> (Axis, usize) {
    let (axis, along) = if n <= m || (b_in_place && m >= 2 * MIN_BLOCK) { (Axis(0), m) } else { (Axis(1), n) };
    let blocks = (m * k * n / MIN_SPLIT_WORK).min(along / MIN_BLOCK).clamp(1, MAX_BLOCKS);
    (axis, along.div_ceil(blocks))
}

/// `C = alpha A B + beta C`, large products in parallel blocks of `C`.
pub(crate) fn gemm<T: Element>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &mut ArrayViewMut2<'_, T>,
) {
    parallel(a, b, Form::plain(alpha, beta), c);
}

/// The affine map of a linear layer, `C = bias + A B` (each row of `C` from
/// the bias's values, or from zeros without one), then with `relu` `max(C,
/// 0)` as `torch.relu` (`+0` where `C < 0`, else `C`, NaN and `-0` kept),
/// large products in parallel blocks of `C`. Each block adds the bias and
/// applies the ReLU in its own stores (on AVX-512): no pass over `C` on one
/// core before the product or after it. `C`'s values are not read.
pub(crate) fn affine<T: Element>(
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    bias: Option<&ArrayView1<'_, T>>,
    relu: bool,
    c: &mut ArrayViewMut2<'_, T>,
) {
    parallel(a, b, Form { alpha: T::one(), beta: T::zero(), bias: bias.map(ArrayView1::view), relu }, c);
}

/// `form`'s product, large ones in parallel blocks of `C` (each block with
/// its columns of the bias).
fn parallel<T: Element>(a: &ArrayView2<'_, T>, b: &ArrayView2<'_, T>, form: Form<'_, T>, c: &mut ArrayViewMut2<'_, T>) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    let (axis, size) = split(m, k, n, crate::kernels::avx512::rows_contiguous(b));
    let along = c.len_of(axis);
    if size >= along {
        return serial(a, b, &form, c);
    }
    let block = |range: std::ops::Range<usize>, mut c: ArrayViewMut2<'_, T>| {
        if axis == Axis(0) {
            serial(&a.slice(ndarray::s![range, ..]), b, &form, &mut c);
        } else {
            let bias = form.bias.as_ref().map(|bias| bias.slice(ndarray::s![range.clone()]));
            serial(a, &b.slice(ndarray::s![.., range]), &Form { bias, ..form.clone() }, &mut c);
        }
    };
    // Two blocks ([`MAX_BLOCKS`]): the first `size` rows or columns, and the rest.
    let (first, second) = c.view_mut().split_at(axis, size);
    crate::kernels::join::join_busy(|| block(0..size, first), || block(size..along, second));
}

/// `A B` into a new matrix.
///
/// The matrix comes from the workspace pool unfilled, its first value at
/// the start of a cache line ([`crate::kernels::workspace::stale_matrix`]): with `beta = 0`
/// matrixmultiply writes every element of `C` without reading it (its
/// kernels and its edge path both; so does the AVX-512 product, tested in
/// `avx512.rs` on NaN-filled outputs), so stale values, NaNs included, never
/// reach the result. (`Element` is `f32` or `f64` only, the types ndarray
/// hands to matrixmultiply.)
pub(crate) fn dot<T: Element>(a: &ArrayView2<'_, T>, b: &ArrayView2<'_, T>) -> ndarray::Array2<T> {
    let mut c = crate::kernels::workspace::stale_matrix(a.nrows(), b.ncols());
    gemm(T::one(), a, b, T::zero(), &mut c.view_mut());
    c
}

#[cfg(test)]
mod tests {
    use super::{dot, split};
    use crate::autodiff::gradcheck::testing::randn;
    use ndarray::{Axis, Ix2};

    #[test]
    fn blocks_follow_the_shape_only() {
        assert_eq!(split(8, 8, 8, true).1, 8, "small: one block");
        // MLP layer 1 forward (128 x 784 x 256, B = W^T): columns, each
        // block transposing half of W.
        assert_eq!(split(128, 784, 256, false), (Axis(1), 128));
        // Its weight gradient (256 x 128 x 784, B = X in place): rows.
        assert_eq!(split(256, 128, 784, true), (Axis(0), 128));
        // Layer 2's input gradient (128 x 256 x 256, B = W in place): rows.
        assert_eq!(split(128, 256, 256, true), (Axis(0), 64));
        // Too few rows for two blocks: columns.
        assert_eq!(split(100, 784, 256, true), (Axis(1), 128));
        // Tall output: rows.
        assert_eq!(split(4096, 512, 10, false), (Axis(0), 2048));
        assert_eq!(split(100, 100, 100, true), (Axis(0), 100), "below the work threshold");
    }

    #[test]
    fn stale_pool_contents_never_reach_a_product() {
        // Fill the pool with NaNs of every size the products below take
        // (with the room `stale_matrix` takes to align them; the smallest
        // bypasses the pool).
        for len in [300 * 70, 70 * 300, 128 * 256, 5 * 2] {
            crate::kernels::workspace::give(vec![f64::NAN; len + 8]);
        }
        for (m, k, n) in [(300, 100, 70), (70, 100, 300), (128, 784, 256), (5, 3, 2)] {
            let a = randn(&[m, k], 3).into_dimensionality::<Ix2>().unwrap();
            let b = randn(&[k, n], 4).into_dimensionality::<Ix2>().unwrap();
            let c = dot(&a.view(), &b.view());
            assert!(c.iter().all(|v| v.is_finite()), "{m}x{k}x{n}");
        }
    }

    /// `affine` (the bias and the ReLU in the product's stores, each block
    /// its columns of the bias) against `C` set to the bias, matrixmultiply's
    /// product added to it and the ReLU's pass after, bit for bit: the MNIST
    /// MLP's and CNN's linear layers (outputs split by columns and by rows),
    /// small ones, `f32` and `f64`, on the path the CPU takes and with the
    /// baseline forced.
    #[test]
    fn affine_equals_bias_then_product_then_relu_bit_for_bit() {
        let _switch = crate::kernels::cpu::baseline_switch();
        fn check<T: crate::Element>(m: usize, k: usize, n: usize, bias: bool, relu: bool) {
            let cast = |a: ndarray::ArrayD<f64>| a.mapv(|v| T::from(v).unwrap()).into_dimensionality::<Ix2>().unwrap();
            let (a, w) = (cast(randn(&[m, k], 1)), cast(randn(&[n, k], 2)));
            let b = cast(randn(&[1, n], 3)).into_shape_with_order(n).unwrap();
            let mut want = ndarray::Array2::from_elem((m, n), T::zero());
            if bias {
                want.assign(&b);
            }
            ndarray::linalg::general_mat_mul(T::one(), &a, &w.t(), T::one(), &mut want);
            if relu {
                want.mapv_inplace(|v| if v < T::zero() { T::zero() } else { v });
            }
            let mut got = ndarray::Array2::from_elem((m, n), T::nan());
            super::affine(&a.view(), &w.t(), bias.then(|| b.view()).as_ref(), relu, &mut got.view_mut());
            let bits = |c: &ndarray::Array2<T>| c.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{m}x{k}x{n}, bias {bias}, ReLU {relu}");
        }
        for baseline in [false, true] {
            crate::kernels::cpu::force_baseline(baseline);
            for (m, k, n) in
                [(128, 784, 256), (128, 256, 256), (128, 256, 10), (512, 512, 128), (300, 100, 70), (5, 3, 2)]
            {
                for bias in [true, false] {
                    for relu in [true, false] {
                        check::<f32>(m, k, n, bias, relu);
                        check::<f64>(m, k, n, bias, relu);
                    }
                }
            }
        }
        crate::kernels::cpu::force_baseline(false);
    }

    #[test]
    fn split_products_equal_the_unsplit_product_bit_for_bit() {
        for (m, k, n) in [(300, 100, 70), (70, 100, 300), (128, 784, 256), (5, 3, 2)] {
            let a = randn(&[m, k], 1).into_dimensionality::<Ix2>().unwrap();
            let b = randn(&[k, n], 2).into_dimensionality::<Ix2>().unwrap();
            let mut want = ndarray::Array2::zeros((m, n));
            ndarray::linalg::general_mat_mul(1.0, &a, &b, 0.0, &mut want);
            assert_eq!(dot(&a.view(), &b.view()), want, "{m}x{k}x{n}");
            // Transposed (strided) operands too.
            let (at, bt) = (a.t().to_owned(), b.t().to_owned());
            assert_eq!(dot(&at.t(), &bt.t()), want, "{m}x{k}x{n} transposed");
        }
    }
}
