//! What a student implements: an optimizer over one flat vector of
//! parameters, with its state buffers named as PyTorch names them
//! ([`StudentOptimizer`]), or an op's forward and backward ([`StudentOp`]).
//!
//! ```
//! use descent_grader::{Hyper, StudentOptimizer};
//!
//! /// Plain gradient descent: θ ← θ − η g.
//! struct Gd {
//!     lr: f64,
//! }
//!
//! impl StudentOptimizer for Gd {
//!     fn step(&mut self, params: &mut [f64], grads: &[f64]) {
//!         for (p, g) in params.iter_mut().zip(grads) {
//!             *p -= self.lr * g;
//!         }
//!     }
//! }
//!
//! let mut gd = Gd { lr: Hyper::default().lr };
//! let mut w = [1.0, -2.0];
//! gd.step(&mut w, &[10.0, -10.0]);
//! assert_eq!(w, [0.9, -1.9]);
//! ```

/// The hyperparameters an assignment gives a student's optimizer, named as
/// in `torch.optim` (PyTorch's defaults for Adam, except `lr`).
//
// This file is also the student kit's `student_api.rs` and is compiled into
// every submission's runner with `--cfg student_kit`, without dependencies:
// keep it free of anything but `std` outside the `cfg_attr`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(not(student_kit), derive(serde::Serialize, serde::Deserialize), serde(default, deny_unknown_fields))]
pub struct Hyper {
    /// η: the learning rate.
    pub lr: f64,
    /// (β1, β2): Adam's decay rates.
    pub betas: (f64, f64),
    /// ε: Adam's stabiliser, added outside the square root.
    pub eps: f64,
    /// λ: weight decay (L2: added to the gradient; decoupled in AdamW).
    pub weight_decay: f64,
    /// μ: SGD's momentum.
    pub momentum: f64,
    /// Nesterov momentum (with `momentum`).
    pub nesterov: bool,
    /// AMSGrad's running maximum (Adam).
    pub amsgrad: bool,
    /// Decoupled weight decay (AdamW) instead of L2.
    pub decoupled: bool,
    /// Ascend instead of descend: step along `+g` (torch's `maximize`;
    /// the same as descending on `−g`, weight decay included).
    pub maximize: bool,
    /// α: RMSprop's smoothing constant (its running averages keep α of
    /// the old value).
    pub alpha: f64,
    /// RMSprop normalised by the estimated variance (`square_avg −
    /// grad_avg²`) instead of the second moment.
    pub centered: bool,
    /// Adagrad's learning-rate decay: step `t` uses `lr / (1 + (t − 1) ·
    /// lr_decay)`.
    pub lr_decay: f64,
    /// Adagrad's starting value of its sum of squares.
    pub initial_accumulator_value: f64,
    /// ρ: Adadelta's decay rate of both its running averages.
    pub rho: f64,
}

impl Default for Hyper {
    fn default() -> Self {
        Hyper {
            lr: 0.01,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            nesterov: false,
            amsgrad: false,
            decoupled: false,
            maximize: false,
            alpha: 0.99,
            centered: false,
            lr_decay: 0.0,
            initial_accumulator_value: 0.0,
            rho: 0.9,
        }
    }
}

/// A student's optimizer. The grader calls `step` once per update with
/// every parameter flattened into one slice, and reads `state` after each
/// step to compare the buffers with the reference's (`exp_avg`,
/// `exp_avg_sq`, `max_exp_avg_sq`, `momentum_buffer`: PyTorch's names).
pub trait StudentOptimizer {
    /// Updates `params` in place from `grads` (same length).
    fn step(&mut self, params: &mut [f64], grads: &[f64]);

    /// The named state buffers after the last step (empty by default).
    fn state(&self) -> Vec<(String, Vec<f64>)> {
        Vec::new()
    }
}

/// A student's differentiable op on one array, row-major with `shape`
/// (`[rows, columns]` for a row-wise op such as log-softmax). A submission
/// defines `pub fn build_op() -> Box<dyn StudentOp>`.
pub trait StudentOp {
    /// The output at `x`.
    fn forward(&self, x: &[f64], shape: &[usize]) -> Vec<f64>;

    /// The gradient with respect to `x` of `Σ dy · forward(x)`: the
    /// vector-Jacobian product with the upstream gradient `dy`.
    fn backward(&self, x: &[f64], shape: &[usize], dy: &[f64]) -> Vec<f64>;
}

/// An array given to a [`StudentFunction`]: its values row-major, and its
/// shape (`[]` for a scalar).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tensor<'a> {
    /// The values, row-major.
    pub data: &'a [f64],
    /// The shape.
    pub shape: &'a [usize],
}

/// A student's differentiable function of one or more arrays (an autodiff
/// engine's op: `matmul(a, b)`, `relu(x)`, ...). A submission defines
/// `pub fn build_function(op: &str) -> Option<Box<dyn StudentFunction>>`.
pub trait StudentFunction {
    /// The output at `inputs`, row-major.
    fn forward(&self, inputs: &[Tensor]) -> Vec<f64>;

    /// The gradient of `Σ dy · forward(inputs)` with respect to each input,
    /// in the inputs' order (the vector-Jacobian products with the upstream
    /// gradient `dy`); an empty vector for an input that is not
    /// differentiable, such as class labels.
    fn backward(&self, inputs: &[Tensor], dy: &[f64]) -> Vec<Vec<f64>>;
}

/// A learning-rate schedule's hyperparameters, named as in
/// `torch.optim.lr_scheduler` (each schedule reads its own).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduleHyper {
    /// The base learning rate (the optimizer's `lr`).
    pub lr: f64,
    /// StepLR: epochs between decays.
    pub step_size: usize,
    /// StepLR, ExponentialLR: the decay factor.
    pub gamma: f64,
    /// Cosine with warm-up: the warm-up's epochs (LinearLR's `total_iters`).
    pub warmup_epochs: usize,
    /// Cosine with warm-up: the warm-up's first factor of `lr` (LinearLR's).
    pub start_factor: f64,
    /// Cosine with warm-up: the cosine's epochs from `lr` down to `eta_min`
    /// (CosineAnnealingLR's `T_max`).
    pub t_max: usize,
    /// Cosine with warm-up: the cosine's floor.
    pub eta_min: f64,
    /// ReduceLROnPlateau: the factor a reduction multiplies by.
    pub factor: f64,
    /// ReduceLROnPlateau: the epochs without improvement it tolerates.
    pub patience: usize,
    /// ReduceLROnPlateau: the relative improvement that counts (mode
    /// `min`, `threshold_mode` `rel`).
    pub threshold: f64,
    /// ReduceLROnPlateau: the epochs after a reduction before it counts
    /// again.
    pub cooldown: usize,
    /// ReduceLROnPlateau: the learning rate's floor.
    pub min_lr: f64,
}

/// A student's learning-rate schedule, as `torch.optim.lr_scheduler`'s: the
/// grader reads `lr()` before the first epoch and after each `step`. A
/// submission defines `pub fn build_schedule(name: &str, h: &ScheduleHyper)
/// -> Option<Box<dyn StudentSchedule>>` for the names `step_lr`,
/// `exponential_lr`, `cosine_warmup` and `reduce_on_plateau`.
pub trait StudentSchedule {
    /// The learning rate of the coming epoch.
    fn lr(&self) -> f64;

    /// The end of an epoch whose validation loss was `loss` (only
    /// `reduce_on_plateau` reads it).
    fn step(&mut self, loss: f64);
}
