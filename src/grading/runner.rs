//! Compiling a student's `solution.rs` into a runner and running it in a
//! child process: the child gets the cases' inputs (parameters and
//! gradients, never the reference's outputs) and returns numbers only.
//!
//! The runner is `kit/main.rs` + `student.rs` (as `student_api.rs`) + the
//! student's file, compiled by `rustc` alone (no cargo, no dependencies, no
//! build script, no procedural macros), so a submission compiles in about a
//! second. Limits on the child (time, memory, processes, network) are the
//! isolation layer's; here a wall-clock timeout kills it.
//!
//! Frames, little-endian. To the child: `u32` jobs; per job a `u8` mode,
//! `u32 n`, `u32 steps`, 10 `f64` hyperparameters (lr, β1, β2, ε, λ, μ,
//! nesterov, amsgrad, decoupled, maximize), then for a teacher-forced job
//! (mode 0) per step `n` parameters and `n` gradients; for a free-running
//! one (mode 1) the problem's number, `u32`-prefixed `x` and `y`, and the
//! `n` starting parameters. From the child, per job: per completed step
//! `0u8`, `n` parameters, `u32` buffers, each `u32`-prefixed name and
//! `u32`-prefixed `f64`s; `1u8` and a `u32`-prefixed message if it
//! panicked; `2u8` and the job's seconds (`f64`) at its end.
//!
//! An op's runner (`kit/op_main.rs`) reads `u32` jobs; per job a `u8` (0
//! forward, 1 backward), the shape (`u32` rank, `u32` sizes), a
//! `u32`-prefixed input and, for a backward, a `u32`-prefixed `dy`. It
//! writes per job `0u8` and `u32`-prefixed values, or `1u8` and a
//! `u32`-prefixed message, then the call's seconds (`f64`).

use super::problems::Problem;
use super::replay::{Case, Trajectory};
use super::sandbox::{fresh_uid, is_root, kill_all, Cell, Limits};
use super::Hyper;
use crate::{Error, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The runner's `main.rs` for an optimizer.
pub const KIT_MAIN: &str = include_str!("kit/main.rs");
/// The runner's `main.rs` for an op.
pub const OP_MAIN: &str = include_str!("kit/op_main.rs");

/// What an assignment's students implement, which picks the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A [`super::StudentOptimizer`] (`pub fn build(h: &Hyper)`).
    #[default]
    Optimizer,
    /// A [`super::StudentOp`] (`pub fn build_op()`).
    Op,
}
/// The student-facing API, the same file as [`super::student`].
pub const STUDENT_API: &str = include_str!("student.rs");
/// The problems a free-running job uses, the same file as [`super::problems`].
pub const PROBLEMS: &str = include_str!("problems.rs");
/// The runners' frame readers and writers, the same file as [`super::wire`].
pub const WIRE: &str = include_str!("kit/wire.rs");

/// Most output kept from a child (64 MiB): a flood beyond it is cut and the
/// case fails as truncated.
pub const MAX_OUTPUT: u64 = 64 << 20;

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
    if is_root() {
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
    let (status, _, stderr) = wait_capped(&mut child, timeout, 1 << 16, None)?;
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

/// Why a submission's source is refused before it is compiled: a
/// submission is one module of plain Rust, so nothing that reads files at
/// compile time (`include!`, `include_str!`, `include_bytes!`, `#[path]`
/// or a `mod` in another file), changes the crate (`#![...]`) or brings
/// another (`extern crate`).
pub fn refused(source: &str) -> Option<String> {
    let code = strip_comments_and_strings(source);
    let words: Vec<&str> = code.split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).collect();
    let flat: String = code.split_whitespace().collect();
    let said = |what: &str| {
        Some(format!(
            "the submission is refused before compiling: {what}. A submission is one module of plain Rust; \
             remove it and submit again."
        ))
    };
    for w in &words {
        if ["include", "include_str", "include_bytes"].contains(&w.trim_start_matches("r#")) {
            return said(&format!("it uses `{w}`, which reads a file at compile time"));
        }
    }
    if flat.contains("#![") {
        return said("it has a crate attribute `#![...]`");
    }
    if flat.contains("#[path") {
        return said("it has a `#[path]` attribute");
    }
    if words.windows(2).any(|w| w == ["extern", "crate"]) {
        return said("it has `extern crate`");
    }
    // `mod name;` (a module in another file); `mod name { ... }` is fine.
    let bytes: Vec<&str> = code.split_whitespace().collect();
    if bytes.windows(2).any(|w| w[0] == "mod" && w[1].ends_with(';')) || flat.contains("mod;") {
        return said("it declares a module in another file (`mod name;`)");
    }
    None
}

/// `source` with comments, string and char literals blanked (so words in
/// them are not taken for code): a small lexer of Rust's line and nested
/// block comments, strings with escapes, raw strings (`r#"..."#`, `br"..."`)
/// and char literals (told apart from lifetimes).
fn strip_comments_and_strings(source: &str) -> String {
    let c: Vec<char> = source.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < c.len() {
        if at(i) == '/' && at(i + 1) == '/' {
            while i < c.len() && at(i) != '\n' {
                i += 1;
            }
        } else if at(i) == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if at(i) == 'r'
            && (i == 0 || !ident(at(i - 1)) || (at(i - 1) == 'b' && (i < 2 || !ident(at(i - 2)))))
            && (at(i + 1) == '"'
                || (at(i + 1) == '#' && {
                    let mut k = i + 1;
                    while at(k) == '#' {
                        k += 1;
                    }
                    at(k) == '"'
                }))
        {
            // A raw string: r, n hashes, ", then up to " and n hashes.
            let mut k = i + 1;
            let mut hashes = 0;
            while at(k) == '#' {
                hashes += 1;
                k += 1;
            }
            k += 1;
            while k < c.len() && !(at(k) == '"' && (1..=hashes).all(|h| at(k + h) == '#')) {
                k += 1;
            }
            i = k + 1 + hashes;
            out.push_str(" \"\" ");
        } else if at(i) == '"' {
            i += 1;
            while i < c.len() && at(i) != '"' {
                i += if at(i) == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str(" \"\" ");
        } else if at(i) == '\'' && (at(i + 1) == '\\' || at(i + 2) == '\'') {
            // A char literal ('x', '\n', '\u{..}'); a lifetime has no closing quote.
            i += 1;
            while i < c.len() && at(i) != '\'' {
                i += if at(i) == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str(" ' ' ");
        } else {
            out.push(at(i));
            i += 1;
        }
    }
    out
}

/// Waits for `child` at most `timeout`, reading at most `cap` bytes of its
/// stdout and of its stderr; kills it on timeout (status `None`).
fn wait_capped(
    child: &mut std::process::Child,
    timeout: Duration,
    cap: u64,
    uid: Option<u32>,
) -> Result<(Option<std::process::ExitStatus>, Vec<u8>, Vec<u8>)> {
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            if let Some(r) = r {
                let mut r = r.take(cap);
                let _ = r.read_to_end(&mut kept);
                // Swallow the rest so the child never blocks on a full pipe.
                let _ = std::io::copy(&mut r.into_inner(), &mut std::io::sink());
            }
            kept
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| Error::io("child", e))? {
            break Some(s);
        }
        if start.elapsed() >= timeout {
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // The group at the time limit, and whatever a finished run left behind
    // (a child that outlives it would also hold the pipes open), before
    // the pipes are read to their end.
    kill_all(child.id(), uid);
    if status.is_none() {
        let _ = child.wait();
    }
    Ok((status, out.join().unwrap_or_default(), err.join().unwrap_or_default()))
}

/// What one child run produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ChildRun {
    /// One trajectory per case, in order (shorter when the child stopped).
    pub trajectories: Vec<Trajectory>,
    /// How the child ended, when it did not end normally ("killed after
    /// 10 s wall time", "exit status 3", "output cut at 64 MiB").
    pub failure: Option<String>,
    /// The first part of its stderr.
    pub stderr: String,
}

/// How a job feeds the student's optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Teacher forcing: the case's parameters and gradients at every step
    /// (the gradients negated when `negate`).
    Forced {
        /// Send `−g` instead of `g`.
        negate: bool,
    },
    /// Free-running from the case's start, with the problem's own
    /// gradients at the student's own iterates.
    Free,
}

/// One run of the student's optimizer on a case, in the child.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The case (its problem, start, gradients).
    pub case: &'a Case,
    /// The hyperparameters given to `build` (the case's, or changed for a
    /// property).
    pub hyper: Hyper,
    /// How it is fed.
    pub mode: Mode,
}

impl<'a> Job<'a> {
    /// The case's own teacher-forced replay.
    pub fn forced(case: &'a Case) -> Job<'a> {
        Job { case, hyper: case.hyper, mode: Mode::Forced { negate: false } }
    }
}

/// Appends `n` as a little-endian `u32` (a count or a size of the frames).
fn put_u32(b: &mut Vec<u8>, n: usize) {
    b.extend_from_slice(&(n as u32).to_le_bytes());
}

/// Appends `xs` as little-endian `f64`s.
fn put_f64s(b: &mut Vec<u8>, xs: &[f64]) {
    xs.iter().for_each(|x| b.extend_from_slice(&x.to_le_bytes()));
}

fn input_frames(jobs: &[Job]) -> Result<Vec<u8>> {
    let mut b = Vec::new();
    put_u32(&mut b, jobs.len());
    for job in jobs {
        let c = job.case;
        b.push(match job.mode {
            Mode::Forced { .. } => 0,
            Mode::Free => 1,
        });
        put_u32(&mut b, c.params0.len());
        put_u32(&mut b, c.steps());
        let h = &job.hyper;
        let flag = |v: bool| if v { 1.0 } else { 0.0 };
        let hyper = [
            h.lr,
            h.betas.0,
            h.betas.1,
            h.eps,
            h.weight_decay,
            h.momentum,
            flag(h.nesterov),
            flag(h.amsgrad),
            flag(h.decoupled),
            flag(h.maximize),
        ];
        put_f64s(&mut b, &hyper);
        match job.mode {
            Mode::Forced { negate } => {
                for t in 0..c.steps() {
                    put_f64s(&mut b, c.input(t));
                    if negate {
                        put_f64s(&mut b, &c.grads[t].iter().map(|g| -g).collect::<Vec<_>>());
                    } else {
                        put_f64s(&mut b, &c.grads[t]);
                    }
                }
            }
            Mode::Free => {
                let problem = Problem::ALL.iter().position(|p| p.name() == c.problem).ok_or_else(|| {
                    Error::data(&c.name, format!("no free-running problem is called {:?}", c.problem))
                })?;
                put_u32(&mut b, problem);
                put_u32(&mut b, c.x.len());
                put_f64s(&mut b, &c.x);
                put_u32(&mut b, c.y.len());
                put_f64s(&mut b, &c.y);
                put_f64s(&mut b, &c.params0);
            }
        }
    }
    Ok(b)
}

/// Why a trajectory is short when the output simply stops (the process's
/// own failure, when there is one, replaces it).
const ENDED_EARLY: &str = "the runner's output ended early";

/// Reads the child's frames; stops at the first malformed or missing one.
struct Frames<'a> {
    b: &'a [u8],
}

impl Frames<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        (self.b.len() >= n).then(|| {
            let (head, rest) = self.b.split_at(n);
            self.b = rest;
            head
        })
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<usize> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4")) as usize)
    }
    fn f64s(&mut self, n: usize) -> Option<Vec<f64>> {
        let b = self.take(n.checked_mul(8)?)?;
        Some(b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8"))).collect())
    }
    fn text(&mut self) -> Option<String> {
        let n = self.u32()?;
        self.take(n).map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

/// Parses the child's output for `jobs`.
fn trajectories(out: &[u8], jobs: &[Job]) -> Vec<Trajectory> {
    let mut frames = Frames { b: out };
    let mut all = Vec::new();
    'cases: for c in jobs.iter().map(|j| j.case) {
        let mut t = Trajectory::default();
        loop {
            let Some(tag) = frames.u8() else {
                t.stopped.get_or_insert_with(|| ENDED_EARLY.into());
                all.push(t);
                break 'cases;
            };
            match tag {
                0 => {
                    let step = (|| {
                        let params = frames.f64s(c.params0.len())?;
                        let k = frames.u32()?;
                        let mut state = BTreeMap::new();
                        for _ in 0..k.min(64) {
                            let name = frames.text()?;
                            let m = frames.u32()?;
                            state.insert(name, frames.f64s(m)?);
                        }
                        Some((params, state))
                    })();
                    let Some((params, state)) = step else {
                        t.stopped = Some("the runner's output is malformed".into());
                        all.push(t);
                        break 'cases;
                    };
                    t.params.push(params);
                    t.state.push(state);
                }
                1 => t.stopped = frames.text(),
                2 => {
                    // The job's end, with the seconds it took (the child's
                    // own clock: shown to the teacher, never scored).
                    t.seconds = frames.f64s(1).map_or(0.0, |s| s[0]);
                    break;
                }
                _ => break,
            }
        }
        all.push(t);
    }
    all
}

/// The usual name of a signal that ends a run.
fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGABRT => "SIGABRT: aborted, e.g. an allocation failed",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV: an invalid memory access",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGXCPU => "SIGXCPU: the CPU time limit",
        libc::SIGXFSZ => "SIGXFSZ: the file size limit",
        _ => "a signal",
    }
}

/// Runs `binary` on `input` with a wall-clock `timeout`: how it ended
/// (`None` when normally), its stdout (capped) and the start of its stderr.
fn converse(binary: &Path, input: Vec<u8>, timeout: Duration) -> Result<(Option<String>, Vec<u8>, String)> {
    // Its own directory, holding only a copy of the runner: the child's `/`
    // when the grader is root, its working directory otherwise.
    let io = |e: std::io::Error| Error::io(binary.display(), e);
    let parent = binary.parent().unwrap_or(Path::new("."));
    let dir = tempfile::Builder::new().prefix("run-").tempdir_in(parent).map_err(io)?;
    let runner = dir.path().join("runner");
    // A hard link, not a copy: a copy's write descriptor, inherited for a
    // moment by a child forked at the same time by another thread, would
    // make this exec fail with "text file busy".
    std::fs::hard_link(binary, &runner).or_else(|_| std::fs::copy(binary, &runner).map(|_| ())).map_err(io)?;
    let root = is_root();
    let uid = root.then(fresh_uid);
    if let Some(uid) = uid {
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(uid)).map_err(io)?;
    }
    let cell = Cell { limits: Limits::RUN, hide: Vec::new(), chroot: root.then(|| dir.path().to_path_buf()), uid };
    let mut cmd = Command::new(if root { Path::new("/runner") } else { runner.as_path() });
    cell.apply(&mut cmd).map_err(io)?;
    let mut child = cmd
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io)?;
    let mut stdin = child.stdin.take().expect("piped");
    // Written from a thread: a child that never reads must not block us.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let (status, out, err) = wait_capped(&mut child, timeout, MAX_OUTPUT, uid)?;
    let _ = writer.join();
    let failure = match status {
        None => Some(format!("killed after {} s wall time", timeout.as_secs_f64())),
        Some(s) if !s.success() => Some(match (s.code(), std::os::unix::process::ExitStatusExt::signal(&s)) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(signal)) => format!("killed by signal {signal} ({})", signal_name(signal)),
            (None, None) => "killed".to_string(),
        }),
        Some(_) if out.len() as u64 >= MAX_OUTPUT => Some("output cut at 64 MiB".into()),
        Some(_) => None,
    };
    let stderr = String::from_utf8_lossy(&err[..err.len().min(4096)]).into_owned();
    Ok((failure, out, stderr))
}

/// Runs `binary` on `jobs` with a wall-clock `timeout` for the whole run.
pub fn run(binary: &Path, jobs: &[Job], timeout: Duration) -> Result<ChildRun> {
    let (failure, out, stderr) = converse(binary, input_frames(jobs)?, timeout)?;
    let mut trajectories = trajectories(&out, jobs);
    trajectories.resize_with(jobs.len(), Trajectory::default);
    if let Some(f) = &failure {
        for (t, c) in trajectories.iter_mut().zip(jobs.iter().map(|j| j.case)) {
            if t.params.len() < c.steps() && t.stopped.as_deref().is_none_or(|s| s == ENDED_EARLY) {
                t.stopped = Some(f.clone());
            }
        }
    }
    Ok(ChildRun { trajectories, failure, stderr })
}

/// One call of a student's op.
#[derive(Debug, Clone)]
pub struct OpJob {
    /// The input's shape.
    pub shape: Vec<usize>,
    /// The input, row-major.
    pub x: Vec<f64>,
    /// The upstream gradient for `backward`; `None` calls `forward`.
    pub dy: Option<Vec<f64>>,
}

/// What one call of the op returned.
#[derive(Debug, Clone, PartialEq)]
pub struct OpOutput {
    /// The values, or why there are none (a panic, the run's end).
    pub values: std::result::Result<Vec<f64>, String>,
    /// Seconds the call took (the child's clock).
    pub seconds: f64,
}

/// Runs the op runner `binary` on `jobs` with a wall-clock `timeout`: one
/// output per job (those after a crash say how the run ended), and how the
/// run ended when it did not end normally.
pub fn run_ops(binary: &Path, jobs: &[OpJob], timeout: Duration) -> Result<(Vec<OpOutput>, Option<String>)> {
    let mut input = Vec::new();
    put_u32(&mut input, jobs.len());
    for j in jobs {
        input.push(u8::from(j.dy.is_some()));
        put_u32(&mut input, j.shape.len());
        j.shape.iter().for_each(|&d| put_u32(&mut input, d));
        put_u32(&mut input, j.x.len());
        put_f64s(&mut input, &j.x);
        if let Some(dy) = &j.dy {
            put_u32(&mut input, dy.len());
            put_f64s(&mut input, dy);
        }
    }
    let (failure, out, _) = converse(binary, input, timeout)?;
    let mut frames = Frames { b: &out };
    let mut outputs = Vec::with_capacity(jobs.len());
    for _ in jobs {
        let values = match frames.u8() {
            Some(0) => frames.u32().and_then(|n| frames.f64s(n)).ok_or_else(|| "the output is malformed".to_string()),
            Some(1) => Err(frames.text().unwrap_or_else(|| "the output is malformed".into())),
            _ => break,
        };
        let Some(seconds) = frames.f64s(1) else { break };
        outputs.push(OpOutput { values, seconds: seconds[0] });
    }
    let why = failure.clone().unwrap_or_else(|| ENDED_EARLY.into());
    outputs.resize_with(jobs.len(), || OpOutput { values: Err(why.clone()), seconds: 0.0 });
    Ok((outputs, failure))
}

#[cfg(test)]
mod tests {
    use super::refused;

    #[test]
    fn the_source_gate_sees_through_strings_comments_and_chars() {
        let ok = [
            "fn f() -> &'static str { \"include_str!(\\\"/x\\\")\" } // include_str!(\"/y\")",
            "/* include_bytes!(\"/x\") /* nested */ still a comment */ fn g<'a>(x: &'a str) -> &'a str { x }",
            "const R: &str = r#\"a \" include!(\"/x\") \"#; mod inline { pub fn h() {} }",
            "fn c() -> char { '\"' }",
        ];
        for source in ok {
            assert_eq!(refused(source), None, "{source}");
        }
        let bad = [
            ("const S: &str = include_str!(\"/h.json\");", "include_str"),
            ("fn f() { let s = \"//\"; let t = include_bytes!(\"/h\"); }", "include_bytes"),
            ("fn c() -> char { '\"' } const S: &str = include_str!(\"/h\");", "include_str"),
            ("const R: &str = r\"x\"; const S: &str = r#include!(\"/h\");", "include"),
            ("macro_rules! m { ($i:ident) => { $i!(\"/h\") } } const S: &str = m!(include_str);", "include_str"),
            ("#![allow(unused)]", "#![...]"),
            ("# ! [no_std]", "#![...]"),
            ("extern crate std as s;", "extern crate"),
            ("#[path = \"/h.rs\"] mod h;", "#[path]"),
            ("mod other;", "mod name;"),
        ];
        for (source, what) in bad {
            let why = refused(source).unwrap_or_else(|| panic!("{source} was let through"));
            assert!(why.contains(what), "{source}: {why}");
        }
    }
}
