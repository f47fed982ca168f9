//! Training: the MNIST models, datasets the loop can batch, the loop itself
//! (history as long-format rows, divergence detection, progress bars), and
//! parallel grids of independent runs.

mod dataset;
mod fit_linear;
mod grid;
mod models;
mod trainer;

pub use dataset::{Dataset, InputParts, MnistData, RegressionData, Targets};
pub use fit_linear::{fit_linear, fit_linear_evaluating};
pub use grid::run_parallel;
pub use models::{InputLayout, MnistModel};
pub use trainer::{evaluate, train, with_awake_helper, HistoryRow, RunHistory, RunStatus, TrainConfig};
