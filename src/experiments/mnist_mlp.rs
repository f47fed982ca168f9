//! The MNIST MLP with the optimizers of seed 000's figure 6: train loss and
//! test accuracy per epoch.

use super::metric::{self, BATCH_LOSS, BATCH_LOSS_SMOOTHED, DIVERGED, TEST_ACCURACY};
use super::{ChartSpec, Claim, Context, Experiment, Long, MnistUse, Outcome, Run};
use crate::data::{Batching, Mnist};
use crate::nn::Init;
use crate::optim::{OptimizerSpec, Schedule};
use crate::rng::seeded;
use crate::train::{run_parallel, train, MnistData, MnistModel, RunHistory, TrainConfig};
use crate::Result;

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "mnist_mlp",
    title: "MNIST MLP: the optimizers compared",
    question: "Seed 000's figure 6: how do the optimizers compare when training an MLP on MNIST?",
    sources: "seed 000, figure 6",
    mnist: MnistUse::Entirely,
    run,
    formulas: &["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "amsgrad"],
    charts: &[
        ChartSpec::lines("history", &[BATCH_LOSS_SMOOTHED])
            .titled("MLP training loss", "update", "cross-entropy (nats)")
            .log_y()
            .caption("Training loss (exponentially smoothed, 0.9)."),
        ChartSpec::lines("history", &[TEST_ACCURACY])
            .titled("MLP test accuracy", "epoch", "accuracy")
            .caption("Test accuracy after each epoch."),
    ],
    tables: &[],
};

/// One MNIST training run of the experiments.
#[derive(Debug, Clone)]
pub struct MnistRun {
    /// MLP or CNN (with its batch size).
    pub model: MnistModel,
    /// Train on the first `train_n` training images.
    pub train_n: usize,
    /// Epochs.
    pub epochs: usize,
    /// The optimizer and its hyperparameters.
    pub spec: OptimizerSpec,
    /// Per-epoch schedule.
    pub schedule: Schedule,
    /// Seed of the initialisation and the shuffling.
    pub seed: u64,
    /// Also evaluate on the training images after every epoch (split `train`).
    pub eval_train: bool,
}

impl MnistRun {
    /// A run of the registry's optimizer `optimizer` at `lr`, with a
    /// constant learning rate, evaluated on the test set only.
    pub fn new(
        model: MnistModel,
        train_n: usize,
        epochs: usize,
        optimizer: &str,
        lr: f64,
        seed: u64,
    ) -> Result<MnistRun> {
        let spec = OptimizerSpec::by_name(optimizer, Some(lr))?;
        Ok(MnistRun { model, train_n, epochs, spec, schedule: Schedule::Constant, seed, eval_train: false })
    }

    /// Trains; the history has the test set's loss and accuracy after
    /// every epoch (and the training images', with `eval_train`).
    pub fn train(&self, mnist: &Mnist) -> Result<RunHistory> {
        let model = self.model;
        let split = mnist.train.head(self.train_n);
        let mut net = model.build::<f32>(Init::TorchDefault, &mut seeded(self.seed))?;
        let mut opt = self.spec.build::<f32>()?;
        let train_set = MnistData::new(&split, model.layout());
        let test_set = MnistData::new(&mnist.test, model.layout());
        let config = TrainConfig {
            epochs: self.epochs,
            batching: Batching::MiniBatch(model.batch_size()),
            shuffle_seed: self.seed,
            schedule: self.schedule.clone(),
            divergence_bound: 1e3,
            ..TrainConfig::default()
        };
        let mut eval: Vec<(&str, &dyn crate::train::Dataset<f32>)> = vec![("test", &test_set)];
        if self.eval_train {
            eval.insert(0, ("train", &train_set));
        }
        train(&mut net, opt.as_mut(), &train_set, &eval, &config)
    }
}

/// Adds a run's rows: batch loss (every `every`-th update), its exponential
/// smoothing (0.9, as TensorBoard's slider and seed 003's figures), test
/// loss and accuracy per epoch, and the status.
pub fn push_history(long: &mut Long, run: &Run, h: &RunHistory, every: u64) {
    let mut smooth = None;
    for r in &h.rows {
        if r.split == "batch" {
            let s = smooth.map_or(r.value, |s: f64| 0.9 * s + 0.1 * r.value);
            smooth = Some(s);
            if r.step % every == 0 {
                long.push(run, r.step as f64, BATCH_LOSS, r.value);
                long.push(run, r.step as f64, BATCH_LOSS_SMOOTHED, s);
            }
        } else {
            long.push(run, r.epoch, &metric::evaluation(&r.split, &r.metric), r.value);
        }
    }
    long.push(
        run,
        h.steps as f64,
        DIVERGED,
        if matches!(h.status, crate::train::RunStatus::Completed) { 0.0 } else { 1.0 },
    );
}

/// Mean of the last `k` batch losses (the end of training, de-noised).
pub fn final_train_loss(h: &RunHistory, k: usize) -> f64 {
    let batch: Vec<f64> = h.rows.iter().filter(|r| r.split == "batch").map(|r| r.value).collect();
    if batch.is_empty() || !matches!(h.status, crate::train::RunStatus::Completed) {
        return f64::INFINITY;
    }
    let tail = &batch[batch.len().saturating_sub(k)..];
    tail.iter().sum::<f64>() / tail.len() as f64
}

/// The optimizers and their learning rates (common defaults, fixed before the runs).
pub const OPTIMIZERS: [(&str, f64); 8] = [
    ("sgd", 0.1),
    ("momentum", 0.01),
    ("nesterov", 0.01),
    ("adagrad", 0.01),
    ("adadelta", 1.0),
    ("rmsprop", 0.001),
    ("adam", 0.001),
    ("amsgrad", 0.001),
];

/// Trains the MLP with every optimizer.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let mnist = ctx.mnist()?;
    let (train_n, epochs) = ctx.profile.pick((10_000, 3), (60_000, 10));
    let histories = run_parallel(&OPTIMIZERS, |&(name, lr)| {
        MnistRun::new(MnistModel::Mlp, train_n, epochs, name, lr, ctx.seed)?.train(mnist)
    });
    let mut long = EXPERIMENT.frame();
    let mut first_epoch = Vec::new();
    let mut finals = Vec::new();
    for (&(name, lr), h) in OPTIMIZERS.iter().zip(histories) {
        let h = h?;
        push_history(&mut long, &Run { optimizer: name, lr, seed: ctx.seed, setting: "mlp" }, &h, 5);
        let acc_at = |e: f64| {
            h.rows
                .iter()
                .find(|r| r.split == "test" && r.metric == "accuracy" && r.epoch == e)
                .map_or(f64::NAN, |r| r.value)
        };
        first_epoch.push((name, acc_at(1.0)));
        finals.push((name, h.last("test", "accuracy").unwrap_or(f64::NAN)));
    }
    let get = |v: &[(&str, f64)], n: &str| v.iter().find(|x| x.0 == n).map_or(f64::NAN, |x| x.1);
    let claims = vec![Claim::decided(
        "mnist_mlp.adaptive_faster",
        "seed 000, figure 6",
        "adaptive methods (Adam, RMSprop) learn faster than plain SGD on the MNIST network",
        "test accuracy after the first epoch: Adam and RMSprop both above SGD (lr 0.1)",
        get(&first_epoch, "adam") - get(&first_epoch, "sgd"),
        get(&first_epoch, "adam") > get(&first_epoch, "sgd") && get(&first_epoch, "rmsprop") > get(&first_epoch, "sgd"),
        format!(
            "after epoch 1: {}",
            first_epoch.iter().map(|(n, a)| format!("{n} {a:.4}")).collect::<Vec<_>>().join(", ")
        ),
    )];
    let notes = vec![format!(
        "MLP 784-256-256-10, batch 128, {train_n} training images, {epochs} epochs, seed {}; final test accuracy: {}.",
        ctx.seed,
        finals.iter().map(|(n, a)| format!("{n} {a:.4}")).collect::<Vec<_>>().join(", ")
    )];
    Ok(Outcome { frames: vec![("history".into(), long.finish()?)], claims, notes })
}
