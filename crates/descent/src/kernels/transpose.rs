//! Moving values, not computing them: the transpose of a matrix (of values
//! or of contiguous blocks), on AVX-512 in register blocks for `f32`.

/// `dst: (cols, rows) = src^T` for `src: (rows, cols)`. Eight source rows at
/// a time, so that each destination row receives eight contiguous values.
pub(crate) fn transpose<T: Copy + 'static>(src: &[T], rows: usize, cols: usize, dst: &mut [T]) {
    if crate::kernels::avx512::takes::<T>() {
        use crate::kernels::avx512::{as_f32, as_f32_mut, transpose};
        return transpose(as_f32(src), rows, cols, as_f32_mut(dst));
    }
    const BAND: usize = 8;
    let banded = rows / BAND * BAND;
    for r0 in (0..banded).step_by(BAND) {
        let band: [&[T]; BAND] = std::array::from_fn(|i| &src[(r0 + i) * cols..(r0 + i + 1) * cols]);
        for (c, dst) in dst.chunks_exact_mut(rows).enumerate() {
            let dst: &mut [T; BAND] = (&mut dst[r0..r0 + BAND]).try_into().expect("band width");
            *dst = std::array::from_fn(|i| band[i][c]);
        }
    }
    for r in banded..rows {
        for (c, &v) in src[r * cols..(r + 1) * cols].iter().enumerate() {
            dst[c * rows + r] = v;
        }
    }
}

/// `data`, the standard layout of `shape`, with its axes in the order `perm`
/// (axis `i` of the result is axis `perm[i]` of `data`), as a new standard
/// layout. Trailing axes that `perm` leaves in place move as contiguous
/// blocks; a swap of the two leading axes is a transpose of blocks; any
/// other order goes through ndarray's iteration.
pub(crate) fn permuted<T: Copy + 'static>(data: &[T], shape: &[usize], perm: &[usize]) -> Vec<T> {
    assert_eq!(data.len(), shape.iter().product::<usize>(), "data of shape {shape:?}");
    let lead = perm.len() - perm.iter().enumerate().rev().take_while(|&(i, &p)| i == p).count();
    let block: usize = shape[lead..].iter().product();
    match lead {
        0 => data.to_vec(),
        2 => {
            // perm starts [1, 0]: (rows, cols) of blocks become (cols, rows).
            let (rows, cols) = (shape[0], shape[1]);
            if block == 1 {
                // Any initialised buffer of the size: the transpose writes
                // every element.
                let mut out = data.to_vec();
                transpose(data, rows, cols, &mut out);
                return out;
            }
            let mut out = Vec::with_capacity(data.len());
            for c in 0..cols {
                for r in 0..rows {
                    out.extend_from_slice(&data[(r * cols + c) * block..][..block]);
                }
            }
            out
        }
        _ => {
            let view = ndarray::ArrayView::from_shape(ndarray::IxDyn(shape), data).expect("checked length");
            view.permuted_axes(ndarray::IxDyn(perm)).iter().copied().collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::permuted;
    use ndarray::{ArrayD, IxDyn};

    #[test]
    fn transposes_put_every_value_in_its_place() {
        // Whole 16 x 16 blocks (the AVX-512 path where the CPU has it), edges in
        // either dimension or both, and shapes smaller than a block; f32 (which
        // takes the AVX-512 path) and f64 (which never does).
        for (rows, cols) in [(16, 16), (32, 64), (144, 16), (16, 576), (400, 32), (25, 16), (17, 35), (7, 3), (1, 20)] {
            let src: Vec<f32> = (0..rows * cols).map(|i| i as f32 + 0.5).collect();
            let mut dst = vec![f32::NAN; rows * cols];
            super::transpose(&src, rows, cols, &mut dst);
            let src64: Vec<f64> = src.iter().map(|&v| v as f64).collect();
            let mut dst64 = vec![f64::NAN; rows * cols];
            super::transpose(&src64, rows, cols, &mut dst64);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(
                        dst[c * rows + r].to_bits(),
                        src[r * cols + c].to_bits(),
                        "f32 ({r}, {c}) of {rows} x {cols}"
                    );
                    assert_eq!(dst64[c * rows + r], src64[r * cols + c], "f64 ({r}, {c}) of {rows} x {cols}");
                }
            }
        }
    }

    /// Against ndarray's permuted view, value for value: swaps with and
    /// without trailing blocks, the identity, and orders that are neither.
    #[test]
    fn permutations_equal_ndarrays_permuted_view() {
        let cases: [(&[usize], &[usize]); 7] = [
            (&[5, 7], &[1, 0]),
            (&[33, 20], &[1, 0]),
            (&[4, 3, 2, 5], &[1, 0, 2, 3]),
            (&[4, 3, 2, 5], &[0, 1, 2, 3]),
            (&[4, 3, 2, 5], &[1, 3, 0, 2]),
            (&[6, 3, 4], &[1, 0, 2]),
            (&[2, 3, 4], &[0, 2, 1]),
        ];
        for (shape, perm) in cases {
            let n: usize = shape.iter().product();
            let a = ArrayD::from_shape_vec(IxDyn(shape), (0..n).map(|i| i as f32 + 0.25).collect()).unwrap();
            let want: Vec<f32> = a.view().permuted_axes(IxDyn(perm)).iter().copied().collect();
            assert_eq!(permuted(a.as_slice().unwrap(), shape, perm), want, "{shape:?} {perm:?}");
            let a64 = a.mapv(f64::from);
            let want64: Vec<f64> = want.iter().map(|&v| f64::from(v)).collect();
            assert_eq!(permuted(a64.as_slice().unwrap(), shape, perm), want64, "f64 {shape:?} {perm:?}");
        }
    }
}
