//! Unrolling receptive fields: im2col (forward), im2row and its adjoint
//! row2im (backward), and a cache-friendly transpose.

use super::Geometry;
use crate::Element;

/// Copies a short run: eight values at a time as fixed-size arrays, which
/// compile to a few vector moves, then the rest one by one. (A plain loop
/// over the run is turned into a `memcpy` call by the compiler, and for the
/// runs of 5 to 24 values here the call costs more than the copy.)
#[inline(always)]
fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    let (mut dst, mut src) = (dst.chunks_exact_mut(8), src.chunks_exact(8));
    for (d, s) in (&mut dst).zip(&mut src) {
        let d: &mut [T; 8] = d.try_into().expect("eight values");
        *d = *<&[T; 8]>::try_from(s).expect("eight values");
    }
    for (d, s) in dst.into_remainder().iter_mut().zip(src.remainder()) {
        *d = *s;
    }
}

/// Unrolls one sample `image: (C, H, W)` into `cols: (K, P)`. Entries over
/// padding are left as they are (zero-filled by the caller when it pads).
pub(super) fn im2col<T: Element>(g: &Geometry, image: &[T], cols: &mut [T]) {
    if g.dense() {
        // Stride 1, no padding: every row of `cols` is `oh` input row
        // segments of length `ow`.
        for (row, dst) in cols.chunks_exact_mut(g.p()).enumerate() {
            let (c, kh, kw) = (row / (g.kh * g.kw), row / g.kw % g.kh, row % g.kw);
            for (oh, dst) in dst.chunks_exact_mut(g.ow).enumerate() {
                let start = (c * g.h + oh + kh) * g.w + kw;
                copy_run(dst, &image[start..start + g.ow]);
            }
        }
        return;
    }
    let sw = g.opts.stride.1;
    g.for_each_tap(|dst, src, lo, hi, first| {
        let dst = &mut cols[dst + lo..dst + hi];
        if sw == 1 {
            dst.copy_from_slice(&image[src + first..src + first + (hi - lo)]);
        } else {
            for (d, s) in dst.iter_mut().zip(image[src + first..].iter().step_by(sw)) {
                *d = *s;
            }
        }
    });
}

/// Where each (channel, kernel row) segment of a receptive field starts in
/// the image, for output pixel (0, 0): the dense (stride 1, no padding)
/// im2row and row2im walk these, offset by the pixel's position.
pub(super) fn segment_starts(g: &Geometry) -> Vec<usize> {
    (0..g.c * g.kh).map(|ckh| (ckh / g.kh * g.h + ckh % g.kh) * g.w).collect()
}

/// Calls `f::<KW>(...)` with the kernel width as a constant for the common
/// widths (so that each segment copy compiles to a few moves instead of a
/// loop), and with 0 ("read `g.kw`") otherwise.
macro_rules! with_kernel_width {
    ($kw:expr, $f:ident, $($arg:expr),*) => {
        match $kw {
            3 => $f::<T, 3>($($arg),*),
            5 => $f::<T, 5>($($arg),*),
            _ => $f::<T, 0>($($arg),*),
        }
    };
}

/// Unrolls one sample `image: (C, H, W)` into `rows: (P, K)`, one output
/// pixel's receptive field per row: the transpose of [`im2col`]. Entries
/// over padding are left as they are (zero-filled by the caller when it pads).
pub(super) fn im2row<T: Element>(g: &Geometry, starts: &[usize], image: &[T], rows: &mut [T]) {
    if g.dense() {
        return with_kernel_width!(g.kw, im2row_dense, g, starts, image, rows);
    }
    let (p, k, sw) = (g.p(), g.k(), g.opts.stride.1);
    g.for_each_tap(|dst, src, lo, hi, first| {
        let (row, pixel) = (dst / p, dst % p + lo);
        let column = rows[pixel * k + row..].iter_mut().step_by(k).take(hi - lo);
        for (d, s) in column.zip(image[src + first..].iter().step_by(sw)) {
            *d = *s;
        }
    });
}

fn im2row_dense<T: Element, const KW: usize>(g: &Geometry, starts: &[usize], image: &[T], rows: &mut [T]) {
    let kw = if KW == 0 { g.kw } else { KW };
    for (pixel, dst) in rows.chunks_exact_mut(g.k()).enumerate() {
        let offset = pixel / g.ow * g.w + pixel % g.ow;
        for (dst, &start) in dst.chunks_exact_mut(kw).zip(starts) {
            dst.copy_from_slice(&image[start + offset..start + offset + kw]);
        }
    }
}

/// The adjoint of [`im2row`]: adds `rows: (P, K)` back into `image: (C, H, W)`.
pub(super) fn row2im<T: Element>(g: &Geometry, starts: &[usize], rows: &[T], image: &mut [T]) {
    if g.dense() {
        return with_kernel_width!(g.kw, row2im_dense, g, starts, rows, image);
    }
    let (p, k, sw) = (g.p(), g.k(), g.opts.stride.1);
    g.for_each_tap(|src, dst, lo, hi, first| {
        let (row, pixel) = (src / p, src % p + lo);
        let column = rows[pixel * k + row..].iter().step_by(k).take(hi - lo);
        for (d, s) in image[dst + first..].iter_mut().step_by(sw).zip(column) {
            *d += *s;
        }
    });
}

fn row2im_dense<T: Element, const KW: usize>(g: &Geometry, starts: &[usize], rows: &[T], image: &mut [T]) {
    let kw = if KW == 0 { g.kw } else { KW };
    for (pixel, src) in rows.chunks_exact(g.k()).enumerate() {
        let offset = pixel / g.ow * g.w + pixel % g.ow;
        for (src, &start) in src.chunks_exact(kw).zip(starts) {
            for (d, s) in image[start + offset..start + offset + kw].iter_mut().zip(src) {
                *d += *s;
            }
        }
    }
}
