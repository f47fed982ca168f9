//! One optimizer step over 10 million f32 parameters, against a plain memory
//! copy of the same buffers (the bandwidth limit).
//!
//! Throughput is the memory traffic the update cannot avoid: SGD with
//! momentum reads θ, g, b and writes θ, b (5 × 4 bytes per parameter); Adam
//! reads θ, g, m, v and writes θ, m, v (7 × 4 bytes). The copy reads one
//! buffer and writes another (2 × 4 bytes). The finite-gradient check
//! (`common::check_step`) reads g once more; its cost is included in the time
//! but not in the bytes, so the ratio is honest.
//!
//! Run with `cargo bench --bench optim_step`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use descent::optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use ndarray::{ArrayD, IxDyn};

const N: usize = 10_000_000;
const BYTES: u64 = std::mem::size_of::<f32>() as u64 * N as u64;

fn buffers() -> (ArrayD<f32>, ArrayD<f32>) {
    let p = ArrayD::from_shape_vec(IxDyn(&[N]), (0..N).map(|i| (i % 1000) as f32 * 1e-3).collect()).unwrap();
    let g =
        ArrayD::from_shape_vec(IxDyn(&[N]), (0..N).map(|i| ((i * 7) % 1000) as f32 * 1e-3 - 0.5).collect()).unwrap();
    (p, g)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("step_10M_f32");
    group.sample_size(20);

    let (src, _) = buffers();
    let mut dst = src.clone();
    group.throughput(Throughput::Bytes(2 * BYTES));
    group.bench_function("memcpy", |b| b.iter(|| dst.as_slice_mut().unwrap().copy_from_slice(src.as_slice().unwrap())));

    let (mut p, g) = buffers();
    let grads = [g];
    let mut sgd = Sgd::<f32>::new(SgdConfig { lr: 1e-6, momentum: 0.9, ..Default::default() }).unwrap();
    sgd.step(&mut [&mut p], &grads).unwrap(); // allocate the state outside the timing
    group.throughput(Throughput::Bytes(5 * BYTES));
    group.bench_function("sgd_momentum", |b| b.iter(|| sgd.step(&mut [&mut p], &grads).unwrap()));

    let mut adam = Adam::<f32>::new(AdamConfig { lr: 1e-6, ..Default::default() }).unwrap();
    adam.step(&mut [&mut p], &grads).unwrap();
    group.throughput(Throughput::Bytes(7 * BYTES));
    group.bench_function("adam", |b| b.iter(|| adam.step(&mut [&mut p], &grads).unwrap()));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
