//! Running a compiled runner in a child process: the child gets the cases'
//! inputs (parameters and gradients, never the reference's outputs) in the
//! format of [`crate::wire`], and returns numbers only. Limits on the child
//! (time, memory, processes, network) are its cell's ([`crate::sandbox`]);
//! here a wall-clock timeout kills it and its output is capped.

use crate::problems::Problem;
use crate::replay::{Case, Trajectory};
use crate::sandbox::{isolation, kill_all, Cell, Limits, View};
use crate::wire::{self, put_call, put_f64s, put_u32, Call, Frames};
use crate::Hyper;
use descent::{Error, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Most output kept from a child (64 MiB): a flood beyond it is cut and the
/// case fails as truncated.
pub const MAX_OUTPUT: u64 = 64 << 20;

/// Waits for `child` at most `timeout`, reading at most `cap` bytes of its
/// stdout and of its stderr; kills it on timeout (status `None`).
pub(crate) fn wait_capped(
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

/// Writing frames into a `Vec` cannot fail.
const IN_MEMORY: &str = "a write to memory";

fn input_frames(jobs: &[Job]) -> Result<Vec<u8>> {
    let mut b = Vec::new();
    put_u32(&mut b, jobs.len()).expect(IN_MEMORY);
    for job in jobs {
        let c = job.case;
        b.push(match job.mode {
            Mode::Forced { .. } => wire::FORCED,
            Mode::Free => wire::FREE,
        });
        put_u32(&mut b, c.params0.len()).expect(IN_MEMORY);
        put_u32(&mut b, c.steps()).expect(IN_MEMORY);
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
            h.alpha,
            flag(h.centered),
            h.lr_decay,
            h.initial_accumulator_value,
            h.rho,
        ];
        put_f64s(&mut b, &hyper).expect(IN_MEMORY);
        match job.mode {
            Mode::Forced { negate } => {
                for t in 0..c.steps() {
                    put_f64s(&mut b, c.input(t)).expect(IN_MEMORY);
                    if negate {
                        put_f64s(&mut b, &c.grads[t].iter().map(|g| -g).collect::<Vec<_>>()).expect(IN_MEMORY);
                    } else {
                        put_f64s(&mut b, &c.grads[t]).expect(IN_MEMORY);
                    }
                }
            }
            Mode::Free => {
                let problem = Problem::ALL.iter().position(|p| p.name() == c.problem).ok_or_else(|| {
                    Error::data(&c.name, format!("no free-running problem is called {:?}", c.problem))
                })?;
                put_u32(&mut b, problem).expect(IN_MEMORY);
                put_u32(&mut b, c.x.len()).expect(IN_MEMORY);
                put_f64s(&mut b, &c.x).expect(IN_MEMORY);
                put_u32(&mut b, c.y.len()).expect(IN_MEMORY);
                put_f64s(&mut b, &c.y).expect(IN_MEMORY);
                put_f64s(&mut b, &c.params0).expect(IN_MEMORY);
            }
        }
    }
    Ok(b)
}

/// Why a trajectory is short when the output simply stops (the process's
/// own failure, when there is one, replaces it).
const ENDED_EARLY: &str = "the runner's output ended early";

/// Parses the child's output for `jobs`.
fn trajectories(out: &[u8], jobs: &[Job]) -> Vec<Trajectory> {
    let mut frames = Frames::new(out);
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
                wire::STEP => {
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
                wire::PANICKED => t.stopped = frames.text(),
                wire::END => {
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
#[cfg(unix)]
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

/// How a run that did not succeed ended: its exit status or its signal.
fn ended(s: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&s);
    #[cfg(not(unix))]
    let signal: Option<i32> = None;
    match (s.code(), signal) {
        (Some(code), _) => format!("exit status {code}"),
        #[cfg(unix)]
        (None, Some(signal)) => format!("killed by signal {signal} ({})", signal_name(signal)),
        _ => "killed".to_string(),
    }
}

/// Runs `binary` on `input` with a wall-clock `timeout`, in a cell with
/// `limits`: how it ended (`None` when normally), its stdout (capped) and
/// the start of its stderr.
pub(crate) fn converse(
    binary: &Path,
    input: Vec<u8>,
    timeout: Duration,
    limits: Limits,
) -> Result<(Option<String>, Vec<u8>, String)> {
    let io = |e: std::io::Error| Error::io(binary.display(), e);
    // A cell of its own for each run: nothing of an earlier run (files,
    // IPC, processes) is left for the next, hidden or visible.
    let cell = Cell::new(limits, View::Runner { binary: binary.to_path_buf() }, isolation()).map_err(io)?;
    let mut cmd = cell.command().map_err(io)?;
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(io)?;
    let mut stdin = child.stdin.take().expect("piped");
    // Written from a thread: a child that never reads must not block us.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let (status, out, err) = wait_capped(&mut child, timeout, MAX_OUTPUT, cell.stray_uid())?;
    let _ = writer.join();
    let failure = match status {
        None => Some(format!("killed after {} s wall time", timeout.as_secs_f64())),
        Some(s) if !s.success() => Some(ended(s)),
        Some(_) if out.len() as u64 >= MAX_OUTPUT => Some("output cut at 64 MiB".into()),
        Some(_) => None,
    };
    let stderr = String::from_utf8_lossy(&err[..err.len().min(4096)]).into_owned();
    Ok((failure, out, stderr))
}

/// Runs `binary` on `jobs` with a wall-clock `timeout` for the whole run.
pub fn run(binary: &Path, jobs: &[Job], timeout: Duration) -> Result<ChildRun> {
    let (failure, out, stderr) = converse(binary, input_frames(jobs)?, timeout, Limits::RUN)?;
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

/// What one call of the op returned.
#[derive(Debug, Clone, PartialEq)]
pub struct OpOutput {
    /// The arrays (a forward's output; a backward's gradient per input),
    /// or why there are none (a panic, the run's end).
    pub values: std::result::Result<Vec<Vec<f64>>, String>,
    /// Seconds the call took (the child's clock).
    pub seconds: f64,
}

/// Most arrays read from one answer of a runner (a function has a few
/// inputs).
const MAX_ARRAYS: usize = 16;

/// Runs the op runner `binary` on `calls` with a wall-clock `timeout`: one
/// output per call (those after a crash say how the run ended), and how
/// the run ended when it did not end normally.
pub fn run_ops(binary: &Path, calls: &[Call], timeout: Duration) -> Result<(Vec<OpOutput>, Option<String>)> {
    let mut input = Vec::new();
    put_u32(&mut input, calls.len()).expect(IN_MEMORY);
    for c in calls {
        put_call(&mut input, c).expect(IN_MEMORY);
    }
    let (failure, out, _) = converse(binary, input, timeout, Limits::RUN)?;
    let mut frames = Frames::new(&out);
    let mut outputs = Vec::with_capacity(calls.len());
    let malformed = || "the output is malformed".to_string();
    for _ in calls {
        let values = match frames.u8() {
            Some(wire::VALUES) => frames
                .u32()
                .filter(|&k| k <= MAX_ARRAYS)
                .and_then(|k| (0..k).map(|_| frames.u32().and_then(|n| frames.f64s(n))).collect::<Option<Vec<_>>>())
                .ok_or_else(malformed),
            Some(wire::PANICKED) => Err(frames.text().unwrap_or_else(malformed)),
            _ => break,
        };
        let Some(seconds) = frames.f64s(1) else { break };
        outputs.push(OpOutput { values, seconds: seconds[0] });
    }
    let why = failure.clone().unwrap_or_else(|| ENDED_EARLY.into());
    outputs.resize_with(calls.len(), || OpOutput { values: Err(why.clone()), seconds: 0.0 });
    Ok((outputs, failure))
}
