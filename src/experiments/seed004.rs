//! Seed 004's topics: momentum's effective learning rate `eta / (1 - mu)`,
//! He initialization keeping activations' variance through depth, and
//! learning-rate schedules on the MNIST MLP.

use super::{ClaimSpec, Decided, Tested};
use super::runs::{push_history, tune_on_validation, MnistRun, TRAIN_PART};
use super::protocol::{Estimate, Protocol, Seeds, Tuned};
use super::metric::TEST_ACCURACY;
use super::{ChartSpec, Claim, Context, Experiment, MnistUse, Outcome, Run, SeriesBy};
use descent::autodiff::Tape;
use descent::nn::{Init, Linear, Module};
use descent::optim::{OptimizerSpec, Schedule};
use descent::rng::seeded;
use descent::train::{run_parallel, MnistModel};
use descent::Result;
use ndarray::ArrayD;
use ndarray_rand::rand_distr::StandardNormal;
use ndarray_rand::RandomExt;

/// Displacement per step under a constant gradient.
pub const STEP_SIZE: &str = "step size";
/// Variance of the activations after each layer.
pub const ACTIVATION_VARIANCE: &str = "activation variance";
/// A schedule's learning rate per epoch.
pub const LEARNING_RATE: &str = "learning rate";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "seed004",
    title: "Momentum's effective rate, He initialization, schedules",
    question: "Seed 004's lecture: momentum multiplies the learning rate by 1/(1 − μ); He initialization keeps \
               activation variance through ReLU layers; learning-rate schedules.",
    sources: "seed 004",
    mnist: MnistUse::InPart,
    run,
    formulas: &["effective_rate", "he"],
    charts: &[
        ChartSpec::lines("results", &[STEP_SIZE])
            .titled("Momentum's terminal velocity", "step", "displacement per step")
            .caption("Step under a constant gradient 1 (lr 0.01, mu 0.9) approaches lr / (1 − mu) = 0.1."),
        ChartSpec::lines("results", &[ACTIVATION_VARIANCE])
            .by(SeriesBy::Setting)
            .titled("He vs naive initialization", "layer", "variance")
            .log_y()
            .caption("Activation variance through 10 ReLU layers."),
        ChartSpec::lines("results", &[LEARNING_RATE])
            .by(SeriesBy::Setting)
            .titled("Schedules", "epoch", "learning rate")
            .caption("The learning-rate schedules (per epoch)."),
        ChartSpec::lines("results", &[TEST_ACCURACY])
            .by(SeriesBy::Setting)
            .titled("Schedules on MNIST", "epoch", "accuracy")
            .caption("MNIST MLP test accuracy under each schedule."),
    ],
    tables: &[],
    claims: &[MOMENTUM_EFFECTIVE_RATE, HE_INIT, SCHEDULES, HE_INIT_TRAINING],
};

/// seed004.momentum_effective_rate
pub const MOMENTUM_EFFECTIVE_RATE: ClaimSpec = ClaimSpec::evidence(
    "seed004.momentum_effective_rate",
    "004",
    "seed 004 (momentum)",
    "with momentum mu, a constant gradient is followed at the terminal velocity eta / (1 - mu): momentum \
         multiplies the learning rate by 1 / (1 - mu)",
    "after 300 steps with mu = 0.9, the step of torch's momentum and of the heavy ball equals 10 eta to 1e-9",
).demonstrates();

/// seed004.he_init
pub const HE_INIT: ClaimSpec = ClaimSpec::evidence(
    "seed004.he_init",
    "004",
    "seed 004 (He initialization)",
    "He initialization (variance 2 / fan_in) keeps the activations' variance through ReLU layers, where a small \
         fixed-variance initialization makes it vanish",
    "through 10 ReLU layers of width 256: variance ratio last/first layer in [0.5, 2] for He, below 1e-6 for \
         N(0, 0.01^2)",
).demonstrates();

/// seed004.schedules
pub const SCHEDULES: ClaimSpec = ClaimSpec::evidence(
    "seed004.schedules",
    "004",
    "seed 004 (learning-rate schedule)",
    "a decaying learning-rate schedule improves on a constant rate",
    "MNIST MLP, torch momentum 0.9: final test accuracy with a step decay (×0.1 at half-way) − with a constant rate > \
     0, each base lr tuned, paired by seed",
);

/// seed004.he_init_training
pub const HE_INIT_TRAINING: ClaimSpec = ClaimSpec::evidence(
    "seed004.he_init_training",
    "004",
    "seed 004 (He initialization)",
    "He initialization trains a deep ReLU network where a small fixed-variance initialization does not",
    "10-layer ReLU MLP (width 256) on MNIST: final test accuracy He − N(0, 0.01²) > 0, each lr tuned, paired by seed",
);

/// Per-step displacement of momentum `name` (lr `eta`, momentum 0.9) under
/// a constant gradient 1, after `steps` steps.
pub fn terminal_velocity(name: &str, eta: f64, steps: usize) -> Result<Vec<f64>> {
    let mut opt = OptimizerSpec::by_name(name, Some(eta))?.build::<f64>()?;
    let mut x = ArrayD::from_elem(vec![1], 0.0);
    let mut v = Vec::with_capacity(steps);
    for _ in 0..steps {
        let before = x[[0]];
        opt.step(&mut [&mut x], &[ArrayD::from_elem(vec![1], 1.0)])?;
        v.push(before - x[[0]]);
    }
    Ok(v)
}

/// Variance of the activations after each of `depth` ReLU layers of width
/// `width`, for inputs `N(0, 1)`.
pub fn activation_variances(init: Init, depth: usize, width: usize, seed: u64) -> Result<Vec<f64>> {
    let mut rng = seeded(seed);
    let layers: Vec<Linear<f64>> =
        (0..depth).map(|_| Linear::new(width, width, init, &mut rng)).collect::<Result<_>>()?;
    let tape = Tape::<f64>::no_grad();
    let mut h = tape.constant(ArrayD::random_using(vec![1000, width], StandardNormal, &mut rng));
    let mut out = Vec::new();
    for layer in &layers {
        h = layer.forward(&tape, h)?.relu();
        let v = h.value();
        let mean = v.mean().unwrap_or(0.0);
        out.push(v.mapv(|a| (a - mean).powi(2)).mean().unwrap_or(0.0));
    }
    Ok(out)
}

/// Runs the three parts.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let mut long = EXPERIMENT.frame();
    let mut claims = Vec::new();
    let mut notes = Vec::new();
    // (a) momentum's terminal velocity
    let eta = 0.01;
    let mut worst: f64 = 0.0;
    for name in ["momentum", "heavy_ball"] {
        let v = terminal_velocity(name, eta, 300)?;
        let run = Run { optimizer: name, lr: eta, seed: ctx.seed, setting: "constant gradient 1" };
        long.extend(&run, STEP_SIZE, v.iter().enumerate().map(|(t, &s)| ((t + 1) as f64, s)));
        worst = worst.max((v[v.len() - 1] / (eta / (1.0 - 0.9)) - 1.0).abs());
    }
    claims.push(MOMENTUM_EFFECTIVE_RATE.demonstration(Decided {
 value: worst,
 ok: worst < 1e-9,
 detail: format!("largest relative deviation from eta / (1 - mu) = {}: {worst:.1e}", eta / 0.1),
 }));
    // (b) He initialization
    let depth = 10;
    let he = activation_variances(Init::KaimingNormal, depth, 256, ctx.seed)?;
    let naive = activation_variances(Init::Normal { std: 0.01 }, depth, 256, ctx.seed)?;
    for (name, vars) in [("he", &he), ("normal(0, 0.01)", &naive)] {
        let run = Run { optimizer: "none", lr: f64::NAN, seed: ctx.seed, setting: name };
        long.extend(&run, ACTIVATION_VARIANCE, vars.iter().enumerate().map(|(l, &v)| ((l + 1) as f64, v)));
    }
    let he_ratio = he[depth - 1] / he[0];
    let naive_ratio = naive[depth - 1] / naive[0];
    claims.push(HE_INIT.decided(Decided {
 value: he_ratio,
 ok: (0.5..=2.0).contains(&he_ratio) && naive_ratio < 1e-6,
 detail: format!("last/first variance ratio: He {he_ratio:.3}, naive {naive_ratio:.2e}"),
 }));
    // (c) schedules on the MNIST MLP
    let epochs = ctx.profile.pick(4, 10) as u64;
    let schedules = [
        ("constant", Schedule::Constant),
        ("step", Schedule::Step { step_size: (epochs / 2).max(1), gamma: 0.1 }),
        ("exponential", Schedule::Exponential { gamma: 0.7 }),
        ("cosine", Schedule::Cosine { t_max: epochs, eta_min: 0.0 }),
        ("warmup+cosine", Schedule::warmup(1, 0.1, Schedule::Cosine { t_max: epochs - 1, eta_min: 0.0 })),
    ];
    let lr = 0.1;
    for (name, s) in &schedules {
        let run = Run { optimizer: "momentum", lr, seed: ctx.seed, setting: name };
        long.extend(&run, LEARNING_RATE, s.trace(lr, epochs).into_iter().enumerate().map(|(t, v)| (t as f64, v)));
    }
    match ctx.mnist() {
        Ok(mnist) => {
            let train_n = ctx.profile.pick(10_000, TRAIN_PART);
            let results = run_parallel(&schedules, |(_, s)| {
                let run = MnistRun::new(MnistModel::Mlp, train_n, epochs as usize, "momentum", lr, ctx.seed)?;
                MnistRun { schedule: s.clone(), ..run }.train(mnist)
            });
            let mut finals = Vec::new();
            for ((name, _), h) in schedules.iter().zip(results) {
                let h = h?;
                push_history(&mut long, &Run { optimizer: "momentum", lr, seed: ctx.seed, setting: name }, &h, 5);
                finals.push(format!("{name} {:.4}", h.last("test", "accuracy").unwrap_or(f64::NAN)));
            }
            notes.push(format!(
                "Schedules on the MNIST MLP (torch momentum 0.9, lr 0.1, stepped per epoch, {train_n} images, \
                 {epochs} epochs, seed {}): final test accuracy {}.",
                ctx.seed,
                finals.join(", ")
            ));
            let seeds = Seeds::of(ctx.profile, ctx.seed);
            claims.push(schedule_claim(ctx, mnist, &seeds, &schedules[1].1, epochs as usize)?);
            claims.push(he_training_claim(ctx, mnist, &seeds)?);
        }
        Err(e) => notes.push(format!("Schedules and He training on MNIST not run: {e}")),
    }
    Ok(Outcome { frames: vec![("results".into(), long.finish()?)], claims, notes })
}

/// Trains `model` runs over the seeds at each method's tuned lr and returns
/// the final test accuracies, per method, and the tunings.
fn tuned_accuracies(
    mnist: &descent::data::Mnist,
    seeds: &Seeds,
    methods: &[(&str, f64)],
    make: impl Fn(&str, f64, u64) -> Result<MnistRun> + Sync,
) -> Result<(Vec<Vec<f64>>, Vec<Tuned>)> {
    let tuned = tune_on_validation(mnist, methods, |name, lr| make(name, lr, seeds.tuning))?;
    let per = methods
        .iter()
        .zip(&tuned)
        .map(|(&(name, _), t)| {
            run_parallel(&seeds.eval, |&s| -> Result<f64> {
                let mut run = make(name, t.best, s)?;
                run.evaluate_last_only = true;
                let h = run.train(mnist)?;
                Ok(h.last("test", "accuracy").unwrap_or(0.0))
            })
            .into_iter()
            .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    Ok((per, tuned))
}

/// Seed 004: a decaying schedule improves on a constant rate (MLP, torch
/// momentum 0.9; each schedule's base lr tuned on validation).
fn schedule_claim(
    ctx: &Context,
    mnist: &descent::data::Mnist,
    seeds: &Seeds,
    step: &Schedule,
    epochs: usize,
) -> Result<Claim> {
    let train_n = ctx.profile.pick(5_000, TRAIN_PART);
    let methods = [("constant", 0.1), ("step", 0.1)];
    let (per, tuned) = tuned_accuracies(mnist, seeds, &methods, |which, lr, s| {
        let run = MnistRun::new(MnistModel::Mlp, train_n, epochs, "momentum", lr, s)?;
        Ok(if which == "step" { MnistRun { schedule: step.clone(), ..run } } else { run })
    })?;
    let e = Estimate::paired(&per[1], &per[0]);
    let protocol = Protocol::new(seeds, "validation error (last 10,000 training images)").tuned_each(&methods, &tuned);
    Ok(SCHEDULES.tested(Tested { estimate: &e, verdict: e.above(0.0), detail: format!(
            "{train_n} images, {epochs} epochs: constant (lr {:.2e}) {}, step (lr {:.2e}) {}; difference {}",
            tuned[0].best,
            Estimate::of(&per[0]).show(4),
            tuned[1].best,
            Estimate::of(&per[1]).show(4),
            e.show(3)
        ), protocol }))
}

/// Seed 004: He initialisation in training, not only in the forward
/// variance: a 10-layer ReLU MLP with He vs N(0, 0.01²) weights, each with
/// its lr tuned on validation (torch momentum 0.9).
fn he_training_claim(ctx: &Context, mnist: &descent::data::Mnist, seeds: &Seeds) -> Result<Claim> {
    let (train_n, epochs) = ctx.profile.pick((2_000, 2), (20_000, 3));
    let methods = [("he", 0.01), ("normal(0, 0.01)", 0.01)];
    let (per, tuned) = tuned_accuracies(mnist, seeds, &methods, |which, lr, s| {
        let run = MnistRun::new(MnistModel::DeepMlp, train_n, epochs, "momentum", lr, s)?;
        let init = if which == "he" { Init::KaimingNormal } else { Init::Normal { std: 0.01 } };
        Ok(MnistRun { init, ..run })
    })?;
    let e = Estimate::paired(&per[0], &per[1]);
    let protocol = Protocol::new(seeds, "validation error (last 10,000 training images)").tuned_each(&methods, &tuned);
    Ok(HE_INIT_TRAINING.tested(Tested { estimate: &e, verdict: e.above(0.0), detail: format!(
            "{train_n} images, {epochs} epochs: He (lr {:.2e}) {}, N(0, 0.01²) (lr {:.2e}) {}; difference {}",
            tuned[0].best,
            Estimate::of(&per[0]).show(4),
            tuned[1].best,
            Estimate::of(&per[1]).show(4),
            e.show(3)
        ), protocol }))
}
