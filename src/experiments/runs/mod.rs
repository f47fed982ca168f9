//! What several experiments run, shared instead of imported from a sibling
//! experiment: MNIST runs and their tuning on the validation split
//! ([`mnist_run`]), and the generated regression problem with its held-out
//! split ([`generated`](mod@generated)). Fitting a linear model is the core's
//! ([`descent::train::fit_linear`]).

pub mod generated;
pub mod mnist_run;

pub use generated::{generated, split};
pub use mnist_run::{final_train_loss, push_history, tune_on_validation, MnistRun, TRAIN_PART, VALIDATION};
