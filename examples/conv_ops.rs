//! Profiling aid: the MNIST CNN's two convolutions alone on one batch of
//! 512 (forward; backward with the gradients training needs), best of 5,
//! the direct kernel against the im2col + GEMM path (`DESCENT_BASELINE=1`
//! forces the latter through `descent::cpu`).
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
            descent::cpu::has_avx2(),
            forward * 1e3,
            backward * 1e3
        );
    }
    Ok(())
}
