//! Optimizers on linear regression (seed 000, figure 7): generated data
//! (make_regression-like) and the diabetes set, every first- and
//! second-generation optimizer of the seeds, loss curves, and the distance
//! of each to the closed-form least-squares optimum.

use super::metric::LOSS;
use super::{ChartSpec, Claim, Context, Experiment, Facet, MnistUse, Outcome, Run};
use crate::data::regression::{diabetes, least_squares, make_regression, MakeRegression, Regression, Standardizer};
use crate::data::Batching;
use crate::nn::{Init, Linear, Sequential};
use crate::optim::OptimizerSpec;
use crate::rng::seeded;
use crate::train::{run_parallel, train, RegressionData, RunHistory, TrainConfig};
use crate::Result;

/// Loss above the closed-form optimum's, per epoch.
pub const EXCESS_LOSS: &str = "loss - optimum";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "linear_regression",
    title: "Optimizers on linear regression",
    question: "Do the optimizers of seed 000's figure 7 all reach the least-squares optimum on linear regression, \
               and how fast? The closed-form solution is the yardstick.",
    sources: "seed 000, figure 7",
    mnist: MnistUse::NotAtAll,
    run,
    formulas: &["sgd", "momentum", "adagrad", "adam"],
    charts: &[ChartSpec::lines("loss", &[EXCESS_LOSS])
        .facet(Facet::Setting)
        .titled("{facet}: loss − optimum", "epoch", "MSE − optimal MSE")
        .log_y()
        .caption("{facet}: excess loss over the closed-form optimum, per epoch.")],
    tables: &[],
};

/// Standardised features (targets centred by the model's bias, not scaled).
pub fn standardized(data: &Regression) -> Result<Regression> {
    let x = Standardizer::fit(&data.x)?.transform(&data.x)?;
    Ok(Regression { x, y: data.y.clone(), coef: data.coef.clone() })
}

/// The generated problem of these experiments.
pub fn generated(n_samples: usize, seed: u64) -> Result<Regression> {
    let params = MakeRegression { n_samples, n_features: 10, n_informative: 5, noise: 10.0, bias: 3.0 };
    standardized(&make_regression(params, &mut seeded(seed))?)
}

/// Fits `y ~ x w + b` (one linear layer, MSE) with the optimizer `spec`,
/// evaluating the whole set after every epoch.
pub fn fit(
    data: &Regression,
    spec: &OptimizerSpec,
    batching: Batching,
    epochs: usize,
    seed: u64,
) -> Result<RunHistory> {
    let mut model =
        Sequential::<f64>::new().with(Linear::new(data.x.ncols(), 1, Init::TorchDefault, &mut seeded(seed))?);
    let mut opt = spec.build::<f64>()?;
    let set = RegressionData::<f64>::new(&data.x, &data.y);
    let config = TrainConfig { epochs, batching, shuffle_seed: seed, divergence_bound: 1e12, ..TrainConfig::default() };
    train(&mut model, opt.as_mut(), &set, &[("all", &set)], &config)
}

/// The optimizers of the figure and the learning rates used for them
/// (chosen once, before the runs, as commonly recommended defaults for
/// standardised features; not tuned to pass a claim).
pub const OPTIMIZERS: [(&str, f64); 8] = [
    ("sgd", 0.01),
    ("momentum", 0.01),
    ("nesterov", 0.01),
    ("adagrad", 1.0),
    ("adadelta", 1.0),
    ("rmsprop", 0.01),
    ("adam", 0.1),
    ("amsgrad", 0.1),
];

/// Runs every optimizer on both data sets with mini-batches of 32.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let epochs = ctx.profile.pick(50, 200);
    let sets = [("generated", generated(1_000, ctx.seed)?), ("diabetes", standardized(&diabetes())?)];
    let mut long = EXPERIMENT.frame();
    let mut claims = Vec::new();
    let mut notes = Vec::new();
    for (set_name, data) in &sets {
        let (_, _, optimum) = least_squares(&data.x, &data.y)?;
        let histories = run_parallel(&OPTIMIZERS, |&(name, lr)| {
            fit(data, &OptimizerSpec::by_name(name, Some(lr))?, Batching::MiniBatch(32), epochs, ctx.seed)
        });
        let mut gaps = Vec::new();
        for (&(name, lr), h) in OPTIMIZERS.iter().zip(histories) {
            let h = h?;
            let run = Run { optimizer: name, lr, seed: ctx.seed, setting: set_name };
            for r in h.rows.iter().filter(|r| r.split == "all") {
                long.push(&run, r.epoch, LOSS, r.value);
                long.push(&run, r.epoch, EXCESS_LOSS, r.value - optimum);
            }
            let last = h.last("all", "loss").unwrap_or(f64::NAN);
            gaps.push((name, (last - optimum) / optimum));
        }
        let within: Vec<_> = gaps.iter().filter(|g| g.1 < 0.05).map(|g| g.0).collect();
        let worst = gaps.iter().map(|g| g.1).fold(f64::MIN, f64::max);
        claims.push(Claim::decided(
            &format!("linear_regression.optimum_{set_name}"),
            "seed 000, figure 7",
            "every optimizer reaches the least-squares optimum on linear regression",
            "final loss within 5% of the closed-form optimum's mean squared error, for all eight optimizers",
            worst,
            worst < 0.05,
            format!(
                "{set_name}: optimum MSE {optimum:.3}; relative excess after {epochs} epochs: {}",
                gaps.iter().map(|(n, g)| format!("{n} {g:.2e}")).collect::<Vec<_>>().join(", ")
            ),
        ));
        notes.push(format!("{set_name}: within 5% of the optimum: {}", within.join(", ")));
        notes.push(
            "Features are standardised but targets are not (they are in the data's units): the adaptive methods move \
             each weight by about lr per update whatever the gradient's size, so with these learning rates they need \
             many more updates to travel to weights of size ~50-100 than gradient descent does."
                .to_string(),
        );
    }
    Ok(Outcome { frames: vec![("loss".into(), long.finish()?)], claims, notes })
}
