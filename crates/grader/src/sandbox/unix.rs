//! What every Unix cell does: resource limits set in the child before it
//! runs the submission, a process group of its own, and killing it.

use super::Limits;
use std::io;
#[cfg(not(target_os = "linux"))]
use std::os::unix::process::CommandExt;
#[cfg(not(target_os = "linux"))]
use std::process::Command;

/// `Ok` for a libc call that returned 0, else the OS error.
pub(super) fn check(r: libc::c_int) -> io::Result<()> {
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets one limit, soft and hard (async-signal-safe: called between fork
/// and exec).
pub(super) fn set_limit(resource: LimitResource, value: u64) -> io::Result<()> {
    let r = libc::rlimit { rlim_cur: value as libc::rlim_t, rlim_max: value as libc::rlim_t };
    // SAFETY: setrlimit reads `r`, a valid rlimit on the stack.
    check(unsafe { libc::setrlimit(resource, &r) })
}

/// `setrlimit`'s resource argument, whose type differs between libcs.
#[cfg(target_os = "linux")]
pub(super) type LimitResource = libc::__rlimit_resource_t;
#[cfg(not(target_os = "linux"))]
pub(super) type LimitResource = libc::c_int;

/// CPU time, address space, file size and open files (async-signal-safe).
pub(super) fn set_limits(limits: Limits) -> io::Result<()> {
    set_limit(libc::RLIMIT_CPU, limits.cpu_seconds)?;
    set_limit(libc::RLIMIT_AS, limits.memory_bytes)?;
    set_limit(libc::RLIMIT_FSIZE, limits.file_bytes)?;
    set_limit(libc::RLIMIT_NOFILE, limits.open_files)
}

/// The limits-only cell of a Unix other than Linux: a process group of
/// its own and the limits.
#[cfg(not(target_os = "linux"))]
pub(super) fn apply(limits: Limits, cmd: &mut Command) -> io::Result<()> {
    cmd.process_group(0);
    // SAFETY: the closure runs in the forked child before exec and only
    // calls setrlimit, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(move || set_limits(limits));
    }
    Ok(())
}

/// Kills the process group `pgid`.
pub(super) fn kill_group(pgid: u32) {
    // SAFETY: kill has no memory preconditions; a negative pid names a group.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}
