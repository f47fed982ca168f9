//! Grading a student's op (forward and backward): against PyTorch's values
//! at seeded inputs, and by a gradient check of the student's backward
//! against central differences of the student's own forward.
//!
//! Forward and backward are scored per input point (all elements within
//! [`TOL`] of PyTorch's); a wrong one is compared with the known slips of
//! the op (the assignment's, [`crate::course::op_slips`]) and named when it
//! matches at every point. The gradient check follows
//! `torch.autograd.gradcheck`: step [`H`], and an element passes when
//! `|analytic − numeric| ≤ ATOL + RTOL · |numeric|`; the worst element is
//! reported with its point and index.

use crate::child::{OpJob, OpOutput};
use crate::course::op_slips;
use crate::diagnose::Diagnosis;
use crate::replay::{first_mismatch, TOL};
use crate::score::{Check, TestResult, TestSpec};
use serde::{Deserialize, Serialize};

/// Central-difference step of the gradient check.
pub const H: f64 = 1e-6;
/// Absolute tolerance of the gradient check (`torch.autograd.gradcheck`'s).
pub const ATOL: f64 = 1e-5;
/// Relative tolerance of the gradient check (`torch.autograd.gradcheck`'s).
pub const RTOL: f64 = 1e-3;

/// One input of an op case, with PyTorch's answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpPoint {
    /// The input, row-major.
    pub x: Vec<f64>,
    /// The upstream gradient.
    pub dy: Vec<f64>,
    /// PyTorch's output at `x`.
    pub y: Vec<f64>,
    /// PyTorch's gradient `dy · ∂y/∂x`.
    pub dx: Vec<f64>,
}

/// An op's reference data (written by `scripts/golden/grading.py`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpCase {
    /// Name (`log_softmax_large_logits`).
    pub name: String,
    /// The op (`log_softmax`: over the last axis).
    pub op: String,
    /// The inputs' shape.
    pub shape: Vec<usize>,
    /// The seeded inputs.
    pub points: Vec<OpPoint>,
}

/// The calls a test of `check` makes on `case`; [`score_op`] takes their
/// outputs in this order.
pub fn op_jobs(check: Check, case: &OpCase) -> Vec<OpJob> {
    let job =
        |x: &[f64], dy: Option<&[f64]>| OpJob { shape: case.shape.clone(), x: x.to_vec(), dy: dy.map(<[f64]>::to_vec) };
    let mut jobs = Vec::new();
    for p in &case.points {
        match check {
            Check::OpForward => jobs.push(job(&p.x, None)),
            Check::OpBackward => jobs.push(job(&p.x, Some(&p.dy))),
            Check::Gradcheck => {
                jobs.push(job(&p.x, Some(&p.dy)));
                for i in 0..p.x.len() {
                    for sign in [1.0, -1.0] {
                        let mut x = p.x.clone();
                        x[i] += sign * H;
                        jobs.push(job(&x, None));
                    }
                }
            }
            _ => {}
        }
    }
    jobs
}

/// Equal as a slip's output: within [`TOL`], or the same non-finite value.
fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(&s, &r)| {
            if s.is_finite() && r.is_finite() {
                (s - r).abs() <= TOL * r.abs().max(1.0)
            } else {
                s.to_bits() == r.to_bits() || (s.is_nan() && r.is_nan())
            }
        })
}

/// Scores a test of an op from the outputs of its [`op_jobs`].
pub fn score_op(spec: &TestSpec, case: &OpCase, outputs: &[OpOutput]) -> TestResult {
    let seconds = outputs.iter().map(|o| o.seconds).sum();
    let n = case.points.len();
    let (matched, output, diagnosis) = match spec.check {
        Check::Gradcheck => gradcheck(case, outputs),
        forward_or_backward => values(forward_or_backward == Check::OpForward, case, outputs),
    };
    let score = if n == 0 { 0.0 } else { spec.points * matched as f64 / n as f64 };
    TestResult::new(spec, score, output, diagnosis, seconds)
}

/// Forward or backward against PyTorch, point by point.
fn values(forward: bool, case: &OpCase, outputs: &[OpOutput]) -> (usize, String, Option<Diagnosis>) {
    let what = if forward { "forward" } else { "backward" };
    fn pick(forward: bool, p: &OpPoint) -> &[f64] {
        if forward {
            &p.y
        } else {
            &p.dx
        }
    }
    let reference = |p| pick(forward, p);
    let mut matched = 0;
    let mut first = None;
    for (k, (p, o)) in case.points.iter().zip(outputs).enumerate() {
        match &o.values {
            Err(why) => {
                first.get_or_insert_with(|| format!("point {}: {why}", k + 1));
            }
            Ok(v) => match first_mismatch(v, reference(p), TOL) {
                None => matched += 1,
                Some((i, s, r)) => {
                    first.get_or_insert_with(|| {
                        if v.len() != reference(p).len() {
                            format!("point {}: {} values, PyTorch's {}", k + 1, v.len(), reference(p).len())
                        } else {
                            format!("point {}: element {i} is {s:e}, PyTorch's is {r:e}", k + 1)
                        }
                    });
                }
            },
        }
    }
    let n = case.points.len();
    let mut output = format!("{what}: {matched} of {n} points match PyTorch");
    if let Some(f) = first {
        output.push_str(&format!("; first difference at {f}"));
    }
    let diagnosis = (matched < n)
        .then(|| {
            op_slips(&case.op).iter().filter(|s| s.forward == forward).find(|s| {
                case.points.iter().zip(outputs).all(|(p, o)| {
                    let slip = (s.compute)(&p.x, &case.shape, &p.dy);
                    o.values.as_ref().is_ok_and(|v| same(v, &slip))
                }) && case.points.iter().any(|p| !same(&(s.compute)(&p.x, &case.shape, &p.dy), reference(p)))
            })
        })
        .flatten()
        .map(|s| Diagnosis {
            key: s.key.into(),
            message: format!("your {what} matches {} at every one of the {n} points", s.description),
        });
    if let Some(d) = &diagnosis {
        output.push_str(&format!(". Diagnosis: {}", d.message));
    }
    (matched, output, diagnosis)
}

/// The gradient check: the student's backward against central differences
/// of the student's forward.
fn gradcheck(case: &OpCase, outputs: &[OpOutput]) -> (usize, String, Option<Diagnosis>) {
    let mut matched = 0;
    let mut worst: Option<(f64, String)> = None;
    let mut failure: Option<String> = None;
    let mut at = 0;
    for (k, p) in case.points.iter().enumerate() {
        let m = p.x.len();
        let mine = &outputs[at..(at + 1 + 2 * m).min(outputs.len())];
        at += 1 + 2 * m;
        let bad = |o: &OpOutput| o.values.as_ref().err().cloned();
        if let Some(why) = mine.iter().find_map(bad).or_else(|| (mine.len() < 1 + 2 * m).then(|| "no output".into())) {
            failure.get_or_insert_with(|| format!("point {}: {why}", k + 1));
            continue;
        }
        let values = |i: usize| mine[i].values.as_ref().expect("checked");
        let analytic = values(0);
        let mut ok = analytic.len() == m;
        for i in 0..m {
            let (plus, minus) = (values(1 + 2 * i), values(2 + 2 * i));
            let numeric = plus.iter().zip(minus).zip(&p.dy).map(|((a, b), g)| g * (a - b)).sum::<f64>() / (2.0 * H);
            let a = analytic.get(i).copied().unwrap_or(f64::NAN);
            let excess = (a - numeric).abs() - (ATOL + RTOL * numeric.abs());
            let excess = if excess.is_nan() { f64::INFINITY } else { excess };
            ok &= excess <= 0.0 && plus.len() == p.y.len() && minus.len() == p.y.len();
            if worst.as_ref().is_none_or(|(w, _)| excess > *w) {
                worst = Some((
                    excess,
                    format!(
                        "point {}, index {i}: analytic {a:e}, numeric {numeric:e} (|difference| {:e})",
                        k + 1,
                        (a - numeric).abs()
                    ),
                ));
            }
        }
        matched += usize::from(ok);
    }
    let n = case.points.len();
    let mut output = format!(
        "gradient check (h = {H:e}, |analytic − numeric| ≤ {ATOL:e} + {RTOL:e}·|numeric|): {matched} of {n} points pass"
    );
    if let Some((_, w)) = worst {
        output.push_str(&format!("; worst element: {w}"));
    }
    if let Some(f) = failure {
        output.push_str(&format!("; {f}"));
    }
    (matched, output, None)
}
