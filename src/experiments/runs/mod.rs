//! What several experiments run, shared instead of imported from a sibling
//! experiment: MNIST runs and their tuning on the validation split
//! ([`mnist`]), and the generated regression problem with its held-out
//! split ([`regression`]). Fitting a linear model is the core's
//! ([`descent::train::fit_linear`]).

pub mod mnist;
pub mod regression;

pub use mnist::{final_train_loss, push_history, tune_on_validation, MnistRun, TRAIN_PART, VALIDATION};
pub use regression::{generated, split};
