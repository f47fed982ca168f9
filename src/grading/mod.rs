//! Grading coursework on optimizers: a student's optimizer is replayed
//! under teacher forcing against PyTorch's trajectories, and a wrong one is
//! matched against the known slips to say *which* mistake it makes.
//!
//! - [`student`]: what a student implements ([`StudentOptimizer`], [`Hyper`]).
//! - [`replay`]: reference cases ([`Case`], written by
//!   `scripts/golden/grading.py`), teacher-forced runs ([`run_forced`]) and
//!   the step-by-step comparison ([`compare`]), which names the first step,
//!   coordinate and state buffer that diverged.
//! - [`problems`]: the cases' problems with their gradients, for
//!   free-running property tests (compiled into the runner too).
//! - [`runner`]: compiles a student's `solution.rs` with `rustc` alone and
//!   runs it in a child process that gets inputs and returns numbers.
//! - [`score`]: points per test from the matching steps (and the credit a
//!   teacher gives a consistent convention), the gradebook CSV and
//!   Gradescope's and PrairieLearn's `results.json`.
//! - [`variants`]: the reference conventions and the slips, each a complete
//!   optimizer; [`diagnose`] finds the slip that explains a trajectory.
//!
//! - [`ops`]: an op's forward and backward against PyTorch, its gradient
//!   check, its known slips.
//! - [`notebook`]: a notebook exercise's solution cells as the module, and
//!   the student's copy of the notebook.
//! - [`kit`]: the student kit (`grade assign`: visible tests only, the
//!   solution regions removed) and the student's `grade check`.
//! - [`platform`]: each platform's results from a graded folder, one
//!   submission graded for an autograder, Gradescope's autograder zip.
//! - [`regrade`]: grades staged beside the published ones, compared per
//!   student and test, published on confirmation.
//! - [`wire`]: the runners' frame readers and writers and a panic's
//!   message (compiled into the runners too).
//! - [`pages`]: a feedback page per student and the class summary (HTML).
//! - [`batch`]: an assignment folder and a folder of submissions graded in
//!   parallel, with the gradebook and each platform's files written.
//!
//! The student's code runs in a child process that only returns numbers (a
//! [`Trajectory`]); everything here that scores or diagnoses runs in the
//! grader, which alone holds the reference data.

pub mod batch;
pub mod diagnose;
pub mod kit;
pub mod notebook;
pub mod ops;
pub mod pages;
pub mod platform;
pub mod problems;
pub mod regrade;
pub mod replay;
pub mod runner;
pub mod sandbox;
pub mod score;
pub mod student;
pub mod variants;
#[path = "kit/wire.rs"]
pub mod wire;

pub use diagnose::{diagnose, Diagnosis};
pub use replay::{compare, run_forced, Case, Divergence, Replay, Trajectory, TOL};
pub use score::{
    gradebook_csv, gradescope, prairielearn, score, score_test, ungradable, Check, Grade, Rules, TestResult, TestSpec,
    Visibility,
};
pub use student::{Hyper, StudentOp, StudentOptimizer};
