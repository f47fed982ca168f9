//! The cell a submission's compiler and runner are started in.
//!
//! Always: a new process group (the whole group is killed at the time
//! limit), a cleared environment with single-threaded runtimes
//! (`RAYON_NUM_THREADS=1`), `setrlimit` on CPU time, address space, file
//! size and open files, and the child's own working directory.
//!
//! When the grader runs as root, also: new network and mount namespaces (no
//! network at all, not even 127.0.0.1; the paths in [`Cell::hide`] covered
//! by an empty, unreadable tmpfs), and for a run, `chroot` into the run's
//! directory (which holds only the statically linked runner) and an
//! unprivileged uid of its own, under which the limit on processes holds.
//! The compiler runs as root, because the Rust toolchain lives under root's
//! home, but in the namespaces, with the assignment, the submissions and
//! the output hidden: `include_str!` of the hidden data finds nothing.
//!
//! Not root: the namespaces, the chroot and the other uid are the
//! platform's duty (Gradescope's and PrairieLearn's containers); see README.

//!
//! Where namespaces are out of reach (another Unix, Windows, or Linux
//! without root), the cell is weaker, and [`isolation`] says which:
//! [`Isolation::LimitsOnly`] on a Unix (limits, process group, cleared
//! environment), [`Isolation::TimeoutOnly`] on Windows (the wall-clock limit
//! and a cleared environment). `grade run`, `one` and `regrade` refuse to
//! grade untrusted code in those unless the teacher passes
//! `--allow-weak-isolation`.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(unix)]
mod unix;

use std::io;
use std::path::PathBuf;
use std::process::Command;

/// How strongly this machine's cells confine a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// Only the wall-clock limit and a cleared environment (Windows).
    TimeoutOnly,
    /// Resource limits, a process group and a cleared environment, under the
    /// grader's own user (a Unix without root, or not Linux).
    LimitsOnly,
    /// Linux as root: the limits, plus network and mount namespaces, the
    /// grader's files hidden, a chroot and a uid of its own.
    Namespaces,
}

impl Isolation {
    /// What it means, for the teacher.
    pub fn describe(self) -> &'static str {
        match self {
            Isolation::Namespaces => "namespaces, chroot and a uid of its own, with resource limits (Linux, root)",
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

/// The isolation this machine's cells give.
pub fn isolation() -> Isolation {
    if cfg!(target_os = "linux") && is_root() {
        Isolation::Namespaces
    } else if cfg!(unix) {
        Isolation::LimitsOnly
    } else {
        Isolation::TimeoutOnly
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

/// Whether the grader runs as root (and so can build the full cell).
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

/// How one child is confined.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Its limits.
    pub limits: Limits,
    /// Paths covered by an empty tmpfs in its mount namespace (root only).
    pub hide: Vec<PathBuf>,
    /// The directory it is chrooted into (root only): the child's `/`.
    pub chroot: Option<PathBuf>,
    /// The uid (and gid) it runs under (root only).
    pub uid: Option<u32>,
}

impl Cell {
    /// Confines `cmd` (its environment is cleared; set what it needs after).
    pub fn apply(&self, cmd: &mut Command) -> io::Result<()> {
        cmd.env_clear().env("RAYON_NUM_THREADS", "1");
        #[cfg(target_os = "linux")]
        return linux::apply(self, cmd);
        #[cfg(all(unix, not(target_os = "linux")))]
        return unix::apply(self.limits, cmd);
        #[cfg(not(unix))]
        Ok(())
    }
}

/// Kills the process group `pgid` and, when `uid` is a child's own, every
/// process left under it (one that left the group with `setsid`).
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
