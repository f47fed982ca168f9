//! Linear regression trained like any model: one linear layer, the mean
//! squared error, any optimizer, any batching (the yardstick being the
//! closed-form optimum, [`crate::data::regression::least_squares`]).

use super::{train, Dataset, RegressionData, RunHistory, TrainConfig};
use crate::data::regression::Regression;
use crate::data::Batching;
use crate::nn::{Init, Linear, Sequential};
use crate::optim::OptimizerSpec;
use crate::rng::seeded;
use crate::Result;

/// Fits `y ~ x w + b` (one linear layer, MSE) with the optimizer `spec`,
/// evaluating the whole set after every epoch (split `all`). Mini-batches
/// are full: an epoch's short remainder is dropped.
pub fn fit_linear(
    data: &Regression,
    spec: &OptimizerSpec,
    batching: Batching,
    epochs: usize,
    seed: u64,
) -> Result<RunHistory> {
    fit_linear_evaluating(data, &[("all", data)], spec, batching, epochs, seed)
}

/// Fits on `data`, evaluating each of `eval` after every epoch.
pub fn fit_linear_evaluating(
    data: &Regression,
    eval: &[(&str, &Regression)],
    spec: &OptimizerSpec,
    batching: Batching,
    epochs: usize,
    seed: u64,
) -> Result<RunHistory> {
    let mut model =
        Sequential::<f64>::new().with(Linear::new(data.x.ncols(), 1, Init::TorchDefault, &mut seeded(seed))?);
    let mut opt = spec.build::<f64>()?;
    let set = RegressionData::<f64>::new(&data.x, &data.y);
    let sets: Vec<(&str, RegressionData<f64>)> =
        eval.iter().map(|(name, d)| (*name, RegressionData::<f64>::new(&d.x, &d.y))).collect();
    let eval: Vec<(&str, &dyn Dataset<f64>)> = sets.iter().map(|(name, d)| (*name, d as &dyn Dataset<f64>)).collect();
    // Every update a full batch: an epoch's short remainder is dropped, as
    // on MNIST (a few examples stepped at a rate tuned for full batches,
    // just before the loss is measured, would decide more than the
    // optimizer does).
    let config = TrainConfig {
        epochs,
        batching,
        shuffle_seed: seed,
        divergence_bound: 1e12,
        drop_last: true,
        ..TrainConfig::default()
    };
    train(&mut model, opt.as_mut(), &set, &eval, &config)
}
