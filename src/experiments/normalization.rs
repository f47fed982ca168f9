//! Seed 004's normalization slide (data, batch and layer normalization),
//! decided under the protocol.
//!
//! - **Batch and layer norm** on the MNIST MLP (784-256-256-10, the
//!   normalization before each hidden ReLU) against the plain MLP, plain
//!   SGD, each network's learning rate tuned on the validation split, over
//!   seeds: is it ahead after the first epoch (Ioffe and Szegedy's "fewer
//!   training steps"), and does batch norm still train at 8× the plain
//!   network's tuned rate ("much higher learning rates")?
//! - **Data normalization** on linear regression: features of very
//!   different scales and offsets, full-batch gradient descent on the raw
//!   features against the standardised ones, each rate tuned, over data
//!   draws.

use super::{ClaimSpec, Tested};
use super::metric::TEST_ACCURACY;
use super::runs::{push_history, tune_on_validation, MnistRun, TRAIN_PART};
use super::protocol::{tune_lr, Estimate, Protocol, Seeds};
use super::{ChartSpec, Claim, Context, Experiment, MnistUse, Outcome, Run, SeriesBy};
use descent::data::regression::{least_squares, make_regression, MakeRegression, Regression, Standardizer};
use descent::data::Batching;
use descent::optim::OptimizerSpec;
use descent::rng::seeded;
use descent::train::{run_parallel, MnistModel};
use descent::Result;

/// Relative excess loss `(L − L*) / L*` after each full-batch update.
pub const RELATIVE_EXCESS: &str = "relative excess loss";

/// The learning rate at which batch norm's tolerance is tested, as a
/// multiple of the plain network's tuned rate (fixed before the run).
pub const HIGH_LR_FACTOR: f64 = 8.0;

/// Test accuracy a diverged run is scored at: chance for ten classes.
pub const DIVERGED_ACCURACY: f64 = 0.1;

/// Relative excess losses below this are rounding (the optimum itself is
/// known to about this precision) and are counted as this.
pub const EXCESS_FLOOR: f64 = 1e-12;

/// Full-batch updates of the data-normalization comparison.
pub const DATA_UPDATES: usize = 100;

/// The three networks, with the centre of their ×2 grids (plain SGD).
const NETWORKS: [(&str, f64); 3] = [("plain", 0.1), ("batch norm", 0.1), ("layer norm", 0.1)];

fn model(network: &str) -> MnistModel {
    match network {
        "batch norm" => MnistModel::MlpBatchNorm,
        "layer norm" => MnistModel::MlpLayerNorm,
        _ => MnistModel::Mlp,
    }
}

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "normalization",
    title: "Normalization: data, batch and layer",
    question: "Seed 004 lists data, batch and layer normalization. Does batch (or layer) normalization make the MNIST \
               network train faster and tolerate a larger learning rate, and does standardising the inputs speed up \
               gradient descent, when every variant gets its own tuned learning rate?",
    sources: "seed 004 (Normalization); Ioffe and Szegedy 2015; Ba, Kiros and Hinton 2016",
    mnist: MnistUse::InPart,
    run,
    formulas: &["batch_norm", "layer_norm"],
    charts: &[
        ChartSpec::lines("history", &[TEST_ACCURACY])
            .by(SeriesBy::Setting)
            .titled("Plain, batch-norm and layer-norm MLP", "epoch", "test accuracy")
            .caption("MNIST MLP with plain SGD, each network at its tuned learning rate (first seed)."),
        ChartSpec::lines("data", &[RELATIVE_EXCESS])
            .by(SeriesBy::Setting)
            .titled("Raw vs standardised features", "update", "(L − L*) / L*")
            .log_y()
            .caption("Full-batch gradient descent on linear regression, each at its tuned learning rate (first seed)."),
    ],
    tables: &[],
    claims: &[BATCH_NORM_FASTER, BATCH_NORM_LARGER_LR, LAYER_NORM_FASTER, DATA_STANDARDIZED_FASTER],
};

/// normalization.batch_norm_faster
pub const BATCH_NORM_FASTER: ClaimSpec = ClaimSpec::evidence(
    "normalization.batch_norm_faster",
    "ioffe",
    "Ioffe and Szegedy 2015 (named by seed 004: Normalization, batch)",
    "batch normalization makes a network reach a given accuracy in fewer training steps",
    "MNIST MLP 784-256-256-10, plain SGD, batch 128: test accuracy after the first epoch, batch norm − plain > 0, \
     each at its lr tuned for it (validation error after one epoch), paired by seed",
);

/// normalization.batch_norm_larger_lr
pub const BATCH_NORM_LARGER_LR: ClaimSpec = ClaimSpec::evidence(
    "normalization.batch_norm_larger_lr",
    "ioffe",
    "Ioffe and Szegedy 2015, section 3.3 (named by seed 004: Normalization, batch)",
    "batch normalization lets a network train at a much higher learning rate",
    "MNIST MLP 784-256-256-10, plain SGD, batch 128: at 8× the plain network's tuned lr, final test \
     accuracy batch norm − plain > 0, paired by seed (a diverged run scores 0.1, chance)",
);

/// normalization.layer_norm_faster
pub const LAYER_NORM_FASTER: ClaimSpec = ClaimSpec::evidence(
    "normalization.layer_norm_faster",
    "ba",
    "Ba, Kiros and Hinton 2016 (named by seed 004: Normalization, layer)",
    "layer normalization makes a network reach a given accuracy in fewer training steps",
    "MNIST MLP 784-256-256-10, plain SGD, batch 128: test accuracy after the first epoch, layer norm − plain > 0, each \
     at its lr tuned for it (validation error after one epoch), paired by seed",
);

/// normalization.data_standardized_faster
pub const DATA_STANDARDIZED_FASTER: ClaimSpec = ClaimSpec::evidence(
    "normalization.data_standardized_faster",
    "ioffe",
    "Ioffe and Szegedy 2015, section 2 (whitening the inputs speeds training; named by seed 004: Normalization, data)",
    "normalizing the input data speeds up gradient descent",
    "linear regression, 400 examples, 5 features with scales 0.01 to 100 and offsets up to 40: log10 of the relative \
     excess loss after 100 full-batch GD updates, standardised − raw < 0, each at its tuned lr, paired by \
     data draw",
);

/// Test accuracy after each epoch (index 0 = epoch 1); a diverged run
/// scores [`DIVERGED_ACCURACY`] for the epochs it did not finish.
fn accuracies(h: &descent::train::RunHistory, epochs: usize) -> Vec<f64> {
    (1..=epochs)
        .map(|e| h.at("test", "accuracy", e).unwrap_or(DIVERGED_ACCURACY))
        .collect()
}

/// Runs both parts; the MNIST part only when MNIST is there.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let seeds = Seeds::of(ctx.profile, ctx.seed);
    let mut claims = Vec::new();
    let mut notes = Vec::new();
    let mut frames = Vec::new();
    match ctx.mnist() {
        Ok(mnist) => {
            let (history, mut c, note) = networks(ctx, mnist, &seeds)?;
            frames.push(("history".into(), history));
            claims.append(&mut c);
            notes.push(note);
        }
        Err(e) => notes.push(format!("Batch and layer norm on MNIST not run: {e}")),
    }
    let (data, claim, note) = data_normalization(&seeds)?;
    frames.push(("data".into(), data));
    claims.push(claim);
    notes.push(note);
    Ok(Outcome { frames, claims, notes })
}

/// Batch and layer norm against the plain MLP.
fn networks(
    ctx: &Context,
    mnist: &descent::data::Mnist,
    seeds: &Seeds,
) -> Result<(polars::prelude::DataFrame, Vec<Claim>, String)> {
    let (train_n, epochs) = ctx.profile.pick((5_000, 2), (TRAIN_PART, 3));
    let make = |network: &str, lr: f64, seed: u64| MnistRun::new(model(network), train_n, epochs, "sgd", lr, seed);
    let tuned = tune_on_validation(mnist, &NETWORKS, |network, lr| make(network, lr, seeds.tuning))?;
    // The speed claims are decided after one epoch, so tuned on it.
    let first = |network: &str, lr: f64, seed: u64| MnistRun::new(model(network), train_n, 1, "sgd", lr, seed);
    let tuned_first = tune_on_validation(mnist, &NETWORKS, |network, lr| first(network, lr, seeds.tuning))?;
    let high = HIGH_LR_FACTOR * tuned[0].best;
    // Jobs: every network at its tuned rate, then plain and batch norm at
    // the high rate, each on every seed.
    let settings: Vec<(&str, f64, bool)> = NETWORKS
        .iter()
        .zip(&tuned)
        .map(|(&(n, _), t)| (n, t.best, false))
        .chain([("plain", high, true), ("batch norm", high, true)])
        .collect();
    let jobs: Vec<(usize, u64)> = (0..settings.len()).flat_map(|i| seeds.eval.iter().map(move |&s| (i, s))).collect();
    let histories = run_parallel(&jobs, |&(i, s)| make(settings[i].0, settings[i].1, s)?.train(mnist));
    let mut long = EXPERIMENT.frame();
    let mut acc = vec![Vec::new(); settings.len()];
    let mut diverged = vec![0usize; settings.len()];
    for (&(i, s), h) in jobs.iter().zip(histories) {
        let h = h?;
        diverged[i] += usize::from(!matches!(h.status, descent::train::RunStatus::Completed));
        let (network, lr, at_high) = settings[i];
        if s == seeds.eval[0] && !at_high {
            push_history(&mut long, &Run { optimizer: "sgd", lr, seed: s, setting: network }, &h, 5);
        }
        acc[i].push(accuracies(&h, epochs));
    }
    let first_jobs: Vec<(usize, u64)> =
        (0..NETWORKS.len()).flat_map(|i| seeds.eval.iter().map(move |&s| (i, s))).collect();
    // Their accuracy after the one epoch is all they give: evaluated then only.
    let first_histories = run_parallel(&first_jobs, |&(i, s)| {
        MnistRun { evaluate_last_only: true, ..first(NETWORKS[i].0, tuned_first[i].best, s)? }.train(mnist)
    });
    let mut after_one = vec![Vec::new(); NETWORKS.len()];
    for (&(i, _), h) in first_jobs.iter().zip(first_histories) {
        after_one[i].push(accuracies(&h?, 1)[0]);
    }
    let at = |i: usize, epoch: usize| acc[i].iter().map(|a| a[epoch]).collect::<Vec<f64>>();
    let last = epochs - 1;
    let bn_first = Estimate::paired(&after_one[1], &after_one[0]);
    let ln_first = Estimate::paired(&after_one[2], &after_one[0]);
    let bn_high = Estimate::paired(&at(4, last), &at(3, last));
    let protocol = Protocol::new(seeds, "validation error (last 10,000 training images) after the last epoch")
        .tuned_each(&NETWORKS, &tuned);
    let first_protocol =
        Protocol::new(seeds, "validation error (last 10,000 training images) after the first epoch, the epoch decided")
            .tuned_each(&NETWORKS, &tuned_first);
    let first_shown = |i: usize| Estimate::of(&after_one[i]).show(4);
    let n = seeds.eval.len();
    let shown = |i: usize, e: usize| {
        let d = if diverged[i] > 0 { format!(" ({} of {n} seeds diverged)", diverged[i]) } else { String::new() };
        format!("{}{d}", Estimate::of(&at(i, e)).show(4))
    };
    let setup = format!("{train_n} images, {epochs} epochs");
    let claims = vec![
        BATCH_NORM_FASTER.tested(Tested { estimate: &bn_first, verdict: bn_first.above(0.0), detail: format!(
                "{setup}: after epoch 1: plain (lr {:.2e}) {}, batch norm (lr {:.2e}) {}; difference {}",
                tuned_first[0].best,
                first_shown(0),
                tuned_first[1].best,
                first_shown(1),
                bn_first.show(3)
            ), protocol: first_protocol.clone() }),
        BATCH_NORM_LARGER_LR.tested(Tested { estimate: &bn_high, verdict: bn_high.above(0.0), detail: format!(
                "{setup}: at lr {high:.2e}: plain {}, batch norm {}; difference {}. At their tuned rates: plain {}, batch norm \
                 {}. Tuned lr: plain {:.2e}, batch norm {:.2e}",
                shown(3, last),
                shown(4, last),
                bn_high.show(3),
                shown(0, last),
                shown(1, last),
                tuned[0].best,
                tuned[1].best
            ), protocol: protocol.fixed("plain and batch norm at the high rate", high) }),
        LAYER_NORM_FASTER.tested(Tested { estimate: &ln_first, verdict: ln_first.above(0.0), detail: format!(
                "{setup}: after epoch 1: plain {}, layer norm (lr {:.2e}) {}; difference {}",
                first_shown(0),
                tuned_first[2].best,
                first_shown(2),
                ln_first.show(3)
            ), protocol: first_protocol }),
    ];
    let note = format!(
        "MNIST MLP 784-256-256-10, plain SGD, batch 128, {setup}, seeds {:?} (tuning seed {}). Final test accuracy at the tuned rates: plain {}, batch norm {}, layer \
         norm {}.",
        seeds.eval,
        seeds.tuning,
        shown(0, last),
        shown(1, last),
        shown(2, last)
    );
    Ok((long.finish()?, claims, note))
}

/// Linear-regression data whose features have scales from 0.01 to 100 and
/// offsets 0, 10, ..., 40 (the raw problem); the targets are the same for both
/// variants.
fn raw_problem(seed: u64) -> Result<Regression> {
    let params = MakeRegression { n_samples: 400, n_features: 5, n_informative: 5, noise: 10.0, bias: 3.0 };
    let mut data = make_regression(params, &mut seeded(seed))?;
    let scales = [0.01, 0.1, 1.0, 10.0, 100.0];
    for (j, mut column) in data.x.columns_mut().into_iter().enumerate() {
        column.mapv_inplace(|v| v * scales[j] + 10.0 * j as f64);
    }
    let n = data.y.len() as f64;
    let (mean, sd) = (data.y.sum() / n, data.y.std(0.0));
    data.y.mapv_inplace(|v| (v - mean) / sd);
    data.coef = None;
    Ok(data)
}

/// `(L − L*) / L*` after each of [`DATA_UPDATES`] full-batch GD updates,
/// floored at [`EXCESS_FLOOR`]. The optimum `L*` is solved on standardised
/// features (the same minimum: the map is affine and the model has a bias),
/// where the normal equations are well conditioned.
fn excess_trace(data: &Regression, lr: f64, seed: u64) -> Result<Vec<f64>> {
    let (_, _, optimum) = least_squares(&Standardizer::fit(&data.x)?.transform(&data.x)?, &data.y)?;
    let spec = OptimizerSpec::by_name("sgd", Some(lr))?;
    let h = descent::train::fit_linear(data, &spec, Batching::Full, DATA_UPDATES, seed)?;
    let mut trace: Vec<f64> = h
        .rows
        .iter()
        .filter(|r| r.split == "all" && r.metric == "loss" && r.step > 0)
        .map(|r| ((r.value - optimum) / optimum).max(EXCESS_FLOOR))
        .collect();
    trace.resize(DATA_UPDATES, f64::INFINITY); // a diverged run never gets there
    Ok(trace)
}

/// Data normalization: raw against standardised features.
fn data_normalization(seeds: &Seeds) -> Result<(polars::prelude::DataFrame, Claim, String)> {
    let variants = [("raw features", 1e-5), ("standardised features", 0.1)];
    let problem = |which: &str, seed: u64| -> Result<Regression> {
        let raw = raw_problem(seed)?;
        if which == "raw features" {
            return Ok(raw);
        }
        Ok(Regression { x: Standardizer::fit(&raw.x)?.transform(&raw.x)?, ..raw })
    };
    // Tuned on a separate draw: the relative excess loss after the last update.
    let tuned: Vec<_> = variants
        .iter()
        .map(|&(which, default)| {
            let data = problem(which, seeds.tuning)?;
            tune_lr(default, |lr| Ok(*excess_trace(&data, lr, seeds.tuning)?.last().expect("updates")))
        })
        .collect::<Result<_>>()?;
    let mut long = EXPERIMENT.frame();
    let mut finals = vec![Vec::new(); variants.len()];
    for (i, ((which, _), t)) in variants.iter().zip(&tuned).enumerate() {
        let traces = run_parallel(&seeds.eval, |&s| excess_trace(&problem(which, s)?, t.best, s));
        for (&s, trace) in seeds.eval.iter().zip(traces) {
            let trace = trace?;
            if s == seeds.eval[0] {
                let run = Run { optimizer: "sgd", lr: t.best, seed: s, setting: which };
                long.extend(&run, RELATIVE_EXCESS, trace.iter().enumerate().map(|(k, &v)| ((k + 1) as f64, v)));
            }
            // log10 of the final relative excess: the comparison is of orders
            // of magnitude, and a ratio's logarithm pairs naturally.
            finals[i].push(trace.last().expect("updates").log10());
        }
    }
    let e = Estimate::paired(&finals[1], &finals[0]);
    let protocol = Protocol::new(seeds, "relative excess loss after the last update, on a separate draw")
        .tuned_each(&variants, &tuned);
    let claim = DATA_STANDARDIZED_FASTER.tested(Tested { estimate: &e, verdict: e.below(0.0), detail: format!(
            "log10((L − L*)/L*) after {DATA_UPDATES} updates: raw (lr {:.2e}) {}, standardised (lr {:.2e}) {}; \
             difference {}",
            tuned[0].best,
            Estimate::of(&finals[0]).show(3),
            tuned[1].best,
            Estimate::of(&finals[1]).show(3),
            e.show(3)
        ), protocol });
    let note = format!(
        "Data normalization: full-batch gradient descent for {DATA_UPDATES} updates on 400 generated examples whose \
         5 features are scaled by 0.01, 0.1, 1, 10 and 100 and offset by 0, 10, ..., 40 (targets standardised), \
         against the same data with standardised features; seeds {:?}.",
        seeds.eval
    );
    Ok((long.finish()?, claim, note))
}
