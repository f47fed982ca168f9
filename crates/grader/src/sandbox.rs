//! The cell a submission's compiler and runner are started in (Linux).
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

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
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

fn c_path(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::other("a path with a NUL byte"))
}

fn check(r: libc::c_int) -> io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl Cell {
    /// Confines `cmd` (its environment is cleared; set what it needs after).
    pub fn apply(&self, cmd: &mut Command) -> io::Result<()> {
        cmd.env_clear().env("RAYON_NUM_THREADS", "1").process_group(0);
        let root = is_root();
        let hide: Vec<CString> = if root {
            self.hide
                .iter()
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .filter(|p| p.is_dir())
                .map(|p| c_path(&p))
                .collect::<io::Result<_>>()?
        } else {
            Vec::new()
        };
        let chroot = if root { self.chroot.as_deref().map(c_path).transpose()? } else { None };
        let uid = if root { self.uid } else { None };
        let limits = self.limits;
        let (tmpfs, options, slash) = (c"tmpfs", c"size=4k,mode=000", c"/");
        // SAFETY: the closure runs in the forked child before exec and only
        // calls async-signal-safe libc functions on data prepared above.
        unsafe {
            cmd.pre_exec(move || {
                if root {
                    check(libc::unshare(libc::CLONE_NEWNET | libc::CLONE_NEWNS))?;
                    check(libc::mount(
                        std::ptr::null(),
                        slash.as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ))?;
                    for p in &hide {
                        check(libc::mount(
                            tmpfs.as_ptr(),
                            p.as_ptr(),
                            tmpfs.as_ptr(),
                            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                            options.as_ptr().cast(),
                        ))?;
                    }
                    if let Some(dir) = &chroot {
                        check(libc::chroot(dir.as_ptr()))?;
                        check(libc::chdir(slash.as_ptr()))?;
                    }
                }
                let set = |resource, value: u64| {
                    let r = libc::rlimit { rlim_cur: value, rlim_max: value };
                    check(libc::setrlimit(resource, &r))
                };
                set(libc::RLIMIT_CPU, limits.cpu_seconds)?;
                set(libc::RLIMIT_AS, limits.memory_bytes)?;
                set(libc::RLIMIT_FSIZE, limits.file_bytes)?;
                set(libc::RLIMIT_NOFILE, limits.open_files)?;
                if let Some(uid) = uid {
                    set(libc::RLIMIT_NPROC, limits.processes)?;
                    check(libc::setgroups(0, std::ptr::null()))?;
                    check(libc::setgid(uid))?;
                    check(libc::setuid(uid))?;
                }
                Ok(())
            });
        }
        Ok(())
    }
}

/// Kills the process group `pgid` and, when `uid` is a child's own, every
/// process left under it (one that left the group with `setsid`).
pub fn kill_all(pgid: u32, uid: Option<u32>) {
    // SAFETY: kill has no memory preconditions; a negative pid names a group.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
    let Some(uid) = uid else { return };
    // Until none is left: a process may fork while we look.
    for _ in 0..20 {
        let mut found = false;
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<libc::pid_t>().ok()) else { continue };
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            let owner = status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|l| l.split_whitespace().next());
            if owner == Some(uid.to_string().as_str()) {
                found = true;
                // SAFETY: as above.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
        if !found {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
