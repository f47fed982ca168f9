//! The Linux namespace cell.
//!
//! Between `fork` and `exec` ([`CommandExt::pre_exec`]):
//! 1. `D` unshares user, mount, PID, IPC, UTS, network and cgroup
//!    namespaces. As root, `D` is a child of `C` (the spawned process),
//!    which stays in the machine's namespaces, writes `D`'s uid and gid maps
//!    (inside 0 as outside 0, so that the view can be built from root's
//!    folders such as a toolchain under `/root`; inside 1000 as the cell's
//!    own uid) and waits. Not root, `C` is `D` and maps only itself, as
//!    1000. No capability of the machine's namespaces is needed: it also
//!    works where `CAP_SYS_ADMIN` is dropped.
//! 2. `D` forks `G`, PID 1 of the new PID namespace, and waits.
//! 3. `G` builds a root of its own on an empty tmpfs: the read-only binds of
//!    the view (the toolchain and system libraries for the compiler, the
//!    runner alone for a run), `/tmp` a tmpfs, `/proc` a fresh one of its
//!    PID namespace where the kernel allows it; `pivot_root` and the old
//!    root dropped, so nothing else of the machine is in its view at all. It
//!    takes the cell's uid (no capability is left), sets the limits and
//!    `PR_SET_NO_NEW_PRIVS`, marks every descriptor above 2 close-on-exec
//!    (`close_range`), and forks `H`, which execs the program.
//! 4. `G` reaps the namespace's processes until `H` ends and hands `H`'s
//!    wait status to `D` (PID 1 cannot end by a signal it raises on itself);
//!    `G` ending kills every process left in the namespace; `D` and `C` end
//!    as `H` ended. Killing `C`'s process group at the time limit kills
//!    `C`, `D` and `G`, and with `G` the whole namespace.
//!
//! Everything the closures use is prepared before the fork: between fork
//! and exec only system calls run, never the allocator.

use super::unix::{set_limit, set_limits};
use super::{Limits, View};

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The uid (and gid) a cell's processes have inside their user namespace.
const INSIDE_ID: u32 = 1000;
/// The most paths a view is built from.
const MAX_SOURCES: usize = 16;

fn c(p: impl AsRef<[u8]>) -> io::Result<CString> {
    CString::new(p.as_ref()).map_err(|_| io::Error::other("a path with a NUL byte"))
}

fn c_path(p: &Path) -> io::Result<CString> {
    c(p.as_os_str().as_bytes())
}

/// A path inside the new root, relative to it (`usr`, `root/.rustup`).
fn inside(p: &Path) -> io::Result<CString> {
    c(p.strip_prefix("/").unwrap_or(p).as_os_str().as_bytes())
}

/// One step of building the new root (paths relative to it).
enum Step {
    Dir(CString),
    File(CString),
    Symlink {
        target: CString,
        at: CString,
    },
    /// A read-only (unless `writable`) recursive bind of source `source`.
    Bind {
        source: usize,
        at: CString,
        writable: bool,
    },
    Tmpfs {
        at: CString,
        size: CString,
    },
    /// A fresh `/proc` of the cell's PID namespace, skipped where the kernel
    /// refuses it (a container whose `/proc` is partly masked).
    Proc(CString),
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::Dir(_) => "mkdir",
            Step::File(_) => "create a mount point",
            Step::Symlink { .. } => "symlink",
            Step::Bind { .. } => "bind",
            Step::Tmpfs { .. } => "tmpfs",
            Step::Proc(_) => "proc",
        }
    }
}

/// Everything the child needs, prepared before the fork.
pub(super) struct Plan {
    /// Paths opened `O_PATH` first; source 0 is where the new root is
    /// attached before `pivot_root`.
    sources: Vec<CString>,
    steps: Vec<Step>,
    uid: Option<u32>,
    uid_map: CString,
    gid_map: CString,
    /// Room for `/proc/PID/uid_map`, written once `D`'s pid is known.
    proc_path: Vec<u8>,
    chdir: CString,
    limits: Limits,
}

/// Adds the steps that make `p` (absolute) exist as a directory in the new
/// root, parents first, skipping those already made.
fn dirs(steps: &mut Vec<Step>, made: &mut Vec<PathBuf>, p: &Path) -> io::Result<()> {
    let mut so_far = PathBuf::from("/");
    for part in p.strip_prefix("/").unwrap_or(p).components() {
        so_far.push(part);
        if !made.contains(&so_far) {
            steps.push(Step::Dir(inside(&so_far)?));
            made.push(so_far.clone());
        }
    }
    Ok(())
}

impl Plan {
    /// The plan of a cell with `view`, its mount point `mount_point` (an
    /// empty directory), under `uid` outside when the grader is root.
    pub(super) fn new(view: &View, mount_point: &Path, uid: Option<u32>, limits: Limits) -> io::Result<Plan> {
        let mut sources = vec![c_path(mount_point)?];
        let mut steps = Vec::new();
        let mut made = Vec::new();
        let bind = |sources: &mut Vec<CString>, steps: &mut Vec<Step>, from: &Path, at: &Path, writable| {
            sources.push(c_path(from)?);
            steps.push(Step::Bind { source: sources.len() - 1, at: inside(at)?, writable });
            io::Result::Ok(())
        };
        let chdir = match view {
            View::Compiler { work, sysroot, library } => {
                // The system's programs and libraries: the linker, the C
                // library, the dynamic loader (symlinks kept as symlinks).
                for top in ["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"] {
                    let from = Path::new("/").join(top);
                    match std::fs::symlink_metadata(&from) {
                        Ok(m) if m.file_type().is_symlink() => {
                            let target = std::fs::read_link(&from)?;
                            steps.push(Step::Symlink { target: c_path(&target)?, at: c(top)? });
                        }
                        Ok(m) if m.is_dir() => {
                            dirs(&mut steps, &mut made, &from)?;
                            bind(&mut sources, &mut steps, &from, &from, false)?;
                        }
                        _ => {}
                    }
                }
                // The toolchain at its own path, unless /usr holds it.
                if !sysroot.starts_with("/usr") {
                    dirs(&mut steps, &mut made, sysroot)?;
                    bind(&mut sources, &mut steps, sysroot, sysroot, false)?;
                }
                // descent's prebuilt core, at a path of its own (its real
                // one may lie under /work).
                if let Some(library) = library {
                    dirs(&mut steps, &mut made, Path::new(super::LIBRARY_INSIDE))?;
                    bind(&mut sources, &mut steps, library, Path::new(super::LIBRARY_INSIDE), false)?;
                }
                // The dynamic loader's cache, and the alternatives that
                // /usr/bin/cc and ld are symlinks through (Debian).
                dirs(&mut steps, &mut made, Path::new("/etc"))?;
                let cache = Path::new("/etc/ld.so.cache");
                if cache.is_file() {
                    steps.push(Step::File(inside(cache)?));
                    bind(&mut sources, &mut steps, cache, cache, false)?;
                }
                let alternatives = Path::new("/etc/alternatives");
                if alternatives.is_dir() {
                    dirs(&mut steps, &mut made, alternatives)?;
                    bind(&mut sources, &mut steps, alternatives, alternatives, false)?;
                }
                dirs(&mut steps, &mut made, Path::new("/dev"))?;
                steps.push(Step::File(c("dev/null")?));
                bind(&mut sources, &mut steps, Path::new("/dev/null"), Path::new("/dev/null"), true)?;
                dirs(&mut steps, &mut made, Path::new("/proc"))?;
                steps.push(Step::Proc(c("proc")?));
                dirs(&mut steps, &mut made, Path::new("/work"))?;
                bind(&mut sources, &mut steps, work, Path::new("/work"), true)?;
                c("/work")?
            }
            View::Runner { binary } => {
                steps.push(Step::File(c("runner")?));
                bind(&mut sources, &mut steps, binary, Path::new("/runner"), false)?;
                c("/tmp")?
            }
        };
        dirs(&mut steps, &mut made, Path::new("/tmp"))?;
        let tmp_size = if matches!(view, View::Compiler { .. }) { "512m" } else { "16m" };
        steps.push(Step::Tmpfs { at: c("tmp")?, size: c(tmp_size)? });
        if sources.len() > MAX_SOURCES {
            return Err(io::Error::other("a cell built from too many paths"));
        }
        // As root, C maps root too (so that the view can be built from
        // root's folders); not root, D maps only itself.
        let (uid_map, gid_map) = match uid {
            Some(u) => (format!("0 0 1\n{INSIDE_ID} {u} 1\n"), format!("0 0 1\n{INSIDE_ID} {u} 1\n")),
            None => {
                // SAFETY: geteuid and getegid have no preconditions.
                let (u, g) = unsafe { (libc::geteuid(), libc::getegid()) };
                (format!("{INSIDE_ID} {u} 1\n"), format!("{INSIDE_ID} {g} 1\n"))
            }
        };
        let mut proc_path = b"/proc/".to_vec();
        proc_path.resize(64, 0);
        Ok(Plan { sources, steps, uid, uid_map: c(uid_map)?, gid_map: c(gid_map)?, proc_path, chdir, limits })
    }
}

/// Confines `cmd` in a cell built by `plan` (the environment is the caller's
/// to clear).
pub(super) fn apply(plan: Plan, cmd: &mut Command) {
    cmd.process_group(0);
    let mut fds = [-1 as libc::c_int; MAX_SOURCES];
    let mut plan = plan;
    // SAFETY: the closure runs in the forked child before exec and calls
    // only system calls on data prepared above (no allocation, no lock).
    unsafe {
        cmd.pre_exec(move || outer(&mut plan, &mut fds));
    }
}

/// Writes `what` to fd 2 (the child's stderr): which step failed.
fn say(what: &[u8]) {
    // SAFETY: write reads `what`, a valid slice.
    unsafe {
        libc::write(2, what.as_ptr().cast(), what.len());
    }
}

/// `Ok` for a system call's non-negative result, else the OS error after
/// saying which step failed.
fn step(r: libc::c_long, what: &str) -> io::Result<libc::c_long> {
    if r >= 0 {
        Ok(r)
    } else {
        let e = io::Error::last_os_error();
        say(b"descent's cell could not be built: ");
        say(what.as_bytes());
        say(b"\n");
        Err(e)
    }
}

fn write_file(path: &std::ffi::CStr, text: &std::ffi::CStr, what: &str) -> io::Result<()> {
    // SAFETY: open, write and close on a valid C string and slice.
    unsafe {
        let fd = step(libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC).into(), what)? as libc::c_int;
        let bytes = text.to_bytes();
        let r = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        libc::close(fd);
        step(r as libc::c_long, what)?;
    }
    Ok(())
}

/// Waits for `pid` and ends as it ended (never returns).
///
/// # Safety
/// Between fork and exec: system calls only.
unsafe fn end_as(pid: libc::pid_t) -> ! {
    let mut status = 0;
    while libc::waitpid(pid, &mut status, 0) < 0 {}
    mirror(status)
}

/// Ends as a process with wait status `status` ended (never returns).
///
/// # Safety
/// Between fork and exec: system calls only.
unsafe fn mirror(status: libc::c_int) -> ! {
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        let none = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        libc::setrlimit(libc::RLIMIT_CORE, &none);
        libc::signal(signal, libc::SIG_DFL);
        libc::kill(libc::getpid(), signal);
        libc::_exit(128 + signal);
    }
    libc::_exit(libc::WEXITSTATUS(status))
}

/// `C`, in the machine's namespaces. As root, it forks `D`, which unshares
/// the namespaces, and writes `D`'s uid and gid maps (outside root as
/// inside root, to reach a toolchain under `/root` while the view is built;
/// the cell's uid as 1000), then only waits. Not root, `C` is `D` and maps
/// only itself, as 1000.
fn outer(plan: &mut Plan, fds: &mut [libc::c_int; MAX_SOURCES]) -> io::Result<()> {
    // SAFETY: system calls on C strings and buffers prepared before the fork.
    unsafe {
        // A cell ends with the grader (C, D and G each die with their
        // parent; a changed uid clears this, so it is set again after).
        die_with_parent()?;
        if plan.uid.is_none() {
            unshare()?;
            write_file(c"/proc/self/setgroups", c"deny", "/proc/self/setgroups")?;
            write_file(c"/proc/self/uid_map", &plan.uid_map, "uid_map")?;
            write_file(c"/proc/self/gid_map", &plan.gid_map, "gid_map")?;
            return middle(plan, fds);
        }
        let (mut ready, mut go) = ([-1; 2], [-1; 2]);
        step(libc::pipe2(ready.as_mut_ptr(), libc::O_CLOEXEC).into(), "pipe")?;
        step(libc::pipe2(go.as_mut_ptr(), libc::O_CLOEXEC).into(), "pipe")?;
        let d = step(libc::fork().into(), "fork")? as libc::pid_t;
        let mut byte = 0u8;
        if d == 0 {
            libc::close(ready[0]);
            libc::close(go[1]);
            unshare()?;
            libc::write(ready[1], (&byte as *const u8).cast(), 1);
            if libc::read(go[0], (&mut byte as *mut u8).cast(), 1) != 1 {
                libc::_exit(1);
            }
            libc::close(ready[1]);
            libc::close(go[0]);
            return middle(plan, fds);
        }
        libc::close(ready[1]);
        libc::close(go[0]);
        if libc::read(ready[0], (&mut byte as *mut u8).cast(), 1) == 1 {
            // /proc/D/uid_map, written into the buffer prepared for it.
            let path = plan.proc_path.as_mut_slice();
            let mut digits = [0u8; 12];
            let mut n = d as u32;
            let mut len = 0;
            loop {
                digits[len] = b'0' + (n % 10) as u8;
                len += 1;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            let mut at = b"/proc/".len();
            for i in (0..len).rev() {
                path[at] = digits[i];
                at += 1;
            }
            for (name, map) in [(&b"/uid_map\0"[..], &plan.uid_map), (&b"/gid_map\0"[..], &plan.gid_map)] {
                path[at..at + name.len()].copy_from_slice(name);
                let file = std::ffi::CStr::from_bytes_until_nul(path).map_err(|_| io::Error::other("a map path"))?;
                write_file(file, map, "the cell's uid and gid maps")?;
            }
            libc::write(go[1], (&byte as *const u8).cast(), 1);
        }
        // C keeps nothing of the grader's open (the pipes, the exec-error
        // pipe), then ends as D ends.
        libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32);
        end_as(d)
    }
}

/// Unshares every namespace but the time's.
///
/// # Safety
/// Between fork and exec: system calls only.
unsafe fn unshare() -> io::Result<()> {
    let all = libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWNET
        | libc::CLONE_NEWCGROUP;
    step(libc::unshare(all).into(), "unshare (user namespaces may be disabled)")?;
    Ok(())
}

/// Has the kernel kill this process when its parent ends.
fn die_with_parent() -> io::Result<()> {
    // SAFETY: prctl with integer arguments.
    step(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) }.into(), "PR_SET_PDEATHSIG")?;
    Ok(())
}

/// Closes every descriptor but `keep`.
///
/// # Safety
/// Between fork and exec: system calls only.
unsafe fn close_all_but(keep: libc::c_int) {
    if keep > 0 {
        libc::syscall(libc::SYS_close_range, 0u32, (keep - 1) as u32, 0u32);
    }
    libc::syscall(libc::SYS_close_range, (keep + 1) as u32, u32::MAX, 0u32);
}

/// `D`, in the new namespaces but outside the new PID namespace: forks `G`,
/// its PID 1, then ends as the program ended (its wait status comes from
/// `G` through a pipe: PID 1 cannot end by a signal it raises on itself).
fn middle(plan: &mut Plan, fds: &mut [libc::c_int; MAX_SOURCES]) -> io::Result<()> {
    // SAFETY: as in `outer`.
    unsafe {
        die_with_parent()?;
        let mut status_pipe = [-1; 2];
        step(libc::pipe2(status_pipe.as_mut_ptr(), libc::O_CLOEXEC).into(), "pipe")?;
        let g = step(libc::fork().into(), "fork")? as libc::pid_t;
        if g == 0 {
            libc::close(status_pipe[0]);
            return inner(plan, fds, status_pipe[1]);
        }
        close_all_but(status_pipe[0]);
        let mut status: libc::c_int = 0;
        let got = libc::read(status_pipe[0], (&mut status as *mut libc::c_int).cast(), 4);
        let mut g_status = 0;
        while libc::waitpid(g, &mut g_status, 0) < 0 {}
        mirror(if got == 4 { status } else { g_status })
    }
}

/// `G`, PID 1, once the cell is built: forks the program's process `H`
/// (which returns to exec), reaps every process of the namespace until `H`
/// ends, hands `H`'s wait status to `D` and ends, and with it every
/// process left in the namespace.
///
/// # Safety
/// Between fork and exec: system calls only.
unsafe fn init(status_fd: libc::c_int) -> io::Result<()> {
    let h = step(libc::fork().into(), "fork")? as libc::pid_t;
    if h == 0 {
        return Ok(());
    }
    close_all_but(status_fd);
    let mut status = 0;
    loop {
        let pid = libc::waitpid(-1, &mut status, 0);
        if pid == h {
            break;
        }
        if pid < 0 && *libc::__errno_location() == libc::ECHILD {
            libc::_exit(1);
        }
    }
    libc::write(status_fd, (&status as *const libc::c_int).cast(), 4);
    libc::_exit(0)
}

const OPEN_TREE_CLONE: libc::c_uint = 1;
const AT_RECURSIVE: libc::c_uint = 0x8000;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
const MOVE_MOUNT_T_EMPTY_PATH: libc::c_uint = 0x40;
const FSCONFIG_SET_STRING: libc::c_uint = 1;
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
const MOUNT_ATTR_RDONLY: u64 = 1;
const MOUNT_ATTR_NOSUID: u64 = 2;
const MOUNT_ATTR_NODEV: u64 = 4;
const MOUNT_ATTR_NOEXEC: u64 = 8;
const CLOSE_RANGE_CLOEXEC: libc::c_uint = 4;

/// `struct mount_attr` of `mount_setattr(2)`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// A new filesystem of type `fstype` with `options`, as a detached mount.
///
/// # Safety
/// Between fork and exec: system calls only.
unsafe fn new_fs(fstype: &std::ffi::CStr, options: &[(&std::ffi::CStr, &std::ffi::CStr)], attrs: u64) -> libc::c_long {
    let fs = libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), 1u32);
    if fs < 0 {
        return fs;
    }
    for (key, value) in options {
        if libc::syscall(libc::SYS_fsconfig, fs, FSCONFIG_SET_STRING, key.as_ptr(), value.as_ptr(), 0) < 0 {
            libc::close(fs as libc::c_int);
            return -1;
        }
    }
    let r =
        libc::syscall(libc::SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, std::ptr::null::<u8>(), std::ptr::null::<u8>(), 0);
    let m = if r < 0 { r } else { libc::syscall(libc::SYS_fsmount, fs, 1u32, attrs) };
    libc::close(fs as libc::c_int);
    m
}

/// Attaches the detached mount `m` (or passes its error on) at `at` below
/// `root`, and closes it.
///
/// # Safety
/// Between fork and exec: system calls only.
unsafe fn attach(m: libc::c_long, root: libc::c_int, at: &std::ffi::CStr) -> libc::c_long {
    if m < 0 {
        return m;
    }
    let r = libc::syscall(libc::SYS_move_mount, m, c"".as_ptr(), root, at.as_ptr(), MOVE_MOUNT_F_EMPTY_PATH);
    libc::close(m as libc::c_int);
    r
}

/// `G`: PID 1 of the new namespaces; builds the root, then becomes the
/// namespace's init ([`init`]).
fn inner(plan: &mut Plan, fds: &mut [libc::c_int; MAX_SOURCES], status_fd: libc::c_int) -> io::Result<()> {
    // SAFETY: system calls on C strings and descriptors prepared before.
    unsafe {
        die_with_parent()?;
        // The view's paths, looked up in the new mount namespace (a bind's
        // source must be of it).
        for (fd, path) in fds.iter_mut().zip(&plan.sources) {
            *fd = step(libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC).into(), "open a path of its view")?
                as libc::c_int;
        }
        step(
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            )
            .into(),
            "make mounts private",
        )?;
        let root = step(
            new_fs(c"tmpfs", &[(c"size", c"1m"), (c"mode", c"0755")], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV),
            "the root's tmpfs",
        )? as libc::c_int;
        step(
            libc::syscall(
                libc::SYS_move_mount,
                root,
                c"".as_ptr(),
                fds[0],
                c"".as_ptr(),
                MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
            ),
            "attach the root",
        )?;
        for s in &plan.steps {
            let r = match s {
                Step::Dir(p) => libc::mkdirat(root, p.as_ptr(), 0o755).into(),
                Step::File(p) => {
                    let fd = libc::openat(root, p.as_ptr(), libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC, 0o644);
                    if fd >= 0 {
                        libc::close(fd);
                    }
                    fd.into()
                }
                Step::Symlink { target, at } => libc::symlinkat(target.as_ptr(), root, at.as_ptr()).into(),
                Step::Bind { source, at, writable } => {
                    let flags = OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint | libc::AT_EMPTY_PATH as libc::c_uint;
                    let tree = libc::syscall(libc::SYS_open_tree, fds[*source], c"".as_ptr(), flags | AT_RECURSIVE);
                    let mut r = tree;
                    if r >= 0 && !writable {
                        let attr = MountAttr {
                            attr_set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID,
                            attr_clr: 0,
                            propagation: 0,
                            userns_fd: 0,
                        };
                        r = libc::syscall(
                            libc::SYS_mount_setattr,
                            tree,
                            c"".as_ptr(),
                            libc::AT_EMPTY_PATH as libc::c_uint | AT_RECURSIVE,
                            &attr as *const MountAttr,
                            std::mem::size_of::<MountAttr>(),
                        );
                    }
                    if r >= 0 {
                        r = libc::syscall(
                            libc::SYS_move_mount,
                            tree,
                            c"".as_ptr(),
                            root,
                            at.as_ptr(),
                            MOVE_MOUNT_F_EMPTY_PATH,
                        );
                    }
                    if tree >= 0 {
                        libc::close(tree as libc::c_int);
                    }
                    r
                }
                Step::Tmpfs { at, size } => attach(
                    new_fs(c"tmpfs", &[(c"size", size), (c"mode", c"1777")], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV),
                    root,
                    at,
                ),
                Step::Proc(at) => {
                    // Without /proc when the kernel refuses a new one.
                    attach(new_fs(c"proc", &[], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC), root, at);
                    0
                }
            };
            step(r, s.name())?;
        }
        for &fd in fds.iter().filter(|&&fd| fd >= 0) {
            libc::close(fd);
        }
        step(libc::fchdir(root).into(), "enter the new root")?;
        step(libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()), "pivot_root")?;
        step(libc::umount2(c".".as_ptr(), libc::MNT_DETACH).into(), "drop the old root")?;
        step(libc::chdir(c"/".as_ptr()).into(), "chdir /")?;
        let attr = MountAttr { attr_set: MOUNT_ATTR_RDONLY, attr_clr: 0, propagation: 0, userns_fd: 0 };
        step(
            libc::syscall(
                libc::SYS_mount_setattr,
                root,
                c"".as_ptr(),
                libc::AT_EMPTY_PATH as libc::c_uint,
                &attr as *const MountAttr,
                std::mem::size_of::<MountAttr>(),
            ),
            "make the root read-only",
        )?;
        libc::close(root);
        let host = b"cell";
        step(libc::sethostname(host.as_ptr().cast(), host.len()).into(), "sethostname")?;
        step(libc::chdir(plan.chdir.as_ptr()).into(), "chdir")?;
        if plan.uid.is_some() {
            // From inside root (outside root) to the cell's uid: no
            // capability is left.
            step(libc::setgroups(0, std::ptr::null()).into(), "setgroups")?;
            step(libc::setresgid(INSIDE_ID, INSIDE_ID, INSIDE_ID).into(), "setresgid")?;
            step(libc::setresuid(INSIDE_ID, INSIDE_ID, INSIDE_ID).into(), "setresuid")?;
            die_with_parent()?;
        }
        set_limits(plan.limits)?;
        set_limit(libc::RLIMIT_NPROC, plan.limits.processes)?;
        set_limit(libc::RLIMIT_CORE, 0)?;
        step(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0).into(), "PR_SET_NO_NEW_PRIVS")?;
        step(libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, CLOSE_RANGE_CLOEXEC), "close_range")?;
        init(status_fd)
    }
}

/// Kills the process group `pgid` (a namespace cell's `C` and `G`: with
/// `G`, PID 1 of its namespace, every process of the cell dies) and, when
/// `uid` is a child's own, every process left under it (one that left the
/// group with `setsid` in a cell without a PID namespace).
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
                // SAFETY: kill has no memory preconditions.
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
