//! Optimizers and learning-rate schedules, exact against `torch.optim` and
//! faithful to the papers and the seed documents.
//!
//! An optimizer updates `ndarray` parameters from their gradients: it does not
//! need the autodiff engine, so the same code drives networks, analytic 2-D
//! surfaces and the AMSGrad counterexample ([`minimize`] runs any optimizer
//! on a function of a few variables and records its path).
//!
//! One optimizer per file, each with its algorithm box in the module docs;
//! the shared pieces (weight decay, `maximize`, EMA with torch's rounding,
//! bias correction, input checks, checkpoints) live in `common.rs` and
//! `rule.rs`, so a variant is a typed field on a config, never a copy of a
//! file. Hyperparameters keep PyTorch's names and defaults.
//!
//! ```
//! use descent::optim::{Adam, AdamConfig, Optimizer};
//! use ndarray::{array, ArrayD};
//!
//! // Minimise f(x) = x1^2 + 10 x2^2 from (1, 1).
//! let mut x: ArrayD<f64> = array![1.0, 1.0].into_dyn();
//! let mut adam = Adam::new(AdamConfig { lr: 0.1, ..Default::default() }).unwrap();
//! for _ in 0..200 {
//!     let grad = array![2.0 * x[0], 20.0 * x[1]].into_dyn();
//!     adam.step(&mut [&mut x], &[grad]).unwrap();
//! }
//! assert!(x.iter().all(|v| v.abs() < 0.05));
//! assert_eq!(adam.state_names(), ["exp_avg", "exp_avg_sq"]);
//! ```

#[macro_use]
mod rule;
pub mod adadelta;
pub mod adagrad;
pub mod adam;
pub mod adamax;
pub mod adamw;
pub mod amsgrad;
mod common;
mod minimize;
pub mod momentum;
pub mod nadam;
pub mod plateau;
pub mod radam;
mod registry;
pub mod rmsprop;
pub mod schedule;
pub mod sgd;
#[cfg(test)]
mod tests;

pub use adadelta::{Adadelta, AdadeltaConfig, AdadeltaState};
pub use adagrad::{Adagrad, AdagradConfig, AdagradState};
pub use adam::{Adam, AdamConfig, AdamState};
pub use adamax::{Adamax, AdamaxConfig, AdamaxState};
pub use adamw::adamw;
pub use amsgrad::{amsgrad, AmsgradFlavour};
pub use common::EpsPlacement;
pub use minimize::{minimize, minimize_traced, Trajectory};
pub use momentum::{heavy_ball, momentum_ema, nesterov_lookahead};
pub use nadam::{NAdam, NAdamConfig, NAdamState};
pub use plateau::{PlateauMode, ReduceOnPlateau, ReduceOnPlateauConfig, ThresholdMode};
pub use radam::{RAdam, RAdamConfig, RAdamState};
pub use registry::{by_name, OptimizerSpec, OPTIMIZER_NAMES};
pub use rmsprop::{RmsProp, RmsPropConfig, RmsPropState};
pub use rule::{Optim, Rule};
pub use schedule::Schedule;
pub use sgd::{MomentumForm, Sgd, SgdConfig, SgdState};

use crate::{Element, Result};
use ndarray::ArrayD;

/// What every optimizer does, so that experiments, notebooks and the training
/// loop hold any of them as a `Box<dyn Optimizer<T>>`.
pub trait Optimizer<T: Element>: Send {
    /// The optimizer's name, as torch spells its class (`"Adam"`).
    fn name(&self) -> &'static str;

    /// The current learning rate.
    fn lr(&self) -> f64;

    /// Sets the learning rate (what a schedule does between steps); a
    /// negative or non-finite rate is an error.
    fn set_lr(&mut self, lr: f64) -> Result<()>;

    /// Steps taken so far.
    fn steps(&self) -> u64;

    /// One update of `params` (in a stable order, e.g.
    /// [`Module::parameters_mut`](crate::nn::Module::parameters_mut)) from
    /// their `grads` (same order, same shapes).
    ///
    /// Errors, with nothing updated: a different number of gradients than
    /// parameters, a shape that differs from its parameter's or from the
    /// state's, a non-finite gradient (the step is refused rather than
    /// letting NaN spread into the state).
    fn step(&mut self, params: &mut [&mut ArrayD<T>], grads: &[ArrayD<T>]) -> Result<()>;

    /// Names of the internal buffers this optimizer keeps (`exp_avg`,
    /// `exp_avg_sq`, `momentum_buffer`...); empty before the first step.
    fn state_names(&self) -> Vec<&'static str>;

    /// One internal buffer per parameter, by name: what the optimizer "sees".
    fn buffer(&self, name: &str) -> Option<&[ArrayD<T>]>;

    /// Where the next gradient must be evaluated, when that is not at the
    /// parameters (Nesterov's look-ahead form); `None` for every other optimizer.
    fn gradient_point(&self, params: &[&ArrayD<T>]) -> Option<Vec<ArrayD<T>>>;

    /// A checkpoint of hyperparameters, step count and state (serde JSON).
    fn save(&self) -> Result<serde_json::Value>;

    /// Restores a checkpoint written by [`Optimizer::save`] of the same
    /// optimizer and element type: the trajectory continues exactly.
    fn load(&mut self, checkpoint: &serde_json::Value) -> Result<()>;
}
