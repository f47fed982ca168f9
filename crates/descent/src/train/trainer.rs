//! The training loop every experiment shares.
//!
//! Model, loss (from the targets: cross-entropy for classes, MSE for
//! values), optimizer, schedule (per epoch), batching, epochs or a step
//! budget; evaluates loss (and accuracy for classes) on chosen sets before
//! training and after every epoch, and records every update's batch loss.
//! The history is long-format rows, ready for a polars DataFrame.
//!
//! A non-finite loss, a loss above `divergence_bound`, or a step refused for
//! a non-finite gradient stops the run and marks it [`RunStatus::Diverged`];
//! the caller goes on with its other runs.

use super::dataset::{Dataset, InputParts, Targets};
use crate::autodiff::{Tape, Var};
use crate::data::Batching;
use crate::kernels::join::SetOnDrop;
use crate::nn::Module;
use crate::optim::{Optimizer, Schedule};
use crate::rng::seeded;
use crate::{Element, Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::ArrayD;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// How a run is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Stop after this many updates, if given (mid-epoch).
    pub max_steps: Option<u64>,
    /// Full batch, single examples or mini-batches.
    pub batching: Batching,
    /// Seed of the per-epoch shuffling.
    pub shuffle_seed: u64,
    /// Learning-rate schedule, stepped once per epoch (`t` = epochs done).
    pub schedule: Schedule,
    /// A loss above this counts as divergence.
    pub divergence_bound: f64,
    /// Batch size for evaluation. Accuracy does not depend on it; the loss
    /// only by rounding (each batch's mean loss is a `T`). The default, 500,
    /// was measured faster per image than 1,000 and 250 on both MNIST
    /// models (CNN about 21 against 23 µs, MLP 3.5 against 4.4 µs): a
    /// batch's activations stay smaller, and the CNN's training batch
    /// (512) is as large.
    pub eval_batch: usize,
    /// Draw a progress bar (only ever on a terminal).
    pub progress: bool,
    /// Evaluate only after the last epoch (tuning runs need only the final
    /// score), instead of before training and after every epoch.
    #[serde(default)]
    pub evaluate_last_only: bool,
    /// Skip each epoch's last batch when it is smaller than the batch size
    /// (PyTorch's `DataLoader(drop_last=True)`). A remainder of a few
    /// examples, stepped at a rate tuned for full batches, is a noisy step
    /// taken right before the epoch's evaluation: with 5,000 MNIST images in
    /// batches of 128 the 8-example remainder sends plain SGD at lr 0.1 from
    /// about 78% to 48% test accuracy (PyTorch does the same). The shuffle
    /// changes which examples are left out each epoch.
    #[serde(default)]
    pub drop_last: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 1,
            max_steps: None,
            batching: Batching::MiniBatch(128),
            shuffle_seed: 0,
            schedule: Schedule::Constant,
            divergence_bound: 1e6,
            eval_batch: 500,
            progress: false,
            evaluate_last_only: false,
            drop_last: false,
        }
    }
}

/// One measurement: long format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Updates taken when it was measured.
    pub step: u64,
    /// Epochs completed (fractional within an epoch).
    pub epoch: f64,
    /// `"batch"` (the update's own mini-batch) or an evaluation set's name.
    pub split: String,
    /// `"loss"` or `"accuracy"`.
    pub metric: String,
    /// The value.
    pub value: f64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RunStatus {
    /// Trained for its whole budget.
    Completed,
    /// Stopped: the loss became non-finite or exceeded the bound.
    Diverged {
        /// The update at which it was detected.
        step: u64,
        /// Why.
        reason: String,
    },
}

/// A run's history and outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunHistory {
    /// Every measurement.
    pub rows: Vec<HistoryRow>,
    /// Completed or diverged.
    pub status: RunStatus,
    /// Updates taken.
    pub steps: u64,
}

impl RunHistory {
    /// The last value of `metric` on `split`, if measured.
    pub fn last(&self, split: &str, metric: &str) -> Option<f64> {
        self.rows.iter().rev().find(|r| r.split == split && r.metric == metric).map(|r| r.value)
    }

    /// The value of `metric` on `split` measured after `epoch`, if it was.
    pub fn at(&self, split: &str, metric: &str, epoch: usize) -> Option<f64> {
        self.rows.iter().find(|r| r.split == split && r.metric == metric && r.epoch == epoch as f64).map(|r| r.value)
    }
}

/// Loss of `output` against `targets` (mean over the batch).
fn loss<'t, T: Element>(output: Var<'t, T>, targets: &Targets<T>) -> Result<Var<'t, T>> {
    match targets {
        Targets::Classes(labels) => output.softmax_cross_entropy(labels),
        Targets::Values(values) => output.mse_loss(&output.tape().constant(values.clone())),
    }
}

/// Mean loss (and accuracy, for classes) of `model` on all of `data`, in
/// batches of `batch`, each on a [`Tape::no_grad`] tape (same values,
/// nothing recorded for a backward pass).
pub fn evaluate<T: Element>(model: &dyn Module<T>, data: &dyn Dataset<T>, batch: usize) -> Result<(f64, Option<f64>)> {
    let n = data.len();
    let (mut total_loss, mut correct, mut classes) = (0.0, 0usize, false);
    let indices: Vec<usize> = (0..n).collect();
    for chunk in indices.chunks(batch.max(1)) {
        let tape = Tape::no_grad();
        let output = model.forward(&tape, tape.constant(data.inputs(chunk)))?;
        let targets = data.targets(chunk);
        if let Targets::Classes(labels) = &targets {
            classes = true;
            correct += count_correct(&output.value(), labels);
        }
        total_loss += loss(output, &targets)?.item().expect("scalar loss").as_f64() * chunk.len() as f64;
    }
    Ok((total_loss / n as f64, classes.then(|| correct as f64 / n as f64)))
}

/// Predictions equal to the label (argmax over the last axis; first max wins).
fn count_correct<T: Element>(logits: &ArrayD<T>, labels: &[usize]) -> usize {
    logits
        .rows()
        .into_iter()
        .zip(labels)
        .filter(|(row, &label)| {
            let mut best = 0;
            for (j, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = j;
                }
            }
            best == label
        })
        .count()
}

/// Runs `work` on this worker while a second of rayon's workers stays awake
/// and takes the parallel work `work` forks, as soon as it is forked.
///
/// Between two parallel ops an idle worker goes to sleep, and waking it can
/// take longer than the op: on the 2-core VM of README's speed table the
/// MLP's products, split in two blocks, ran no faster on two threads than on
/// one, as the second block was mostly taken back by the first worker before
/// the second one woke. The helper polls the pool instead ([`rayon::yield_now`]),
/// so it costs one core for the duration of `work`: only a training that has
/// the pool to itself (started from outside it) uses one. Which worker runs
/// which block never changes a result: blocks and chunks are fixed by the
/// shapes.
///
/// Public for tools that run a training loop of their own on rayon's pool
/// and should time what [`train`] runs (`examples/epoch_phases.rs`): call
/// it from one of rayon's workers (inside `rayon::scope`), on a pool that
/// nothing else uses meanwhile.
pub fn with_awake_helper<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    with_busy_helper(&|| false, |_| work())
}

/// [`with_awake_helper`], whose helper calls `idle` whenever it finds no
/// parallel work to take (`idle` says whether it did anything: the helper
/// spins otherwise). Keep each call of `idle` short: a block forked
/// meanwhile waits for it. `work` is told whether a helper runs beside it
/// (not on a pool of one thread).
fn with_busy_helper<R: Send>(idle: &(dyn Fn() -> bool + Sync), work: impl FnOnce(bool) -> R + Send) -> R {
    if rayon::current_num_threads() < 2 {
        return work(false);
    }
    let (started, done) = (AtomicBool::new(false), AtomicBool::new(false));
    let worker = rayon::current_thread_index();
    let (result, ()) = rayon::join(
        || {
            let _done = SetOnDrop(&done);
            // Give the helper a moment to be taken by another worker (one
            // wake-up per training), so that `work` does not find it in its
            // own deque later; a busy pool only costs this wait.
            let wait = std::time::Instant::now();
            while !started.load(Ordering::Acquire) && wait.elapsed() < std::time::Duration::from_millis(2) {
                std::hint::spin_loop();
            }
            work(true)
        },
        || {
            // Before another worker takes the helper, `work` may wait on a
            // fork of its own and, while it waits, run this job itself from
            // its deque: spinning there would wait for `work` forever.
            if rayon::current_thread_index() == worker {
                return;
            }
            started.store(true, Ordering::Release);
            while !done.load(Ordering::Acquire) {
                if rayon::yield_now() != Some(rayon::Yield::Executed) && !idle() {
                    std::hint::spin_loop();
                }
            }
        },
    );
    result
}

/// Trains `model` with `optimizer` on `train`, evaluating on `eval` (name,
/// set) before training and after each epoch.
///
/// The model is in training mode ([`Module::set_training`]) for the updates
/// and in evaluation mode for the evaluations (batch norm uses its running
/// statistics there); it is left in evaluation mode when an evaluation was
/// the last thing done.
pub fn train<T: Element>(
    model: &mut dyn Module<T>,
    optimizer: &mut dyn Optimizer<T>,
    train: &dyn Dataset<T>,
    eval: &[(&str, &dyn Dataset<T>)],
    config: &TrainConfig,
) -> Result<RunHistory> {
    if rayon::current_thread_index().is_none() {
        // Run the loop on one of rayon's workers: every parallel op inside it
        // then forks from a worker instead of handing its work over to the
        // pool and waking this thread again when it is done. A training
        // started from outside the pool has the pool to itself, and keeps a
        // second worker awake for its parallel ops.
        // The helper builds the next batch's inputs meanwhile.
        let ahead: Ahead<'_, T> = Mutex::new(None);
        return rayon::scope(|_| {
            with_busy_helper(&|| write_ahead(&ahead), |helped| {
                train_loop(model, optimizer, train, eval, config, helped.then_some(&ahead))
            })
        });
    }
    train_loop(model, optimizer, train, eval, config, None)
}

/// The next batch's inputs, which the training loop posts at each update
/// and the awake helper writes [`AHEAD_EXAMPLES`] at a time whenever it has
/// no parallel op to take (the step's serial parts: the activations, the
/// loss, the small last layer); the loop finishes them when it needs them.
///
/// Why: building a batch is work of its own (the MNIST MLP's, 128 rows
/// fetched from all over the training set and converted, took 0.013 s of a
/// 0.40 s epoch on two threads, Intel Xeon), while the helper waits through
/// about 70 µs of each step's serial ops, long enough to write nearly every
/// batch ahead. Alternated with building each batch when needed, epoch by
/// epoch in one binary, three runs of 21 epochs: -11.8, -7.3 and -5.8 ms an
/// epoch (se 2.5-3.7 ms); parts of 2 or 8 examples alike. The inputs are
/// the same values whoever writes them.
type Ahead<'d, T> = Mutex<Option<InputParts<'d, T>>>;

/// Examples the helper writes between two looks at the pool: a product
/// forked meanwhile waits for them (about 2 µs for four MNIST images).
const AHEAD_EXAMPLES: usize = 4;

/// A few more examples of the next batch, if there is one to write and the
/// training loop is not taking it; whether any were written.
fn write_ahead<T>(ahead: &Ahead<'_, T>) -> bool {
    ahead.try_lock().is_ok_and(|mut parts| parts.as_mut().is_some_and(|parts| parts.write(AHEAD_EXAMPLES)))
}

/// The training loop of [`train`], on one of rayon's workers; `ahead`
/// where an awake helper builds the next batch's inputs.
fn train_loop<'d, T: Element>(
    model: &mut dyn Module<T>,
    optimizer: &mut dyn Optimizer<T>,
    train: &'d dyn Dataset<T>,
    eval: &[(&str, &dyn Dataset<T>)],
    config: &TrainConfig,
    ahead: Option<&Ahead<'d, T>>,
) -> Result<RunHistory> {
    config.schedule.validate()?;
    if train.is_empty() {
        return Err(Error::invalid("train", "train", "the training set is empty"));
    }
    let base_lr = optimizer.lr();
    let mut rng = seeded(config.shuffle_seed);
    let mut rows = Vec::new();
    let mut step: u64 = 0;
    let n = train.len();
    let batch_size = config.batching.size(n);
    let updates_per_epoch = if config.drop_last && n >= batch_size {
        (n / batch_size) as u64
    } else {
        config.batching.epoch(n, None)?.len() as u64
    };
    let total = config.max_steps.unwrap_or(u64::MAX).min(updates_per_epoch * config.epochs as u64);
    let bar = progress_bar(config.progress, total);
    let record_eval = |rows: &mut Vec<HistoryRow>, step: u64, epoch: f64, model: &dyn Module<T>| -> Result<()> {
        for (name, data) in eval {
            let (loss, accuracy) = evaluate(model, *data, config.eval_batch)?;
            let row =
                |metric: &str, value| HistoryRow { step, epoch, split: name.to_string(), metric: metric.into(), value };
            rows.push(row("loss", loss));
            if let Some(accuracy) = accuracy {
                rows.push(row("accuracy", accuracy));
            }
        }
        Ok(())
    };
    if !config.evaluate_last_only {
        model.set_training(false);
        record_eval(&mut rows, 0, 0.0, &*model)?;
    }
    for epoch in 0..config.epochs {
        model.set_training(true);
        optimizer.set_lr(config.schedule.lr(base_lr, epoch as u64))?;
        let batches = config.batching.epoch(n, Some(&mut rng))?;
        for (b, indices) in batches.iter().take(updates_per_epoch as usize).enumerate() {
            if step >= total {
                break;
            }
            let fraction = epoch as f64 + (b + 1) as f64 / updates_per_epoch as f64;
            let mut inputs = None;
            if let Some(ahead) = ahead {
                let mut slot = ahead.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                inputs = slot.take().filter(|parts| parts.indices() == indices).map(InputParts::finish);
                let next = (b + 1 < updates_per_epoch as usize && step + 1 < total).then(|| batches.iter().nth(b + 1));
                *slot = next.flatten().and_then(|next| train.inputs_in_parts(next));
            }
            let batch_loss = match update(model, optimizer, train, indices, inputs) {
                Ok(l) => l,
                Err(e @ Error::NonFiniteGradient { .. }) => {
                    bar.finish_and_clear();
                    let status = RunStatus::Diverged { step: step + 1, reason: e.to_string() };
                    return Ok(RunHistory { rows, status, steps: step });
                }
                Err(e) => return Err(e),
            };
            step += 1;
            bar.inc(1);
            rows.push(HistoryRow {
                step,
                epoch: fraction,
                split: "batch".into(),
                metric: "loss".into(),
                value: batch_loss,
            });
            if !batch_loss.is_finite() || batch_loss > config.divergence_bound {
                bar.finish_and_clear();
                let reason = format!("batch loss {batch_loss} (bound {})", config.divergence_bound);
                return Ok(RunHistory { rows, status: RunStatus::Diverged { step, reason }, steps: step });
            }
        }
        let last = epoch + 1 == config.epochs || step >= total;
        if last || !config.evaluate_last_only {
            model.set_training(false);
            record_eval(&mut rows, step, (epoch + 1) as f64, &*model)?;
        }
        if step >= total {
            break;
        }
    }
    bar.finish_and_clear();
    Ok(RunHistory { rows, status: RunStatus::Completed, steps: step })
}

/// One update on the examples `indices` (their `inputs` if already built);
/// returns the batch loss. A non-finite loss is returned without updating
/// (the caller stops).
///
/// An optimizer that wants its gradient somewhere else than at the
/// parameters (Nesterov's look-ahead form: at `w + μΔw`) gets it there: the
/// parameters are moved to that point for the forward and backward pass and
/// put back before the step.
fn update<T: Element>(
    model: &mut dyn Module<T>,
    optimizer: &mut dyn Optimizer<T>,
    data: &dyn Dataset<T>,
    indices: &[usize],
    inputs: Option<ArrayD<T>>,
) -> Result<f64> {
    let point = {
        let params: Vec<&ArrayD<T>> = model.parameters().into_iter().map(|p| p.value()).collect();
        optimizer.gradient_point(&params)
    };
    let parked: Option<Vec<ArrayD<T>>> =
        point.map(|point| model.parameters_mut().into_iter().zip(point).map(|(p, at)| p.replace(at)).collect());
    let evaluated = loss_and_gradients(&*model, data, indices, inputs);
    if let Some(parked) = parked {
        for (p, w) in model.parameters_mut().into_iter().zip(parked) {
            p.set(w);
        }
    }
    let (value, grads) = evaluated?;
    let Some(grads) = grads else { return Ok(value) };
    let mut params: Vec<&mut ArrayD<T>> = model.parameters_mut().into_iter().map(|p| p.value_mut()).collect();
    optimizer.step(&mut params, &grads)?;
    crate::autodiff::recycle(grads);
    Ok(value)
}

/// The batch loss and, when it is finite, the gradient of every parameter
/// (the tape is dropped before returning, so the update can be in place).
fn loss_and_gradients<T: Element>(
    model: &dyn Module<T>,
    data: &dyn Dataset<T>,
    indices: &[usize],
    inputs: Option<ArrayD<T>>,
) -> Result<(f64, Option<Vec<ArrayD<T>>>)> {
    let tape = Tape::new();
    let inputs = inputs.unwrap_or_else(|| data.inputs(indices));
    let output = model.forward(&tape, tape.constant(inputs))?;
    let loss = loss(output, &data.targets(indices))?;
    let value = loss.item().expect("scalar loss").as_f64();
    if !value.is_finite() {
        return Ok((value, None));
    }
    let mut grads = tape.backward(&loss)?;
    let grads: Vec<ArrayD<T>> = model
        .parameters()
        .into_iter()
        .map(|p| grads.take_param(p).unwrap_or_else(|| ArrayD::zeros(p.value().raw_dim())))
        .collect();
    Ok((value, Some(grads)))
}

fn progress_bar(enabled: bool, total: u64) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    // indicatif draws to stderr only when it is a terminal.
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} steps ({per_sec}, eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

#[cfg(test)]
mod tests {
    use super::with_awake_helper;
    use rayon::prelude::*;

    /// The helper hands back the work's result, takes forked work, and neither
    /// hangs when the work panics nor when it has no second worker.
    #[test]
    fn the_awake_helper_returns_the_result_and_never_hangs() {
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
            let sum = pool.install(|| with_awake_helper(|| (0..10_000u64).into_par_iter().sum::<u64>()));
            assert_eq!(sum, 10_000 * 9_999 / 2, "{threads} threads");
            let nested = pool.install(|| with_awake_helper(|| with_awake_helper(|| 7)));
            assert_eq!(nested, 7, "{threads} threads");
            let work = std::panic::AssertUnwindSafe(|| pool.install(|| with_awake_helper(|| panic!("work failed"))));
            let panicked = std::panic::catch_unwind(work);
            assert!(panicked.is_err(), "{threads} threads");
        }
    }
}
