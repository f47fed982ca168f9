//! Profiling aid: where a training epoch's time goes, phase by phase
//! (batching, forward, loss, backward, freeing the tape, the optimizer's
//! step), for the MNIST MLP or CNN with Adam (or any registry optimizer), on
//! rayon's pool as `train` runs: on one of its workers, with the second
//! worker kept awake for the parallel ops ([`descent::train::with_awake_helper`]).
//!
//! ```text
//! cargo run --release --example epoch_phases -- mlp|cnn [epochs] [optimizer lr]
//! RAYON_NUM_THREADS=1 cargo run --release --example epoch_phases -- mlp
//! DESCENT_BASELINE=1 cargo run --release --example epoch_phases -- cnn
//! ```
//!
//! `DESCENT_BASELINE=1` runs the baseline (SSE2) copies of descent's own
//! loops instead of the AVX2 ones ([`descent::cpu`]), to measure what they
//! gain.
use descent::autodiff::Tape;
use descent::data::{Batching, Mnist};
use descent::nn::{Init, Module};
use descent::optim::by_name;
use descent::rng::seeded;
use descent::train::{with_awake_helper, Dataset, MnistData, MnistModel, Targets};
use ndarray::ArrayD;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let model = match args.get(1).map(String::as_str) {
        None | Some("mlp") => MnistModel::Mlp,
        Some("cnn") => MnistModel::Cnn,
        Some(other) => return Err(format!("unknown model {other:?}; expected mlp or cnn").into()),
    };
    let epochs: u64 = args.get(2).and_then(|e| e.parse().ok()).unwrap_or(2);
    println!("AVX2 copies of descent's loops: {}", descent::kernels::cpu::has_avx2());
    let mnist = Mnist::load(None)?;
    let mut net = model.build::<f32>(Init::TorchDefault, &mut seeded(0))?;
    let name = args.get(3).map_or("adam", String::as_str);
    let lr: f64 = args.get(4).map_or(Ok(1e-3), |lr| lr.parse()).map_err(|e| format!("lr: {e}"))?;
    let mut optimizer = by_name::<f32>(name, Some(lr))?;
    let data = MnistData::new(&mnist.train, model.layout());
    let run = || -> descent::Result<()> {
        for epoch in 0..epochs {
            let order = Batching::MiniBatch(model.batch_size()).epoch(mnist.train.len(), Some(&mut seeded(epoch)))?;
            let mut t = [0.0f64; 6];
            let e0 = Instant::now();
            for idx in order.iter() {
                let s = Instant::now();
                let x = Dataset::<f32>::inputs(&data, idx);
                let Targets::Classes(labels) = Dataset::<f32>::targets(&data, idx) else {
                    unreachable!("MNIST has classes")
                };
                t[0] += s.elapsed().as_secs_f64();
                let s = Instant::now();
                let tape = Tape::new();
                let out = net.forward(&tape, tape.constant(x))?;
                t[1] += s.elapsed().as_secs_f64();
                let s = Instant::now();
                let loss = out.softmax_cross_entropy(&labels)?;
                t[2] += s.elapsed().as_secs_f64();
                let s = Instant::now();
                let mut g = tape.backward(&loss)?;
                let grads: Vec<ArrayD<f32>> =
                    net.parameters().into_iter().map(|p| g.take_param(p).expect("a parameter of the net")).collect();
                t[3] += s.elapsed().as_secs_f64();
                let s = Instant::now();
                drop(g);
                drop(tape);
                t[4] += s.elapsed().as_secs_f64();
                let s = Instant::now();
                let mut params: Vec<&mut ArrayD<f32>> =
                    net.parameters_mut().into_iter().map(|p| p.value_mut()).collect();
                optimizer.step(&mut params, &grads)?;
                descent::autodiff::recycle(grads);
                t[5] += s.elapsed().as_secs_f64();
            }
            println!(
                "epoch {epoch}: {:.3} s: batching {:.3}, forward {:.3}, loss {:.3}, backward {:.3}, freeing the tape {:.3}, step {:.3}",
                e0.elapsed().as_secs_f64(),
                t[0],
                t[1],
                t[2],
                t[3],
                t[4],
                t[5]
            );
        }
        Ok(())
    };
    rayon::scope(|_| with_awake_helper(run))?;
    Ok(())
}
