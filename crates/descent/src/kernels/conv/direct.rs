//! The forward product `W cols` for `f32` on AVX-512, read from the image in
//! place instead of from an unrolled, then packed, copy of it; likewise the
//! weight gradient ([`weight_grad`]) and the input gradient ([`InputGrad`]).
//!
//! With im2col and a general GEMM, every receptive field is copied twice
//! before any arithmetic: into `cols`, then into the GEMM's packed panels,
//! and `W` is packed again for every sample. Here a register tile of 8
//! output channels × 48 pixels (24 accumulators of 16 lanes) is accumulated
//! straight from the image: for stride 1 and no padding, 8 output pixels of
//! one row are 8 consecutive input values of a kernel tap, so a vector of 16
//! pixels is two unaligned loads, as long as the output width is a multiple
//! of 8. With a multiple of 32 output channels, the forward's tile is 8
//! pixels × 32 channels instead, vectors of channels
//! ([`Forward::sample_by_channels`]). Other geometries, `f64`, and CPUs
//! without AVX-512 take the im2col path.
//!
//! **The same bits as the im2col path.** Every output is the sum that
//! matrixmultiply's f32 kernels compute: products accumulated with fused
//! multiply-adds in the order of the kernel taps (the rows of `cols`), from
//! zero, in blocks of [`KC`] = 256 taps (matrixmultiply's `kc`), each
//! block's sum then added to the output, the bias first. Which outputs share
//! a register tile changes no sum. A test compares both paths bit for bit.

use super::Geometry;
use crate::kernels::avx512::KC;
pub(crate) use crate::kernels::avx512::{as_f32, as_f32_mut};
use crate::kernels::cpu::{cpu_has_avx512, has_avx512};
#[cfg(target_arch = "x86_64")]
use crate::kernels::workspace::Buffer;
use std::any::TypeId;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Output channels per register tile.
const MR: usize = 8;

/// Output channels per register tile of the kernel by channels (two vectors).
const CHANNELS: usize = 32;

/// Output pixels per register tile of the kernel by channels: 8 of one
/// output row, whose taps are 8 consecutive image values.
#[cfg(target_arch = "x86_64")]
const PIXELS: usize = 8;

/// Whether the direct kernel computes this convolution's forward: `f32`,
/// stride 1, no padding, an output width a multiple of 8, and AVX-512F.
pub(crate) fn applies<T: 'static>(g: &Geometry) -> bool {
    TypeId::of::<T>() == TypeId::of::<f32>() && fits(g) && has_avx512()
}

/// The geometries the forward kernel handles: stride 1, no padding, an
/// output width a multiple of 8.
fn fits(g: &Geometry) -> bool {
    g.dense() && g.ow.is_multiple_of(8)
}

/// Those of them whose weight gradient the kernel computes: 16 or 32 output
/// channels (one or two vectors).
fn weight_grad_fits(g: &Geometry) -> bool {
    fits(g) && (g.o == 16 || g.o == 32)
}

/// Those of them whose input gradient the kernel computes: 16 or 32 input
/// channels (one or two vectors) and at most [`KC`] output channels (each
/// sum over them one block).
fn input_grad_fits(g: &Geometry) -> bool {
    fits(g) && (g.c == 16 || g.c == 32) && g.o <= KC
}

/// Where each kernel tap `k = (c, kh, kw)` of output pixel (0, 0) reads the
/// image, in the order of the rows of `cols` (the order of every sum here).
fn tap_offsets(g: &Geometry) -> Vec<usize> {
    let mut taps = Vec::with_capacity(g.k());
    for c in 0..g.c {
        for kh in 0..g.kh {
            for kw in 0..g.kw {
                taps.push((c * g.h + kh) * g.w + kw);
            }
        }
    }
    taps
}

/// Where output pixel `q` of a sample reads tap 0 of its image.
fn pixel_offset(g: &Geometry, q: usize) -> usize {
    q / g.ow * g.w + q % g.ow
}

/// The convolution's weights, taps and geometry, prepared once per call.
pub(crate) struct Forward<'a> {
    g: &'a Geometry,
    /// [`tap_offsets`].
    taps: Vec<usize>,
    /// [`pixel_offset`] of every output pixel, for the pixel-wise kernel
    /// (computed once: a division each, not small beside a tile of 25
    /// taps); empty for the kernel by channels.
    pixels: Vec<usize>,
    /// Output channels per tile: [`CHANNELS`] for the kernel by channels
    /// (a multiple of them), else [`MR`] for the pixel-wise one.
    rows: usize,
    /// Per tile of `rows` output channels, `K` rows of `rows` weights (zeros
    /// past `O`): a tile reads its weights as one stream.
    weights: Vec<f32>,
    bias: Option<&'a [f32]>,
}

impl<'a> Forward<'a> {
    /// Prepares `W: (O, K)` and the bias; only where [`applies`] holds.
    pub(crate) fn new(g: &'a Geometry, w: &[f32], bias: Option<&'a [f32]>) -> Self {
        assert!(fits(g) && cpu_has_avx512(), "direct kernel on an unsupported convolution");
        let k = g.k();
        assert_eq!(w.len(), g.o * k);
        assert!(bias.is_none_or(|b| b.len() == g.o));
        let taps = tap_offsets(g);
        let rows = if g.o.is_multiple_of(CHANNELS) { CHANNELS } else { MR };
        let mut weights = vec![0.0; g.o.div_ceil(rows) * k * rows];
        for (oi, row) in w.chunks_exact(k).enumerate() {
            for (ki, &v) in row.iter().enumerate() {
                weights[(oi / rows * k + ki) * rows + oi % rows] = v;
            }
        }
        let pixels = if rows == MR { (0..g.p()).map(|q| pixel_offset(g, q)).collect() } else { Vec::new() };
        Forward { g, taps, pixels, rows, weights, bias }
    }

    /// One sample: `out: (O, P) = W cols + b` from `image: (C, H, W)`.
    pub(crate) fn sample(&self, image: &[f32], out: &mut [f32]) {
        assert_eq!(image.len(), self.g.image());
        assert_eq!(out.len(), self.g.o * self.g.p());
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX-512F, AVX2 and FMA are present (checked in `new`); every load reads
        // inside `image` (stride 1, no padding, 8 pixels within one output
        // row) and every store writes inside `out` (sizes asserted).
        unsafe {
            if self.rows == MR {
                self.sample_avx512(image, out)
            } else {
                self.sample_by_channels(image, out)
            }
        }
    }

    /// [`Forward::sample`] with vectors of 16 output channels instead of 16
    /// pixels, for a multiple of [`CHANNELS`] output channels: a register
    /// tile of [`PIXELS`] pixels of one output row by [`CHANNELS`] channels,
    /// each pixel's tap one broadcast from the image, each tap's weights two
    /// loads. The pixel-wise kernel puts two output rows of 8 in a vector
    /// when the width is not a multiple of 16, with a shuffle per vector and
    /// tap on a port an FMA unit shares; none here. The sums go to a scratch
    /// `(P, O)`, transposed into `out` at the end: every output the same
    /// sum as the pixel-wise kernel's, in the same order and blocks.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::needless_range_loop)]
    unsafe fn sample_by_channels(&self, image: &[f32], out: &mut [f32]) {
        let g = self.g;
        let (p, o, k) = (g.p(), g.o, g.k());
        let mut sums = Buffer::uninit(p * o, 0.0f32);
        let (x, s) = (image.as_ptr(), sums.as_mut_ptr());
        for tile in 0..o / CHANNELS {
            let w = self.weights.as_ptr().add(tile * k * CHANNELS);
            let bias = self.bias.map(|b| b.as_ptr().add(tile * CHANNELS));
            let mut start = 0;
            while start < k {
                let end = (start + KC).min(k);
                // `ow` is a multiple of `PIXELS`: a tile's pixels share a row.
                for q in (0..p).step_by(PIXELS) {
                    let base = x.add(pixel_offset(g, q));
                    let mut acc = [[_mm512_setzero_ps(); 2]; PIXELS];
                    for kk in start..end {
                        let tap = base.add(*self.taps.get_unchecked(kk));
                        let w0 = _mm512_loadu_ps(w.add(kk * CHANNELS));
                        let w1 = _mm512_loadu_ps(w.add(kk * CHANNELS + 16));
                        for j in 0..PIXELS {
                            let a = _mm512_set1_ps(*tap.add(j));
                            acc[j][0] = _mm512_fmadd_ps(a, w0, acc[j][0]);
                            acc[j][1] = _mm512_fmadd_ps(a, w1, acc[j][1]);
                        }
                    }
                    // Onto the bias (or as they are) for the first block,
                    // onto the sums after.
                    for j in 0..PIXELS {
                        let dst = s.add((q + j) * o + tile * CHANNELS);
                        for v in 0..2 {
                            let d = dst.add(16 * v);
                            let sum = match (start, bias) {
                                (0, None) => acc[j][v],
                                (0, Some(b)) => _mm512_add_ps(_mm512_loadu_ps(b.add(16 * v)), acc[j][v]),
                                _ => _mm512_add_ps(_mm512_loadu_ps(d), acc[j][v]),
                            };
                            _mm512_storeu_ps(d, sum);
                        }
                    }
                }
                start = end;
            }
        }
        crate::kernels::avx512::transpose(&sums, p, o, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn sample_avx512(&self, image: &[f32], out: &mut [f32]) {
        let p = self.g.p();
        for tile in 0..self.g.o.div_ceil(MR) {
            let mut p0 = 0;
            while p0 < p {
                // Whole vectors of 16 pixels, then a last half vector of 8.
                match (p - p0) / 16 {
                    0 => self.block::<1, true>(image, out, tile, p0),
                    1 => self.block::<1, false>(image, out, tile, p0),
                    2 => self.block::<2, false>(image, out, tile, p0),
                    _ => self.block::<3, false>(image, out, tile, p0),
                }
                p0 += (16 * ((p - p0) / 16).min(3)).max(8);
            }
        }
    }

    /// Outputs of channels `tile * MR ..` at pixels `p0 .. p0 + 16 NV` (8 if
    /// `HALF`). No closures in here: a closure does not inherit the target
    /// features, and the intrinsics inside it would become calls.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    #[allow(clippy::needless_range_loop)]
    unsafe fn block<const NV: usize, const HALF: bool>(&self, image: &[f32], out: &mut [f32], tile: usize, p0: usize) {
        let g = self.g;
        // Where each half vector (8 pixels of one output row) reads tap 0.
        let mut lo = [0usize; NV];
        let mut hi = [0usize; NV];
        // In `pixels`: a whole block's pixels (or half a vector's) are below `P`.
        for v in 0..NV {
            lo[v] = *self.pixels.get_unchecked(p0 + 16 * v);
            hi[v] = if HALF { lo[v] } else { *self.pixels.get_unchecked(p0 + 16 * v + 8) };
        }
        let (x, w) = (image.as_ptr(), self.weights.as_ptr().add(tile * g.k() * MR));
        let (p, rows) = (g.p(), MR.min(g.o - tile * MR));
        let mut start = 0;
        while start < self.taps.len() {
            let end = (start + KC).min(self.taps.len());
            let mut acc = [[_mm512_setzero_ps(); NV]; MR];
            for kk in start..end {
                let tap = x.add(*self.taps.get_unchecked(kk));
                let mut b = [_mm512_setzero_ps(); NV];
                for v in 0..NV {
                    let low = _mm512_castps256_ps512(_mm256_loadu_ps(tap.add(lo[v])));
                    b[v] = if HALF {
                        low
                    } else {
                        let high = _mm256_castps_pd(_mm256_loadu_ps(tap.add(hi[v])));
                        _mm512_castpd_ps(_mm512_insertf64x4::<1>(_mm512_castps_pd(low), high))
                    };
                }
                for i in 0..MR {
                    let a = _mm512_set1_ps(*w.add(kk * MR + i));
                    for v in 0..NV {
                        acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
                    }
                }
            }
            // The block's sums to the output: onto the bias (or as they are)
            // for the first block, onto the output after.
            for i in 0..rows {
                let row = out.as_mut_ptr().add((tile * MR + i) * p + p0);
                for v in 0..NV {
                    let dst = row.add(16 * v);
                    let sum = match (start, self.bias) {
                        (0, None) => acc[i][v],
                        (0, Some(b)) => _mm512_add_ps(_mm512_set1_ps(b[tile * MR + i]), acc[i][v]),
                        _ if HALF => _mm512_add_ps(_mm512_castps256_ps512(_mm256_loadu_ps(dst)), acc[i][v]),
                        _ => _mm512_add_ps(_mm512_loadu_ps(dst), acc[i][v]),
                    };
                    if HALF {
                        _mm256_storeu_ps(dst, _mm512_castps512_ps256(sum));
                    } else {
                        _mm512_storeu_ps(dst, sum);
                    }
                }
            }
            start = end;
        }
    }
}

/// Whether the direct kernel computes this convolution's weight gradient:
/// as [`applies`], for the geometries of [`weight_grad_fits`].
pub(crate) fn weight_grad_applies<T: 'static>(g: &Geometry) -> bool {
    applies::<T>(g) && weight_grad_fits(g)
}

/// A group's weight gradient, transposed: `dWt: (K, O) = rows_g^T dYt_g`,
/// from its images (`G` samples of `(C, H, W)`) and transposed output
/// gradients `grad_t: (G*P, O)`, without building `rows_g`. Each sum runs
/// over the group's pixels in order, the GEMM's inner index, in blocks of
/// [`KC`]. Only where [`weight_grad_applies`] holds.
pub(crate) fn weight_grad(g: &Geometry, images: &[f32], grad_t: &[f32], grad_wt: &mut [f32]) {
    assert!(weight_grad_fits(g) && cpu_has_avx512(), "unsupported convolution");
    let samples = images.len() / g.image();
    assert_eq!(images.len(), samples * g.image());
    assert_eq!(grad_t.len(), samples * g.p() * g.o);
    assert_eq!(grad_wt.len(), g.k() * g.o);
    let taps = tap_offsets(g);
    let pixels: Vec<usize> = (0..g.p()).map(|q| pixel_offset(g, q)).collect();
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F, AVX2 and FMA are present (asserted); every load reads inside
    // `images` (each tap of each output pixel is an input value) or
    // `grad_t`, every store writes inside `grad_wt` (sizes asserted).
    unsafe {
        let k = g.k();
        // With 5-tap kernel rows and 25 (or 10) taps a tile, which then
        // divides `K`, each tile is five (or two) whole kernel rows.
        match (g.o, k.is_multiple_of(25), k.is_multiple_of(10)) {
            (16, true, _) if g.kw == 5 => weight_grad_avx512::<25, 1, 5>(g, &taps, &pixels, images, grad_t, grad_wt),
            (16, true, _) => weight_grad_avx512::<25, 1, 1>(g, &taps, &pixels, images, grad_t, grad_wt),
            (16, false, _) => weight_grad_avx512::<24, 1, 1>(g, &taps, &pixels, images, grad_t, grad_wt),
            (_, _, true) if g.kw == 5 => weight_grad_avx512::<10, 2, 5>(g, &taps, &pixels, images, grad_t, grad_wt),
            (_, _, true) => weight_grad_avx512::<10, 2, 1>(g, &taps, &pixels, images, grad_t, grad_wt),
            _ => weight_grad_avx512::<12, 2, 1>(g, &taps, &pixels, images, grad_t, grad_wt),
        }
    }
}

/// [`weight_grad`] in register tiles of `TK` taps by `16 NV` channels,
/// the taps read in runs of `SEG` consecutive image values (a kernel row),
/// each run from one offset: 25 taps' offsets do not fit in registers, 5
/// runs' do. `SEG` must divide `TK`, and each run's taps be consecutive.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::needless_range_loop)]
unsafe fn weight_grad_avx512<const TK: usize, const NV: usize, const SEG: usize>(
    g: &Geometry,
    taps: &[usize],
    pixels: &[usize],
    images: &[f32],
    grad_t: &[f32],
    grad_wt: &mut [f32],
) {
    let (k, p, o) = (g.k(), g.p(), g.o);
    let samples = images.len() / g.image();
    for first in (0..k).step_by(TK) {
        // Taps past the last one repeat it; their sums are not stored.
        let mut tile = [0usize; TK];
        for i in 0..TK {
            tile[i] = taps[(first + i).min(k - 1)];
        }
        let mut c = [[_mm512_setzero_ps(); NV]; TK];
        let mut acc = [[_mm512_setzero_ps(); NV]; TK];
        let (mut terms, mut folded) = (0, false);
        for n in 0..samples {
            let image = images.as_ptr().add(n * g.image());
            let grads = grad_t.as_ptr().add(n * p * o);
            for (q, &pixel) in pixels.iter().enumerate() {
                let mut gv = [_mm512_setzero_ps(); NV];
                for v in 0..NV {
                    gv[v] = _mm512_loadu_ps(grads.add(q * o + 16 * v));
                }
                let x = image.add(pixel);
                for s in 0..TK / SEG {
                    let row = x.add(tile[s * SEG]);
                    for j in 0..SEG {
                        let a = _mm512_set1_ps(*row.add(j));
                        for v in 0..NV {
                            acc[s * SEG + j][v] = _mm512_fmadd_ps(a, gv[v], acc[s * SEG + j][v]);
                        }
                    }
                }
                terms += 1;
                if terms == KC {
                    fold(&mut c, &mut acc, folded);
                    (terms, folded) = (0, true);
                }
            }
        }
        if terms > 0 {
            fold(&mut c, &mut acc, folded);
        }
        for i in 0..TK.min(k - first) {
            let row = grad_wt.as_mut_ptr().add((first + i) * o);
            for v in 0..NV {
                _mm512_storeu_ps(row.add(16 * v), c[i][v]);
            }
        }
    }
}

/// Adds a block's sums to the result (or makes them the result, for the
/// first block, as the GEMM does with `beta = 0`) and clears them.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn fold<const TK: usize, const NV: usize>(
    c: &mut [[__m512; NV]; TK],
    acc: &mut [[__m512; NV]; TK],
    folded: bool,
) {
    for i in 0..TK {
        for v in 0..NV {
            c[i][v] = if folded { _mm512_add_ps(c[i][v], acc[i][v]) } else { acc[i][v] };
            acc[i][v] = _mm512_setzero_ps();
        }
    }
}

/// Whether the direct kernel computes this convolution's input gradient:
/// as [`applies`], for the geometries of [`input_grad_fits`].
pub(crate) fn input_grad_applies<T: 'static>(g: &Geometry) -> bool {
    applies::<T>(g) && input_grad_fits(g)
}

/// The input gradient `dx` of one sample at a time, from its transposed
/// output gradients, without the product `drows = dYt W` and `row2im`.
///
/// The im2col path computes every entry of `drows: (P, K)` as a sum over the
/// output channels (one GEMM block, from zero), then row2im adds the fields
/// into a zeroed `dx` in the order of the output pixels. Here an input row's
/// contributions are formed tap by tap, kernel rows and columns from the
/// last to the first (which is that order of the output pixels for every
/// input pixel), each as the same sum over the output channels, and added
/// into a zeroed `dxt: (H W, C)` that is then transposed into `dx`. A
/// register tile holds up to 3 taps × 8 output pixels × `C` input channels
/// (the lanes; 4 pixels for 32 channels): the taps share the output
/// gradients they multiply, one broadcast for three sums.
pub(crate) struct InputGrad<'a> {
    g: &'a Geometry,
    /// `W` as `(KH, KW, O, C)`: per tap and output channel, the `C` weights
    /// of the input channels, contiguous.
    weights: Vec<f32>,
}

impl<'a> InputGrad<'a> {
    /// Prepares `W: (O, K)`; only where [`input_grad_applies`] holds.
    pub(crate) fn new(g: &'a Geometry, w: &[f32]) -> Self {
        assert!(input_grad_fits(g) && cpu_has_avx512(), "direct kernel on an unsupported convolution");
        assert_eq!(w.len(), g.o * g.k());
        let mut weights = vec![0.0; g.k() * g.o];
        for (oi, row) in w.chunks_exact(g.k()).enumerate() {
            for (ki, &v) in row.iter().enumerate() {
                let (c, tap) = (ki / (g.kh * g.kw), ki % (g.kh * g.kw));
                weights[(tap * g.o + oi) * g.c + c] = v;
            }
        }
        InputGrad { g, weights }
    }

    /// One sample: `grad_x: (C, H, W)` from `grad_t: (P, O)`; `dxt` is
    /// scratch of `H W C` values.
    pub(crate) fn sample(&self, grad_t: &[f32], dxt: &mut [f32], grad_x: &mut [f32]) {
        let g = self.g;
        assert_eq!(grad_t.len(), g.p() * g.o);
        assert_eq!(dxt.len(), g.image());
        assert_eq!(grad_x.len(), g.image());
        dxt.fill(0.0);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX-512F, AVX2 and FMA are present (checked in `new`); every load reads
        // inside `grad_t` (output pixels of one output row) or `weights`,
        // every store writes inside `dxt` (input pixels kw .. kw + ow of one
        // input row; sizes asserted).
        unsafe {
            // 32 output channels, the CNN's, as a constant: the loads' offsets
            // are then displacements instead of address arithmetic, which
            // takes ports the FMAs need.
            match (g.c, g.o) {
                (16, 32) => self.sample_avx512::<1, 32>(grad_t, dxt),
                (16, _) => self.sample_avx512::<1, 0>(grad_t, dxt),
                (_, 32) => self.sample_avx512::<2, 32>(grad_t, dxt),
                _ => self.sample_avx512::<2, 0>(grad_t, dxt),
            }
        }
        crate::kernels::avx512::transpose(dxt, g.h * g.w, g.c, grad_x);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn sample_avx512<const NV: usize, const O: usize>(&self, grad_t: &[f32], dxt: &mut [f32]) {
        let g = self.g;
        // Taps per register tile: pixels x taps x vectors make 24
        // accumulators (8 x 3 x 1, or 4 x 3 x 2).
        const SPAN: usize = 3;
        for i in 0..g.h {
            for kh in (0..g.kh).rev() {
                let Some(oi) = i.checked_sub(kh).filter(|&oi| oi < g.oh) else { continue };
                // The kernel row's taps from the last to the first, `SPAN`
                // at a time.
                let mut end = g.kw;
                while end > 0 {
                    let first = end.saturating_sub(SPAN);
                    let at = Taps { i, kh, oi, first };
                    match (NV, end - first) {
                        (1, 3) => self.taps::<1, 3, 8, O>(grad_t, dxt, at),
                        (1, 2) => self.taps::<1, 2, 8, O>(grad_t, dxt, at),
                        (1, _) => self.taps::<1, 1, 8, O>(grad_t, dxt, at),
                        (_, 3) => self.taps::<2, 3, 4, O>(grad_t, dxt, at),
                        (_, 2) => self.taps::<2, 2, 4, O>(grad_t, dxt, at),
                        _ => self.taps::<2, 1, 4, O>(grad_t, dxt, at),
                    }
                    end = first;
                }
            }
        }
    }

    /// Input row `at.i`'s contributions through kernel row `at.kh` (output
    /// row `at.oi`) and its taps `at.first .. at.first + T`: `R` output
    /// pixels at a time, each tap's sum over the output channels in its own
    /// accumulators (the taps share the output gradients they multiply),
    /// then added into `dxt` from the last tap to the first. An input pixel
    /// so receives its contributions in the order of the output pixels:
    /// within a group of pixels from the last tap to the first, and the
    /// groups in order, whose later pixels reach it through earlier taps.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[inline]
    #[allow(clippy::needless_range_loop)]
    unsafe fn taps<const NV: usize, const T: usize, const R: usize, const O: usize>(
        &self,
        grad_t: &[f32],
        dxt: &mut [f32],
        at: Taps,
    ) {
        // `O` output channels, or `g.o` when it is 0; `16 NV` input channels.
        let (g, o, c) = (self.g, if O == 0 { self.g.o } else { O }, 16 * NV);
        let Taps { i, kh, oi, first } = at;
        let w = self.weights.as_ptr().add((kh * g.kw + first) * o * c);
        for oj0 in (0..g.ow).step_by(R) {
            let dy = grad_t.as_ptr().add((oi * g.ow + oj0) * o);
            let mut acc = [[[_mm512_setzero_ps(); NV]; R]; T];
            for oc in 0..o {
                let mut wv = [[_mm512_setzero_ps(); NV]; T];
                for t in 0..T {
                    for v in 0..NV {
                        wv[t][v] = _mm512_loadu_ps(w.add((t * o + oc) * c + 16 * v));
                    }
                }
                for r in 0..R {
                    let a = _mm512_set1_ps(*dy.add(r * o + oc));
                    for t in 0..T {
                        for v in 0..NV {
                            acc[t][r][v] = _mm512_fmadd_ps(a, wv[t][v], acc[t][r][v]);
                        }
                    }
                }
            }
            for t in (0..T).rev() {
                let dst = dxt.as_mut_ptr().add((i * g.w + first + t + oj0) * c);
                for r in 0..R {
                    for v in 0..NV {
                        let d = dst.add(r * c + 16 * v);
                        _mm512_storeu_ps(d, _mm512_add_ps(_mm512_loadu_ps(d), acc[t][r][v]));
                    }
                }
            }
        }
    }
}

/// Where [`InputGrad::taps`] works: input row `i`, kernel row `kh`, output
/// row `oi = i - kh`, first tap `first` of the kernel row.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct Taps {
    i: usize,
    kh: usize,
    oi: usize,
    first: usize,
}

/// Whether [`bias_grad`] sums this layer's bias gradient: `f32`, output
/// channels a multiple of 16 up to 32, and AVX-512F.
pub(crate) fn bias_grad_applies<T: 'static>(o: usize) -> bool {
    TypeId::of::<T>() == TypeId::of::<f32>() && (o == 16 || o == 32) && has_avx512()
}

/// Adds to `total` (one value per output channel) the bias gradient of the
/// samples whose transposed output gradients `grad_t: (N P, O)` holds: each
/// sample's pixels summed from zero in pixel order, then that sum added to
/// `total` in sample order, the additions of `autodiff::ops::conv`'s
/// general loop. Four samples' sums run at once: each is a chain of
/// dependent additions, which one at a time would wait on the adder's
/// latency. Only where [`bias_grad_applies`] holds.
pub(crate) fn bias_grad(grad_t: &[f32], p: usize, total: &mut [f32]) {
    let o = total.len();
    assert!((o == 16 || o == 32) && cpu_has_avx512(), "unsupported bias gradient");
    assert!(grad_t.len().is_multiple_of(o * p));
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX-512F is present (asserted); the loads read whole samples
    // of `grad_t` (length a multiple of `o p`) and `total` (`o` values),
    // the stores write `total`.
    unsafe {
        match o {
            16 => bias_grad_avx512::<1>(grad_t, p, total),
            _ => bias_grad_avx512::<2>(grad_t, p, total),
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::needless_range_loop)]
unsafe fn bias_grad_avx512<const NV: usize>(grad_t: &[f32], p: usize, total: &mut [f32]) {
    const S: usize = 4;
    let o = 16 * NV;
    for samples in grad_t.chunks(S * o * p) {
        let (x, n) = (samples.as_ptr(), samples.len() / (o * p));
        let mut acc = [[_mm512_setzero_ps(); NV]; S];
        for q in 0..p {
            for s in 0..n {
                for v in 0..NV {
                    acc[s][v] = _mm512_add_ps(acc[s][v], _mm512_loadu_ps(x.add((s * p + q) * o + 16 * v)));
                }
            }
        }
        for s in 0..n {
            for v in 0..NV {
                let t = total.as_mut_ptr().add(16 * v);
                _mm512_storeu_ps(t, _mm512_add_ps(_mm512_loadu_ps(t), acc[s][v]));
            }
        }
    }
}
