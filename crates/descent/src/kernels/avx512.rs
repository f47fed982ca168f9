//! `f32` kernels for AVX-512 shared by the engine: a matrix product without
//! packing, in matrixmultiply's order of additions ([`gemm`]), and a
//! transpose in register blocks ([`transpose`]). Callers check [`takes`]
//! (or [`gemm_takes`]) and keep their general path for other types, other
//! layouts and other CPUs.
//!
//! **The product's bits are matrixmultiply's.** Its f32 kernels sum each
//! output over the inner index in order, with fused multiply-adds from zero,
//! in blocks of [`KC`] = 256 terms (its `kc`); the first block's sum is the
//! output (`beta = 0`) or is added to it (`beta = 1`: `fma(1, ab, 1 * c)` is
//! `ab + c` rounded once), later blocks' sums are added to it. Here every
//! output is the same sum: which outputs share a register tile, and that
//! nothing is packed, change no addition. A test compares both on many
//! shapes and layouts.
//!
//! Why: matrixmultiply packs both operands for every product, and on the
//! MNIST MLP (batch 128) its packing took 17 % of an epoch beside its
//! kernel's 44 %. Here `B` is read in place (rows of 48 columns) and `A` is
//! broadcast from where it is, so nothing is copied when `B`'s rows are
//! contiguous; when `B` is a transposed matrix (the linear layer's `W^T`) it
//! must be transposed once per product anyway, and is transposed one panel
//! of 48 columns at a time into a contiguous `(k, 48)` matrix that the
//! panel's tiles read as one stream right after (Intel Xeon, MNIST MLP at
//! 2 threads: panels read as one stream instead of rows `n` apart, forward
//! 0.185 -> 0.177 s an epoch; each panel used right after its transpose
//! instead of all of `B` transposed first, -12 ms an epoch on average over
//! six paired runs; `docs/performance.md`).

use crate::kernels::cpu::{cpu_has_avx512, has_avx512};
use crate::Element;
use ndarray::{ArrayView2, ArrayViewMut2};
use std::any::TypeId;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Terms per block of a sum: matrixmultiply's `S_KC` for sgemm (also the
/// block of the convolution's direct kernels, which compute its bits too).
pub(crate) const KC: usize = 256;

/// Rows of `C` per register tile.
const MR: usize = 8;

/// Vectors of 16 columns of `C` per register tile.
const NV: usize = 3;

/// Columns of `C` per panel: one register tile's.
const PANEL: usize = 16 * NV;

/// Whether `m`'s rows are contiguous (or each is one value): a `B` that
/// [`gemm`] reads in place, and how [`crate::kernels::gemm`] splits it.
pub(crate) fn rows_contiguous<T>(m: &ArrayView2<'_, T>) -> bool {
    m.strides()[1] == 1 || m.ncols() == 1
}

/// Whether [`gemm`] computes `C = alpha A B + beta C`: `f32` on AVX-512,
/// `alpha = 1`, `beta` 0 or 1, no empty dimension, `C`'s rows contiguous,
/// and `B`'s rows contiguous or `B` the transpose of a contiguous matrix.
pub(crate) fn gemm_takes<T: Element>(
    alpha: T,
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    beta: T,
    c: &ArrayViewMut2<'_, T>,
) -> bool {
    let (one, zero) = (T::one(), T::zero());
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    takes::<T>()
        && alpha == one
        && (beta == zero || beta == one)
        && m > 0
        && k > 0
        && n > 0
        && a.strides().iter().all(|&s| s >= 0)
        && b.strides()[0] >= 0
        && (rows_contiguous(b) || b.t().is_standard_layout())
        && (c.strides()[1] == 1 || n == 1)
        && c.strides()[0] >= 0
}

/// `C = A B + beta C` for `beta` 0 or 1 (`add`), or with `bias` (a row of
/// `n` values, `add` false) `C = bias + A B`, each row of `C` starting from
/// it; then with `relu` `max(C, 0)` as `torch.relu`. The bias goes in with
/// the first block of terms' stores (the same additions as a `C` set to it
/// first, without that pass or reading `C`), the ReLU with the last's. Only
/// where [`gemm_takes`] holds.
pub(crate) fn gemm<T: 'static>(
    a: &ArrayView2<'_, T>,
    b: &ArrayView2<'_, T>,
    add: bool,
    bias: Option<&[T]>,
    relu: bool,
    c: &mut ArrayViewMut2<'_, T>,
) {
    assert_eq!(TypeId::of::<T>(), TypeId::of::<f32>(), "the AVX-512 product is for f32");
    assert!(cpu_has_avx512(), "the AVX-512 product on a CPU without it");
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    assert_eq!((b.nrows(), c.nrows(), c.ncols()), (k, m, n), "product shapes");
    assert!(bias.is_none_or(|bias| bias.len() == n && !add), "a bias of n values, not added to C");
    let bias = bias.map_or(std::ptr::null(), |bias| as_f32(bias).as_ptr());
    let (rsa, csa) = (a.strides()[0], a.strides()[1]);
    let rsc = c.strides()[0];
    assert!(rsa >= 0 && csa >= 0 && rsc >= 0 && b.strides()[0] >= 0 && (c.strides()[1] == 1 || n == 1));
    let a_ptr = a.as_ptr().cast::<f32>();
    let c_ptr = c.as_mut_ptr().cast::<f32>();
    // B with contiguous rows is read in place.
    let run = |n: usize, b_ptr: *const f32, rsb: isize, c_ptr: *mut f32, bias: *const f32| {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX-512F, AVX2 and FMA are present (asserted). Every read of
        // A is at (i, kk) with i < m, kk < k through its strides; every read of
        // B is at row kk < k, columns j < n (the last vector masked) through
        // `rsb` and unit column stride; every write of C is at row i < m,
        // columns below n (masked), through C's strides; every read of the
        // bias (if not null) at columns below n (the callers below pass B, C
        // and bias views, or panels of them, of these sizes).
        unsafe {
            let whole = Tile { kc: 0, a: a_ptr, rsa, csa, b: b_ptr, rsb, c: c_ptr, rsc, mask: 0, add, bias, relu };
            product(m, k, n, whole);
        }
        #[cfg(not(target_arch = "x86_64"))]
        unreachable!("no AVX-512 off x86-64 ({b_ptr:?}, {rsb}, {c_ptr:?}, {bias:?}, {n})");
    };
    if rows_contiguous(b) {
        return run(n, b.as_ptr().cast::<f32>(), b.strides()[0], c_ptr, bias);
    }
    // B the transpose of a contiguous matrix: its columns, one panel of them
    // at a time (`PANEL` wide, the last one narrower), transposed into a
    // contiguous `(k, width)` matrix, the product of that panel's columns of
    // C computed from it right away, while it is in this core's caches. The
    // same sums as the whole product's: the panel's tiles are the ones the
    // whole product computes.
    let bt = as_f32(b.t().as_slice().expect("B^T contiguous")).as_ptr();
    PANEL_BUFFER.with_borrow_mut(|panel| {
        if panel.len() < k * PANEL {
            panel.resize(k * PANEL, 0.0);
        }
        for j0 in (0..n).step_by(PANEL) {
            let width = PANEL.min(n - j0);
            // SAFETY: B^T is `(n, k)` contiguous: its rows j0 .. j0 + width
            // are the `width * k` values from `j0 * k`.
            let rows = unsafe { std::slice::from_raw_parts(bt.add(j0 * k), width * k) };
            transpose(rows, width, k, &mut panel[..width * k]);
            // C's columns from j0 (its rows are contiguous, asserted, or it
            // has one column and j0 is 0).
            let bias = if bias.is_null() { bias } else { bias.wrapping_add(j0) };
            run(width, panel.as_ptr(), width as isize, c_ptr.wrapping_add(j0), bias);
        }
    });
}

thread_local! {
    /// This thread's panel of a transposed `B`, as long as the longest it
    /// has held: grown, never cut. (From the workspace pool, the MLP's
    /// helper thread took one buffer for both layers' halves, which the
    /// smaller cut short and the larger then filled again at every step.)
    static PANEL_BUFFER: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `C (m, n) = A B (+ C)` in tiles; `whole` carries the operands at (0, 0),
/// their strides, whether to add, the bias (null for none) and whether to
/// apply the ReLU (its `kc` and `mask` are unused).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn product(m: usize, k: usize, n: usize, whole: Tile) {
    let Tile { a, rsa, csa, b, rsb, c, rsc, .. } = whole;
    for k0 in (0..k).step_by(KC) {
        let kc = KC.min(k - k0);
        let add = whole.add || k0 > 0;
        let bias = if k0 == 0 { whole.bias } else { std::ptr::null() };
        let relu = whole.relu && k0 + kc == k;
        for j0 in (0..n).step_by(PANEL) {
            let cols = PANEL.min(n - j0);
            let mask: __mmask16 = if cols.is_multiple_of(16) { 0xFFFF } else { (1u16 << (cols % 16)) - 1 };
            let b = b.offset(k0 as isize * rsb).add(j0);
            let bias = if bias.is_null() { bias } else { bias.add(j0) };
            let mut i0 = 0;
            while i0 < m {
                let a = a.offset(i0 as isize * rsa + k0 as isize * csa);
                let c = c.offset(i0 as isize * rsc).add(j0);
                let tile = Tile { kc, a, b, rsb, c, mask, add, bias, relu, ..whole };
                if i0 + MR <= m {
                    match cols.div_ceil(16) {
                        1 => tile.run::<MR, 1>(),
                        2 => tile.run::<MR, 2>(),
                        _ => tile.run::<MR, NV>(),
                    }
                    i0 += MR;
                } else {
                    match cols.div_ceil(16) {
                        1 => tile.run::<1, 1>(),
                        2 => tile.run::<1, 2>(),
                        _ => tile.run::<1, NV>(),
                    }
                    i0 += 1;
                }
            }
        }
    }
}

/// One register tile of `C`: `R` rows by `V` vectors of 16 columns (the last
/// one masked), one block of `kc` terms.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Tile {
    kc: usize,
    a: *const f32,
    rsa: isize,
    csa: isize,
    b: *const f32,
    rsb: isize,
    c: *mut f32,
    rsc: isize,
    mask: __mmask16,
    add: bool,
    /// The bias's values at the tile's first column, which the stores add
    /// the sums to (`add` false), or null.
    bias: *const f32,
    /// Whether the sums stored are the last block's, to go through the
    /// ReLU: `+0` where a sum is `< 0`, else the sum (NaN and `-0` kept).
    relu: bool,
}

#[cfg(target_arch = "x86_64")]
impl Tile {
    /// The tile's sums, two terms per turn of the loop: each term is one
    /// fused multiply-add into every accumulator, in order, as before (the
    /// same bits), with half the loop's counting and address arithmetic
    /// (LLVM walks the tile's rows of A by adding their stride, eight adds a
    /// term). Intel Xeon, one core, the MNIST MLP's product shapes hot: 3-9 %
    /// faster than one term a turn, four terms no faster than two. The MLP's
    /// epoch, the bench binaries before and after alternated: at two threads
    /// median 0.410 / 0.394, 0.399 / 0.394 and 0.404 / 0.398 s, at one
    /// thread best 0.675 / 0.658 and 0.709 / 0.671 s.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    #[allow(clippy::needless_range_loop)]
    unsafe fn run<const R: usize, const V: usize>(&self) {
        let mut acc = [[_mm512_setzero_ps(); V]; R];
        let mut rows = [self.a; R];
        for i in 0..R {
            rows[i] = self.a.offset(i as isize * self.rsa);
        }
        // One term: row `b` of B times column `at` of the tile's rows of A.
        let term = |b: *const f32, at: isize, acc: &mut [[__m512; V]; R]| {
            let mut bv = [_mm512_setzero_ps(); V];
            for v in 0..V {
                bv[v] = if v + 1 == V {
                    _mm512_maskz_loadu_ps(self.mask, b.add(16 * v))
                } else {
                    _mm512_loadu_ps(b.add(16 * v))
                };
            }
            for i in 0..R {
                let av = _mm512_set1_ps(*rows[i].offset(at));
                for v in 0..V {
                    acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
                }
            }
        };
        let (mut b, mut at) = (self.b, 0isize);
        for _ in 0..self.kc / 2 {
            term(b, at, &mut acc);
            term(b.offset(self.rsb), at + self.csa, &mut acc);
            b = b.offset(2 * self.rsb);
            at += 2 * self.csa;
        }
        if self.kc % 2 == 1 {
            term(b, at, &mut acc);
        }
        for i in 0..R {
            let row = self.c.offset(i as isize * self.rsc);
            for v in 0..V {
                let mask = if v + 1 == V { self.mask } else { 0xFFFF };
                let dst = row.add(16 * v);
                let sum = if self.add {
                    _mm512_add_ps(_mm512_maskz_loadu_ps(mask, dst), acc[i][v])
                } else if !self.bias.is_null() {
                    _mm512_add_ps(_mm512_maskz_loadu_ps(mask, self.bias.add(16 * v)), acc[i][v])
                } else {
                    acc[i][v]
                };
                let sum = if self.relu {
                    let negative = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(sum, _mm512_setzero_ps());
                    _mm512_mask_blend_ps(negative, sum, _mm512_setzero_ps())
                } else {
                    sum
                };
                _mm512_mask_storeu_ps(dst, mask, sum);
            }
        }
    }
}

/// `s` as `f32` values; `T` must be `f32`.
pub(crate) fn as_f32<T: 'static>(s: &[T]) -> &[f32] {
    assert_eq!(TypeId::of::<T>(), TypeId::of::<f32>(), "the AVX-512 kernels are for f32");
    // SAFETY: T is f32 (checked above).
    unsafe { std::slice::from_raw_parts(s.as_ptr().cast(), s.len()) }
}

/// `s` as `f32` values; `T` must be `f32`.
pub(crate) fn as_f32_mut<T: 'static>(s: &mut [T]) -> &mut [f32] {
    assert_eq!(TypeId::of::<T>(), TypeId::of::<f32>(), "the AVX-512 kernels are for f32");
    // SAFETY: T is f32 (checked above).
    unsafe { std::slice::from_raw_parts_mut(s.as_mut_ptr().cast(), s.len()) }
}

/// Whether `T` is `f32` and the AVX-512 kernels are to run.
pub(crate) fn takes<T: 'static>() -> bool {
    TypeId::of::<T>() == TypeId::of::<f32>() && has_avx512()
}

/// `dst: (cols, rows) = src^T` for `f32` on AVX-512, in blocks of 16 × 16
/// transposed in registers; the edges past the last whole block one value
/// at a time. A copy: the same values as a transpose one value at a time.
pub(crate) fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    assert!(cpu_has_avx512(), "the AVX-512 transpose on a CPU without it");
    assert_eq!(src.len(), rows * cols);
    assert_eq!(dst.len(), rows * cols);
    let (whole_rows, whole_cols) = (rows / 16 * 16, cols / 16 * 16);
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F, AVX2 and FMA are present (asserted); each block reads rows r0 ..
    // r0 + 16 < rows at columns c0 .. c0 + 16 < cols of `src` and writes the
    // transposed places of `dst` (sizes asserted).
    unsafe {
        for r0 in (0..whole_rows).step_by(16) {
            for c0 in (0..whole_cols).step_by(16) {
                transpose_block(src.as_ptr().add(r0 * cols + c0), cols, dst.as_mut_ptr().add(c0 * rows + r0), rows);
            }
        }
    }
    for r in 0..rows {
        let first = if r < whole_rows { whole_cols } else { 0 };
        for c in first..cols {
            dst[c * rows + r] = src[r * cols + c];
        }
    }
}

/// The 16 × 16 block at `src` (rows `src_stride` apart) into `dst`
/// transposed (rows `dst_stride` apart): pairs of rows interleaved by
/// values, by pairs of values, by lanes of 4 and by halves.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::needless_range_loop)]
unsafe fn transpose_block(src: *const f32, src_stride: usize, dst: *mut f32, dst_stride: usize) {
    let mut r = [_mm512_setzero_ps(); 16];
    for i in 0..16 {
        r[i] = _mm512_loadu_ps(src.add(i * src_stride));
    }
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for b in (0..16).step_by(4) {
        r[b] = _mm512_shuffle_ps::<0x44>(t[b], t[b + 2]);
        r[b + 1] = _mm512_shuffle_ps::<0xEE>(t[b], t[b + 2]);
        r[b + 2] = _mm512_shuffle_ps::<0x44>(t[b + 1], t[b + 3]);
        r[b + 3] = _mm512_shuffle_ps::<0xEE>(t[b + 1], t[b + 3]);
    }
    for b in [0, 8] {
        for i in 0..4 {
            t[b + i] = _mm512_shuffle_f32x4::<0x88>(r[b + i], r[b + 4 + i]);
            t[b + 4 + i] = _mm512_shuffle_f32x4::<0xDD>(r[b + i], r[b + 4 + i]);
        }
    }
    for i in 0..8 {
        r[i] = _mm512_shuffle_f32x4::<0x88>(t[i], t[8 + i]);
        r[8 + i] = _mm512_shuffle_f32x4::<0xDD>(t[i], t[8 + i]);
    }
    for i in 0..16 {
        _mm512_storeu_ps(dst.add(i * dst_stride), r[i]);
    }
}

#[cfg(test)]
mod tests {
    use super::{gemm, gemm_takes, takes};
    use crate::autodiff::gradcheck::testing::randn;
    use ndarray::{s, Array2, Ix2};

    fn matrix(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
        randn(&[rows, cols], seed).into_dimensionality::<Ix2>().expect("2-D").mapv(|v| v as f32)
    }

    fn bits(a: &Array2<f32>) -> Vec<u32> {
        a.iter().map(|v| v.to_bits()).collect()
    }

    /// Against matrixmultiply (ndarray's `general_mat_mul`), bit for bit:
    /// the MLP's and CNN's shapes, edges of every tile dimension, sums of
    /// one, two and four blocks, `beta` 0 (on NaN-filled outputs) and 1,
    /// and every operand layout the engine passes.
    #[test]
    fn products_equal_matrixmultiplys_bit_for_bit() {
        // Not while another test has the baseline forced.
        let _switch = crate::kernels::cpu::baseline_switch();
        if !takes::<f32>() {
            eprintln!("no AVX-512 here: nothing to compare");
            return;
        }
        let shapes = [
            (128, 784, 256),
            (256, 128, 784),
            (128, 256, 10),
            (128, 10, 256),
            (10, 128, 256),
            (512, 512, 128),
            (7, 3, 5),
            (9, 300, 47),
            (17, 257, 49),
            (1, 1030, 1),
            (33, 16, 96),
        ];
        for (i, &(m, k, n)) in shapes.iter().enumerate() {
            let seed = 10 * i as u64;
            let (a, b, c0) = (matrix(m, k, seed), matrix(k, n, seed + 1), matrix(m, n, seed + 2));
            // A as given and transposed (column-major), B as given, as the
            // transpose of a contiguous matrix, and as a slice of a wider one.
            let at = matrix(k, m, seed + 3).reversed_axes();
            let bt = matrix(n, k, seed + 4).reversed_axes();
            let wide = matrix(k, n + 5, seed + 5);
            let bw = wide.slice(s![.., 2..n + 2]);
            for (what, a, b) in [
                ("A B", a.view(), b.view()),
                ("A^T B", at.view(), b.view()),
                ("A B^T", a.view(), bt.view()),
                ("A^T B^T", at.view(), bt.view()),
                ("A B[..]", a.view(), bw),
            ] {
                for beta in [0.0f32, 1.0] {
                    let mut want = if beta == 0.0 { Array2::from_elem((m, n), 7.0) } else { c0.clone() };
                    ndarray::linalg::general_mat_mul(1.0, &a, &b, beta, &mut want);
                    let mut got = if beta == 0.0 { Array2::from_elem((m, n), f32::NAN) } else { c0.clone() };
                    assert!(gemm_takes(1.0, &a, &b, beta, &got.view_mut()), "{what} {m}x{k}x{n}");
                    gemm(&a, &b, beta == 1.0, None, false, &mut got.view_mut());
                    assert_eq!(bits(&got), bits(&want), "{what} {m}x{k}x{n}, beta {beta}");
                    // With the ReLU: that of the whole sum, not of a block's.
                    let mut got = if beta == 0.0 { Array2::from_elem((m, n), f32::NAN) } else { c0.clone() };
                    gemm(&a, &b, beta == 1.0, None, true, &mut got.view_mut());
                    assert_eq!(bits(&got), bits(&want.mapv(relu)), "{what} {m}x{k}x{n}, beta {beta}, ReLU");
                }
                // With a bias: `C` not read, each row from the bias, as `C`
                // set to the bias and added to.
                let bias = matrix(1, n, seed + 6).into_shape_with_order(n).expect("a row");
                let mut want = Array2::from_elem((m, n), 7.0);
                want.assign(&bias);
                ndarray::linalg::general_mat_mul(1.0, &a, &b, 1.0, &mut want);
                for with_relu in [false, true] {
                    let mut got = Array2::from_elem((m, n), f32::NAN);
                    gemm(&a, &b, false, Some(bias.as_slice().expect("contiguous")), with_relu, &mut got.view_mut());
                    let want = if with_relu { want.mapv(relu) } else { want.clone() };
                    assert_eq!(bits(&got), bits(&want), "{what} {m}x{k}x{n}, bias, ReLU {with_relu}");
                }
            }
            // An output that is a block of columns of a larger one (as the
            // parallel split passes it).
            let mut want = Array2::from_elem((m, n + 3), 1.5f32);
            let mut got = want.clone();
            ndarray::linalg::general_mat_mul(1.0, &a, &b, 1.0, &mut want.slice_mut(s![.., 1..n + 1]));
            gemm(&a.view(), &b.view(), true, None, false, &mut got.slice_mut(s![.., 1..n + 1]));
            assert_eq!(bits(&got), bits(&want), "C[..] {m}x{k}x{n}");
        }
    }

    /// `Var::relu`'s function: `+0` below zero, else the value itself.
    fn relu(v: f32) -> f32 {
        if v < 0.0 {
            0.0
        } else {
            v
        }
    }

    /// The ReLU in the stores keeps a NaN sum, clears a negative infinite
    /// one to `+0`, keeps `+inf`; rows of `A` with a NaN, an infinity of
    /// either sign, or all zeros (a sum of `+0`), through two blocks of
    /// terms.
    #[test]
    fn the_relu_in_the_stores_is_torch_relus_at_the_edges() {
        let _switch = crate::kernels::cpu::baseline_switch();
        if !takes::<f32>() {
            eprintln!("no AVX-512 here: nothing to compare");
            return;
        }
        let (m, k, n) = (9, 300, 40);
        let mut a = matrix(m, k, 1);
        let b = matrix(k, n, 2).mapv(f32::abs);
        a[[1, 5]] = f32::NAN;
        a[[2, 280]] = f32::INFINITY;
        a[[3, 7]] = f32::NEG_INFINITY;
        a.row_mut(4).fill(0.0);
        let mut want = Array2::zeros((m, n));
        ndarray::linalg::general_mat_mul(1.0, &a, &b, 0.0, &mut want);
        assert!(want[[1, 0]].is_nan() && want[[2, 0]] == f32::INFINITY && want[[3, 0]] == f32::NEG_INFINITY);
        let mut got = Array2::from_elem((m, n), f32::NAN);
        gemm(&a.view(), &b.view(), false, None, true, &mut got.view_mut());
        assert_eq!(bits(&got), bits(&want.mapv(relu)));
        assert!(got.row(1).iter().all(|v| v.is_nan()) && got.row(3).iter().all(|v| v.to_bits() == 0));
    }

    #[test]
    fn other_products_are_left_to_matrixmultiply() {
        let _switch = crate::kernels::cpu::baseline_switch();
        let (a, b) = (matrix(4, 3, 1), matrix(3, 5, 2));
        let mut c = Array2::<f32>::zeros((4, 5));
        assert!(!gemm_takes(2.0, &a.view(), &b.view(), 0.0, &c.view_mut()), "alpha 2");
        assert!(!gemm_takes(1.0, &a.view(), &b.view(), 0.5, &c.view_mut()), "beta 0.5");
        let empty = Array2::<f32>::zeros((4, 0));
        assert!(!gemm_takes(1.0, &empty.view(), &Array2::zeros((0, 5)).view(), 0.0, &c.view_mut()));
        let strided = matrix(3, 10, 3);
        let b_strided = strided.slice(s![.., ..;2]);
        assert!(!gemm_takes(1.0, &a.view(), &b_strided, 0.0, &c.view_mut()), "B strided both ways");
        let (a64, b64) = (a.mapv(f64::from), b.mapv(f64::from));
        assert!(!gemm_takes(1.0, &a64.view(), &b64.view(), 0.0, &Array2::zeros((4, 5)).view_mut()), "f64");
    }
}
