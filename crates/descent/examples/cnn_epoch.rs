//! Profiling aid: a fraction of a CNN epoch (for perf/callgrind).
//! `cargo run --release --example cnn_epoch -- 20` trains on 20 batches of 512.
use descent::data::{Batching, Mnist};
use descent::nn::Init;
use descent::optim::by_name;
use descent::rng::seeded;
use descent::train::{train, MnistData, MnistModel, TrainConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batches: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let mnist = Mnist::load(None)?;
    let split = mnist.train.head(batches * 512);
    let model = MnistModel::Cnn;
    let mut net = model.build::<f32>(Init::TorchDefault, &mut seeded(0))?;
    let mut adam = by_name::<f32>("adam", Some(1e-3))?;
    let data = MnistData::new(&split, model.layout());
    let config = TrainConfig { epochs: 1, batching: Batching::MiniBatch(512), ..TrainConfig::default() };
    let start = std::time::Instant::now();
    train(&mut net, adam.as_mut(), &data, &[], &config)?;
    println!("{batches} batches in {:.2?}", start.elapsed());
    Ok(())
}
