//! Grading a student's op or function (forward and backward): against
//! PyTorch's values at seeded inputs, and by a gradient check of the
//! student's backward against central differences of the student's own
//! forward.
//!
//! Forward and backward are scored per input point (every array within
//! [`TOL`] of PyTorch's); a wrong one is compared with the known slips of
//! the op (the assignment's, [`crate::course::op_slips`]) and named when it
//! matches at every point. The gradient check follows
//! `torch.autograd.gradcheck`: step [`H`], and an element passes when
//! `|analytic − numeric| ≤ ATOL + RTOL · |numeric|`; the worst element is
//! reported with its point and index. A point passes the check only when
//! the student's forward there is PyTorch's too: the derivative of a wrong
//! (or constant) forward proves nothing.

use crate::child::OpOutput;
use crate::course::schedules::is_schedule;
use crate::course::{op_slips, OpSlip};
use crate::diagnose::Diagnosis;
use crate::replay::{first_mismatch, TOL};
use crate::score::{Check, TestResult, TestSpec, Visibility};
use crate::wire::Call;
use serde::{Deserialize, Serialize};

/// Central-difference step of the gradient check.
pub const H: f64 = 1e-6;
/// Absolute tolerance of the gradient check (`torch.autograd.gradcheck`'s).
pub const ATOL: f64 = 1e-5;
/// Relative tolerance of the gradient check (`torch.autograd.gradcheck`'s).
pub const RTOL: f64 = 1e-3;

/// One input point of an op case, with PyTorch's answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpPoint {
    /// The inputs, each row-major.
    pub inputs: Vec<Vec<f64>>,
    /// The upstream gradient.
    pub dy: Vec<f64>,
    /// PyTorch's output at the inputs.
    pub y: Vec<f64>,
    /// PyTorch's gradient `dy · ∂y/∂input` per input; `None` for an input
    /// that is not differentiable (class labels).
    pub grads: Vec<Option<Vec<f64>>>,
}

/// An op's reference data (written by `scripts/golden/grading.py`). The
/// files of a one-input op may also give `shape`, and per point `x` and
/// `dx`, for `shapes`, `inputs` and `grads`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "OpCaseFile")]
pub struct OpCase {
    /// Name (`log_softmax_large_logits`).
    pub name: String,
    /// The op (`log_softmax`: over the last axis; `matmul`, ...).
    pub op: String,
    /// The inputs' names, for feedback (`["a", "b"]`).
    pub names: Vec<String>,
    /// The inputs' shapes.
    pub shapes: Vec<Vec<usize>>,
    /// The seeded inputs.
    pub points: Vec<OpPoint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpPointFile {
    #[serde(default)]
    x: Option<Vec<f64>>,
    #[serde(default)]
    inputs: Vec<Vec<f64>>,
    dy: Vec<f64>,
    y: Vec<f64>,
    #[serde(default)]
    dx: Option<Vec<f64>>,
    #[serde(default)]
    grads: Vec<Option<Vec<f64>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OpCaseFile {
    name: String,
    op: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    shape: Option<Vec<usize>>,
    #[serde(default)]
    shapes: Vec<Vec<usize>>,
    points: Vec<OpPointFile>,
}

impl TryFrom<OpCaseFile> for OpCase {
    type Error = String;

    fn try_from(f: OpCaseFile) -> Result<OpCase, String> {
        let shapes: Vec<Vec<usize>> = f.shape.into_iter().chain(f.shapes).collect();
        let names = if f.names.is_empty() && shapes.len() == 1 { vec!["x".to_string()] } else { f.names };
        if names.len() != shapes.len() {
            return Err(format!("op case {:?}: {} names for {} inputs", f.name, names.len(), shapes.len()));
        }
        let points = f
            .points
            .into_iter()
            .enumerate()
            .map(|(k, p)| {
                let inputs: Vec<Vec<f64>> = p.x.into_iter().chain(p.inputs).collect();
                let grads: Vec<Option<Vec<f64>>> = p.dx.map(Some).into_iter().chain(p.grads).collect();
                let sizes_fit = inputs.len() == shapes.len()
                    && grads.len() == shapes.len()
                    && inputs.iter().zip(&shapes).all(|(v, s)| v.len() == s.iter().product::<usize>())
                    && grads.iter().zip(&inputs).all(|(g, v)| g.as_ref().is_none_or(|g| g.len() == v.len()))
                    && (p.dy.is_empty() || p.dy.len() == p.y.len());
                if !sizes_fit {
                    return Err(format!("op case {:?}, point {}: its arrays do not fit its shapes", f.name, k + 1));
                }
                Ok(OpPoint { inputs, dy: p.dy, y: p.y, grads })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(OpCase { name: f.name, op: f.op, names, shapes, points })
    }
}

impl OpCase {
    /// A call of the op at `inputs`: a forward, or a backward with `dy`.
    fn call(&self, inputs: &[Vec<f64>], dy: Option<&[f64]>) -> Call {
        Call {
            op: self.op.clone(),
            inputs: self.shapes.iter().cloned().zip(inputs.iter().cloned()).collect(),
            dy: dy.map(<[f64]>::to_vec),
        }
    }

    /// The coordinates the gradient check perturbs: every element of every
    /// differentiable input, as (input, element).
    fn perturbed(&self, p: &OpPoint) -> Vec<(usize, usize)> {
        (0..p.inputs.len())
            .filter(|&i| p.grads[i].is_some())
            .flat_map(|i| (0..p.inputs[i].len()).map(move |j| (i, j)))
            .collect()
    }
}

/// The calls a test of `check` makes on `case`; [`score_op`] takes their
/// outputs in this order.
pub fn op_jobs(check: Check, case: &OpCase) -> Vec<Call> {
    let mut calls = Vec::new();
    for p in &case.points {
        match check {
            Check::OpForward => calls.push(case.call(&p.inputs, None)),
            Check::OpBackward => calls.push(case.call(&p.inputs, Some(&p.dy))),
            Check::Gradcheck => {
                calls.push(case.call(&p.inputs, None));
                calls.push(case.call(&p.inputs, Some(&p.dy)));
                for (i, j) in case.perturbed(p) {
                    for sign in [1.0, -1.0] {
                        let mut inputs = p.inputs.clone();
                        inputs[i][j] += sign * H;
                        calls.push(case.call(&inputs, None));
                    }
                }
            }
            _ => {}
        }
    }
    calls
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

/// What a forward (`[y]`) or backward (the gradients of the differentiable
/// inputs) is compared on: (input index, or `None` for the output; values).
fn reference(forward: bool, p: &OpPoint) -> Vec<(Option<usize>, &[f64])> {
    if forward {
        vec![(None, &p.y)]
    } else {
        p.grads.iter().enumerate().filter_map(|(i, g)| g.as_deref().map(|g| (Some(i), g))).collect()
    }
}

/// `arrays` (a forward's `[y]` or a backward's gradients) at the places
/// [`reference`] compares.
fn compared(forward: bool, arrays: &[Vec<f64>], p: &OpPoint) -> Vec<Option<Vec<f64>>> {
    reference(forward, p).into_iter().map(|(i, _)| arrays.get(i.unwrap_or(0)).cloned()).collect()
}

/// A slip's output at a point, at the places [`reference`] compares.
fn slip_at(slip: &OpSlip, case: &OpCase, p: &OpPoint) -> Vec<Option<Vec<f64>>> {
    compared(slip.forward, &(slip.compute)(&p.inputs, &case.shapes, &p.dy), p)
}

/// Whether two compared outputs are the same.
fn same_all(a: &[Option<Vec<f64>>], b: &[Option<Vec<f64>>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => same(x, y),
            (None, None) => true,
            _ => false,
        })
}

/// The reference's output at a point, as [`compared`] gives it.
fn reference_at(forward: bool, p: &OpPoint) -> Vec<Option<Vec<f64>>> {
    reference(forward, p).into_iter().map(|(_, v)| Some(v.to_vec())).collect()
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

/// The first difference of `arrays` from PyTorch's at point `p`, in words;
/// `None` when they match.
fn difference(forward: bool, case: &OpCase, p: &OpPoint, arrays: &[Vec<f64>]) -> Option<String> {
    let needed = if forward { 1 } else { p.grads.iter().rposition(Option::is_some).map_or(0, |i| i + 1) };
    if arrays.len() < needed {
        return Some(if forward {
            "no output".to_string()
        } else {
            format!("{} gradients returned for the op's {} inputs", arrays.len(), case.shapes.len())
        });
    }
    let schedule = is_schedule(&case.op);
    for (i, r) in reference(forward, p) {
        let what = match i {
            Some(i) if case.names.len() > 1 => format!("the gradient of {}: ", case.names[i]),
            _ => String::new(),
        };
        let mine = &arrays[i.unwrap_or(0)];
        if mine.len() != r.len() {
            return Some(format!("{what}{} values, PyTorch's {}", mine.len(), r.len()));
        }
        if let Some((j, s, t)) = first_mismatch(mine, r, TOL) {
            return Some(if schedule {
                format!("epoch {j}: the learning rate is {s:e}, PyTorch's is {t:e}")
            } else {
                format!("{what}element {j} is {s:e}, PyTorch's is {t:e}")
            });
        }
    }
    None
}

/// Forward or backward against PyTorch, point by point.
fn values(forward: bool, case: &OpCase, outputs: &[OpOutput]) -> (usize, String, Option<Diagnosis>) {
    // A schedule's points are its settings of the hyperparameters, and its
    // forward is its learning rates.
    let (what, verb, one, unit) = match (is_schedule(&case.op), forward) {
        (true, _) => ("learning rates", "match", "setting", "settings"),
        (false, true) => ("forward", "matches", "point", "points"),
        (false, false) => ("backward", "matches", "point", "points"),
    };
    let mut matched = 0;
    let mut first = None;
    for (k, (p, o)) in case.points.iter().zip(outputs).enumerate() {
        let diff = match &o.values {
            Err(why) => Some(why.clone()),
            Ok(v) => difference(forward, case, p, v),
        };
        match diff {
            None => matched += 1,
            Some(d) => {
                first.get_or_insert_with(|| format!("{}: {d}", k + 1));
            }
        }
    }
    let n = case.points.len();
    let mut output = format!("{what}: {matched} of {n} {unit} match PyTorch");
    if let Some(f) = first {
        output.push_str(&format!("; first difference at {one} {f}"));
    }
    let diagnosis = (matched < n)
        .then(|| {
            op_slips(&case.op).iter().filter(|s| s.forward == forward).find(|s| {
                // The slip's own outputs, once per point.
                let slipped: Vec<_> = case.points.iter().map(|p| slip_at(s, case, p)).collect();
                case.points
                    .iter()
                    .zip(outputs)
                    .zip(&slipped)
                    .all(|((p, o), sl)| o.values.as_ref().is_ok_and(|v| same_all(&compared(forward, v, p), sl)))
                    && case.points.iter().zip(&slipped).any(|(p, sl)| !same_all(sl, &reference_at(forward, p)))
            })
        })
        .flatten()
        .map(|s| Diagnosis {
            key: s.key.into(),
            message: format!("your {what} {verb} {} at every one of the {n} {unit}", s.description),
        });
    match &diagnosis {
        Some(d) => output.push_str(&format!(". Diagnosis: {}", d.message)),
        // Said of values it computed: a panic is not a mistake of the maths.
        None if matched < n
            && outputs.iter().all(|o| o.values.is_ok())
            && op_slips(&case.op).iter().any(|s| s.forward == forward) =>
        {
            output.push_str(". No known mistake of this op matches at every point")
        }
        None => {}
    }
    (matched, output, diagnosis)
}

/// The gradient check: the student's backward against central differences
/// of the student's forward, at points where that forward is PyTorch's.
fn gradcheck(case: &OpCase, outputs: &[OpOutput]) -> (usize, String, Option<Diagnosis>) {
    let mut matched = 0;
    let mut worst: Option<(f64, String)> = None;
    let mut failure: Option<String> = None;
    let mut at = 0;
    for (k, p) in case.points.iter().enumerate() {
        let coords = case.perturbed(p);
        let calls = 2 + 2 * coords.len();
        let mine = &outputs[at.min(outputs.len())..(at + calls).min(outputs.len())];
        at += calls;
        let bad = |o: &OpOutput| o.values.as_ref().err().cloned();
        if let Some(why) = mine.iter().find_map(bad).or_else(|| (mine.len() < calls).then(|| "no output".into())) {
            failure.get_or_insert_with(|| format!("point {}: {why}", k + 1));
            continue;
        }
        let values = |i: usize| mine[i].values.as_ref().expect("checked");
        if let Some(d) = difference(true, case, p, values(0)) {
            failure.get_or_insert_with(|| {
                format!("point {}: your forward is not PyTorch's there ({d}), so its differences check nothing", k + 1)
            });
            continue;
        }
        let analytic = values(1);
        let mut ok = true;
        for (c, &(i, j)) in coords.iter().enumerate() {
            let (plus, minus) = (&values(2 + 2 * c)[0], &values(3 + 2 * c)[0]);
            let numeric = plus.iter().zip(minus).zip(&p.dy).map(|((a, b), g)| g * (a - b)).sum::<f64>() / (2.0 * H);
            let a = analytic.get(i).and_then(|g| g.get(j)).copied().unwrap_or(f64::NAN);
            let excess = (a - numeric).abs() - (ATOL + RTOL * numeric.abs());
            let excess = if excess.is_nan() { f64::INFINITY } else { excess };
            ok &= excess <= 0.0 && plus.len() == p.y.len() && minus.len() == p.y.len();
            if worst.as_ref().is_none_or(|(w, _)| excess > *w) {
                let input = if case.names.len() > 1 { format!("{}, ", case.names[i]) } else { String::new() };
                worst = Some((
                    excess,
                    format!(
                        "point {}, {input}index {j}: analytic {a:e}, numeric {numeric:e} (|difference| {:e})",
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

/// The known slips of an op assignment that no visible test shows before
/// the deadline, each with why: a slip must differ from the reference at
/// some point of a visible forward or backward test (of its direction) on a
/// case of its op, and there from every other slip of that op and
/// direction. `grade assign` refuses an assignment that leaves one
/// invisible.
pub fn invisible_slips(tests: &[TestSpec], cases: &[&OpCase]) -> Vec<String> {
    let mut out = Vec::new();
    // Each op once, in the order of its first case.
    let mut ops: Vec<&str> = Vec::new();
    for c in cases {
        if !ops.contains(&c.op.as_str()) {
            ops.push(&c.op);
        }
    }
    for op in ops {
        for s in op_slips(op) {
            let check = if s.forward { Check::OpForward } else { Check::OpBackward };
            let shown = |other: Option<&OpSlip>| {
                tests.iter().zip(cases).any(|(t, c)| {
                    t.visibility == Visibility::Visible
                        && t.check == check
                        && c.op == op
                        && c.points.iter().any(|p| {
                            let mine = slip_at(s, c, p);
                            let theirs = other.map_or_else(|| reference_at(s.forward, p), |o| slip_at(o, c, p));
                            !same_all(&mine, &theirs)
                        })
                })
            };
            if !shown(None) {
                out.push(format!("{} ({}): no visible test tells it from the reference", s.key, s.description));
            }
            for o in op_slips(op).iter().filter(|o| o.forward == s.forward && o.key > s.key) {
                if !shown(Some(o)) {
                    out.push(format!("{} and {}: no visible test tells them apart", s.key, o.key));
                }
            }
        }
    }
    out
}
