//! The cell a submission's compiler and each of its test runs are started
//! in, the strongest this machine allows ([`probe`] finds it once, before
//! grading, by starting `rustc --version` in each, strongest first):
//!
//! - [`Isolation::Namespaces`] (Linux, as root or not, wherever user
//!   namespaces are allowed): see `linux.rs`. The compiler sees the
//!   toolchain and system libraries read-only and its own folder (the kit
//!   and the submission, copied there); a run sees the statically linked
//!   runner and an empty tmpfs. The assignment, the hidden data, the output
//!   and the other students are not in either view at all. Fresh IPC, no
//!   network, its own PID namespace, an unprivileged uid.
//! - [`Isolation::SeparateUid`] (root where namespaces are refused): a uid
//!   of its own, a run chrooted into a folder holding only the runner.
//! - [`Isolation::LimitsOnly`] (other Unix, or not root without user
//!   namespaces) and [`Isolation::TimeoutOnly`] (Windows).
//!
//! Always: a new process group (killed whole at the time limit), a cleared
//! environment with single-threaded runtimes (`RAYON_NUM_THREADS=1`),
//! `setrlimit` on CPU time, address space, file size, open files and core
//! dumps (Unix), and no descriptor of the grader's above 2. `grade run`,
//! `one` and `regrade` refuse to grade untrusted code below
//! [`Isolation::SeparateUid`] unless the teacher passes
//! `--allow-weak-isolation`; every record says which cell it was graded in.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(unix)]
mod unix;

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How strongly this machine's cells confine a submission, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// Only the wall-clock limit and a cleared environment (Windows).
    TimeoutOnly,
    /// Resource limits, a process group, no inherited descriptor and a
    /// cleared environment, under the grader's own user.
    LimitsOnly,
    /// As root without namespaces: the limits, a uid of its own for each
    /// compiler and run, and a run chrooted into a folder holding only the
    /// runner; the compiler sees what every user of the machine may read.
    SeparateUid,
    /// User, mount, PID, IPC, UTS, network and cgroup namespaces, a root of
    /// its own with nothing of the machine but the toolchain (compiler) or
    /// the runner (a run), an unprivileged uid, and the limits.
    Namespaces,
}

impl Isolation {
    /// Every level, weakest first.
    pub const ALL: [Isolation; 4] =
        [Isolation::TimeoutOnly, Isolation::LimitsOnly, Isolation::SeparateUid, Isolation::Namespaces];

    /// Its name in records and in `DESCENT_GRADE_ISOLATION`.
    pub fn name(self) -> &'static str {
        match self {
            Isolation::TimeoutOnly => "timeout_only",
            Isolation::LimitsOnly => "limits_only",
            Isolation::SeparateUid => "separate_uid",
            Isolation::Namespaces => "namespaces",
        }
    }

    /// What it means, for the teacher and the student.
    pub fn describe(self) -> &'static str {
        match self {
            Isolation::Namespaces => {
                "namespaces: the compiler and every test run in a root of their own (the toolchain, or the runner \
                 alone), with no network, their own processes, IPC and temporary files, an unprivileged uid and \
                 resource limits"
            }
            Isolation::SeparateUid => {
                "a uid of its own and resource limits, each run chrooted (no namespaces here): the compiler can read \
                 what every user of this machine can read, and a run can use the network"
            }
            Isolation::LimitsOnly => {
                "resource limits and a process group only, under your own user: a submission can read what you \
                 can read and use the network"
            }
            Isolation::TimeoutOnly => {
                "a wall-clock limit only: a submission can read and write what you can and use the network"
            }
        }
    }
}

/// What the machine allowed, found once: the isolation in force and why
/// each stronger one is not.
#[derive(Debug, Clone)]
pub struct Probe {
    /// The strongest cell that works here (at most what
    /// `DESCENT_GRADE_ISOLATION` allows).
    pub isolation: Isolation,
    /// Why each stronger cell is not in force.
    pub notes: Vec<String>,
}

/// The environment variable that weakens the cell (for tests, and for a
/// teacher who wants to see what a weaker cell does): one of the names of
/// [`Isolation::name`]; it can never strengthen it.
pub const WEAKEN_VAR: &str = "DESCENT_GRADE_ISOLATION";

/// The isolation this machine's cells give (probed once, by compiling
/// nothing: `rustc --version` in each cell, strongest first).
pub fn isolation() -> Isolation {
    probe().isolation
}

/// The probe behind [`isolation`], with its notes.
pub fn probe() -> &'static Probe {
    static PROBE: std::sync::OnceLock<Probe> = std::sync::OnceLock::new();
    PROBE.get_or_init(|| {
        let mut notes = Vec::new();
        let cap = match std::env::var(WEAKEN_VAR) {
            Err(_) => Isolation::Namespaces,
            Ok(v) => match Isolation::ALL.into_iter().find(|i| i.name() == v) {
                Some(i) => {
                    notes.push(format!("{WEAKEN_VAR}={v} allows no stronger cell"));
                    i
                }
                None => {
                    let names: Vec<&str> = Isolation::ALL.iter().rev().map(|i| i.name()).collect();
                    notes.push(format!(
                        "{WEAKEN_VAR}={v:?} is not one of {}: taken as {}",
                        names.join(", "),
                        Isolation::LimitsOnly.name()
                    ));
                    Isolation::LimitsOnly
                }
            },
        };
        let weakest = if cfg!(unix) { Isolation::LimitsOnly } else { Isolation::TimeoutOnly };
        for level in [Isolation::Namespaces, Isolation::SeparateUid] {
            if level > cap {
                continue;
            }
            match try_cell(level) {
                Ok(()) => return Probe { isolation: level, notes },
                Err(why) => notes.push(format!("no {}: {why}", level.name())),
            }
        }
        Probe { isolation: weakest.min(cap), notes }
    })
}

/// Whether a compiler's cell of `level` runs `rustc --version` here.
fn try_cell(level: Isolation) -> Result<(), String> {
    if level == Isolation::Namespaces && !cfg!(target_os = "linux") {
        return Err("not Linux".into());
    }
    if level == Isolation::SeparateUid && !(cfg!(unix) && is_root()) {
        return Err("the grader is not root".into());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let work = dir.path().join("work");
    std::fs::create_dir(&work).map_err(|e| e.to_string())?;
    let cell = Cell::new(Limits::COMPILE, View::compiler(&work), level).map_err(|e| e.to_string())?;
    let stderr = dir.path().join("stderr");
    let file = std::fs::File::create(&stderr).map_err(|e| e.to_string())?;
    let out = cell.command().map_err(|e| e.to_string())?.arg("--version").stderr(file).output();
    let said = std::fs::read_to_string(&stderr).unwrap_or_default();
    match out {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!("rustc --version failed in it ({}): {}", o.status, said.trim())),
        Err(e) => Err(format!("{e} ({})", said.trim())),
    }
}

/// Resource limits of one child process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// CPU seconds (`RLIMIT_CPU`).
    pub cpu_seconds: u64,
    /// Address space, bytes (`RLIMIT_AS`).
    pub memory_bytes: u64,
    /// Processes and threads of the child's uid (`RLIMIT_NPROC`; applied
    /// only under a uid of its own, i.e. when the grader is root).
    pub processes: u64,
    /// Largest file it may write, bytes (`RLIMIT_FSIZE`).
    pub file_bytes: u64,
    /// Open files (`RLIMIT_NOFILE`).
    pub open_files: u64,
}

impl Limits {
    /// A submission's runner.
    pub const RUN: Limits =
        Limits { cpu_seconds: 30, memory_bytes: 1 << 30, processes: 16, file_bytes: 1 << 20, open_files: 32 };
    /// rustc on a submission.
    pub const COMPILE: Limits =
        Limits { cpu_seconds: 120, memory_bytes: 4 << 30, processes: 512, file_bytes: 256 << 20, open_files: 256 };
}

/// Whether the grader runs as root.
pub fn is_root() -> bool {
    #[cfg(unix)]
    // SAFETY: geteuid has no preconditions.
    return unsafe { libc::geteuid() == 0 };
    #[cfg(not(unix))]
    false
}

/// A uid of its own for each child run as root: above the system's and
/// users' ranges, distinct between the grader's concurrent children (and
/// between two graders, by their pids).
pub fn fresh_uid() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 1000;
    200_000 + (std::process::id() % 4000) * 1000 + n
}

/// Where a namespace cell's compiler finds descent's prebuilt core.
pub const LIBRARY_INSIDE: &str = "/descent-library";

/// What a cell holds.
#[derive(Debug, Clone)]
pub enum View {
    /// `rustc` on a submission: the toolchain and the system's libraries,
    /// read-only, and `work` (the kit and the submission, copied there),
    /// writable, as `/work`.
    Compiler {
        /// The compiler's working folder.
        work: PathBuf,
        /// The toolchain (`rustc --print sysroot`).
        sysroot: PathBuf,
        /// descent's prebuilt core, read-only, for a submission that uses
        /// the library ([`crate::library`]): at [`LIBRARY_INSIDE`] in a
        /// namespace cell, at its own path in a weaker one.
        library: Option<PathBuf>,
    },
    /// A run of a compiled runner: the runner alone, read-only, and an
    /// empty tmpfs.
    Runner {
        /// The statically linked runner.
        binary: PathBuf,
    },
}

impl View {
    /// The compiler's view over `work`.
    pub fn compiler(work: &Path) -> View {
        View::Compiler { work: work.to_path_buf(), sysroot: crate::toolchain::sysroot().to_path_buf(), library: None }
    }

    /// The compiler's view over `work`, with descent's prebuilt core in `library`.
    pub fn compiler_with_library(work: &Path, library: &Path) -> View {
        View::Compiler {
            work: work.to_path_buf(),
            sysroot: crate::toolchain::sysroot().to_path_buf(),
            library: Some(library.to_path_buf()),
        }
    }
}

/// One child's cell, ready to start a command in.
#[derive(Debug)]
pub struct Cell {
    #[cfg_attr(not(unix), allow(dead_code))]
    limits: Limits,
    view: View,
    isolation: Isolation,
    /// A uid of its own, when the grader is root.
    uid: Option<u32>,
    /// The cell's own folder: a namespace cell's mount point, a weaker
    /// run's working folder (and chroot), holding a link to the runner.
    scratch: tempfile::TempDir,
}

impl Cell {
    /// A cell of `isolation` (at most what [`isolation`] found) for `view`.
    pub fn new(limits: Limits, view: View, isolation: Isolation) -> io::Result<Cell> {
        let near = match &view {
            View::Compiler { work, .. } => work.parent().map(Path::to_path_buf),
            View::Runner { binary } => binary.parent().map(Path::to_path_buf),
        }
        .unwrap_or_else(std::env::temp_dir);
        let scratch = tempfile::Builder::new().prefix("cell-").tempdir_in(near)?;
        let uid = (isolation >= Isolation::SeparateUid && is_root()).then(fresh_uid);
        if let (View::Runner { binary }, true) = (&view, isolation < Isolation::Namespaces) {
            // A hard link, not a copy: a copy's write descriptor, inherited
            // for a moment by a child forked at the same time by another
            // thread, would make the exec fail with "text file busy".
            let runner = scratch.path().join("runner");
            std::fs::hard_link(binary, &runner).or_else(|_| std::fs::copy(binary, &runner).map(|_| ()))?;
        }
        #[cfg(unix)]
        if let Some(uid) = uid {
            let owned = match &view {
                View::Compiler { work, .. } => work.as_path(),
                View::Runner { .. } => scratch.path(),
            };
            std::os::unix::fs::chown(owned, Some(uid), Some(uid))?;
        }
        Ok(Cell { limits, view, isolation, uid, scratch })
    }

    /// The command that starts the cell's program (`rustc`, or the runner),
    /// confined, with a cleared environment; add its arguments and stdio.
    pub fn command(&self) -> io::Result<Command> {
        let inside_root = self.isolation >= Isolation::SeparateUid;
        let mut cmd = match &self.view {
            View::Compiler { work, .. } => {
                let mut cmd = Command::new(crate::toolchain::rustc());
                cmd.env_clear().env("PATH", "/usr/local/bin:/usr/bin:/bin");
                if self.isolation < Isolation::Namespaces {
                    cmd.current_dir(work);
                }
                cmd
            }
            View::Runner { .. } if inside_root => {
                let mut cmd = Command::new("/runner");
                cmd.env_clear();
                cmd
            }
            View::Runner { .. } => {
                let mut cmd = Command::new(self.scratch.path().join("runner"));
                cmd.env_clear().current_dir(self.scratch.path());
                cmd
            }
        };
        cmd.env("RAYON_NUM_THREADS", "1");
        match self.isolation {
            #[cfg(target_os = "linux")]
            Isolation::Namespaces => {
                linux::apply(linux::Plan::new(&self.view, self.scratch.path(), self.uid, self.limits)?, &mut cmd)
            }
            #[cfg(unix)]
            Isolation::SeparateUid | Isolation::LimitsOnly => {
                let chroot = matches!(self.view, View::Runner { .. }).then(|| self.scratch.path());
                unix::apply(self.limits, self.uid, chroot.filter(|_| self.uid.is_some()), &mut cmd)?
            }
            _ => {}
        }
        Ok(cmd)
    }

    /// The uid whose every process is killed when the child ends (a
    /// separate-uid cell's; a namespace cell dies with its PID 1).
    pub fn stray_uid(&self) -> Option<u32> {
        self.uid.filter(|_| self.isolation == Isolation::SeparateUid)
    }
}

/// Kills the process group `pgid` and, when `uid` is given, every process
/// left under it (one that left the group with `setsid`).
pub fn kill_all(pgid: u32, uid: Option<u32>) {
    #[cfg(target_os = "linux")]
    linux::kill_all(pgid, uid);
    #[cfg(not(target_os = "linux"))]
    let _ = uid;
    #[cfg(all(unix, not(target_os = "linux")))]
    unix::kill_group(pgid);
    #[cfg(not(unix))]
    let _ = pgid;
}
