//! Seconds per training epoch of the MNIST MLP and CNN on the full 60,000
//! images: descent's side of the comparison with
//! `scripts/bench/train_epoch.py` (PyTorch, same models, batch sizes,
//! optimizer and thread count). `scripts/bench/speed.py` runs both in
//! alternating rounds and prints the table README shows.
//!
//! ```text
//! cargo bench --bench train_epoch -- --threads 2 [--epochs 3] [--model mlp|cnn] [--peak GFLOPS] [--flush-subnormals]
//! ```
//!
//! For each model it prints:
//! - every epoch's seconds, the best and the median;
//! - GFLOP per epoch, counted from the layer shapes
//!   ([`MnistModel::forward_macs`]: 2 flops per multiply-add, 3 products per
//!   training step), and the GFLOP/s achieved;
//! - with `--peak` (PyTorch's measured 2048×2048 f32 product rate at the
//!   same thread count, which `train_epoch.py` prints), the fraction of that
//!   roofline;
//! - per image: training's forward pass (20 batches), evaluation (the test
//!   set's forward on a no-grad tape, in batches of `eval_batch` as the
//!   trainer evaluates), both the best of three and on one of rayon's
//!   workers as in `train`, and batching (shuffle, then inputs and labels of
//!   every batch of an epoch);
//! - the process's peak resident memory (`VmHWM`) after the model's epochs.
//!
//! `--flush-subnormals` is a diagnostic, not a mode of descent: it sets the
//! x86 MXCSR's flush-to-zero and denormals-are-zero bits on every thread,
//! so that subnormal f32 results become 0 (different bits from PyTorch's,
//! whose default keeps them) and no arithmetic takes the CPU's slow path
//! for them. Comparing epochs with and without it measures what subnormal
//! values cost (docs/performance.md).
//!
//! The thread count is the size of rayon's pool, on which all of descent's
//! parallel work runs (convolution and pooling over samples, large matrix
//! products in blocks). MNIST comes from MNIST_DIR or data/mnist.

use descent::autodiff::Tape;
use descent::data::{Batching, Mnist};
use descent::nn::{Init, Module, Sequential};
use descent::optim::by_name;
use descent::rng::seeded;
use descent::train::{evaluate, train, Dataset, MnistData, MnistModel, Targets, TrainConfig};
use ndarray::ArrayView2;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> T {
    match arg(name) {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("error: {name} {v:?} is not a number");
            std::process::exit(2)
        }),
    }
}

fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Peak resident memory of this process so far, in MB (Linux's `VmHWM`).
fn peak_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Microseconds per image of training's forward pass (tape, parameters,
/// loss; no backward) over the first `batches` batches of an epoch.
fn forward_us(net: &Sequential<f32>, data: &MnistData<'_>, batch: usize, batches: usize) -> f64 {
    let order = Batching::MiniBatch(batch).epoch(Dataset::<f32>::len(data), Some(&mut seeded(7))).expect("non-empty");
    let chosen: Vec<&[usize]> = order.iter().take(batches).collect();
    let images: usize = chosen.iter().map(|b| b.len()).sum();
    let start = Instant::now();
    for indices in chosen {
        let tape = Tape::new();
        let output = net.forward(&tape, tape.constant(Dataset::<f32>::inputs(data, indices))).expect("forward");
        let Targets::Classes(labels) = Dataset::<f32>::targets(data, indices) else {
            unreachable!("MNIST has classes")
        };
        std::hint::black_box(output.softmax_cross_entropy(&labels).expect("loss").item());
    }
    start.elapsed().as_secs_f64() * 1e6 / images as f64
}

/// Microseconds per image of an epoch's batching: the shuffle, then the
/// inputs and labels of every batch.
fn batching_us(data: &MnistData<'_>, batch: usize) -> f64 {
    let start = Instant::now();
    let order = Batching::MiniBatch(batch).epoch(Dataset::<f32>::len(data), Some(&mut seeded(3))).expect("non-empty");
    for indices in order.iter() {
        std::hint::black_box(Dataset::<f32>::inputs(data, indices));
        std::hint::black_box(Dataset::<f32>::targets(data, indices));
    }
    start.elapsed().as_secs_f64() * 1e6 / Dataset::<f32>::len(data) as f64
}

/// The MLP's matrix products alone, one training step's worth at a time, on
/// this thread: the rate a GEMM reaches on the model's exact shapes and
/// operand layouts, with nothing else running, hot: descent's own product
/// (`linalg::matmul_into`, the one training runs) or, with `reference`,
/// matrixmultiply's (through ndarray). Returns GFLOP/s, counting only the
/// products a step computes (the input's gradient is not one of them).
fn mlp_products_gflops(steps: usize, reference: bool) -> f64 {
    use ndarray::Array2;
    let product = |a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>, c: &mut Array2<f32>| {
        if reference {
            ndarray::linalg::general_mat_mul(1.0, a, b, 0.0, c);
        } else {
            descent::linalg::matmul_into(a, b, &mut c.view_mut()).expect("the MLP's shapes");
        }
    };
    let batch = MnistModel::Mlp.batch_size();
    let filled = |r: usize, c: usize| Array2::from_shape_fn((r, c), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.01);
    let x = filled(batch, 784);
    let (w1, w2, w3) = (filled(256, 784), filled(256, 256), filled(10, 256));
    let (mut h1, mut h2, mut y) =
        (Array2::zeros((batch, 256)), Array2::zeros((batch, 256)), Array2::zeros((batch, 10)));
    let (mut g2, mut g1) = (Array2::zeros((batch, 256)), Array2::zeros((batch, 256)));
    let (mut dw1, mut dw2, mut dw3) = (Array2::zeros((256, 784)), Array2::zeros((256, 256)), Array2::zeros((10, 256)));
    let gy = filled(batch, 10);
    let mut step = || {
        // Forward: X W^T for each layer (W stored (out, in), as in `linear`).
        product(&x.view(), &w1.t(), &mut h1);
        product(&h1.view(), &w2.t(), &mut h2);
        product(&h2.view(), &w3.t(), &mut y);
        // Backward: dW = G^T X and dX = G W per layer, but no dX for the input.
        product(&gy.t(), &h2.view(), &mut dw3);
        product(&gy.view(), &w3.view(), &mut g2);
        product(&g2.t(), &h1.view(), &mut dw2);
        product(&g2.view(), &w2.view(), &mut g1);
        product(&g1.t(), &x.view(), &mut dw1);
    };
    step();
    let start = Instant::now();
    for _ in 0..steps {
        step();
    }
    let seconds = start.elapsed().as_secs_f64();
    // Forward and weight gradients: the model's count twice; input gradients:
    // every layer's but the first's (784 x 256).
    let forward = MnistModel::Mlp.forward_macs() as usize;
    let macs = batch * (3 * forward - 784 * 256);
    2.0 * macs as f64 * steps as f64 / seconds / 1e9
}

/// Sets this thread's MXCSR flush-to-zero and denormals-are-zero bits
/// (`--flush-subnormals`; nothing elsewhere than x86-64).
fn flush_subnormals() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86-64; the bits only change how this thread
    // rounds results below f32's smallest normal number.
    #[allow(deprecated)]
    unsafe {
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        _mm_setcsr(_mm_getcsr() | 0x8040);
    }
}

fn main() {
    let threads: usize = number("--threads", 2);
    let epochs: usize = number("--epochs", 3);
    let peak: Option<f64> = arg("--peak").map(|_| number("--peak", 0.0));
    let only = arg("--model");
    let flush = std::env::args().any(|a| a == "--flush-subnormals");
    if flush {
        flush_subnormals();
        println!("subnormals flushed to zero on every thread (a diagnostic)");
    }
    let mut pool = rayon::ThreadPoolBuilder::new().num_threads(threads);
    if flush {
        pool = pool.start_handler(|_| flush_subnormals());
    }
    pool.build_global().expect("first use of rayon's pool");
    let mnist = Mnist::load(None).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    println!("descent {}, {threads} threads (rayon and GEMM)", env!("CARGO_PKG_VERSION"));
    let models = [MnistModel::Mlp, MnistModel::Cnn];
    if let Some(name) = &only {
        if !models.iter().any(|m| m.name() == name) {
            eprintln!("error: unknown --model {name:?}; expected mlp or cnn");
            std::process::exit(2)
        }
    }
    for model in models {
        if only.as_deref().is_some_and(|m| m != model.name()) {
            continue;
        }
        let name = model.name();
        let mut net = model.build::<f32>(Init::TorchDefault, &mut seeded(0)).unwrap();
        let mut adam = by_name::<f32>("adam", Some(1e-3)).unwrap();
        let data = MnistData::new(&mnist.train, model.layout());
        let test = MnistData::new(&mnist.test, model.layout());
        let mut times = Vec::new();
        for epoch in 0..epochs {
            let config = TrainConfig {
                epochs: 1,
                batching: Batching::MiniBatch(model.batch_size()),
                shuffle_seed: epoch as u64,
                ..TrainConfig::default()
            };
            let start = Instant::now();
            train(&mut net, adam.as_mut(), &data, &[], &config).unwrap();
            times.push(start.elapsed().as_secs_f64());
        }
        let (best, med) = (times.iter().copied().fold(f64::INFINITY, f64::min), median(&times));
        let all: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
        println!("{name}: epochs {}", all.join(" "));
        println!("{name}: {best:.2} s/epoch best, {med:.2} s median (of {epochs})");
        let gflop = 3.0 * 2.0 * model.forward_macs() as f64 * Dataset::<f32>::len(&data) as f64 / 1e9;
        let rate = gflop / best;
        let roofline = match peak {
            Some(peak) => format!("; {:.0} % of the {peak:.0} GFLOP/s roofline", 100.0 * rate / peak),
            None => String::new(),
        };
        println!("{name}: {gflop:.1} GFLOP/epoch, {rate:.1} GFLOP/s at the best epoch{roofline}");
        if model == MnistModel::Mlp {
            // Best of three runs of 200 steps, on one of rayon's workers.
            let rate =
                |reference| rayon::scope(|_| (0..3).map(|_| mlp_products_gflops(200, reference)).fold(0.0, f64::max));
            let (products, matrixmultiply) = (rate(false), rate(true));
            let of_peak = match peak {
                Some(peak) => {
                    format!(", {:.0} % of one core's share of the roofline", 100.0 * products * threads as f64 / peak)
                }
                None => String::new(),
            };
            println!(
                "{name}: its matrix products alone on one core: {products:.1} GFLOP/s{of_peak} \
                 (descent's product, hot; matrixmultiply on the same shapes {matrixmultiply:.1})"
            );
        }
        let peak_after_training = peak_mb();
        // Both on one of rayon's workers, where `train` runs its steps and
        // its evaluations (from this thread every parallel op would hand its
        // work over to the pool and wait). The model is `Send`, not `Sync`:
        // it goes over as `&mut`.
        let batch = model.batch_size();
        let (worker, train_set, test_set) = (&mut net, &data, &test);
        // Each the best of three, as the machine is noisy.
        let best_of_3 = |f: &mut dyn FnMut() -> f64| (0..3).map(|_| f()).fold(f64::INFINITY, f64::min);
        let forward = rayon::scope(move |_| best_of_3(&mut || forward_us(worker, train_set, batch, 20)));
        net.set_training(false);
        let worker = &mut net;
        let eval = rayon::scope(move |_| {
            best_of_3(&mut || {
                let start = Instant::now();
                evaluate(&*worker, test_set, TrainConfig::default().eval_batch).unwrap();
                start.elapsed().as_secs_f64() * 1e6 / Dataset::<f32>::len(test_set) as f64
            })
        });
        let batching = batching_us(&data, model.batch_size());
        println!(
            "{name}: per image: training forward {forward:.2} us, evaluation {eval:.2} us, batching {batching:.2} us"
        );
        if let Some(mb) = peak_after_training {
            println!("{name}: peak resident memory after {epochs} epochs: {mb:.0} MB (whole process, MNIST loaded)");
        }
    }
}
