//! Training on the real MNIST files (MNIST_DIR, as `.ci/run` sets it):
//! the accuracy bars of the MLP and the CNN, determinism, parallel grids and
//! divergence handling.

use descent::data::{Batching, Mnist};
use descent::nn::Init;
use descent::optim::{by_name, Optimizer};
use descent::rng::seeded;
use descent::train::{run_parallel, train, MnistData, MnistModel, RunHistory, RunStatus, TrainConfig};
use std::sync::OnceLock;
use std::time::Instant;

fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| Mnist::load(None).unwrap_or_else(|e| panic!("these tests train on the real MNIST: {e}")))
}

/// Trains `model` with Adam (lr 1e-3, PyTorch's default init, seed 0) and
/// returns the history, evaluated on the test set after each epoch.
fn train_adam(model: MnistModel, train_examples: usize, epochs: usize, seed: u64) -> RunHistory {
    let data = mnist();
    let split = data.train.head(train_examples);
    let mut net = model.build::<f32>(Init::TorchDefault, &mut seeded(seed)).unwrap();
    let mut adam = by_name::<f32>("adam", Some(1e-3)).unwrap();
    let config = TrainConfig {
        epochs,
        batching: Batching::MiniBatch(model.batch_size()),
        shuffle_seed: seed,
        progress: true,
        ..TrainConfig::default()
    };
    let train_set = MnistData::new(&split, model.layout());
    let test_set = MnistData::new(&data.test, model.layout());
    train(&mut net, adam.as_mut(), &train_set, &[("test", &test_set)], &config).unwrap()
}

#[test]
fn the_training_pixels_have_the_known_statistics() {
    let images = &mnist().train.images;
    let scaled = images.mapv(|p| p as f64 / 255.0);
    let (mean, std) = (scaled.mean().unwrap(), scaled.std(0.0));
    assert!((mean - 0.1307).abs() < 1e-4 && (std - 0.3081).abs() < 1e-4, "mean {mean}, std {std}");
}

#[test]
fn mlp_reaches_97_percent_test_accuracy_in_3_epochs_with_adam() {
    let start = Instant::now();
    let history = train_adam(MnistModel::Mlp, 60_000, 3, 0);
    let accuracy = history.last("test", "accuracy").unwrap();
    eprintln!("MLP: test accuracy {accuracy:.4} after 3 epochs in {:.1?}", start.elapsed());
    assert_eq!(history.status, RunStatus::Completed);
    assert!(accuracy >= 0.970, "MLP test accuracy {accuracy}");
}

#[test]
fn cnn_reaches_97_5_percent_test_accuracy_in_3_epochs_with_adam() {
    let start = Instant::now();
    let history = train_adam(MnistModel::Cnn, 60_000, 3, 0);
    let accuracy = history.last("test", "accuracy").unwrap();
    eprintln!("CNN: test accuracy {accuracy:.4} after 3 epochs in {:.1?}", start.elapsed());
    assert_eq!(history.status, RunStatus::Completed);
    assert!(accuracy >= 0.975, "CNN test accuracy {accuracy}");
}

#[test]
fn the_same_seed_gives_bit_identical_histories_whatever_the_thread_count() {
    let short = |seed| train_adam(MnistModel::Mlp, 2_000, 1, seed);
    let sequential: Vec<RunHistory> = [3, 4].iter().map(|&s| short(s)).collect();
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let in_one = one.install(|| run_parallel(&[3, 4], |&s| short(s)));
    let in_two = two.install(|| run_parallel(&[3, 4], |&s| short(s)));
    assert_eq!(sequential, in_one);
    assert_eq!(sequential, in_two);
    assert_ne!(sequential[0], sequential[1], "different seeds differ");
    assert!(sequential[0].rows.iter().any(|r| r.split == "batch"), "the history records every update");
}

#[test]
fn a_diverging_run_is_marked_and_returned() {
    let data = mnist();
    let split = data.train.head(1_000);
    let mut net = MnistModel::Mlp.build::<f32>(Init::TorchDefault, &mut seeded(0)).unwrap();
    let mut sgd: Box<dyn Optimizer<f32>> = by_name("sgd", Some(1e4)).unwrap();
    let config = TrainConfig { epochs: 5, batching: Batching::MiniBatch(100), ..TrainConfig::default() };
    let set = MnistData::new(&split, MnistModel::Mlp.layout());
    let history = train(&mut net, sgd.as_mut(), &set, &[], &config).unwrap();
    assert!(matches!(history.status, RunStatus::Diverged { .. }), "{:?}", history.status);
    assert!(history.steps < 50, "stopped early, after {} steps", history.steps);
    let last = history.rows.iter().rev().find(|r| r.split == "batch").unwrap().value;
    assert!(!last.is_finite() || last > config.divergence_bound, "the last recorded loss {last} is the divergence");
}

/// Every number of a short MLP and CNN history, as bits, one line.
fn fingerprint() -> String {
    let mlp = train_adam(MnistModel::Mlp, 1_024, 1, 5);
    let cnn = train_adam(MnistModel::Cnn, 1_024, 1, 5);
    let bits: Vec<String> = mlp.rows.iter().chain(&cnn.rows).map(|r| format!("{:016x}", r.value.to_bits())).collect();
    bits.join("")
}

/// Helper run by the test below in a child process, whose global rayon pool
/// has the size that `RAYON_NUM_THREADS` sets (read once per process).
#[test]
#[ignore = "run by every_thread_count_gives_bit_identical_histories in a child process"]
fn print_fingerprint() {
    println!("FINGERPRINT {}", fingerprint());
}

#[test]
fn every_thread_count_gives_bit_identical_histories() {
    // Every parallel kernel (convolution, pooling, the blocks of large
    // products) runs on rayon: local pools in this process...
    let reference = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(fingerprint);
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap().install(fingerprint);
    assert_eq!(reference, two, "1 and 2 rayon threads");
    // ...and the global pool, at several sizes, in a process each.
    for rayon in ["1", "3", "4"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "print_fingerprint", "--nocapture", "--test-threads", "1"])
            .env("RAYON_NUM_THREADS", rayon)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().find_map(|l| l.split("FINGERPRINT ").nth(1)).unwrap_or_else(|| {
            panic!("child failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        });
        assert_eq!(line, reference, "RAYON_NUM_THREADS={rayon}");
    }
}

#[test]
fn evaluation_without_a_tape_to_differentiate_gives_the_recorded_forwards_bits() {
    // `evaluate` runs on no-grad tapes (no arg-max kept in the pooling, no
    // op recorded); its loss and accuracy must be those of the forward that
    // training records, batch for batch. A trained CNN, so that activations
    // are not all of one sign and the pooling has real choices to make.
    use descent::autodiff::Tape;
    use descent::nn::Module;
    use descent::train::{evaluate, Dataset, Targets};
    let data = mnist();
    let split = data.train.head(1024);
    for model in [MnistModel::Cnn, MnistModel::Mlp] {
        let mut net = model.build::<f32>(Init::TorchDefault, &mut seeded(3)).unwrap();
        let mut adam = by_name::<f32>("adam", Some(1e-3)).unwrap();
        let config = TrainConfig { epochs: 1, batching: Batching::MiniBatch(256), ..TrainConfig::default() };
        let train_set = MnistData::new(&split, model.layout());
        train(&mut net, adam.as_mut(), &train_set, &[], &config).unwrap();
        net.set_training(false);
        let test = data.test.head(1000);
        let test_set = MnistData::new(&test, model.layout());
        let (loss, accuracy) = evaluate(&net, &test_set, 300).unwrap();
        let (mut total, mut correct) = (0.0, 0usize);
        let indices: Vec<usize> = (0..1000).collect();
        for chunk in indices.chunks(300) {
            let tape = Tape::new();
            let output = net.forward(&tape, tape.constant(Dataset::<f32>::inputs(&test_set, chunk))).unwrap();
            assert!(output.requires_grad());
            let Targets::Classes(labels) = Dataset::<f32>::targets(&test_set, chunk) else { unreachable!("classes") };
            let logits = output.value();
            for (row, &label) in logits.rows().into_iter().zip(&labels) {
                let best = (0..row.len()).fold(0, |best, j| if row[j] > row[best] { j } else { best });
                correct += usize::from(best == label);
            }
            total += output.softmax_cross_entropy(&labels).unwrap().item().unwrap() as f64 * chunk.len() as f64;
        }
        assert_eq!(loss.to_bits(), (total / 1000.0).to_bits(), "{}: loss", model.name());
        assert_eq!(accuracy, Some(correct as f64 / 1000.0), "{}: accuracy", model.name());
    }
}
