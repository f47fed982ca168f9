//! From replays to grades, and the formats graders already use: a
//! gradebook CSV, Gradescope's and PrairieLearn's `results.json`.

use super::diagnose::{diagnose, Diagnosis};
use super::replay::{compare, Case, Trajectory, TOL};
use crate::files::csv_field;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
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
}

fn yes() -> bool {
    true
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

/// Scores one test from the student's teacher-forced trajectory on its case.
pub fn score_test(spec: &TestSpec, case: &Case, trajectory: &Trajectory, rules: &Rules) -> TestResult {
    let replay = compare(trajectory, case, TOL, spec.check_state);
    let diagnosis = if replay.matched < replay.steps { diagnose(trajectory, case) } else { None };
    let mut score = spec.points * replay.fraction();
    if let Some(credit) = diagnosis.as_ref().and_then(|d| rules.convention_credit.get(&d.key)) {
        score = score.max(spec.points * credit.clamp(0.0, 1.0));
    }
    // Rounded to a thousandth of a point: what a gradebook shows.
    let score = (score * 1000.0).round() / 1000.0;
    let mut output = format!("{} of {} steps match the reference", replay.matched, replay.steps);
    if let Some(first) = &replay.first {
        output.push_str(&format!("; first difference at {first}"));
    }
    if let Some(d) = &diagnosis {
        output.push_str(&format!(". Diagnosis: {}", d.message));
    }
    TestResult {
        name: spec.name.clone(),
        score,
        max_score: spec.points,
        status: if score >= spec.points { "passed" } else { "failed" }.into(),
        output,
        visibility: spec.visibility,
        diagnosis,
    }
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
        })
        .collect();
    Grade { student: student.into(), gradable: false, message: message.into(), tests, execution_time: 0.0 }
}

/// Gradescope's `results.json`.
pub fn gradescope(grade: &Grade) -> Value {
    let tests: Vec<Value> = grade
        .tests
        .iter()
        .map(|t| {
            json!({"name": t.name, "score": t.score, "max_score": t.max_score, "status": t.status,
                   "output": t.output, "visibility": t.visibility})
        })
        .collect();
    json!({"score": grade.score(), "execution_time": grade.execution_time, "output": grade.message, "tests": tests})
}

/// PrairieLearn's `results.json` (`score` in [0, 1]).
pub fn prairielearn(grade: &Grade) -> Value {
    let max = grade.max_score();
    let tests: Vec<Value> = grade
        .tests
        .iter()
        .map(|t| {
            json!({"name": t.name, "points": t.score, "max_points": t.max_score,
                   "message": t.diagnosis.as_ref().map_or("", |d| d.message.as_str()), "output": t.output})
        })
        .collect();
    let score = if max > 0.0 { grade.score() / max } else { 0.0 };
    json!({"gradable": grade.gradable, "score": score, "message": grade.message, "tests": tests})
}

/// The gradebook: one row per student and test (`student,test,score,max,status`).
pub fn gradebook_csv(grades: &[Grade]) -> String {
    let mut out = String::from("student,test,score,max,status\n");
    for g in grades {
        for t in &g.tests {
            // Three decimals, always: a thousandth of a point is the
            // resolution, and the column reads as one numeric type.
            out.push_str(&format!(
                "{},{},{:.3},{:.3},{}\n",
                csv_field(&g.student),
                csv_field(&t.name),
                t.score,
                t.max_score,
                t.status
            ));
        }
    }
    out
}
