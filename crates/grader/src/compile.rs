//! Compiling a student's `solution.rs` into a runner: `runner/main.rs` (or
//! `runner/op_main.rs` for an op) + `student.rs` (as `student_api.rs`) +
//! `problems.rs` + `wire.rs` + the student's file, compiled by `rustc` alone
//! (no cargo, no dependencies, no build script, no procedural macros), so a
//! submission compiles in about a second, in a cell of its own
//! ([`crate::sandbox`]) after the source gate ([`crate::gate`]).

use crate::gate::refused;
use crate::model::Kind;
use crate::sandbox::{isolation, Cell, Isolation, Limits};
use descent::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The runner's `main.rs` for an optimizer.
pub const KIT_MAIN: &str = include_str!("../runner/main.rs");
/// The runner's `main.rs` for an op.
pub const OP_MAIN: &str = include_str!("../runner/op_main.rs");
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

/// Compiles `solution` (the student's source) in `work` (a fresh directory
/// the caller owns) into a runner. An error means rustc could not be run
/// at all, not that the submission is wrong.
pub fn compile(solution: &str, kind: Kind, work: &Path, timeout: Duration, hide: &[PathBuf]) -> Result<Built> {
    if let Some(why) = refused(solution) {
        return Ok(Built::Rejected(CompileError { message: why }));
    }
    let io = |e: std::io::Error| Error::io(work.display(), e);
    std::fs::create_dir_all(work).map_err(io)?;
    let main = match kind {
        Kind::Optimizer => KIT_MAIN,
        Kind::Op => OP_MAIN,
    };
    for (name, text) in [
        ("main.rs", main),
        ("student_api.rs", STUDENT_API),
        ("problems.rs", PROBLEMS),
        ("wire.rs", WIRE),
        ("solution.rs", solution),
    ] {
        std::fs::write(work.join(name), text).map_err(io)?;
    }
    let binary = work.join("runner");
    let mut cmd = Command::new(rustc());
    // The assignment, the submissions and the output are hidden from the
    // compiler too (root only; the source gate above holds everywhere).
    // Never a folder that holds the work or the toolchain.
    let keep = |p: &PathBuf| {
        let p = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        let work = std::fs::canonicalize(work).unwrap_or_else(|_| work.to_path_buf());
        !work.starts_with(&p) && !rustc().starts_with(&p)
    };
    let hide: Vec<PathBuf> = hide.iter().filter(|p| keep(p)).cloned().collect();
    Cell { limits: Limits::COMPILE, hide, chroot: None, uid: None }
        .apply(&mut cmd)
        .map_err(|e| Error::io("rustc", e))?;
    // Statically linked when it will run chrooted, with no library around.
    if isolation() == Isolation::Namespaces {
        cmd.args(["-C", "target-feature=+crt-static"]);
    }
    let mut child = cmd
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .args(["--edition", "2021", "--crate-name", "runner", "--cfg", "student_kit", "-C", "opt-level=2"])
        .args(["-C", "debuginfo=0", "-o"])
        .arg(&binary)
        .arg(work.join("main.rs"))
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("rustc", e))?;
    let (status, _, stderr) = crate::child::wait_capped(&mut child, timeout, 1 << 16, None)?;
    Ok(match status {
        Some(s) if s.success() => Built::Binary(binary),
        Some(_) => Built::Rejected(CompileError { message: String::from_utf8_lossy(&stderr).into_owned() }),
        None => {
            Built::Rejected(CompileError { message: format!("rustc did not finish within {} s", timeout.as_secs()) })
        }
    })
}

/// The real `rustc` (not rustup's proxy, which needs `HOME` and the
/// environment the cell clears): the toolchain's own binary, asked once.
pub(crate) fn rustc() -> &'static Path {
    static RUSTC: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    RUSTC.get_or_init(|| {
        Command::new("rustc")
            .args(["--print", "sysroot"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("bin/rustc"))
            .filter(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("rustc"))
    })
}
