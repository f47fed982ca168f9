//! Profiling aid: the MNIST CNN's two convolutions alone on one batch of
//! 512 (forward; backward with the gradients training needs), best of 5,
//! the direct kernel against the im2col + GEMM path (`DESCENT_BASELINE=1`
//! forces the latter through `descent::cpu`); then the max pooling of
//! their outputs, with and without the arg-max (AVX-512 or, with
//! `DESCENT_BASELINE=1`, the scalar loop).
//!
//! ```text
//! cargo run --release --example conv_ops
//! RAYON_NUM_THREADS=1 cargo run --release --example conv_ops
//! ```
use descent::autodiff::{Conv2dOptions, Tape};
use descent::rng::seeded;
use ndarray::ArrayD;
use ndarray_rand::rand_distr::StandardNormal;
use ndarray_rand::RandomExt;
use std::time::Instant;

fn main() -> descent::Result<()> {
    let mut rng = seeded(1);
    // (input shape, weight shape, whether the input needs a gradient)
    let convs = [([512, 1, 28, 28], [16, 1, 5, 5], false), ([512, 16, 12, 12], [32, 16, 5, 5], true)];
    for (x_shape, w_shape, input_grad) in convs {
        let x: ArrayD<f32> = ArrayD::random_using(x_shape.to_vec(), StandardNormal, &mut rng);
        let w: ArrayD<f32> = ArrayD::random_using(w_shape.to_vec(), StandardNormal, &mut rng);
        let b: ArrayD<f32> = ArrayD::random_using(vec![w_shape[0]], StandardNormal, &mut rng);
        let r: ArrayD<f32> = ArrayD::ones(vec![x_shape[0], w_shape[0], x_shape[2] - 4, x_shape[3] - 4]);
        let (mut forward, mut backward) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..5 {
            let tape = Tape::new();
            let xv = if input_grad { tape.leaf(x.clone()) } else { tape.constant(x.clone()) };
            let (wv, bv) = (tape.leaf(w.clone()), tape.leaf(b.clone()));
            let start = Instant::now();
            let y = xv.conv2d(&wv, Some(&bv), Conv2dOptions::default())?;
            forward = forward.min(start.elapsed().as_secs_f64());
            let loss = y.mul(&tape.constant(r.clone()))?.sum();
            let start = Instant::now();
            std::hint::black_box(tape.backward(&loss)?);
            backward = backward.min(start.elapsed().as_secs_f64());
        }
        println!(
            "conv {x_shape:?} * {w_shape:?} (AVX2 copies: {}): forward {:.2} ms, backward (with the loss's) {:.2} ms",
            descent::kernels::cpu::has_avx2(),
            forward * 1e3,
            backward * 1e3
        );
    }
    // The pooling after each convolution, best of 20: on a recording tape
    // (the arg-max kept for the backward pass) and on a no-grad one.
    for shape in [[512, 16, 24, 24], [512, 32, 8, 8]] {
        let x: ArrayD<f32> = ArrayD::random_using(shape.to_vec(), StandardNormal, &mut rng);
        let mut best = [f64::INFINITY; 2];
        for _ in 0..20 {
            for (time, tape) in best.iter_mut().zip([Tape::new(), Tape::no_grad()]) {
                let xv = tape.leaf(x.clone());
                let start = Instant::now();
                std::hint::black_box(xv.max_pool2d((2, 2), (2, 2))?);
                *time = time.min(start.elapsed().as_secs_f64());
            }
        }
        println!(
            "max_pool2d 2x2 on {shape:?}: {:.3} ms with the arg-max, {:.3} ms without (no_grad)",
            best[0] * 1e3,
            best[1] * 1e3
        );
    }
    Ok(())
}
