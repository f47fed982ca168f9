//! The assignments' own reference code, one file per assignment: the
//! conventions and slips a student's optimizer is matched against when it
//! does not match the reference, and an op's slips. Each slip is a complete
//! optimizer (or op), run under the same teacher forcing, so "your updates
//! match Adam without bias correction" is a statement about every step, not
//! a guess. The grader's core ([`crate::diagnose`](mod@crate::diagnose), [`crate::ops`]) finds
//! them here by the case's optimizer class or op.
//!
//! | file | assignment |
//! |---|---|
//! | `adam.rs` | Adam, AdamW, AMSGrad ([`adam::AdamLike`] with a switch per slip) |
//! | `momentum.rs` | SGD with momentum and Nesterov (descent's own `SgdConfig`) |
//! | `rmsprop.rs` | RMSprop, plain and centered (descent's own `RmsPropConfig`) |
//! | `adagrad.rs` | Adagrad with its learning-rate decay ([`adagrad::AdagradLike`]) |
//! | `adadelta.rs` | Adadelta, torch's and the paper's (lr 1) ([`adadelta::AdadeltaLike`]) |
//! | `log_softmax.rs` | log-softmax's forward and backward, and their slips |
//! | `schedules.rs` | learning-rate schedules: step, exponential, cosine with warm-up, reduce-on-plateau, and their slips |
//! | `autodiff.rs` | the backward of matmul, ReLU, a broadcasted add and softmax cross-entropy, and their slips |

pub mod adadelta;
pub mod adagrad;
pub mod adam;
pub mod autodiff;
pub mod log_softmax;
pub mod momentum;
pub mod rmsprop;
pub mod schedules;

use crate::{Hyper, StudentOptimizer};
use descent::optim::{Optimizer, OptimizerSpec};
use ndarray::{ArrayD, IxDyn};

/// One of descent's optimizers as a student's: the flat vector as one tensor.
pub struct Descent(Box<dyn Optimizer<f64>>);

impl Descent {
    /// The optimizer `spec` describes.
    pub fn new(spec: OptimizerSpec) -> descent::Result<Descent> {
        Ok(Descent(spec.build::<f64>()?))
    }
}

impl StudentOptimizer for Descent {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        let mut p = ArrayD::from_shape_vec(IxDyn(&[params.len()]), params.to_vec()).expect("1-D");
        let g = ArrayD::from_shape_vec(IxDyn(&[grads.len()]), grads.to_vec()).expect("1-D");
        // A variant that refuses a step (a non-finite gradient) leaves the
        // parameters as they were: it then simply does not match.
        if self.0.step(&mut [&mut p], &[g]).is_ok() {
            params.copy_from_slice(p.as_slice().expect("standard layout"));
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        self.0
            .state_names()
            .into_iter()
            .filter_map(|name| self.0.buffer(name).map(|b| (name.to_string(), b[0].iter().copied().collect())))
            .collect()
    }
}

/// Builds an optimizer for a case's hyperparameters.
pub type Build = fn(&Hyper) -> Box<dyn StudentOptimizer>;

/// A way to implement the assignment's optimizer: the reference's own
/// convention or a known slip.
pub struct Variant {
    /// Short key (`no_bias_correction`), for the gradebook and the class page.
    pub key: &'static str,
    /// What the student's code does, in words ("Adam without bias correction").
    pub description: &'static str,
    /// Builds it for the case's hyperparameters.
    pub build: Build,
    /// Whether it differs from the reference under `h` (a weight-decay slip
    /// needs `weight_decay > 0`).
    pub applies: fn(&Hyper) -> bool,
}

pub(crate) fn always(_: &Hyper) -> bool {
    true
}

/// The gradient an L2-decayed torch optimizer steps on: `−g` when
/// maximizing, plus `λθ` (Adagrad's, Adadelta's, RMSprop's and SGD's rule).
pub(crate) fn l2_grad(h: &Hyper, g: f64, param: f64) -> f64 {
    let g = if h.maximize { -g } else { g };
    if h.weight_decay != 0.0 {
        g + h.weight_decay * param
    } else {
        g
    }
}

/// `base` with one slip's switch set by `change`, as a student's optimizer.
pub(crate) fn changed<T: StudentOptimizer + 'static>(
    mut base: T,
    change: impl FnOnce(&mut T),
) -> Box<dyn StudentOptimizer> {
    change(&mut base);
    Box::new(base)
}

/// A way to get an op wrong, computed here.
pub struct OpSlip {
    /// Key (`no_max_subtraction`).
    pub key: &'static str,
    /// In words.
    pub description: &'static str,
    /// Whether it is a slip of the forward (else of the backward).
    pub forward: bool,
    /// Its output: the forward's `[y]` at the inputs, or the backward's
    /// gradients at `(inputs, dy)`.
    pub compute: OpFn,
}

impl OpSlip {
    /// A slip of the forward (a schedule's learning rates are its forward).
    pub const fn forward(key: &'static str, description: &'static str, compute: OpFn) -> OpSlip {
        OpSlip { key, description, forward: true, compute }
    }

    /// A slip of the backward.
    pub const fn backward(key: &'static str, description: &'static str, compute: OpFn) -> OpSlip {
        OpSlip { key, description, forward: false, compute }
    }
}

/// An op's output arrays from `(inputs, shapes, dy)` (`dy` unused by a
/// forward).
pub type OpFn = fn(&[Vec<f64>], &[Vec<usize>], &[f64]) -> Vec<Vec<f64>>;

/// The known slips of the op `op` (`log_softmax`); none for an op without
/// a list.
pub fn op_slips(op: &str) -> &'static [OpSlip] {
    match op {
        "log_softmax" => log_softmax::SLIPS,
        "matmul" => autodiff::MATMUL_SLIPS,
        "relu" => autodiff::RELU_SLIPS,
        "add" => autodiff::ADD_SLIPS,
        "softmax_cross_entropy" => autodiff::CE_SLIPS,
        "step_lr" => schedules::STEP_SLIPS,
        "exponential_lr" => schedules::EXPONENTIAL_SLIPS,
        "cosine_warmup" => schedules::COSINE_SLIPS,
        "reduce_on_plateau" => schedules::PLATEAU_SLIPS,
        _ => &[],
    }
}

/// The reference implementation and the slips for a case of the torch
/// optimizer `class` (`"Adam"`, `"AdamW"`, `"SGD"`, `"RMSprop"`, `"Adagrad"`, `"Adadelta"`).
pub fn for_class(class: &str) -> Option<(Build, &'static [Variant])> {
    match class {
        "Adam" | "AdamW" => Some((adam::reference, adam::SLIPS)),
        "SGD" => Some((momentum::reference, momentum::SLIPS)),
        "RMSprop" => Some((rmsprop::reference, rmsprop::SLIPS)),
        "Adagrad" => Some((adagrad::reference, adagrad::SLIPS)),
        "Adadelta" => Some((adadelta::reference, adadelta::SLIPS)),
        _ => None,
    }
}

/// What the slip `key` is, in words, in the slip lists of the torch
/// optimizer classes `classes` (an assignment's: `eps_inside_root` is not
/// the same slip in Adam and in Adadelta).
pub fn description(classes: &[&str], key: &str) -> Option<&'static str> {
    classes
        .iter()
        .filter_map(|c| for_class(c))
        .flat_map(|(_, slips)| slips.iter())
        .find(|v| v.key == key)
        .map(|v| v.description)
}
