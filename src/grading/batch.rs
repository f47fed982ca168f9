//! Grading a folder of submissions against an assignment: what `grade run`
//! does. Each submission is compiled and run in its own child process; one
//! that fails to build, panics, hangs or crashes costs only its own grade.
//!
//! An assignment is a folder with `assignment.json`:
//!
//! ```json
//! { "name": "adam", "title": "Implement Adam and AMSGrad",
//!   "reference": "hidden/reference.json", "timeout_seconds": 10,
//!   "rules": { "tests": [ { "name": "adam_quadratic", "case": "adam_quadratic", "points": 10 } ],
//!              "convention_credit": { "eps_inside_root": 0.8 } } }
//! ```
//!
//! `reference` (relative to the folder) holds the cases, as written by
//! `scripts/golden/grading.py`; it never leaves the grader.

use super::notebook::solution_module;
use super::ops::{op_jobs, score_op, OpCase};
use super::pages::{class_html, feedback_html};
use super::replay::{Case, Trajectory};
use super::runner::{compile, run, run_ops, Built, Kind, OpOutput};
use super::score::{gradebook_csv, gradescope, prairielearn, score, ungradable, Grade, Rules, TestResult};
use crate::files::write_atomically;
use crate::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `assignment.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// Short name (`adam`).
    pub name: String,
    /// Title for students.
    pub title: String,
    /// The reference cases, relative to the assignment folder.
    pub reference: PathBuf,
    /// What students implement: an optimizer (default) or an op.
    #[serde(default)]
    pub kind: Kind,
    /// Wall-clock limit of one test's run, seconds (a submission's runs
    /// together get twice this).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: f64,
    /// Tests, points, visibility, convention credit.
    pub rules: Rules,
}

fn default_timeout() -> f64 {
    10.0
}

/// A test's reference data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TestCase {
    /// An optimizer's trajectory.
    Optimizer(Case),
    /// An op's points.
    Op(OpCase),
}

impl TestCase {
    /// The case's name.
    pub fn name(&self) -> &str {
        match self {
            TestCase::Optimizer(c) => &c.name,
            TestCase::Op(c) => &c.name,
        }
    }
}

/// An assignment with its cases, loaded and checked.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The spec.
    pub assignment: Assignment,
    /// One case per test, in the tests' order.
    pub cases: Vec<TestCase>,
    /// SHA-256 of `assignment.json` and the reference file, so that a grade
    /// names exactly what it was graded against.
    pub hash: String,
}

#[derive(Deserialize)]
struct ReferenceFile {
    #[serde(default)]
    cases: Vec<Case>,
    #[serde(default)]
    op_cases: Vec<OpCase>,
}

impl Loaded {
    /// Reads `dir/assignment.json` and its reference cases; every test must
    /// name a case that exists.
    pub fn read(dir: &Path) -> Result<Loaded> {
        let spec_path = dir.join("assignment.json");
        let spec_bytes = std::fs::read(&spec_path).map_err(|e| Error::io(spec_path.display(), e))?;
        let assignment: Assignment =
            serde_json::from_slice(&spec_bytes).map_err(|e| Error::data(spec_path.display(), e.to_string()))?;
        if !(assignment.timeout_seconds > 0.0 && assignment.timeout_seconds.is_finite()) {
            return Err(Error::data(spec_path.display(), "timeout_seconds must be a positive number of seconds"));
        }
        let ref_path = dir.join(&assignment.reference);
        let ref_bytes = std::fs::read(&ref_path).map_err(|e| Error::io(ref_path.display(), e))?;
        let file: ReferenceFile =
            serde_json::from_slice(&ref_bytes).map_err(|e| Error::data(ref_path.display(), e.to_string()))?;
        let cases = assignment
            .rules
            .tests
            .iter()
            .map(|t| {
                if t.check.is_op() != (assignment.kind == Kind::Op) {
                    return Err(Error::data(
                        spec_path.display(),
                        format!(
                            "test {:?} checks {:?}, which an assignment of kind {:?} cannot",
                            t.name, t.check, assignment.kind
                        ),
                    ));
                }
                let found = if t.check.is_op() {
                    file.op_cases.iter().find(|c| c.name == t.case).cloned().map(TestCase::Op)
                } else {
                    file.cases.iter().find(|c| c.name == t.case).cloned().map(TestCase::Optimizer)
                };
                found.ok_or_else(|| {
                    Error::data(
                        ref_path.display(),
                        format!("test {:?} names case {:?}, which is not there", t.name, t.case),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut h = Sha256::new();
        h.update(&spec_bytes);
        h.update(&ref_bytes);
        Ok(Loaded { assignment, cases, hash: hex::encode(h.finalize()) })
    }
}

/// A submission: one `NAME.rs` file or `NAME.ipynb` notebook (its solution
/// cells are the module), or a folder `NAME/` with `solution.rs` or
/// `solution.ipynb`.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The student (file stem or folder name).
    pub student: String,
    /// The source file.
    pub path: PathBuf,
}

/// The submissions in `dir`, sorted by student.
pub fn submissions(dir: &Path) -> Result<Vec<Submission>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))? {
        let path = entry.map_err(|e| Error::io(dir.display(), e))?.path();
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() && path.join("solution.rs").is_file() {
            found.push(Submission { student: stem, path: path.join("solution.rs") });
        } else if path.is_dir() && path.join("solution.ipynb").is_file() {
            found.push(Submission { student: stem, path: path.join("solution.ipynb") });
        } else if path.extension().is_some_and(|e| e == "rs" || e == "ipynb") {
            found.push(Submission { student: stem, path });
        }
    }
    found.sort_by(|a, b| a.student.cmp(&b.student));
    Ok(found)
}

/// Everything needed to reproduce a grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The grade.
    pub grade: Grade,
    /// descent's version.
    pub grader: String,
    /// `rustc --version` used to build the submission.
    pub rustc: String,
    /// SHA-256 of the assignment spec and its reference data.
    pub assignment_hash: String,
    /// SHA-256 of the submitted file.
    pub submission_sha256: String,
}

impl Record {
    /// `grade` of the submission whose SHA-256 is `sha`, graded now against
    /// `loaded` by this grader and compiler.
    fn new(grade: Grade, loaded: &Loaded, sha: String) -> Record {
        Record {
            grade,
            grader: env!("CARGO_PKG_VERSION").into(),
            rustc: rustc_version().into(),
            assignment_hash: loaded.hash.clone(),
            submission_sha256: sha,
        }
    }
}

/// `rustc --version` of the compiler that builds the submissions
/// ([`super::runner::rustc`]), asked once per process.
fn rustc_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        std::process::Command::new(super::runner::rustc())
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map_or_else(|| "unknown".into(), |o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    })
}

/// The submission's bytes and their SHA-256.
fn read_submission(submission: &Submission) -> Result<(Vec<u8>, String)> {
    let source = std::fs::read(&submission.path).map_err(|e| Error::io(submission.path.display(), e))?;
    let sha = hex::encode(Sha256::digest(&source));
    Ok((source, sha))
}

/// The record already in `out` for this submission, if it was graded with
/// the same assignment, submission, grader and compiler (what resuming an
/// interrupted run reuses). The record is written after the student's other
/// files, so its presence means they are all there.
fn finished(out: &Path, loaded: &Loaded, submission: &Submission) -> Option<Record> {
    let path = out.join("students").join(format!("{}.json", submission.student));
    let record: Record = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let (_, sha) = read_submission(submission).ok()?;
    (record.assignment_hash == loaded.hash
        && record.submission_sha256 == sha
        && record.grader == env!("CARGO_PKG_VERSION")
        && record.rustc == rustc_version()
        && record.grade.student == submission.student)
        .then_some(record)
}

/// An optimizer's tests: every test's jobs in one child run, then each test
/// scored from its own share of the trajectories.
fn optimizer_tests(loaded: &Loaded, bin: &Path, timeout: Duration) -> Result<(Vec<TestResult>, Option<String>)> {
    let rules = &loaded.assignment.rules;
    // Loaded::read has checked that every case is of the assignment's kind.
    let cases: Vec<&Case> =
        loaded.cases.iter().filter_map(|c| if let TestCase::Optimizer(c) = c { Some(c) } else { None }).collect();
    let mut budget = Budget::new(timeout);
    let mut tests = Vec::new();
    for (spec, case) in rules.tests.iter().zip(&cases) {
        let jobs = spec.jobs(case);
        let runs = match budget.next() {
            Some(limit) => {
                let child = run(bin, &jobs, limit)?;
                budget.spent(&spec.name, child.failure);
                child.trajectories
            }
            None => {
                let why = budget.spent_note();
                jobs.iter().map(|_| Trajectory { stopped: Some(why.clone()), ..Trajectory::default() }).collect()
            }
        };
        tests.push(score(spec, case, &runs, rules));
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

    fn spent(&mut self, test: &str, failure: Option<String>) {
        if let Some(f) = failure {
            self.failure.get_or_insert_with(|| format!("{f} in test {test}"));
        }
    }

    fn spent_note(&self) -> String {
        format!("not run: the submission's runs used up their {} s", (self.left.as_secs_f64() * 10.0).round() / 10.0)
    }
}

/// An op's tests, the same way.
fn op_tests(loaded: &Loaded, bin: &Path, timeout: Duration) -> Result<(Vec<TestResult>, Option<String>)> {
    let rules = &loaded.assignment.rules;
    let cases: Vec<&OpCase> =
        loaded.cases.iter().filter_map(|c| if let TestCase::Op(c) = c { Some(c) } else { None }).collect();
    let mut budget = Budget::new(timeout);
    let mut tests = Vec::new();
    for (spec, case) in rules.tests.iter().zip(&cases) {
        let jobs = op_jobs(spec.check, case);
        let outputs = match budget.next() {
            Some(limit) => {
                let (outputs, failure) = run_ops(bin, &jobs, limit)?;
                budget.spent(&spec.name, failure);
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

/// Grades one submission in `work` (a fresh directory); `hide` are the
/// folders its compiler must not see (the assignment's, the other
/// submissions', the output).
pub fn grade_one(loaded: &Loaded, submission: &Submission, work: &Path, hide: &[PathBuf]) -> Result<Record> {
    let start = Instant::now();
    let (source, sha) = read_submission(submission)?;
    let rules = &loaded.assignment.rules;
    let text = String::from_utf8_lossy(&source);
    // A notebook's solution cells are the module.
    let module = if submission.path.extension().is_some_and(|e| e == "ipynb") {
        solution_module(&text).map_err(|why| why.to_string())
    } else {
        Ok(text.into_owned())
    };
    let kind = loaded.assignment.kind;
    let built = match &module {
        Ok(module) => compile(module, kind, work, Duration::from_secs(120), hide)?,
        Err(why) => Built::Rejected(super::runner::CompileError { message: why.clone() }),
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
                Kind::Op => op_tests(loaded, &bin, timeout)?,
            };
            let message = failure.map_or_else(String::new, |f| format!("the run ended badly: {f}"));
            Grade { student: submission.student.clone(), gradable: true, message, tests, execution_time: 0.0 }
        }
    };
    let grade = Grade { execution_time: (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0, ..grade };
    Ok(Record::new(grade, loaded, sha))
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
                let hide = [assignment.to_path_buf(), submissions_dir.to_path_buf(), out.to_path_buf()];
                // The grader failing on one submission (a full disk, rustc
                // missing) costs that submission a grade that says so, not
                // the batch; its record is not kept, so a rerun grades it.
                let (record, keep) = match grade_one(&loaded, s, &work.path().join(format!("{i}")), &hide) {
                    Ok(record) => (record, true),
                    Err(e) => {
                        let why = format!("the grader could not grade this submission: {e}");
                        let grade = ungradable(&s.student, &loaded.assignment.rules, &why);
                        let (_, sha) = read_submission(s).unwrap_or_default();
                        (Record::new(grade, &loaded, sha), false)
                    }
                };
                let json = |v: &serde_json::Value| serde_json::to_vec_pretty(v).expect("JSON");
                let write = |p: PathBuf, bytes: &[u8]| write_atomically(&p, bytes);
                let name = &s.student;
                write(out.join("gradescope").join(name).join("results.json"), &json(&gradescope(&record.grade)))?;
                write(out.join("prairielearn").join(name).join("results.json"), &json(&prairielearn(&record.grade)))?;
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
    write_atomically(&out.join("gradebook.csv"), gradebook_csv(&grades).as_bytes())?;
    write_atomically(&out.join("index.html"), class_html(&loaded.assignment, &records)?.as_bytes())?;
    Ok(Graded { records, reused })
}
