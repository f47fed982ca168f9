//! Grading one submission: its source taken from the class folder, its
//! module (a notebook's solution cells) built in a cell, its tests run in
//! child processes and scored. [`crate::class`] does this for every student
//! of a class, [`crate::kit`] for a student's own check, and
//! [`crate::platform`] for a single submission of a grading platform.

use crate::child::{run, run_ops, OpOutput};
use crate::compile::{compile, Built, CompileError};
use crate::exercise::module_of;
use crate::intake::{take, Submission};
use crate::model::{Kind, Loaded, Record, TestCase};
use crate::ops::{op_jobs, score_op};
use crate::replay::{Case, Trajectory};
use crate::score::{does_work, is_property, score, ungradable, without_work, Grade, TestResult, TestSpec, Visibility};
use descent::Result;
use std::path::Path;
use std::time::{Duration, Instant};

/// An optimizer's tests: every test's jobs in one child run, then each test
/// scored from its own share of the trajectories.
fn optimizer_tests(loaded: &Loaded, bin: &Path, timeout: Duration) -> Result<(Vec<TestResult>, Option<String>)> {
    let rules = &loaded.assignment.rules;
    // Loaded::read has checked that every case is of the assignment's kind.
    let cases: Vec<&Case> = loaded.optimizer_cases();
    let mut budget = Budget::new(timeout);
    let mut tests = Vec::new();
    let mut works = false;
    for (spec, case) in rules.tests.iter().zip(&cases) {
        let jobs = spec.jobs(case);
        let runs = match budget.next() {
            Some(limit) => {
                let child = run(bin, &jobs, limit)?;
                budget.spent(spec, child.failure);
                child.trajectories
            }
            None => {
                let why = budget.spent_note();
                jobs.iter().map(|_| Trajectory { stopped: Some(why.clone()), ..Trajectory::default() }).collect()
            }
        };
        let scored = score(spec, case, &runs, rules);
        works |= does_work(spec, case, &runs, &scored);
        tests.push(scored);
    }
    if !works {
        tests = rules
            .tests
            .iter()
            .zip(tests)
            .map(|(spec, t)| if is_property(spec.check) && t.score > 0.0 { without_work(t) } else { t })
            .collect();
    }
    Ok((tests, budget.failure))
}

/// The wall-clock time a submission's test runs share: each test's run
/// gets the assignment's limit, all of them together twice that; the first
/// way a run ended badly is kept, with its test's name.
struct Budget {
    limit: Duration,
    left: Duration,
    started: Instant,
    failure: Option<String>,
}

impl Budget {
    fn new(limit: Duration) -> Budget {
        Budget { limit, left: limit * 2, started: Instant::now(), failure: None }
    }

    /// The next run's limit, or `None` when the budget is spent.
    fn next(&mut self) -> Option<Duration> {
        let left = self.left.saturating_sub(self.started.elapsed());
        (left > Duration::from_millis(10)).then(|| left.min(self.limit))
    }

    /// Notes how `spec`'s run ended: the first failure is kept, naming
    /// the test only when students see it.
    fn spent(&mut self, spec: &TestSpec, failure: Option<String>) {
        if let Some(f) = failure {
            let test = if spec.visibility == Visibility::Visible {
                format!("in test {}", spec.name)
            } else {
                "in a hidden test".to_string()
            };
            self.failure.get_or_insert_with(|| format!("{f} {test}"));
        }
    }

    fn spent_note(&self) -> String {
        format!("not run: the submission's runs used up their {} s", (self.left.as_secs_f64() * 10.0).round() / 10.0)
    }
}

/// An op's tests, the same way.
fn op_tests(loaded: &Loaded, bin: &Path, timeout: Duration) -> Result<(Vec<TestResult>, Option<String>)> {
    let rules = &loaded.assignment.rules;
    let cases = loaded.op_cases();
    let mut budget = Budget::new(timeout);
    let mut tests = Vec::new();
    for (spec, case) in rules.tests.iter().zip(&cases) {
        let jobs = op_jobs(spec.check, case);
        let outputs = match budget.next() {
            Some(limit) => {
                let (outputs, failure) = run_ops(bin, &jobs, limit)?;
                budget.spent(spec, failure);
                outputs
            }
            None => {
                let why = budget.spent_note();
                jobs.iter().map(|_| OpOutput { values: Err(why.clone()), seconds: 0.0 }).collect()
            }
        };
        tests.push(score_op(spec, case, &outputs));
    }
    Ok((tests, budget.failure))
}

/// A training's tests: each a training in a cell of its own, with the
/// assignment's wall-clock limit each.
fn training_tests(loaded: &Loaded, bin: &Path, timeout: Duration) -> Result<(Vec<TestResult>, Option<String>)> {
    let mut tests = Vec::new();
    for (spec, case) in loaded.assignment.rules.tests.iter().zip(&loaded.cases) {
        let TestCase::Training(case) = case else { continue };
        tests.push(crate::training::run_and_score(bin, spec, case, timeout)?);
    }
    Ok((tests, None))
}

/// Grades one submission in `work` (a fresh directory).
pub fn grade_one(loaded: &Loaded, submission: &Submission, work: &Path) -> Result<Record> {
    let start = Instant::now();
    let taken = take(submission)?;
    let rules = &loaded.assignment.rules;
    let source = match taken.source {
        Ok(source) => source,
        Err(why) => {
            let grade = ungradable(&submission.student, rules, &format!("the submission is refused: {why}"));
            return Ok(Record::new(grade, loaded, taken.sha256));
        }
    };
    let sha = taken.sha256;
    let text = String::from_utf8_lossy(&source);
    // A notebook's solution cells are the module.
    let module = module_of(&text, is_notebook(&submission.path)).map_err(|why| why.to_string());
    let kind = loaded.assignment.kind;
    let built = match &module {
        Ok(module) => compile(module, kind, work, Duration::from_secs(120))?,
        Err(why) => Built::Rejected(CompileError { message: why.clone() }),
    };
    let grade = match built {
        Built::Rejected(e) if module.is_err() => {
            ungradable(&submission.student, rules, &format!("the notebook has nothing to grade: {}", e.message))
        }
        Built::Rejected(e) => {
            ungradable(&submission.student, rules, &format!("the submission does not compile:\n{}", e.message))
        }
        Built::Binary(bin) => {
            let timeout = Duration::from_secs_f64(loaded.assignment.timeout_seconds);
            let (tests, failure) = match kind {
                Kind::Optimizer => optimizer_tests(loaded, &bin, timeout)?,
                Kind::Op | Kind::Function | Kind::Schedule => op_tests(loaded, &bin, timeout)?,
                Kind::Training => training_tests(loaded, &bin, timeout)?,
            };
            let message = failure.map_or_else(String::new, |f| format!("the run ended badly: {f}"));
            Grade {
                student: submission.student.clone(),
                gradable: true,
                message,
                tests,
                execution_time: 0.0,
                visibility: rules.visibility,
            }
        }
    };
    let grade = Grade { execution_time: (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0, ..grade }.bounded();
    Ok(Record::new(grade, loaded, sha))
}

/// Whether a submission is a notebook (its solution cells are the module).
pub(crate) fn is_notebook(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ipynb")
}
