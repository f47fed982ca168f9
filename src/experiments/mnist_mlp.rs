//! The MNIST MLP with the optimizers of seed 000's figure 6: train loss and
//! test accuracy per epoch.

use super::metric::{self, BATCH_LOSS, BATCH_LOSS_SMOOTHED, DIVERGED, TEST_ACCURACY};
use super::protocol::{tune_lr, Estimate, Protocol, Seeds, Tuned};
use super::{ChartSpec, Claim, Context, Experiment, Long, MnistUse, Outcome, Run, Verdict};
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
        let mut eval: Vec<(&str, &dyn crate::train::Dataset<f32>)> = vec![(name, &test_set)];
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
        if !matches!(h.status, crate::train::RunStatus::Completed) {
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

/// The optimizers and the centres of their ×2 tuning grids (common defaults).
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

/// Tunes each of `optimizers` on the validation split (its error after the
/// run's last epoch), one after the other, each grid in parallel.
pub fn tune_on_validation(
    mnist: &Mnist,
    optimizers: &[(&str, f64)],
    run: impl Fn(&str, f64) -> Result<MnistRun> + Sync,
) -> Result<Vec<Tuned>> {
    optimizers.iter().map(|&(name, default)| tune_lr(default, |lr| run(name, lr)?.validation_error(mnist))).collect()
}

/// Trains the MLP with every optimizer under the protocol.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let mnist = ctx.mnist()?;
    let (train_n, epochs) = ctx.profile.pick((5_000, 2), (TRAIN_PART, 3));
    let seeds = Seeds::of(ctx.profile, ctx.seed);
    let tuned = tune_on_validation(mnist, &OPTIMIZERS, |name, lr| {
        MnistRun::new(MnistModel::Mlp, train_n, epochs, name, lr, seeds.tuning)
    })?;
    let jobs: Vec<(usize, u64)> = seeds.eval.iter().flat_map(|&s| (0..OPTIMIZERS.len()).map(move |i| (i, s))).collect();
    let histories = run_parallel(&jobs, |&(i, s)| {
        MnistRun::new(MnistModel::Mlp, train_n.min(TRAIN_PART), epochs, OPTIMIZERS[i].0, tuned[i].best, s)?.train(mnist)
    });
    let mut long = EXPERIMENT.frame();
    let mut first_epoch = vec![Vec::new(); OPTIMIZERS.len()];
    let mut finals = vec![Vec::new(); OPTIMIZERS.len()];
    for (&(i, s), h) in jobs.iter().zip(histories) {
        let h = h?;
        let name = OPTIMIZERS[i].0;
        if s == seeds.eval[0] {
            push_history(&mut long, &Run { optimizer: name, lr: tuned[i].best, seed: s, setting: "mlp" }, &h, 5);
        }
        let acc_at = |e: f64| {
            h.rows
                .iter()
                .find(|r| r.split == "test" && r.metric == "accuracy" && r.epoch == e)
                .map_or(0.0, |r| r.value)
        };
        first_epoch[i].push(acc_at(1.0));
        finals[i].push(acc_at(epochs as f64));
    }
    let index = |n: &str| OPTIMIZERS.iter().position(|o| o.0 == n).expect("in the list");
    let gain = |n: &str| Estimate::paired(&first_epoch[index(n)], &first_epoch[index("sgd")]);
    let (adam, rmsprop) = (gain("adam"), gain("rmsprop"));
    let protocol = Protocol::new(&seeds, "validation error (last 10,000 training images) after the last epoch").tuned_each(&OPTIMIZERS, &tuned);
    let table = |v: &[Vec<f64>]| {
        OPTIMIZERS.iter().zip(v).map(|((n, _), a)| format!("{n} {}", Estimate::of(a).show(4))).collect::<Vec<_>>()
    };
    let rms_adagrad = Estimate::paired(&first_epoch[index("rmsprop")], &first_epoch[index("adagrad")]);
    let ams_adam = Estimate::paired(&finals[index("amsgrad")], &finals[index("adam")]);
    let claims = vec![
        Claim::tested(
            "mnist_mlp.adaptive_faster",
            "seed 000, figure 6",
            "adaptive methods (Adam, RMSprop) learn faster than plain SGD on the MNIST network",
            "test accuracy after the first epoch, each method at its tuned lr, paired by seed: Adam − SGD > 0 and \
             RMSprop − SGD > 0",
            &adam,
            Verdict::all(&[adam.above(0.0), rmsprop.above(0.0)]),
            format!(
                "after epoch 1: {}; Adam − SGD {}, RMSprop − SGD {}",
                table(&first_epoch).join(", "),
                adam.show(3),
                rmsprop.show(3)
            ),
            protocol.clone(),
        ),
        Claim::tested(
            "mnist_mlp.rmsprop_faster_than_adagrad",
            "seed 000, RMSprop and figure 5",
            "RMSprop is faster than Adagrad",
            "test accuracy after the first epoch, each at its tuned lr, paired by seed: RMSprop − Adagrad > 0",
            &rms_adagrad,
            rms_adagrad.above(0.0),
            format!("RMSprop − Adagrad after epoch 1: {}", rms_adagrad.show(3)),
            protocol.clone(),
        ),
        Claim::tested(
            "mnist_mlp.amsgrad_vs_adam",
            "seed 003, section 1 (AMSGrad)",
            "on deep learning problems AMSGrad can outperform Adam",
            "final test accuracy, each at its tuned lr, paired by seed: AMSGrad − Adam > 0",
            &ams_adam,
            ams_adam.above(0.0),
            format!("AMSGrad − Adam after {epochs} epochs: {}", ams_adam.show(3)),
            protocol,
        ),
    ];
    let notes = vec![format!(
        "MLP 784-256-256-10, batch 128, {train_n} training images, {epochs} epochs, seeds {:?} (tuning seed {}); \
         final test accuracy (mean [95% interval]): {}.",
        seeds.eval,
        seeds.tuning,
        table(&finals).join(", ")
    )];
    Ok(Outcome { frames: vec![("history".into(), long.finish()?)], claims, notes })
}
