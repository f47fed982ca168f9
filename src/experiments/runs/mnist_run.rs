//! MNIST runs as the experiments make them: one model, optimizer,
//! schedule and seed on a part of the training images ([`MnistRun`]),
//! evaluated on the test set, or on the validation split when tuning
//! ([`tune_on_validation`]); and a run's history as long-format rows
//! ([`push_history`]).

use crate::experiments::metric::{self, BATCH_LOSS, BATCH_LOSS_SMOOTHED, DIVERGED};
use crate::experiments::protocol::{tune_lr, Tuned};
use crate::experiments::{Long, Run};
use descent::data::{Batching, Mnist};
use descent::nn::Init;
use descent::optim::{OptimizerSpec, Schedule};
use descent::rng::seeded;
use descent::train::{train, Dataset, MnistData, MnistModel, RunHistory, RunStatus, TrainConfig};
use descent::Result;

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
    /// The weights' initialisation (PyTorch's default unless a study
    /// changes it).
    pub init: Init,
    /// Evaluate only after the last epoch (runs whose history is not drawn).
    pub evaluate_last_only: bool,
    /// Evaluate nothing (runs that need only the training loss).
    pub skip_evaluation: bool,
    /// Tuning run: train on the first `train_n` of the first 50,000
    /// training images and evaluate on the last 10,000 (split
    /// `validation`) instead of the test set.
    pub validation: bool,
}

/// Training images the protocol trains on (the first 50,000); the last
/// [`VALIDATION`] are its validation split.
pub const TRAIN_PART: usize = 50_000;
/// Size of the validation split (the last training images).
pub const VALIDATION: usize = 10_000;

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
        Ok(MnistRun {
            model,
            train_n,
            epochs,
            spec,
            schedule: Schedule::Constant,
            seed,
            eval_train: false,
            init: Init::TorchDefault,
            evaluate_last_only: false,
            skip_evaluation: false,
            validation: false,
        })
    }

    /// Trains; the history has the test set's loss and accuracy after
    /// every epoch (and the training images', with `eval_train`).
    pub fn train(&self, mnist: &Mnist) -> Result<RunHistory> {
        let model = self.model;
        let (split, held_out) = if self.validation {
            let held_out = mnist.train.tail(VALIDATION);
            (mnist.train.head(self.train_n.min(mnist.train.len() - held_out.len())), held_out)
        } else {
            (mnist.train.head(self.train_n), mnist.test.head(0))
        };
        let mut net = model.build::<f32>(self.init, &mut seeded(self.seed))?;
        let mut opt = self.spec.build::<f32>()?;
        let train_set = MnistData::new(&split, model.layout());
        let test_set = MnistData::new(if self.validation { &held_out } else { &mnist.test }, model.layout());
        let config = TrainConfig {
            epochs: self.epochs,
            batching: Batching::MiniBatch(model.batch_size()),
            shuffle_seed: self.seed,
            schedule: self.schedule.clone(),
            divergence_bound: 1e3,
            evaluate_last_only: self.validation || self.evaluate_last_only,
            drop_last: true,
            ..TrainConfig::default()
        };
        let name = if self.validation { "validation" } else { "test" };
        let mut eval: Vec<(&str, &dyn Dataset<f32>)> = vec![(name, &test_set)];
        if self.eval_train {
            eval.insert(0, ("train", &train_set));
        }
        if self.skip_evaluation {
            eval.clear();
        }
        train(&mut net, opt.as_mut(), &train_set, &eval, &config)
    }

    /// This run's validation error after its last epoch (tuning score; 1
    /// for a run that diverged).
    pub fn validation_error(&self, mnist: &Mnist) -> Result<f64> {
        let h = MnistRun { validation: true, eval_train: false, ..self.clone() }.train(mnist)?;
        if !matches!(h.status, RunStatus::Completed) {
            return Ok(1.0);
        }
        Ok(1.0 - h.last("validation", "accuracy").unwrap_or(0.0))
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
    long.push(run, h.steps as f64, DIVERGED, if matches!(h.status, RunStatus::Completed) { 0.0 } else { 1.0 });
}

/// Mean of the last `k` batch losses (the end of training, de-noised).
pub fn final_train_loss(h: &RunHistory, k: usize) -> f64 {
    let batch: Vec<f64> = h.rows.iter().filter(|r| r.split == "batch").map(|r| r.value).collect();
    if batch.is_empty() || !matches!(h.status, RunStatus::Completed) {
        return f64::INFINITY;
    }
    let tail = &batch[batch.len().saturating_sub(k)..];
    tail.iter().sum::<f64>() / tail.len() as f64
}

/// Tunes each of `optimizers` on the validation split (its error after the
/// run's last epoch), one after the other, each grid in parallel.
pub fn tune_on_validation(
    mnist: &Mnist,
    optimizers: &[(&str, f64)],
    run: impl Fn(&str, f64) -> Result<MnistRun> + Sync,
) -> Result<Vec<Tuned>> {
    optimizers.iter().map(|&(name, default)| tune_lr(default, |lr| run(name, lr)?.validation_error(mnist))).collect()
}
