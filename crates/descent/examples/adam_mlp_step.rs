//! Profiling aid: Adam's step on the MNIST MLP's parameters (269,322 f32,
//! as training updates them), median of 2,000 steps, on rayon's pool.
//! `DESCENT_BASELINE=1` runs the baseline (SSE2) copy of the update loop.
use descent::optim::by_name;
use ndarray::ArrayD;
use std::time::Instant;

fn main() -> descent::Result<()> {
    let shapes: [&[usize]; 6] = [&[256, 784], &[256], &[256, 256], &[256], &[10, 256], &[10]];
    let mut params: Vec<ArrayD<f32>> = shapes
        .iter()
        .map(|s| {
            let n: usize = s.iter().product();
            ArrayD::from_shape_vec(s.to_vec(), (0..n).map(|i| (i % 97) as f32 * 1e-3).collect()).expect("size")
        })
        .collect();
    let grads: Vec<ArrayD<f32>> = params.iter().map(|p| p.mapv(|v| (v - 0.05) * 1e-2)).collect();
    let mut adam = by_name::<f32>("adam", Some(1e-3))?;
    let mut times = Vec::new();
    rayon::scope(|_| -> descent::Result<()> {
        for _ in 0..2000 {
            let mut refs: Vec<&mut ArrayD<f32>> = params.iter_mut().collect();
            let start = Instant::now();
            adam.step(&mut refs, &grads)?;
            times.push(start.elapsed().as_secs_f64());
        }
        Ok(())
    })?;
    times.sort_by(f64::total_cmp);
    println!(
        "AVX2 copies: {}; Adam step on the MLP: median {:.1} us, best {:.1} us",
        descent::kernels::cpu::has_avx2(),
        times[times.len() / 2] * 1e6,
        times[0] * 1e6
    );
    Ok(())
}
