//! Compiling a student's `solution.rs` into a runner: `runner/main.rs` (or
//! `op_main.rs`, `function_main.rs`, `schedule_main.rs`, `training_main.rs`
//! by the assignment's kind) + `student.rs` (as `student_api.rs`) +
//! `problems.rs` + `wire.rs` + the student's file, compiled by `rustc` alone
//! (no cargo, no build script, no procedural macros, and no dependency but
//! a training's, descent's prebuilt core: [`crate::library`]), so a
//! submission compiles in about a second (about five against the core), in
//! a cell of its own ([`crate::sandbox`]) after the source gate
//! ([`crate::gate`]).

use crate::gate::refused;
use crate::model::Kind;
use crate::sandbox::{isolation, Cell, Isolation, Limits, View};
use crate::toolchain::sysroot;
use descent::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// The runner's `main.rs` for an optimizer.
pub const KIT_MAIN: &str = include_str!("../runner/main.rs");
/// The runner's `main.rs` for an op.
pub const OP_MAIN: &str = include_str!("../runner/op_main.rs");
/// The runner's `main.rs` for functions.
pub const FUNCTION_MAIN: &str = include_str!("../runner/function_main.rs");
/// The runner's `main.rs` for learning-rate schedules.
pub const SCHEDULE_MAIN: &str = include_str!("../runner/schedule_main.rs");
/// The runner's `main.rs` for a training with descent's library.
pub const TRAINING_MAIN: &str = include_str!("../runner/training_main.rs");
/// The student-facing API, the same file as [`crate::student`].
pub const STUDENT_API: &str = include_str!("student.rs");
/// The problems a free-running job uses, the same file as [`crate::problems`].
pub const PROBLEMS: &str = include_str!("problems.rs");
/// The runners' frame readers and writers, the same file as [`crate::wire`].
pub const WIRE: &str = include_str!("wire.rs");

/// Why a submission did not build.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// rustc's diagnostics (capped).
    pub message: String,
}

/// What compiling a submission gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Built {
    /// The runner's executable.
    Binary(PathBuf),
    /// rustc rejected it (or took longer than allowed).
    Rejected(CompileError),
}

/// Whether the source gate ([`crate::gate`]) is asked before compiling.
/// Grading always keeps it; tests switch it off to prove the cell holds
/// without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// The gate refuses what it recognises before rustc runs.
    On,
    /// rustc runs on whatever was submitted; only the cell stands.
    Off,
}

/// Compiles `solution` (the student's source) in `work` (a fresh directory
/// the caller owns) into a runner, in a compiler's cell
/// ([`crate::sandbox`]), after the source gate. An error means rustc could
/// not be run at all, not that the submission is wrong.
pub fn compile(solution: &str, kind: Kind, work: &Path, timeout: Duration) -> Result<Built> {
    compile_gated(solution, kind, work, timeout, Gate::On)
}

/// [`compile`], with the gate on or off.
pub fn compile_gated(solution: &str, kind: Kind, work: &Path, timeout: Duration, gate: Gate) -> Result<Built> {
    if gate == Gate::On {
        if let Some(why) = refused(solution) {
            return Ok(Built::Rejected(CompileError { message: why }));
        }
    }
    // The compiler's own folder, holding copies of the kit and of the
    // submission and nothing else: the cell's /work.
    let src = work.join("src");
    let io = |e: std::io::Error| Error::io(src.display(), e);
    std::fs::create_dir_all(&src).map_err(io)?;
    let main = match kind {
        Kind::Optimizer => KIT_MAIN,
        Kind::Op => OP_MAIN,
        Kind::Function => FUNCTION_MAIN,
        Kind::Schedule => SCHEDULE_MAIN,
        Kind::Training => TRAINING_MAIN,
    };
    for (name, text) in [
        ("main.rs", main),
        ("student_api.rs", STUDENT_API),
        ("problems.rs", PROBLEMS),
        ("wire.rs", WIRE),
        ("solution.rs", solution),
    ] {
        std::fs::write(src.join(name), text).map_err(io)?;
    }
    let isolation = isolation();
    // A training's submission is compiled against descent's prebuilt core.
    let library = if kind == Kind::Training { Some(crate::library::prebuilt()?) } else { None };
    let view = match library {
        Some(l) => View::compiler_with_library(&src, &l.dir),
        None => View::compiler(&src),
    };
    let cell = Cell::new(Limits::COMPILE, view, isolation).map_err(io)?;
    let mut cmd = cell.command().map_err(io)?;
    if let Some(l) = library {
        let dir = if isolation >= Isolation::Namespaces {
            PathBuf::from(crate::sandbox::LIBRARY_INSIDE)
        } else {
            l.dir.clone()
        };
        let rlib = dir.join(l.descent.file_name().expect("a file"));
        cmd.arg("--extern").arg(format!("descent={}", rlib.display()));
        cmd.arg("-L").arg(format!("dependency={}", dir.display()));
    }
    // Statically linked where it will run with no library in its view.
    if isolation >= Isolation::SeparateUid {
        cmd.args(["-C", "target-feature=+crt-static"]);
    }
    // Paths relative to the cell's working folder: the same inside every cell.
    let mut child = cmd
        .arg("--sysroot")
        .arg(sysroot())
        .args(["--edition", "2021", "--crate-name", "runner", "--cfg", "student_kit", "-C", "opt-level=2"])
        .args(["-C", "debuginfo=0", "-o", "runner", "main.rs"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("rustc", e))?;
    let (status, _, stderr) = crate::child::wait_capped(&mut child, timeout, 1 << 16, cell.stray_uid())?;
    Ok(match status {
        Some(s) if s.success() => Built::Binary(src.join("runner")),
        Some(_) => Built::Rejected(CompileError { message: String::from_utf8_lossy(&stderr).into_owned() }),
        None => {
            Built::Rejected(CompileError { message: format!("rustc did not finish within {} s", timeout.as_secs()) })
        }
    })
}
