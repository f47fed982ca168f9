//! Grading a student's op (forward and backward): against PyTorch's values
//! at seeded inputs, and by a gradient check of the student's backward
//! against central differences of the student's own forward.
//!
//! Forward and backward are scored per input point (all elements within
//! [`TOL`] of PyTorch's); a wrong one is compared with the known slips of
//! the op ([`SLIPS`]), each computed here, and named when it matches at every
//! point. The gradient check follows `torch.autograd.gradcheck`: step
//! [`H`], and an element passes when `|analytic − numeric| ≤ ATOL + RTOL ·
//! |numeric|`; the worst element is reported with its point and index.

use super::diagnose::Diagnosis;
use super::replay::{first_mismatch, TOL};
use super::runner::{OpJob, OpOutput};
use super::score::{Check, TestResult, TestSpec};
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

/// Rows of `x` over its last axis.
fn rows<'a>(x: &'a [f64], shape: &[usize]) -> impl Iterator<Item = &'a [f64]> {
    x.chunks(shape.last().copied().unwrap_or(1).max(1))
}

/// Log-softmax over the last axis, the row's maximum subtracted first.
pub fn log_softmax(x: &[f64], shape: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for row in rows(x, shape) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        out.extend(row.iter().map(|v| v - lse));
    }
    out
}

/// The textbook formula `ln(eᵡ / Σ eᵡ)`, which overflows for large `x`.
fn log_softmax_naive(x: &[f64], shape: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for row in rows(x, shape) {
        let sum: f64 = row.iter().map(|v| v.exp()).sum();
        out.extend(row.iter().map(|v| (v.exp() / sum).ln()));
    }
    out
}

/// `backward` from the softmax `s` and `dy`, row by row, with `rule(s_row,
/// dy_row, Σ dy_row)` giving the row's gradient.
fn row_backward(x: &[f64], shape: &[usize], dy: &[f64], rule: fn(f64, f64, f64, f64) -> f64) -> Vec<f64> {
    let s: Vec<f64> = log_softmax(x, shape).iter().map(|v| v.exp()).collect();
    let mut out = Vec::with_capacity(x.len());
    for (s_row, dy_row) in rows(&s, shape).zip(rows(dy, shape)) {
        let total: f64 = dy_row.iter().sum();
        let weighted: f64 = s_row.iter().zip(dy_row).map(|(a, b)| a * b).sum();
        out.extend(s_row.iter().zip(dy_row).map(|(&si, &gi)| rule(si, gi, total, weighted)));
    }
    out
}

/// A way to get the op wrong, computed here.
pub struct OpSlip {
    /// Key (`no_max_subtraction`).
    pub key: &'static str,
    /// In words.
    pub description: &'static str,
    /// Whether it is a slip of the forward (else of the backward).
    pub forward: bool,
    /// Its output: the forward's at `x`, or the backward's at `(x, dy)`.
    pub compute: OpFn,
}

/// An op's output from `(x, shape, dy)` (`dy` unused by a forward).
pub type OpFn = fn(&[f64], &[usize], &[f64]) -> Vec<f64>;

/// The slips of log-softmax.
pub const SLIPS: &[OpSlip] = &[
    OpSlip {
        key: "no_max_subtraction",
        description: "log(exp(x) / Σ exp(x)) without subtracting the row's maximum: exp overflows to ∞ above \
                      about 709 and underflows to 0 far below the row's maximum, so large logits give NaN or −∞",
        forward: true,
        compute: |x, shape, _| log_softmax_naive(x, shape),
    },
    OpSlip {
        key: "missing_sum_of_dy",
        description: "dx = dy − softmax(x), without multiplying the softmax by the row's Σ dy",
        forward: false,
        compute: |x, shape, dy| row_backward(x, shape, dy, |s, g, _, _| g - s),
    },
    OpSlip {
        key: "diagonal_jacobian",
        description: "only the Jacobian's diagonal: dx = dy · (1 − softmax(x))",
        forward: false,
        compute: |x, shape, dy| row_backward(x, shape, dy, |s, g, _, _| g * (1.0 - s)),
    },
    OpSlip {
        key: "softmax_backward",
        description: "the backward of softmax, not of log-softmax: dx = s · (dy − Σ s·dy)",
        forward: false,
        compute: |x, shape, dy| row_backward(x, shape, dy, |s, g, _, w| s * (g - w)),
    },
];

/// The correct backward of log-softmax: `dx = dy − softmax(x) · Σ dy`.
pub fn log_softmax_backward(x: &[f64], shape: &[usize], dy: &[f64]) -> Vec<f64> {
    row_backward(x, shape, dy, |s, g, total, _| g - s * total)
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
            SLIPS.iter().filter(|s| s.forward == forward).find(|s| {
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
