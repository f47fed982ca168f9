//! Seconds per training epoch of the MNIST MLP and CNN on the full 60,000
//! images: descent's side of the comparison with
//! `scripts/bench/train_epoch.py` (PyTorch, same models, batch sizes,
//! optimizer and thread count). Best of `--epochs` epochs per model.
//!
//! `cargo bench --bench train_epoch -- --threads 2` (MNIST from MNIST_DIR or
//! data/mnist). The thread count is the size of rayon's pool, on which all
//! of descent's parallel work runs (convolution and pooling over samples,
//! large matrix products in blocks).

use descent::data::{Batching, Mnist};
use descent::nn::Init;
use descent::optim::by_name;
use descent::rng::seeded;
use descent::train::{train, MnistData, MnistModel, TrainConfig};
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let threads = arg("--threads", 2);
    let epochs = arg("--epochs", 2);
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().expect("first use of rayon's pool");
    let mnist = Mnist::load(None).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    println!("descent {}, {threads} threads (rayon and GEMM)", env!("CARGO_PKG_VERSION"));
    for model in [MnistModel::Mlp, MnistModel::Cnn] {
        let mut net = model.build::<f32>(Init::TorchDefault, &mut seeded(0)).unwrap();
        let mut adam = by_name::<f32>("adam", Some(1e-3)).unwrap();
        let data = MnistData::new(&mnist.train, model.layout());
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
        let best = times.iter().copied().fold(f64::INFINITY, f64::min);
        let all: Vec<String> = times.iter().map(|t| format!("{t:.2}")).collect();
        println!("{}: {best:.2} s/epoch (best of {epochs}: {})", model.name(), all.join(", "));
    }
}
