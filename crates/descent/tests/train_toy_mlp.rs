//! End to end: a 2-layer MLP learns a toy regression with hand-written SGD,
//! using nothing but the autodiff engine and the layers.

use descent::autodiff::Tape;
use descent::nn::{Init, Linear, Module};
use descent::rng::seeded;
use ndarray::{Array, ArrayD, Axis};

/// `y = sin(2x)` on 64 evenly spaced points of [-2, 2].
fn data() -> (ArrayD<f64>, ArrayD<f64>) {
    let x = Array::linspace(-2.0, 2.0, 64).insert_axis(Axis(1));
    let y = x.mapv(|v: f64| (2.0 * v).sin());
    (x.into_dyn(), y.into_dyn())
}

#[test]
fn two_layer_mlp_trains_with_hand_written_sgd_and_loss_falls_tenfold() {
    let mut rng = seeded(42);
    let mut hidden = Linear::<f64>::new(1, 32, Init::TorchDefault, &mut rng).unwrap();
    let mut output = Linear::<f64>::new(32, 1, Init::TorchDefault, &mut rng).unwrap();
    let (x, y) = data();
    let lr = 0.2;
    let mut losses = Vec::new();
    for _ in 0..3000 {
        let tape = Tape::new();
        let h = hidden.forward(&tape, tape.constant(x.clone())).unwrap().tanh();
        let pred = output.forward(&tape, h).unwrap();
        let loss = pred.mse_loss(&tape.constant(y.clone())).unwrap();
        losses.push(loss.item().unwrap());
        let mut grads = tape.backward(&loss).unwrap();
        let grads: Vec<ArrayD<f64>> =
            hidden.parameters().into_iter().chain(output.parameters()).map(|p| grads.take_param(p).unwrap()).collect();
        drop(tape); // releases the tape's shares: the update below is in place
        for (p, g) in hidden.parameters_mut().into_iter().chain(output.parameters_mut()).zip(&grads) {
            p.value_mut().scaled_add(-lr, g); // theta <- theta - lr * grad
        }
    }
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(losses.iter().all(|l| l.is_finite()));
    assert!(last < first / 10.0, "loss fell from {first} to {last}, less than tenfold");
}

/// A 2-16-1 tanh network on a fixed regression set, trained by `train`.
fn small_net_history(optimizer: &str) -> descent::train::RunHistory {
    use descent::data::Batching;
    use descent::nn::Sequential;
    use descent::train::{train, RegressionData, TrainConfig};
    let mut rng = seeded(3);
    let mut net = Sequential::<f64>::new()
        .with(Linear::new(2, 16, Init::TorchDefault, &mut rng).unwrap())
        .with(descent::nn::ReLU)
        .with(Linear::new(16, 1, Init::TorchDefault, &mut rng).unwrap());
    let x = ndarray::Array2::from_shape_fn((48, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 5.0 - 1.0);
    let y = x.map_axis(Axis(1), |r| (r[0] * 2.0).sin() + r[1] * r[1]);
    let data = RegressionData::new(&x, &y);
    let mut opt = descent::optim::by_name::<f64>(optimizer, Some(0.05)).unwrap();
    let config =
        TrainConfig { epochs: 40, batching: Batching::MiniBatch(16), shuffle_seed: 1, ..TrainConfig::default() };
    train(&mut net, opt.as_mut(), &data, &[], &config).unwrap()
}

#[test]
fn lookahead_nesterov_trains_like_torch_nesterov() {
    // Seed 004's look-ahead Nesterov takes its gradient at w + μΔw, which is
    // where torch's Nesterov keeps its parameters (θ = w + μΔw): the batch
    // losses, each evaluated at the gradient point, are the same sequence.
    // Without the look-ahead point the trainer would run heavy-ball momentum.
    let lookahead = small_net_history("nesterov_lookahead");
    let torch = small_net_history("nesterov");
    let heavy = small_net_history("heavy_ball");
    let losses = |h: &descent::train::RunHistory| -> Vec<f64> {
        h.rows.iter().filter(|r| r.split == "batch").map(|r| r.value).collect()
    };
    let (a, b, c) = (losses(&lookahead), losses(&torch), losses(&heavy));
    assert_eq!(a.len(), 120);
    let worst = a.iter().zip(&b).map(|(x, y)| (x - y).abs() / y.abs().max(1e-12)).fold(0.0, f64::max);
    assert!(worst < 1e-9, "look-ahead vs torch Nesterov: worst relative difference {worst:e}");
    let apart = a.iter().zip(&c).map(|(x, y)| (x - y).abs() / y.abs().max(1e-12)).fold(0.0, f64::max);
    assert!(apart > 1e-3, "heavy ball should differ from Nesterov, worst difference {apart:e}");
    assert!(a.last().unwrap() < &(a[0] / 2.0), "training went down: {} -> {}", a[0], a.last().unwrap());
}

#[test]
fn train_normalises_with_batch_statistics_and_evaluates_with_running_ones() {
    use descent::data::Batching;
    use descent::nn::{BatchNorm1d, Sequential};
    use descent::train::{evaluate, train, RegressionData, TrainConfig};
    let mut rng = seeded(5);
    let mut net = Sequential::<f64>::new()
        .with(Linear::new(2, 8, Init::TorchDefault, &mut rng).unwrap())
        .with(BatchNorm1d::new(8).unwrap())
        .with(descent::nn::ReLU)
        .with(Linear::new(8, 1, Init::TorchDefault, &mut rng).unwrap());
    let x = ndarray::Array2::from_shape_fn((32, 2), |(i, j)| ((i * 5 + j * 3) % 7) as f64 / 3.0 - 1.0);
    let y = x.map_axis(Axis(1), |r| r[0] - 2.0 * r[1]);
    let data = RegressionData::new(&x, &y);
    let mut opt = descent::optim::by_name::<f64>("sgd", Some(0.05)).unwrap();
    let config = TrainConfig { epochs: 3, batching: Batching::MiniBatch(8), shuffle_seed: 1, ..TrainConfig::default() };
    let h = train(&mut net, opt.as_mut(), &data, &[("train", &data)], &config).unwrap();
    // Four batches per epoch, three epochs: the running statistics saw 12
    // batches and none of the four evaluations.
    let buffers: std::collections::BTreeMap<String, ArrayD<f64>> = net.named_buffers().into_iter().collect();
    assert_eq!(buffers["1.num_batches_tracked"][[]], 12.0);
    // Evaluation mode is left on: evaluating again changes nothing and
    // gives the recorded loss.
    let (again, _) = evaluate(&net, &data, 32).unwrap();
    assert_eq!(Some(again), h.last("train", "loss"));
    assert_eq!(net.named_buffers().into_iter().collect::<std::collections::BTreeMap<_, _>>(), buffers);
}

#[test]
fn drop_last_skips_the_short_remainder_batch_of_each_epoch() {
    use descent::data::Batching;
    use descent::nn::Sequential;
    use descent::train::{train, RegressionData, TrainConfig};
    let x = ndarray::Array2::from_shape_fn((32, 2), |(i, j)| (i + j) as f64 / 32.0);
    let y = x.map_axis(Axis(1), |r| r[0] + r[1]);
    let data = RegressionData::new(&x, &y);
    let batch_sizes = |drop_last: bool| {
        let mut net = Sequential::<f64>::new().with(Linear::new(2, 1, Init::TorchDefault, &mut seeded(1)).unwrap());
        let mut opt = descent::optim::by_name::<f64>("sgd", Some(0.01)).unwrap();
        let config = TrainConfig { epochs: 2, batching: Batching::MiniBatch(10), drop_last, ..TrainConfig::default() };
        let h = train(&mut net, opt.as_mut(), &data, &[], &config).unwrap();
        let epochs: Vec<f64> = h.rows.iter().filter(|r| r.split == "batch").map(|r| r.epoch).collect();
        (h.steps, epochs)
    };
    // 32 examples in batches of 10: 4 updates per epoch (the last of 2), or 3.
    assert_eq!(batch_sizes(false).0, 8);
    let (steps, epochs) = batch_sizes(true);
    assert_eq!(steps, 6);
    assert_eq!(epochs[2], 1.0, "an epoch's last kept batch completes it: {epochs:?}");
}
