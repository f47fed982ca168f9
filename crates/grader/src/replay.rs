//! Teacher-forced replay: the student's optimizer is given, at every step,
//! the reference's parameters and the gradient PyTorch computed there, and
//! its output is compared with the reference's next parameters and state.
//! A mistake at one step therefore costs that step, not every later one, and
//! the first divergence names the step, the coordinate and the buffer.

use crate::{Hyper, StudentOptimizer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Relative tolerance of a match: `|student − reference| ≤ TOL · max(1, |reference|)`.
/// Both sides compute in f64; PyTorch's float64 and a correct student agree
/// to about 1e-15, a real slip differs by far more than 1e-9.
pub const TOL: f64 = 1e-9;

/// One reference trajectory (written by `scripts/golden/grading.py`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Test name (`adam_rosenbrock`).
    pub name: String,
    /// Problem (`quadratic`, `rosenbrock`, `least_squares`, `mlp`).
    pub problem: String,
    /// The torch.optim class that produced it.
    pub optimizer: String,
    /// Its hyperparameters.
    pub hyper: Hyper,
    /// Parameters before the first step, flattened.
    pub params0: Vec<f64>,
    /// The gradient at each step (at the reference's parameters).
    pub grads: Vec<Vec<f64>>,
    /// Parameters after each step.
    pub params: Vec<Vec<f64>>,
    /// State buffers after each step, by PyTorch's name.
    pub state: Vec<BTreeMap<String, Vec<f64>>>,
    /// The loss at `params0` and after each step (steps + 1 values).
    #[serde(default)]
    pub losses: Vec<f64>,
    /// The problem's inputs, row-major (least squares and the MLP).
    #[serde(default)]
    pub x: Vec<f64>,
    /// The problem's targets.
    #[serde(default)]
    pub y: Vec<f64>,
}

impl Case {
    /// The parameters the student starts step `t` (0-based) from.
    pub fn input(&self, t: usize) -> &[f64] {
        if t == 0 {
            &self.params0
        } else {
            &self.params[t - 1]
        }
    }

    /// Number of steps.
    pub fn steps(&self) -> usize {
        self.grads.len()
    }
}

/// What a student's optimizer produced under teacher forcing: the numbers
/// only (this is what the child process sends back).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Trajectory {
    /// Parameters after each step it completed.
    pub params: Vec<Vec<f64>>,
    /// Its state after each step.
    pub state: Vec<BTreeMap<String, Vec<f64>>>,
    /// Why it stopped early (a panic's message), if it did.
    pub stopped: Option<String>,
    /// Seconds the run took.
    #[serde(default)]
    pub seconds: f64,
}

/// Runs `optimizer` on `case` under teacher forcing. A panic ends the
/// trajectory there, with its message.
pub fn run_forced(optimizer: &mut dyn StudentOptimizer, case: &Case) -> Trajectory {
    let mut out = Trajectory::default();
    let started = std::time::Instant::now();
    for t in 0..case.steps() {
        let mut params = case.input(t).to_vec();
        let stepped = catch_unwind(AssertUnwindSafe(|| {
            optimizer.step(&mut params, &case.grads[t]);
            optimizer.state()
        }));
        match stepped {
            Ok(state) => {
                out.params.push(params);
                out.state.push(state.into_iter().collect());
            }
            Err(panic) => {
                out.stopped = Some(format!("panicked at step {}: {}", t + 1, crate::wire::panic_text(panic.as_ref())));
                break;
            }
        }
    }
    out.seconds = started.elapsed().as_secs_f64();
    out
}

/// Where a trajectory first left the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// Step, 1-based.
    pub step: usize,
    /// `"parameter 3"`, `"exp_avg[1]"`, `"exp_avg (missing)"`, `"the run (panicked ...)"`.
    pub what: String,
    /// The student's value (NaN when there is none).
    pub student: f64,
    /// The reference's value (NaN when there is none).
    pub reference: f64,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.student.is_nan() && self.reference.is_nan() {
            write!(f, "step {}: {}", self.step, self.what)
        } else {
            write!(
                f,
                "step {}: {} is {:e}, the reference's is {:e}",
                self.step, self.what, self.student, self.reference
            )
        }
    }
}

/// How a trajectory compares with its reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    /// Steps in the case.
    pub steps: usize,
    /// Steps whose parameters and state both match.
    pub matched: usize,
    /// The first mismatch, if any.
    pub first: Option<Divergence>,
}

impl Replay {
    /// The share of matching steps, in [0, 1].
    pub fn fraction(&self) -> f64 {
        if self.steps == 0 {
            return 0.0;
        }
        self.matched as f64 / self.steps as f64
    }
}

fn close(student: f64, reference: f64, tol: f64) -> bool {
    (student - reference).abs() <= tol * reference.abs().max(1.0)
}

/// The first element of `student` that is not within `tol` of `reference`
/// (a length difference counts at the first missing index).
pub(crate) fn first_mismatch(student: &[f64], reference: &[f64], tol: f64) -> Option<(usize, f64, f64)> {
    let n = student.len().max(reference.len());
    (0..n).find_map(|i| {
        let (s, r) = (student.get(i).copied().unwrap_or(f64::NAN), reference.get(i).copied().unwrap_or(f64::NAN));
        (!close(s, r, tol)).then_some((i, s, r))
    })
}

/// The first mismatch of step `t`'s parameters, then of the buffers the
/// reference has (a buffer the student does not report is a mismatch when
/// `check_state`).
fn step_mismatch(
    params: &[f64],
    state: &BTreeMap<String, Vec<f64>>,
    case: &Case,
    t: usize,
    tol: f64,
    check_state: bool,
) -> Option<Divergence> {
    let step = t + 1;
    if let Some((i, s, r)) = first_mismatch(params, &case.params[t], tol) {
        return Some(Divergence { step, what: format!("parameter {i}"), student: s, reference: r });
    }
    if !check_state {
        return None;
    }
    for (name, reference) in &case.state[t] {
        let Some(student) = state.get(name) else {
            return Some(Divergence {
                step,
                what: format!("{name} (the state has no buffer of this name)"),
                student: f64::NAN,
                reference: f64::NAN,
            });
        };
        if let Some((i, s, r)) = first_mismatch(student, reference, tol) {
            return Some(Divergence { step, what: format!("{name}[{i}]"), student: s, reference: r });
        }
    }
    None
}

/// Compares `trajectory` with `case` step by step (parameters, and the
/// state buffers when `check_state`).
pub fn compare(trajectory: &Trajectory, case: &Case, tol: f64, check_state: bool) -> Replay {
    let mut matched = 0;
    let mut first = None;
    for t in 0..case.steps() {
        let Some(params) = trajectory.params.get(t) else {
            first.get_or_insert_with(|| Divergence {
                step: t + 1,
                what: format!("the run ({})", trajectory.stopped.as_deref().unwrap_or("stopped without a reason")),
                student: f64::NAN,
                reference: f64::NAN,
            });
            break;
        };
        let empty = BTreeMap::new();
        let state = trajectory.state.get(t).unwrap_or(&empty);
        match step_mismatch(params, state, case, t, tol, check_state) {
            None => matched += 1,
            Some(d) => {
                first.get_or_insert(d);
            }
        }
    }
    Replay { steps: case.steps(), matched, first }
}
