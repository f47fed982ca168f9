//! What grading works on: an assignment (its spec and reference cases,
//! loaded and checked), a submission, and the record that reproduces a
//! grade.
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

use crate::ops::OpCase;
use crate::replay::Case;
use crate::sandbox::{isolation, Isolation};
use crate::score::{Check, Grade, Rules};
use descent::{Error, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What an assignment's students implement, which picks the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A [`crate::StudentOptimizer`] (`pub fn build(h: &Hyper)`).
    #[default]
    Optimizer,
    /// A [`crate::StudentOp`] (`pub fn build_op()`).
    Op,
    /// [`crate::StudentFunction`]s, one per op of the cases
    /// (`pub fn build_function(op: &str)`).
    Function,
    /// [`crate::StudentSchedule`]s, one per schedule of the cases
    /// (`pub fn build_schedule(name: &str, h: &ScheduleHyper)`).
    Schedule,
    /// A training with descent's library (`pub fn train(data: &MnistSplit,
    /// seed: u64) -> descent::Result<(MnistModel, Sequential<f32>)>`).
    Training,
}

impl Kind {
    /// Whether its tests are an op's (forward, backward, gradient check).
    pub fn is_op(self) -> bool {
        matches!(self, Kind::Op | Kind::Function | Kind::Schedule)
    }

    /// Whether an assignment of this kind can have a test that checks `check`.
    pub fn can_have(self, check: Check) -> bool {
        match check {
            Check::HeldOutAccuracy => self == Kind::Training,
            c if c.is_op() => self.is_op(),
            _ => self == Kind::Optimizer,
        }
    }
}

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
    Optimizer(Box<Case>),
    /// An op's points.
    Op(OpCase),
    /// A training's set-up.
    Training(TrainingCase),
}

impl TestCase {
    /// The case's name.
    pub fn name(&self) -> &str {
        match self {
            TestCase::Optimizer(c) => &c.name,
            TestCase::Op(c) => &c.name,
            TestCase::Training(c) => &c.name,
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
    #[serde(default)]
    training_cases: Vec<TrainingCase>,
}

impl Loaded {
    /// The optimizer cases of the tests, in the tests' order (none for an
    /// op's assignment).
    pub fn optimizer_cases(&self) -> Vec<&Case> {
        self.cases.iter().filter_map(|c| if let TestCase::Optimizer(c) = c { Some(&**c) } else { None }).collect()
    }

    /// The op cases of the tests, in the tests' order (none for an
    /// optimizer's assignment).
    pub fn op_cases(&self) -> Vec<&OpCase> {
        self.cases.iter().filter_map(|c| if let TestCase::Op(c) = c { Some(c) } else { None }).collect()
    }

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
                if !assignment.kind.can_have(t.check) {
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
                } else if assignment.kind == Kind::Training {
                    file.training_cases.iter().find(|c| c.name == t.case).cloned().map(TestCase::Training)
                } else {
                    file.cases.iter().find(|c| c.name == t.case).cloned().map(|c| TestCase::Optimizer(Box::new(c)))
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

/// A training test's set-up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingCase {
    /// Name (`mnist_12k`).
    pub name: String,
    /// The training examples sent to the cell: MNIST's first ones.
    pub train_examples: usize,
    /// The first held-out image: an index into MNIST's test split.
    pub held_out_offset: usize,
    /// How many held-out images the grader scores on, from
    /// `held_out_offset` (never sent to the cell).
    pub held_out_examples: usize,
    /// Held-out accuracy that earns no point.
    pub floor: f64,
    /// Held-out accuracy that earns every point.
    pub target: f64,
    /// The seed given to `train`.
    pub seed: u32,
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
    /// The cell it was compiled and run in (absent in records written
    /// before it was recorded).
    #[serde(default)]
    pub isolation: Option<Isolation>,
}

impl Record {
    /// `grade` of the submission whose SHA-256 is `sha`, graded now against
    /// `loaded` by this grader and compiler.
    pub(crate) fn new(grade: Grade, loaded: &Loaded, sha: String) -> Record {
        Record {
            grade,
            grader: env!("CARGO_PKG_VERSION").into(),
            rustc: rustc_version().into(),
            assignment_hash: loaded.hash.clone(),
            submission_sha256: sha,
            isolation: Some(isolation()),
        }
    }
}

/// `rustc --version` of the compiler that builds the submissions
/// ([`crate::toolchain::rustc`]), asked once per process.
pub(crate) fn rustc_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        std::process::Command::new(crate::toolchain::rustc())
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map_or_else(|| "unknown".into(), |o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    })
}
