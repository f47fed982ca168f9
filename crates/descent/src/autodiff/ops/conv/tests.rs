//! Finite-difference checks of conv2d and its edge cases.

use super::Conv2dOptions;
use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
use crate::autodiff::Tape;
use crate::Error;

fn opts(stride: (usize, usize), padding: (usize, usize)) -> Conv2dOptions {
    Conv2dOptions { stride, padding }
}

#[test]
fn gradients_match_central_differences_for_strides_and_paddings() {
    let cases = [
        ((1, 1), (0, 0), [2, 2, 5, 6], [3, 2, 3, 3]),
        ((2, 2), (1, 1), [2, 2, 5, 6], [3, 2, 3, 3]),
        ((2, 1), (0, 2), [1, 3, 7, 5], [2, 3, 3, 2]),
        ((3, 2), (2, 1), [2, 1, 6, 7], [2, 1, 2, 4]),
        // Kernel covering padding only at some positions, stride > kernel.
        ((3, 3), (1, 1), [1, 2, 4, 4], [2, 2, 1, 1]),
    ];
    for (i, (stride, padding, xs, ws)) in cases.into_iter().enumerate() {
        let seed = 100 + 3 * i as u64;
        let (x, w, b) = (randn(&xs, seed), randn(&ws, seed + 1), randn(&[ws[0]], seed + 2));
        let o = opts(stride, padding);
        assert_gradcheck(|_, v| v[0].conv2d(&v[1], Some(&v[2]), o), &[x.clone(), w.clone(), b]);
        assert_gradcheck(|_, v| v[0].conv2d(&v[1], None, o), &[x, w]);
    }
}

#[test]
fn gradients_are_right_across_groups_of_samples() {
    // 18 samples: one full group of 16 and a partial one of 2, with
    // padding (general im2col) and without (the dense path).
    for (i, o) in [opts((1, 1), (1, 0)), Conv2dOptions::default()].into_iter().enumerate() {
        let seed = 200 + 3 * i as u64;
        let (x, w, b) = (randn(&[18, 1, 4, 3], seed), randn(&[2, 1, 2, 2], seed + 1), randn(&[2], seed + 2));
        assert_gradcheck(|_, v| v[0].conv2d(&v[1], Some(&v[2]), o), &[x, w, b]);
    }
}

#[test]
fn forward_matches_a_direct_sum_over_the_window() {
    // Strided and padded (general im2col), then the dense fast path; 2
    // samples (one group), then 35 (two full groups and a partial one).
    for n in [2, 35] {
        for (o, shape) in [(opts((2, 1), (1, 1)), [n, 3, 3, 5]), (Conv2dOptions::default(), [n, 3, 3, 3])] {
            check_direct_sum(o, &shape);
        }
    }
}

fn check_direct_sum(o: Conv2dOptions, shape: &[usize]) {
    let (x, w) = (randn(&[shape[0], 2, 5, 4], 1), randn(&[3, 2, 3, 2], 2));
    let tape = Tape::<f64>::new();
    let y = tape.constant(x.clone()).conv2d(&tape.constant(w.clone()), None, o).unwrap().value();
    assert_eq!(y.shape(), shape);
    let (ph, pw) = (o.padding.0 as isize, o.padding.1 as isize);
    for ((n, oc, i, j), &got) in y.view().into_dimensionality::<ndarray::Ix4>().unwrap().indexed_iter() {
        let mut want = 0.0;
        for c in 0..2 {
            for ki in 0..3 {
                for kj in 0..2 {
                    let (r, s) = ((i * o.stride.0 + ki) as isize - ph, (j * o.stride.1 + kj) as isize - pw);
                    if r >= 0 && s >= 0 && r < 5 && s < 4 {
                        want += x[[n, c, r as usize, s as usize]] * w[[oc, c, ki, kj]];
                    }
                }
            }
        }
        assert!((got - want).abs() < 1e-12, "({n},{oc},{i},{j}): {got} vs {want}");
    }
}

#[test]
fn bad_shapes_and_options_are_errors() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(ndarray::ArrayD::zeros(vec![1, 2, 4, 4]));
    let wrong_channels = tape.leaf(ndarray::ArrayD::zeros(vec![3, 1, 3, 3]));
    assert!(matches!(
        x.conv2d(&wrong_channels, None, Conv2dOptions::default()),
        Err(Error::Shape { op: "conv2d", .. })
    ));
    let too_big = tape.leaf(ndarray::ArrayD::zeros(vec![3, 2, 5, 5]));
    assert!(matches!(x.conv2d(&too_big, None, Conv2dOptions::default()), Err(Error::Shape { op: "conv2d", .. })));
    let w = tape.leaf(ndarray::ArrayD::zeros(vec![3, 2, 3, 3]));
    assert!(matches!(x.conv2d(&w, None, opts((0, 1), (0, 0))), Err(Error::InvalidArgument { op: "conv2d", .. })));
    let bad_bias = tape.leaf(ndarray::ArrayD::zeros(vec![2]));
    assert!(matches!(x.conv2d(&w, Some(&bad_bias), Conv2dOptions::default()), Err(Error::Shape { op: "conv2d", .. })));
}

/// Both layouts give the same bits: the general loops for 5 channels, and
/// for 16 and 32 the AVX-512 sums from pixels (four samples at a time, so
/// seven samples end in a partial four) against the general loop from planes.
#[test]
fn bias_gradients_from_either_layout_agree_bit_for_bit() {
    for (n, o, p) in [(3, 5, 7), (7, 16, 9), (7, 32, 5), (2, 16, 3)] {
        // n samples of o channels by p pixels, and the same values
        // transposed per sample.
        let planes = randn(&[n * o * p], 300 + o as u64).mapv(|v| v as f32 * 1e3).into_raw_vec_and_offset().0;
        let mut pixels = vec![0.0f32; planes.len()];
        for (src, dst) in planes.chunks_exact(o * p).zip(pixels.chunks_exact_mut(o * p)) {
            crate::kernels::transpose::transpose(src, o, p, dst);
        }
        let from_planes = super::bias_grad(&planes, o, p, super::GradLayout::Planes);
        let from_pixels = super::bias_grad(&pixels, o, p, super::GradLayout::Pixels);
        let bits = |a: &ndarray::Array1<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&from_planes), bits(&from_pixels), "{n} x {o} x {p}");
        // And both are the sums.
        for c in 0..o {
            let sum: f64 = planes.chunks_exact(o * p).flat_map(|n| &n[c * p..(c + 1) * p]).map(|&v| v as f64).sum();
            assert!((from_planes[c] as f64 - sum).abs() < 1e-2, "channel {c} of {n} x {o} x {p}");
        }
    }
}

/// The direct kernels (f32, AVX-512) give the bits of the im2col + GEMM
/// path, which `force_baseline` selects: the output and every gradient, with
/// and without bias, output widths 8, 16 and 24, pixel counts that end in
/// half a vector, more than 256 taps or pixels (two blocks of a sum), output
/// channels not a multiple of the tile, 32 and 64 output channels (the
/// forward kernel by channels, widths 8, 16 and 24), kernel rows of 1 to 7
/// taps (the input gradient takes up to 3 at a time), the input gradient
/// with 16 and 32 input channels against 32 output channels (a constant in
/// its kernel) and others, every tile shape of the weight gradient (16
/// channels with 25 or 24 taps per tile, 32 with 10, in kernel rows of 5 or
/// not, or 12), and more than one group of samples.
#[test]
fn direct_kernels_equal_the_im2col_path_bit_for_bit() {
    let _switch = crate::kernels::cpu::baseline_switch();
    let cases: [([usize; 4], [usize; 4]); 14] = [
        ([20, 16, 12, 12], [32, 16, 5, 5]),
        ([2, 32, 9, 10], [32, 32, 2, 3]),
        ([2, 5, 9, 17], [32, 5, 2, 2]),
        ([2, 4, 10, 21], [64, 4, 3, 6]),
        ([3, 20, 7, 28], [32, 20, 3, 5]),
        ([2, 16, 9, 14], [8, 16, 2, 7]),
        ([3, 32, 10, 20], [8, 32, 3, 5]),
        ([2, 16, 9, 11], [20, 16, 2, 4]),
        ([3, 1, 28, 28], [16, 1, 5, 5]),
        ([2, 3, 10, 12], [16, 3, 3, 5]),
        ([18, 3, 6, 10], [32, 3, 3, 3]),
        ([2, 3, 12, 20], [5, 3, 5, 5]),
        ([17, 12, 6, 10], [11, 12, 4, 3]),
        ([2, 2, 11, 8], [3, 2, 1, 1]),
    ];
    for (i, (xs, ws)) in cases.into_iter().enumerate() {
        let f32s = |a: ndarray::ArrayD<f64>| a.mapv(|v| v as f32);
        let seed = 300 + 4 * i as u64;
        let (x, w, b) = (f32s(randn(&xs, seed)), f32s(randn(&ws, seed + 1)), f32s(randn(&[ws[0]], seed + 2)));
        for bias in [true, false] {
            let run = |baseline: bool| {
                crate::kernels::cpu::force_baseline(baseline);
                let tape = Tape::<f32>::new();
                let (xv, wv, bv) = (tape.leaf(x.clone()), tape.leaf(w.clone()), tape.leaf(b.clone()));
                let y = xv.conv2d(&wv, bias.then_some(&bv), Conv2dOptions::default()).unwrap();
                let r = tape.constant(f32s(randn(y.value().shape(), seed + 3)));
                let grads = tape.backward(&y.mul(&r).unwrap().sum()).unwrap();
                let mut values = vec![(*y.value()).clone(), grads.wrt(&xv).unwrap().unwrap().clone()];
                values.push(grads.wrt(&wv).unwrap().unwrap().clone());
                if bias {
                    values.push(grads.wrt(&bv).unwrap().unwrap().clone());
                }
                crate::kernels::cpu::force_baseline(false);
                values
            };
            let (direct, im2col) = (run(false), run(true));
            for (what, (d, g)) in
                ["output", "input gradient", "weight gradient", "bias gradient"].iter().zip(direct.iter().zip(&im2col))
            {
                assert_eq!(d.shape(), g.shape());
                assert!(
                    d.iter().zip(g.iter()).all(|(a, b)| a.to_bits() == b.to_bits()),
                    "{what} of {xs:?} * {ws:?}, bias {bias}"
                );
            }
        }
    }
}
