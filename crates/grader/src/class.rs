//! Grading a class: a folder of submissions against an assignment, what
//! `grade run` does. Each submission is compiled and run in its own child
//! process; one that fails to build, panics, hangs or crashes costs only its
//! own grade.

use crate::child::{run, run_ops, OpOutput};
use crate::compile::{compile, Built, CompileError};
use crate::exercise::module_of;
use crate::intake::{submissions, take, Submission};
use crate::model::{rustc_version, Kind, Loaded, Record, TestCase};
use crate::ops::{op_jobs, score_op};
use crate::pages::{class_html, feedback_html};
use crate::platform::{gradebook_csv, Platform};
use crate::replay::{Case, Trajectory};
use crate::score::{does_work, is_property, score, ungradable, without_work, Grade, TestResult, TestSpec, Visibility};
use descent::files::write_atomically;
use descent::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The record already in `out` for this submission, if it was graded with
/// the same assignment, submission, grader, compiler and cell (what resuming an
/// interrupted run reuses). The record is written after the student's other
/// files, so its presence means they are all there.
fn finished(out: &Path, loaded: &Loaded, submission: &Submission) -> Option<Record> {
    let path = out.join("students").join(format!("{}.json", submission.student));
    let record: Record = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let sha = take(submission).ok()?.sha256;
    (record.assignment_hash == loaded.hash
        && record.submission_sha256 == sha
        && record.grader == env!("CARGO_PKG_VERSION")
        && record.rustc == rustc_version()
        && record.isolation == Some(crate::sandbox::isolation())
        && record.grade.student == submission.student)
        .then_some(record)
}

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

/// Every pair of the class's submissions with their similarity
/// ([`crate::similarity`]), leaving out the reference solution and the
/// kit's skeleton. A submission that was refused or holds no module counts
/// as empty.
fn similar_pairs(assignment: &Path, subs: &[Submission]) -> Result<Vec<crate::similarity::Pair>> {
    let students: Vec<(String, String)> = subs
        .iter()
        .map(|s| {
            let text = take(s).ok().and_then(|t| t.source.ok()).map(|b| String::from_utf8_lossy(&b).into_owned());
            (s.student.clone(), text.and_then(|t| module_of(&t, is_notebook(&s.path)).ok()).unwrap_or_default())
        })
        .collect();
    let mut given = Vec::new();
    if let Ok((solution, notebook)) = crate::kit::reference_solution(assignment) {
        let skeleton = crate::kit::starter(&solution, notebook).ok().and_then(|s| module_of(&s, notebook).ok());
        given.push(module_of(&solution, notebook)?);
        given.extend(skeleton);
    }
    let given: Vec<&str> = given.iter().map(String::as_str).collect();
    Ok(crate::similarity::pairs(&students, &given))
}

/// Whether a submission is a notebook (its solution cells are the module).
fn is_notebook(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "ipynb")
}

/// What [`grade_all`] did.
#[derive(Debug, Clone)]
pub struct Graded {
    /// Every student's record, by student.
    pub records: Vec<Record>,
    /// How many were taken from a previous, interrupted run of the same
    /// grading (same assignment, submission, grader and compiler).
    pub reused: usize,
}

/// Grades every submission of `submissions` against the assignment in
/// `assignment` with `jobs` in parallel, and writes into `out`:
/// `gradebook.csv`, `students/NAME.json` (the record),
/// `gradescope/NAME/results.json`, `prairielearn/NAME/results.json`,
/// `feedback/NAME.html` (the student's page) and `index.html` (the class
/// summary).
/// Every file is written atomically, after its submission is graded; the
/// gradebook and the class page last. A submission already graded in `out`
/// by an interrupted run of the same grading is not graded again.
pub fn grade_all(assignment: &Path, submissions_dir: &Path, out: &Path, jobs: usize, progress: bool) -> Result<Graded> {
    let loaded = Loaded::read(assignment)?;
    let subs = submissions(submissions_dir)?;
    let work = tempfile::tempdir().map_err(|e| Error::io("temporary directory", e))?;
    let bar = if progress { ProgressBar::new(subs.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("grading [{bar:30}] {pos}/{len} ({eta})").expect("valid template"));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::invalid("grade", "jobs", e.to_string()))?;
    let records: Vec<Result<(Record, bool)>> = pool.install(|| {
        subs.par_iter()
            .enumerate()
            .map(|(i, s)| {
                if let Some(record) = finished(out, &loaded, s) {
                    bar.inc(1);
                    return Ok((record, true));
                }
                // The grader failing on one submission (a full disk, rustc
                // missing) costs that submission a grade that says so, not
                // the batch; its record is not kept, so a rerun grades it.
                let (record, keep) = match grade_one(&loaded, s, &work.path().join(format!("{i}"))) {
                    Ok(record) => (record, true),
                    Err(e) => {
                        let why = format!("the grader could not grade this submission: {e}");
                        let grade = ungradable(&s.student, &loaded.assignment.rules, &why);
                        let sha = take(s).map(|t| t.sha256).unwrap_or_default();
                        (Record::new(grade, &loaded, sha), false)
                    }
                };
                let json = |v: &serde_json::Value| serde_json::to_vec_pretty(v).expect("JSON");
                let write = |p: PathBuf, bytes: &[u8]| write_atomically(&p, bytes);
                let name = &s.student;
                for platform in Platform::ALL {
                    write(
                        out.join(platform.folder()).join(name).join("results.json"),
                        &json(&platform.results(&record)),
                    )?;
                }
                write(
                    out.join("feedback").join(format!("{name}.html")),
                    feedback_html(&loaded.assignment, &record)?.as_bytes(),
                )?;
                // Last: its presence says the student's files are complete.
                if keep {
                    write(
                        out.join("students").join(format!("{name}.json")),
                        &serde_json::to_vec_pretty(&record).expect("JSON"),
                    )?;
                }
                bar.inc(1);
                Ok((record, false))
            })
            .collect()
    });
    bar.finish_and_clear();
    let done = records.into_iter().collect::<Result<Vec<_>>>()?;
    let reused = done.iter().filter(|(_, r)| *r).count();
    let records: Vec<Record> = done.into_iter().map(|(r, _)| r).collect();
    let grades: Vec<Grade> = records.iter().map(|r| r.grade.clone()).collect();
    let pairs = similar_pairs(assignment, &subs)?;
    write_atomically(&out.join("similarity.csv"), crate::similarity::csv(&pairs).as_bytes())?;
    write_atomically(&out.join("gradebook.csv"), gradebook_csv(&grades).as_bytes())?;
    let classes: Vec<&str> = loaded.optimizer_cases().iter().map(|c| c.optimizer.as_str()).collect();
    write_atomically(&out.join("index.html"), class_html(&loaded.assignment, &classes, &records, &pairs)?.as_bytes())?;
    Ok(Graded { records, reused })
}
