//! What every Unix cell does (resource limits set in the child before it
//! runs the submission, a process group of its own, no inherited
//! descriptor, and killing it), and the cell of a separate uid.

use super::Limits;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
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

/// The weaker cells: a process group of its own, the limits, descriptors
/// above 2 closed at exec, and, when `uid` is given (the grader is root),
/// a chroot into `chroot` (a run's directory, holding only the runner) and
/// that uid, under which the limit on processes holds.
pub(super) fn apply(limits: Limits, uid: Option<u32>, chroot: Option<&Path>, cmd: &mut Command) -> io::Result<()> {
    cmd.process_group(0);
    let chroot = chroot.map(|p| CString::new(p.as_os_str().as_bytes())).transpose().map_err(io::Error::other)?;
    // SAFETY: the closure runs in the forked child before exec and only
    // calls async-signal-safe system calls on data prepared above.
    unsafe {
        cmd.pre_exec(move || {
            set_limits(limits)?;
            set_limit(libc::RLIMIT_CORE, 0)?;
            if let Some(uid) = uid {
                if let Some(dir) = &chroot {
                    check(libc::chroot(dir.as_ptr()))?;
                    check(libc::chdir(c"/".as_ptr()))?;
                }
                set_limit(libc::RLIMIT_NPROC, limits.processes)?;
                check(libc::setgroups(0, std::ptr::null()))?;
                check(libc::setgid(uid))?;
                check(libc::setuid(uid))?;
            }
            #[cfg(target_os = "linux")]
            check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            close_from_3();
            Ok(())
        });
    }
    Ok(())
}

/// Marks every descriptor above 2 close-on-exec (async-signal-safe; the
/// exec-error pipe of `std::process` stays usable until the exec).
fn close_from_3() {
    #[cfg(target_os = "linux")]
    // SAFETY: close_range has no memory preconditions.
    unsafe {
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 4u32);
    }
    #[cfg(not(target_os = "linux"))]
    for fd in 3..1024 {
        // SAFETY: fcntl on any number is harmless; a closed one fails.
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
}

/// Kills the process group `pgid`.
pub(super) fn kill_group(pgid: u32) {
    // SAFETY: kill has no memory preconditions; a negative pid names a group.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}
