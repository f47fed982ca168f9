//! The Linux cell: as root, new network and mount namespaces, the hidden
//! paths covered, a chroot and a uid of its own, on top of the limits every
//! Unix cell sets.

use super::unix::{check, set_limit, set_limits};
use super::{is_root, Cell};

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

fn c_path(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::other("a path with a NUL byte"))
}

/// Confines `cmd` in `cell` (its environment is cleared; set what it needs after).
pub(super) fn apply(cell: &Cell, cmd: &mut Command) -> io::Result<()> {
    {
        cmd.process_group(0);
        let root = is_root();
        let hide: Vec<CString> = if root {
            cell.hide
                .iter()
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .filter(|p| p.is_dir())
                .map(|p| c_path(&p))
                .collect::<io::Result<_>>()?
        } else {
            Vec::new()
        };
        let chroot = if root { cell.chroot.as_deref().map(c_path).transpose()? } else { None };
        let uid = if root { cell.uid } else { None };
        let limits = cell.limits;
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
                set_limits(limits)?;
                if let Some(uid) = uid {
                    set_limit(libc::RLIMIT_NPROC, limits.processes)?;
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
pub(super) fn kill_all(pgid: u32, uid: Option<u32>) {
    super::unix::kill_group(pgid);
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
