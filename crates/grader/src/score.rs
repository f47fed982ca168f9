//! From replays to grades: a test's points from its matching steps (and the
//! credit a consistent convention earns), the properties, a submission's
//! grade. The formats graders read are [`crate::platform`]'s.

use crate::child::{Job, Mode};
use crate::diagnose::{diagnose, Diagnosis};
use crate::problems::Problem;
use crate::replay::{compare, Case, Trajectory, TOL};
use crate::Hyper;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who sees a test's result (Gradescope's four levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Always.
    #[default]
    Visible,
    /// Never (the score counts, the test is not shown).
    Hidden,
    /// After the due date.
    AfterDueDate,
    /// After the grades are published.
    AfterPublished,
}

/// What a test checks on its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// Teacher-forced replay against PyTorch, step by step (partial credit
    /// per matching step).
    #[default]
    Replay,
    /// With `lr = 0` no parameter changes at any step.
    LrZero,
    /// `maximize = true` on `g` gives what `maximize = false` gives on `−g`
    /// (torch's definition), at every step.
    Maximize,
    /// Two runs on the same inputs agree to the last bit.
    Deterministic,
    /// Run freely on the problem with its own gradients, the loss after the
    /// case's steps is at most `(1 + band)` times PyTorch's.
    FreeRunning,
    /// An op's forward against PyTorch's at each point (partial credit per
    /// point).
    OpForward,
    /// An op's backward against PyTorch's gradient at each point.
    OpBackward,
    /// An op's backward against central differences of its own forward.
    Gradcheck,
    /// A trained model's accuracy on held-out data (points from the case's
    /// floor to its target).
    HeldOutAccuracy,
}

impl Check {
    /// Whether it tests an op (else an optimizer).
    pub fn is_op(self) -> bool {
        matches!(self, Check::OpForward | Check::OpBackward | Check::Gradcheck)
    }
}

/// One graded test of an assignment: a reference case and its points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSpec {
    /// The test's name (the case's, unless given).
    pub name: String,
    /// The reference case it replays.
    pub case: String,
    /// Points.
    pub points: f64,
    /// Who sees it.
    #[serde(default)]
    pub visibility: Visibility,
    /// Also compare the state buffers (default true).
    #[serde(default = "yes")]
    pub check_state: bool,
    /// What is checked (default: the replay). A property test earns all
    /// its points or none.
    #[serde(default)]
    pub check: Check,
    /// A free-running test's band: the loss may exceed PyTorch's by this
    /// share of it (default 0.05).
    #[serde(default = "default_band")]
    pub band: f64,
}

fn yes() -> bool {
    true
}

fn default_band() -> f64 {
    0.05
}

impl TestSpec {
    /// The jobs the child runs for this test on `case`; [`score`] takes
    /// their trajectories in this order.
    pub fn jobs<'a>(&self, case: &'a Case) -> Vec<Job<'a>> {
        let with = |hyper: Hyper, negate: bool| Job { case, hyper, mode: Mode::Forced { negate } };
        match self.check {
            Check::Replay => vec![Job::forced(case)],
            Check::LrZero => vec![with(Hyper { lr: 0.0, ..case.hyper }, false)],
            Check::Maximize => vec![
                with(Hyper { maximize: true, ..case.hyper }, false),
                with(Hyper { maximize: false, ..case.hyper }, true),
            ],
            Check::Deterministic => vec![Job::forced(case), Job::forced(case)],
            Check::FreeRunning => vec![Job { case, hyper: case.hyper, mode: Mode::Free }],
            Check::OpForward | Check::OpBackward | Check::Gradcheck | Check::HeldOutAccuracy => Vec::new(),
        }
    }
}

/// The grading rules of an assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The tests.
    pub tests: Vec<TestSpec>,
    /// The share of a test's points a consistent known convention earns
    /// (by slip key, e.g. `{"eps_inside_root": 0.8}`); a slip not listed
    /// earns what its matching steps earn.
    #[serde(default)]
    pub convention_credit: BTreeMap<String, f64>,
    /// Who sees the total (Gradescope's top-level `visibility`; the
    /// feedback page shows the total only when it is `visible`).
    #[serde(default)]
    pub visibility: Visibility,
}

/// One test's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// Name.
    pub name: String,
    /// Points earned.
    pub score: f64,
    /// Points possible.
    pub max_score: f64,
    /// `passed` (full points) or `failed`.
    pub status: String,
    /// For the student: steps matched, the first divergence, the diagnosis.
    pub output: String,
    /// Who sees it.
    pub visibility: Visibility,
    /// The diagnosed slip, if any.
    pub diagnosis: Option<Diagnosis>,
    /// Seconds the student's code took on it (the child's clock; shown to
    /// the teacher, never scored).
    #[serde(default)]
    pub seconds: f64,
    /// A replay's distance from the reference at each step: the largest
    /// `|student − reference| / max(1, |reference|)` over the parameters
    /// (`None` where the student has no finite value).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deviation: Vec<Option<f64>>,
}

impl TestResult {
    /// The result of `spec` earning `score` (rounded to a thousandth of a
    /// point, what a gradebook shows), passed when it earns every point.
    pub fn new(spec: &TestSpec, score: f64, output: String, diagnosis: Option<Diagnosis>, seconds: f64) -> Self {
        let score = (score * 1000.0).round() / 1000.0;
        TestResult {
            name: spec.name.clone(),
            score,
            max_score: spec.points,
            status: if score >= spec.points { "passed" } else { "failed" }.into(),
            output,
            visibility: spec.visibility,
            diagnosis,
            seconds,
            deviation: Vec::new(),
        }
    }
}

/// A submission's grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    /// Student identifier.
    pub student: String,
    /// False when the submission could not be graded at all (it does not
    /// compile): every test scores 0 and says why.
    pub gradable: bool,
    /// A message for the whole submission (the compiler's, a crash's).
    pub message: String,
    /// Per test, in the assignment's order.
    pub tests: Vec<TestResult>,
    /// Seconds the grading took.
    pub execution_time: f64,
    /// Who sees the total: the assignment's [`Rules::visibility`].
    #[serde(default)]
    pub visibility: Visibility,
}

impl Grade {
    /// Points earned.
    pub fn score(&self) -> f64 {
        self.tests.iter().map(|t| t.score).sum()
    }

    /// Points possible.
    pub fn max_score(&self) -> f64 {
        self.tests.iter().map(|t| t.max_score).sum()
    }
}

/// Scores one test from the trajectories of its [`TestSpec::jobs`].
pub fn score(spec: &TestSpec, case: &Case, runs: &[Trajectory], rules: &Rules) -> TestResult {
    let none = Trajectory::default();
    let run = |i: usize| runs.get(i).unwrap_or(&none);
    let seconds = runs.iter().map(|t| t.seconds).sum();
    let verdict = match spec.check {
        Check::Replay => return TestResult { seconds, ..score_test(spec, case, run(0), rules) },
        Check::LrZero => lr_zero(case, run(0)),
        Check::Maximize => maximize(case, run(0), run(1)),
        Check::Deterministic => deterministic(case, run(0), run(1)),
        Check::FreeRunning => free_running(case, run(0), spec.band),
        Check::OpForward | Check::OpBackward | Check::Gradcheck | Check::HeldOutAccuracy => {
            Err("an op's or a training's test on an optimizer's case (a fault of the assignment)".to_string())
        }
    };
    match verdict {
        Ok(output) => TestResult::new(spec, spec.points, output, None, seconds),
        Err(output) => TestResult::new(spec, 0.0, output, None, seconds),
    }
}

/// Where a run first holds a value that is NaN or infinite: the step, and
/// the parameter or buffer coordinate (`"step 3, exp_avg_sq[1] = NaN"`).
pub fn first_non_finite(t: &Trajectory) -> Option<String> {
    for (step, params) in t.params.iter().enumerate() {
        if let Some(i) = params.iter().position(|v| !v.is_finite()) {
            return Some(format!("step {}, parameter {i} = {}", step + 1, params[i]));
        }
        for (name, values) in t.state.get(step).into_iter().flatten() {
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Some(format!("step {}, {name}[{i}] = {}", step + 1, values[i]));
            }
        }
    }
    None
}

/// Whether a test's runs show the submission doing the assignment's work:
/// a replay with at least one matching step, or whose every step a known
/// slip explains (the code computes a named variant of the method), or
/// whose state buffers all agree with the reference's at some step while
/// its parameters move (the moments are computed, the update that uses
/// them is wrong), or a free run inside its band. The properties (lr = 0, maximize, determinism) earn their points
/// only when some test of the submission does real work: an optimizer
/// that does nothing would pass them all. `scored` is the test's result
/// from [`score`], whose diagnosis is reused rather than searched again.
pub fn does_work(spec: &TestSpec, case: &Case, runs: &[Trajectory], scored: &TestResult) -> bool {
    let Some(run) = runs.first() else { return false };
    match spec.check {
        // A replay whose every step matches has no diagnosis, but then its
        // parameters match too.
        Check::Replay => {
            compare(run, case, TOL, false).matched > 0
                || (state_agrees(run, case) && moves(run, case))
                || scored.diagnosis.is_some()
        }
        Check::FreeRunning => free_running(case, run, spec.band).is_ok(),
        _ => false,
    }
}

/// Whether the student's buffer `name` agrees with the reference's `r`.
fn buffer_agrees(student: &BTreeMap<String, Vec<f64>>, name: &str, r: &[f64]) -> bool {
    student.get(name).is_some_and(|s| crate::replay::first_mismatch(s, r, TOL).is_none())
}

/// Whether at some step the reference has state and every buffer of it
/// agrees with the student's.
fn state_agrees(run: &Trajectory, case: &Case) -> bool {
    run.state.iter().zip(&case.state).any(|(student, reference)| {
        !reference.is_empty() && reference.iter().all(|(name, r)| buffer_agrees(student, name, r))
    })
}

/// Whether some step changes some parameter.
fn moves(run: &Trajectory, case: &Case) -> bool {
    run.params.iter().enumerate().any(|(t, p)| {
        let input = case.input(t);
        p.len() != input.len() || p.iter().zip(input).any(|(a, b)| a.to_bits() != b.to_bits())
    })
}

/// Whether a test is a property (all its points or none, no replay).
pub fn is_property(check: Check) -> bool {
    matches!(check, Check::LrZero | Check::Maximize | Check::Deterministic)
}

/// A property's result when no test of the submission does real work
/// ([`does_work`]): no points, and why.
pub fn without_work(result: TestResult) -> TestResult {
    let output = format!(
        "{}. No points: no test shows the submission doing the work (no replayed step or state matches the \
         reference, no known mistake explains a replay, and the free run misses its band), and an optimizer that does \
         nothing passes this property too",
        result.output
    );
    TestResult { status: "failed".into(), score: 0.0, output, ..result }
}

/// A property's verdict fails when any of its runs holds a NaN or an
/// infinity: a run that produced one tells nothing about the property.
fn finite_runs(head: &str, runs: &[&Trajectory]) -> Result<(), String> {
    match runs.iter().find_map(|t| first_non_finite(t)) {
        Some(at) => {
            Err(format!("{head}: a run holds a non-finite value (first at {at}), which fails every property it feeds"))
        }
        None => Ok(()),
    }
}

/// Why a run is short, when it is.
fn incomplete(case: &Case, t: &Trajectory) -> Option<String> {
    (t.params.len() < case.steps()).then(|| {
        format!(
            "the run stopped after {} of {} steps ({})",
            t.params.len(),
            case.steps(),
            t.stopped.as_deref().unwrap_or("no reason given")
        )
    })
}

fn lr_zero(case: &Case, t: &Trajectory) -> Result<String, String> {
    let head = "with lr = 0";
    if let Some(why) = incomplete(case, t) {
        return Err(format!("{head}, {why}"));
    }
    finite_runs(head, &[t])?;
    for (step, out) in t.params.iter().enumerate() {
        let input = case.input(step);
        if let Some(i) = (0..input.len()).find(|&i| out.get(i).map(|v| v.to_bits()) != Some(input[i].to_bits())) {
            let got = out.get(i).copied().unwrap_or(f64::NAN);
            return Err(format!("{head}, step {} changed parameter {i} from {:e} to {got:e}", step + 1, input[i]));
        }
    }
    Ok(format!("{head}, no parameter changed in {} steps", case.steps()))
}

fn maximize(case: &Case, up: &Trajectory, down: &Trajectory) -> Result<String, String> {
    let head = "maximize = true on g against maximize = false on −g";
    for (label, t) in [("maximize = true", up), ("maximize = false on −g", down)] {
        if let Some(why) = incomplete(case, t) {
            return Err(format!("{head}: {label}: {why}"));
        }
    }
    finite_runs(head, &[up, down])?;
    let as_reference = Case { params: down.params.clone(), ..case.clone() };
    let replay = compare(up, &as_reference, TOL, false);
    match replay.first {
        None => Ok(format!("{head}: the same parameters at all {} steps", case.steps())),
        Some(d) => Err(format!(
            "{head}: at step {} {} is {:e} with maximize and {:e} on −g",
            d.step, d.what, d.student, d.reference
        )),
    }
}

fn deterministic(case: &Case, a: &Trajectory, b: &Trajectory) -> Result<String, String> {
    let head = "two runs on the same inputs";
    for t in [a, b] {
        if let Some(why) = incomplete(case, t) {
            return Err(format!("{head}: {why}"));
        }
    }
    finite_runs(head, &[a, b])?;
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for step in 0..case.steps() {
        let same_state = a.state[step].len() == b.state[step].len()
            && a.state[step].iter().zip(&b.state[step]).all(|((ka, va), (kb, vb))| ka == kb && bits(va) == bits(vb));
        if bits(&a.params[step]) != bits(&b.params[step]) || !same_state {
            return Err(format!("{head} differ at step {}", step + 1));
        }
    }
    Ok(format!("{head} agree to the last bit at all {} steps", case.steps()))
}

fn free_running(case: &Case, t: &Trajectory, band: f64) -> Result<String, String> {
    let head = format!("run freely for {} steps", case.steps());
    if let Some(why) = incomplete(case, t) {
        return Err(format!("{head}: {why}"));
    }
    let (Some(problem), Some(&reference)) = (Problem::from_name(&case.problem), case.losses.last()) else {
        return Err(format!("{head}: the case has no problem to run on (a fault of the assignment)"));
    };
    let last = t.params.last().map_or(&case.params0, |p| p);
    let (loss, _) = problem.loss_grad(last, &case.x, &case.y);
    let limit = reference + band * reference.abs();
    let text = format!("{head}, the loss is {loss:.6e}; PyTorch's is {reference:.6e}, the band ends at {limit:.6e}");
    if loss.is_finite() && loss <= limit {
        Ok(text)
    } else {
        Err(text)
    }
}

/// Scores one test from the student's teacher-forced trajectory on its case.
pub fn score_test(spec: &TestSpec, case: &Case, trajectory: &Trajectory, rules: &Rules) -> TestResult {
    let replay = compare(trajectory, case, TOL, spec.check_state);
    let diagnosis = if replay.matched < replay.steps { diagnose(trajectory, case) } else { None };
    let mut score = spec.points * replay.fraction();
    if let Some(credit) = diagnosis.as_ref().and_then(|d| rules.convention_credit.get(&d.key)) {
        score = score.max(spec.points * credit.clamp(0.0, 1.0));
    }
    let mut output = format!("{} of {} steps match the reference", replay.matched, replay.steps);
    if let Some(first) = &replay.first {
        output.push_str(&format!("; first difference at {first}"));
    }
    if let Some(d) = &diagnosis {
        output.push_str(&format!(". Diagnosis: {}", d.message));
    } else if let Some(first) = replay.first.as_ref().filter(|_| trajectory.params.len() == case.steps()) {
        output.push_str(&unknown_slip(trajectory, case, first.step));
    }
    TestResult {
        deviation: deviation(trajectory, case),
        ..TestResult::new(spec, score, output, diagnosis, trajectory.seconds)
    }
}

/// What the feedback says when no known slip explains a wrong run: that
/// none does, where a NaN or infinity first appeared, and which state
/// buffers still agree with the reference at the first wrong step (right
/// moments with a wrong update point at the update).
fn unknown_slip(trajectory: &Trajectory, case: &Case, step: usize) -> String {
    let mut out = String::from(". No known mistake matches these steps");
    if let Some(at) = first_non_finite(trajectory) {
        out.push_str(&format!("; the first NaN or infinity is at {at}"));
    }
    let (Some(student), Some(reference)) = (trajectory.state.get(step - 1), case.state.get(step - 1)) else {
        return out;
    };
    let (right, wrong): (Vec<&String>, Vec<&String>) =
        reference.keys().partition(|name| buffer_agrees(student, name, &reference[*name]));
    let list = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    match (right.is_empty(), wrong.is_empty()) {
        (false, true) => out.push_str(&format!(
            "; at step {step} every state buffer ({}) agrees with the reference, so the mistake is in the update that \
             uses them",
            list(&right)
        )),
        (false, false) => out.push_str(&format!(
            "; at step {step} {} agree with the reference and {} do not",
            list(&right),
            list(&wrong)
        )),
        (true, false) => {
            out.push_str(&format!("; at step {step} no state buffer agrees with the reference ({})", list(&wrong)))
        }
        (true, true) => {}
    }
    out
}

/// Per step, the largest relative distance of the parameters from the
/// reference's.
fn deviation(trajectory: &Trajectory, case: &Case) -> Vec<Option<f64>> {
    (0..case.steps())
        .map(|t| {
            let student = trajectory.params.get(t)?;
            let reference = &case.params[t];
            if student.len() != reference.len() {
                return None;
            }
            let d = student.iter().zip(reference).map(|(s, r)| (s - r).abs() / r.abs().max(1.0)).fold(0.0, f64::max);
            // `fold` with `max` drops NaN: a NaN anywhere is no value.
            (d.is_finite() && student.iter().all(|s| s.is_finite())).then_some(d)
        })
        .collect()
}

/// A grade of 0 on every test, for a submission that could not run
/// (`message` says why: the compiler's output, a crash).
pub fn ungradable(student: &str, rules: &Rules, message: &str) -> Grade {
    let tests = rules
        .tests
        .iter()
        .map(|t| TestResult {
            name: t.name.clone(),
            score: 0.0,
            max_score: t.points,
            status: "failed".into(),
            output: "not run: the submission could not be built".into(),
            visibility: t.visibility,
            diagnosis: None,
            seconds: 0.0,
            deviation: Vec::new(),
        })
        .collect();
    Grade {
        student: student.into(),
        gradable: false,
        message: message.into(),
        tests,
        execution_time: 0.0,
        visibility: rules.visibility,
    }
}

/// The most text a student causes in one test's output, or in a grade's
/// message (8 KiB); with many tests each gets at most its share of
/// [`MAX_TEXTS`].
pub const MAX_TEXT: usize = 8 << 10;
/// The most text a student causes in one grade (400 KiB): what keeps
/// PrairieLearn's `results.json` under its 1 MB limit, and Gradescope's
/// near the same size, whatever the submission prints.
pub const MAX_TEXTS: usize = 400 << 10;

/// `text` with control characters (but newlines and tabs) shown as U+FFFD,
/// cut to `max` bytes at a character boundary, with a note when it was cut.
pub fn cut(text: &str, max: usize) -> String {
    let clean: String =
        text.chars().map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{fffd}' } else { c }).collect();
    if clean.len() <= max {
        return clean;
    }
    let mut end = max;
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[cut: {} bytes more than the {} bytes shown]", &clean[..end], clean.len() - end, end)
}

impl Grade {
    /// The grade with every text a student causes cut ([`cut`]): each
    /// test's output and diagnosis, and the message, to [`MAX_TEXT`] or
    /// their share of [`MAX_TEXTS`].
    pub fn bounded(mut self) -> Grade {
        let each = MAX_TEXT.min(MAX_TEXTS / (2 * self.tests.len() + 1));
        self.message = cut(&self.message, each);
        for t in &mut self.tests {
            t.output = cut(&t.output, each);
            if let Some(d) = &mut t.diagnosis {
                d.message = cut(&d.message, each);
            }
        }
        self
    }
}
