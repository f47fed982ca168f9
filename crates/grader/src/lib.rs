//! # descent-grader
//!
//! Grading coursework on the optimizers of deep learning and on autodiff: a
//! student's optimizer is replayed under teacher forcing against PyTorch's
//! trajectories, an op against PyTorch's values and by a gradient check,
//! and a wrong one is matched against the known slips to say *which*
//! mistake it makes. Submissions are compiled by `rustc` alone and run in a
//! child process of their own, in a cell ([`sandbox`]), that only returns
//! numbers: everything that scores or diagnoses runs here, in the grader,
//! which alone holds the reference data.
//!
//! ## Layout
//! - What a student implements: [`student`] ([`StudentOptimizer`],
//!   [`StudentOp`], [`StudentFunction`], [`StudentSchedule`], [`Hyper`]); the problems a free-running test uses
//!   ([`problems`]); the format between grader and runner ([`wire`]). These
//!   three files, and `runner/main.rs`, `op_main.rs`, `function_main.rs` or `schedule_main.rs`, are also
//!   compiled into every submission's runner, with `std` alone.
//! - Running a submission: [`gate`] (the source gate), [`compile`] (`rustc`
//!   in a cell), [`child`] (the runner's conversation: inputs in, numbers
//!   out), [`sandbox`] (the cell: limits, namespaces, uid), [`toolchain`]
//!   (the `rustc` it runs).
//! - Judging it: [`replay`] (teacher-forced replay and the step-by-step
//!   comparison), [`diagnose`](mod@diagnose) (which slip explains a trajectory),
//!   [`ops`] (an op's tests), [`score`](mod@score) (points, properties, a grade), and
//!   [`course`] (each assignment's reference code and slips).
//! - Around it: [`model`] (an assignment, a submission, a record),
//!   [`one`] (one submission graded), [`class`] (a folder of submissions
//!   graded in parallel), [`kit`] (the student kit and the student's own
//!   check), [`regions`] (the solution regions a starter replaces),
//!   [`exercise`] (notebook exercises), [`pages`] (feedback pages and the class summary),
//!   [`platform`] (the gradebook CSV, Gradescope and PrairieLearn),
//!   [`regrade`] (grades staged, compared and published).

pub mod child;
pub mod class;
pub mod compile;
pub mod course;
pub mod diagnose;
pub mod exercise;
pub mod gate;
pub mod intake;
pub mod kit;
pub mod library;
pub mod model;
pub mod one;
pub mod ops;
pub mod pages;
pub mod platform;
pub mod problems;
pub mod regions;
pub mod regrade;
pub mod replay;
pub mod sandbox;
pub mod score;
pub mod similarity;
pub mod student;
pub mod toolchain;
pub mod training;
pub mod wire;

pub use diagnose::{diagnose, Diagnosis};
pub use replay::{compare, run_forced, Case, Divergence, Replay, Trajectory, TOL};
pub use score::{score, score_test, ungradable, Check, Grade, Rules, TestResult, TestSpec, Visibility};
pub use student::{Hyper, ScheduleHyper, StudentFunction, StudentOp, StudentOptimizer, StudentSchedule, Tensor};
