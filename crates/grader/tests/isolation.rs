//! The cell's walls, each tested with the others removed: the source gate
//! switched off, so that only the cell stands, and each test run once more
//! in a weaker cell (`DESCENT_GRADE_ISOLATION=limits_only`, in a child
//! process of this test binary) where the same submission must succeed:
//! the proof that the attack works, and so that the cell is what stops it.

use descent_grader::child::{run, Job};
use descent_grader::compile::{compile_gated, Built, Gate};
use descent_grader::intake::{submissions, take};
use descent_grader::model::{Kind, Loaded, TestCase};
use descent_grader::sandbox::{is_root, isolation, Isolation, WEAKEN_VAR};
use descent_grader::Case;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What every leaked secret holds.
const CANARY: &str = "canary_5e1f0c9a";

/// Set in the child that runs a test again in the weaker cell.
const CONTROL: &str = "DESCENT_TEST_WEAK_CONTROL";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn adam_case(i: usize) -> Case {
    let loaded = Loaded::read(&root().join("assignments/adam")).unwrap();
    match &loaded.cases[i] {
        TestCase::Optimizer(c) => (**c).clone(),
        TestCase::Op(_) | TestCase::Training(_) => panic!("the Adam assignment has optimizer cases"),
    }
}

/// The cell these tests expect: namespaces, or in the control child the
/// limits-only cell.
fn in_control() -> bool {
    std::env::var(CONTROL).is_ok()
}

/// Runs `test` (this binary's test of that name) again in a child with the
/// weaker cell; returns its output.
fn control(test: &str) -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--include-ignored", "--test-threads", "1"])
        .env(WEAKEN_VAR, "limits_only")
        .env(CONTROL, "1")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the control run failed:\n{text}");
    text
}

/// Whether namespaces are available here (else the tests say so and stop).
fn namespaces() -> bool {
    if isolation() < Isolation::Namespaces && !in_control() {
        eprintln!("skipped: no namespace cell on this machine ({:?})", isolation());
        return false;
    }
    true
}

/// A submission whose `build` panics with `expr` (a `&str`), after `items`.
fn leaking(items: &str, expr: &str) -> String {
    format!(
        "use crate::student_api::{{Hyper, StudentOptimizer}};\n{items}\npub struct Nothing;\n\
         impl StudentOptimizer for Nothing {{ fn step(&mut self, _: &mut [f64], _: &[f64]) {{}} }}\n\
         pub fn build(_: &Hyper) -> Box<dyn StudentOptimizer> {{ panic!(\"LEAK<{{}}>\", {expr}) }}\n"
    )
}

/// Compiles `source` with the gate off and runs it once: what a student
/// would see of it (rustc's message, or the run's panic and stderr).
fn seen(source: &str, work: &Path) -> String {
    match compile_gated(source, Kind::Optimizer, work, Duration::from_secs(120), Gate::Off).unwrap() {
        Built::Rejected(e) => format!("rejected: {}", e.message),
        Built::Binary(bin) => {
            let case = adam_case(0);
            let out = run(&bin, &[Job::forced(&case)], Duration::from_secs(20)).unwrap();
            format!("ran: {:?} {}", out.trajectories[0].stopped, out.stderr)
        }
    }
}

/// The ways a submission reads a file at compile time, by name.
fn reads(secret: &Path, from_work: &str) -> Vec<(&'static str, String)> {
    let s = secret.display();
    let rel = from_work;
    vec![
        ("include_str! by absolute path", leaking(&format!("const S: &str = include_str!(\"{s}\");"), "S")),
        (
            "include_bytes! by absolute path",
            leaking(&format!("const S: &[u8] = include_bytes!(\"{s}\");"), "String::from_utf8_lossy(S)"),
        ),
        ("include_str! by a relative path", leaking(&format!("const S: &str = include_str!(\"{rel}\");"), "S")),
        (
            "include_str! through /proc/1/root",
            leaking(&format!("const S: &str = include_str!(\"/proc/1/root{s}\");"), "S"),
        ),
        (
            "include_str! through /proc/self/cwd",
            leaking(&format!("const S: &str = include_str!(\"/proc/self/cwd/{rel}\");"), "S"),
        ),
        (
            "#[path] to the file (rustc quotes what it cannot parse)",
            leaking(&format!("#[path = \"{s}\"]\nmod leak;"), "\"\""),
        ),
        (
            "global_asm! .incbin",
            leaking(
                &format!(
                    "std::arch::global_asm!(\".pushsection .rodata\\n.globl descent_leak\\ndescent_leak:\\n\
                     .incbin \\\"{s}\\\"\\n.byte 0\\n.popsection\");\n\
                     extern \"C\" {{ static descent_leak: [u8; 15]; }}"
                ),
                "String::from_utf8_lossy(unsafe { &*std::ptr::addr_of!(descent_leak) })",
            ),
        ),
    ]
}

/// A folder with a secret beside the compiler's work, and, as root, a
/// root-only one (mode 600 in a 700 folder).
fn secrets(dir: &Path) -> Vec<(PathBuf, String)> {
    let beside = dir.join("hidden");
    std::fs::create_dir_all(&beside).unwrap();
    std::fs::write(beside.join("reference.json"), CANARY).unwrap();
    // Relative to the compiler's sources, DIR/grading/K-I/src.
    let mut all = vec![(beside.join("reference.json"), "../../../hidden/reference.json".to_string())];
    #[cfg(unix)]
    if is_root() {
        use std::os::unix::fs::PermissionsExt;
        let private = dir.join("private");
        std::fs::create_dir_all(&private).unwrap();
        std::fs::write(private.join("canary"), CANARY).unwrap();
        std::fs::set_permissions(private.join("canary"), std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        all.push((private.join("canary"), "../../../private/canary".to_string()));
    }
    all
}

/// Every way, every secret: `(way, secret, what the student saw)`.
fn attempts() -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let mut seen_all = Vec::new();
    for (k, (secret, rel)) in secrets(dir.path()).into_iter().enumerate() {
        for (i, (way, source)) in reads(&secret, &rel).into_iter().enumerate() {
            let work = dir.path().join("grading").join(format!("{k}-{i}"));
            seen_all.push((way.to_string(), secret.display().to_string(), seen(&source, &work)));
        }
    }
    seen_all
}

#[test]
fn with_the_gate_off_the_compiler_reads_nothing_beyond_the_kit() {
    if !namespaces() {
        return;
    }
    let all = attempts();
    if in_control() {
        for (way, secret, saw) in &all {
            println!("CONTROL {} {way} {secret}", saw.contains(CANARY));
        }
        return;
    }
    for (way, secret, saw) in &all {
        assert!(!saw.contains(CANARY), "{way} read {secret}: {saw}");
        assert!(saw.starts_with("rejected: "), "{way} compiled: {saw}");
    }
    // The same submissions, in the weaker cell, do read the file beside
    // the work (the compiler runs as the grader there): the cell is what
    // stops them.
    let text = control("with_the_gate_off_the_compiler_reads_nothing_beyond_the_kit");
    // (Through /proc/1/root only where the machine's PID 1 shares our root.)
    for (way, _) in reads(Path::new("/"), "").into_iter().filter(|(w, _)| !w.contains("/proc/1/root")) {
        assert!(
            text.lines().any(|l| l.contains("CONTROL true") && l.contains(way) && l.contains("hidden")),
            "{way} did not read the file even in the weak cell:\n{text}"
        );
    }
}

/// A submission that tries every channel from one of its runs (the first,
/// as if hidden) to the next (as if visible): files in its working folder,
/// `/tmp` and `/dev/shm`, SysV shared memory, an abstract Unix socket served
/// by a process that outlives the run, and the processes it can signal;
/// and it reports any descriptor above 2 it was given.
const CHANNELS: &str = r#"
use crate::student_api::{Hyper, StudentOptimizer};
use std::io::{Read, Write};

extern "C" {
    fn shmget(key: i32, size: usize, flags: i32) -> i32;
    fn shmat(id: i32, addr: *const u8, flags: i32) -> *mut u8;
    fn shmctl(id: i32, cmd: i32, buf: *mut u8) -> i32;
    fn fork() -> i32;
    fn setsid() -> i32;
    fn kill(pid: i32, signal: i32) -> i32;
    fn getpid() -> i32;
    fn close(fd: i32) -> i32;
    fn fcntl(fd: i32, cmd: i32, ...) -> i32;
    fn _exit(code: i32) -> !;
}

const KEY: i32 = 0x0de5c0;
const FILES: [&str; 3] = ["descent_channel", "/tmp/descent_channel", "/dev/shm/descent_channel"];

fn socket_name() -> std::os::unix::net::SocketAddr {
    use std::os::linux::net::SocketAddrExt;
    std::os::unix::net::SocketAddr::from_abstract_name(b"descent_channel").unwrap()
}

fn found() -> Vec<String> {
    let mut found = Vec::new();
    for f in FILES {
        if let Ok(s) = std::fs::read_to_string(f) {
            found.push(format!("file {f}: {s}"));
        }
    }
    unsafe {
        let id = shmget(KEY, 4096, 0);
        if id >= 0 {
            let p = shmat(id, std::ptr::null(), 0);
            if p as isize != -1 {
                let bytes = std::slice::from_raw_parts(p, 64);
                let end = bytes.iter().position(|&b| b == 0).unwrap_or(64);
                found.push(format!("shm: {}", String::from_utf8_lossy(&bytes[..end])));
            }
            shmctl(id, 0, std::ptr::null_mut());
        }
    }
    if let Ok(mut s) = std::os::unix::net::UnixStream::connect_addr(&socket_name()) {
        let mut text = String::new();
        let _ = s.read_to_string(&mut text);
        found.push(format!("socket: {text}"));
    }
    let open: Vec<i32> = (3..1024).filter(|&fd| unsafe { fcntl(fd, 1) } >= 0).collect();
    if !open.is_empty() {
        found.push(format!("descriptors: {open:?}"));
    }
    let me = unsafe { getpid() };
    let others: Vec<i32> = (2..4096).filter(|&p| p != me && unsafe { kill(p, 0) } == 0).collect();
    if !others.is_empty() {
        found.push(format!("signals: {} processes ({:?}, me {me})", others.len(), &others[..others.len().min(8)]));
    }
    found
}

fn leave(secret: &str) {
    for f in FILES {
        let _ = std::fs::write(f, secret);
    }
    unsafe {
        let id = shmget(KEY, 4096, 0o1000 | 0o666);
        if id >= 0 {
            let p = shmat(id, std::ptr::null(), 0);
            if p as isize != -1 {
                std::ptr::copy_nonoverlapping(secret.as_ptr(), p, secret.len().min(63));
            }
        }
        if fork() == 0 {
            setsid();
            for fd in 0..3 {
                close(fd);
            }
            if let Ok(l) = std::os::unix::net::UnixListener::bind_addr(&socket_name()) {
                let _ = l.set_nonblocking(true);
                for _ in 0..100 {
                    if let Ok((mut s, _)) = l.accept() {
                        let _ = s.write_all(secret.as_bytes());
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
            _exit(0);
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
}

pub struct Spy {
    left: bool,
}

impl StudentOptimizer for Spy {
    fn step(&mut self, params: &mut [f64], _: &[f64]) {
        if !self.left {
            self.left = true;
            leave(&format!("SECRET {:e}", params[0]));
        }
    }
}

pub fn build(_: &Hyper) -> Box<dyn StudentOptimizer> {
    let found = found();
    if found.iter().any(|f| f.contains("SECRET")) {
        panic!("FOUND<{}>", found.join("; "));
    }
    if !found.is_empty() {
        eprintln!("FOUND<{}>", found.join("; "));
    }
    Box::new(Spy { left: false })
}
"#;

#[test]
fn nothing_of_a_hidden_run_reaches_the_next_run() {
    if !namespaces() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = match compile_gated(CHANNELS, Kind::Optimizer, dir.path(), Duration::from_secs(120), Gate::Off).unwrap() {
        Built::Binary(bin) => bin,
        Built::Rejected(e) => panic!("the channel submission did not build: {}", e.message),
    };
    let (hidden, visible) = (adam_case(0), adam_case(1));
    // What a weak cell's runs leave on the machine, removed before and after.
    let clean = || {
        for f in ["/tmp/descent_channel", "/dev/shm/descent_channel"] {
            let _ = std::fs::remove_file(f);
        }
    };
    if in_control() {
        clean();
    }
    // A descriptor of the grader's left open across exec: the cell must
    // not hand it on.
    // SAFETY: dup of stdout, closed below.
    let leaked = unsafe { dup(1) };
    assert!(leaked > 2);
    let first = run(&bin, &[Job::forced(&hidden)], Duration::from_secs(20)).unwrap();
    assert_eq!(first.trajectories[0].stopped, None, "the first run did not leave its secret: {}", first.stderr);
    if !in_control() {
        assert!(!first.stderr.contains("FOUND"), "a run sees another's processes: {}", first.stderr);
    }
    let second = run(&bin, &[Job::forced(&visible)], Duration::from_secs(20)).unwrap();
    // SAFETY: closes the descriptor opened above.
    unsafe { close_fd(leaked) };
    let said = format!("{:?} {}", second.trajectories[0].stopped, second.stderr);
    if in_control() {
        clean();
        println!("CONTROL {said}");
        return;
    }
    assert!(!said.contains("FOUND") && !said.contains("SECRET"), "a channel between runs: {said}");
    // In the weaker cell the same two runs talk (files, SysV memory, the
    // socket, signals): the submission is able, the cell stops it.
    let text = control("nothing_of_a_hidden_run_reaches_the_next_run");
    let line = text.lines().find(|l| l.contains("CONTROL")).unwrap_or_else(|| panic!("{text}"));
    for channel in ["file /tmp/descent_channel: SECRET", "shm: SECRET", "socket: SECRET", "signals:"] {
        assert!(line.contains(channel), "the weak cell did not carry {channel}: {line}");
    }
}

#[test]
fn links_special_files_and_subfolders_are_refused_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("reference.json");
    std::fs::write(&secret, CANARY).unwrap();
    let subs = dir.path().join("subs");
    std::fs::create_dir_all(&subs).unwrap();
    let solution = std::fs::read(root().join("assignments/adam/solution/solution.rs")).unwrap();
    std::fs::write(subs.join("plain.rs"), &solution).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(&secret, subs.join("file_link.rs")).unwrap();
        std::fs::create_dir_all(subs.join("inner_link")).unwrap();
        symlink(&secret, subs.join("inner_link/solution.rs")).unwrap();
        let real = dir.path().join("real_folder");
        std::fs::create_dir_all(&real).unwrap();
        std::fs::write(real.join("solution.rs"), &solution).unwrap();
        symlink(&real, subs.join("folder_link")).unwrap();
        std::fs::hard_link(&secret, subs.join("hard_link.rs")).unwrap();
        let fifo = std::ffi::CString::new(subs.join("fifo.rs").to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a valid C string.
        assert_eq!(unsafe { libc_mkfifo(fifo.as_ptr(), 0o644) }, 0);
        std::fs::create_dir_all(subs.join("nested/deeper")).unwrap();
        std::fs::write(subs.join("nested/solution.rs"), &solution).unwrap();
        std::fs::write(subs.join("nested/deeper/helper.rs"), "").unwrap();
    }
    std::fs::write(subs.join("huge.rs"), vec![b' '; (2 << 20) as usize]).unwrap();
    let found = submissions(&subs).unwrap();
    let why = |name: &str| {
        let s = found.iter().find(|s| s.student == name).unwrap_or_else(|| panic!("{name} not listed: {found:?}"));
        take(s).unwrap().source.err()
    };
    assert_eq!(why("plain"), None);
    assert!(why("huge").unwrap().contains("larger than 1024 KiB"));
    #[cfg(unix)]
    {
        assert!(why("file_link").unwrap().contains("symbolic link"));
        assert!(why("inner_link").unwrap().contains("symbolic link"));
        assert!(why("folder_link").unwrap().contains("symbolic link"));
        assert!(why("hard_link").unwrap().contains("other hard links"));
        assert!(why("fifo").unwrap().contains("not a regular file"));
        assert!(why("nested").unwrap().contains("is a folder"));
    }
    for s in &found {
        let taken = take(s).unwrap();
        if let Ok(bytes) = taken.source {
            assert!(!String::from_utf8_lossy(&bytes).contains(CANARY), "{} was followed", s.student);
        }
    }
}

#[cfg(unix)]
extern "C" {
    #[link_name = "mkfifo"]
    fn libc_mkfifo(path: *const std::ffi::c_char, mode: u32) -> i32;
    fn dup(fd: i32) -> i32;
    #[link_name = "close"]
    fn close_fd(fd: i32) -> i32;
}

/// `grade run` on the correct solution and one slip, wrapped in `wrap`
/// (a command and its arguments, before `grade`): its exit status, its
/// terminal output and the records it wrote.
fn grade_wrapped(wrap: &[&str], extra: &[&str]) -> (i32, String, Vec<serde_json::Value>) {
    grade_wrapped_with(wrap, extra, &[])
}

/// [`grade_wrapped`] with environment variables `envs` set.
fn grade_wrapped_with(wrap: &[&str], extra: &[&str], envs: &[(&str, String)]) -> (i32, String, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().unwrap();
    let subs = dir.path().join("subs");
    std::fs::create_dir_all(&subs).unwrap();
    std::fs::copy(root().join("assignments/adam/solution/solution.rs"), subs.join("correct.rs")).unwrap();
    std::fs::copy(root().join("tests/submissions/adam/adam_no_bias_correction.rs"), subs.join("slip.rs")).unwrap();
    let out = dir.path().join("out");
    let grade = env!("CARGO_BIN_EXE_grade");
    let assignment = root().join("assignments/adam");
    let mut args: Vec<String> = wrap[1..].iter().map(|s| s.to_string()).collect();
    args.extend([grade.to_string(), "run".into(), assignment.display().to_string(), subs.display().to_string()]);
    args.extend(["--out".to_string(), out.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut cmd = std::process::Command::new(wrap[0]);
    cmd.args(&args).env_remove(WEAKEN_VAR);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let done = cmd.output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&done.stdout), String::from_utf8_lossy(&done.stderr));
    let records = ["correct", "slip"]
        .iter()
        .filter_map(|s| std::fs::read(out.join("students").join(format!("{s}.json"))).ok())
        .map(|b| serde_json::from_slice(&b).unwrap())
        .collect();
    (done.status.code().unwrap_or(-1), said, records)
}

/// Whether `program` is on this machine (the fallbacks need util-linux).
fn have(program: &str) -> bool {
    std::process::Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn without_cap_sys_admin_the_namespace_cell_still_holds() {
    if !(is_root() && have("setpriv")) || isolation() < Isolation::Namespaces {
        eprintln!("skipped: needs root, setpriv and namespaces");
        return;
    }
    // Docker's default: CAP_SYS_ADMIN not in the bounding set.
    let (code, said, records) =
        grade_wrapped(&["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", "--"], &[]);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("isolation: namespaces"), "{said}");
    assert_eq!(records.len(), 2, "{said}");
    for r in &records {
        assert_eq!(r["isolation"], "namespaces", "{r}");
    }
    let correct = &records[0]["grade"]["tests"];
    assert!(correct.as_array().unwrap().iter().all(|t| t["score"] == t["max_score"]), "{correct}");
}

#[test]
fn without_user_namespaces_the_weak_cell_is_refused_unless_allowed_and_then_stated() {
    if !have("unshare") || isolation() < Isolation::Namespaces {
        eprintln!("skipped: needs unshare and user namespaces");
        return;
    }
    // A user namespace whose own may not nest another: no namespace cell,
    // and only its root mapped, so no uid of its own either.
    let shell = [
        "unshare",
        "--user",
        "--map-root-user",
        "sh",
        "-c",
        "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"",
        "sh",
    ];
    let (code, said, records) = grade_wrapped(&shell, &[]);
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("isolation: limits_only"), "{said}");
    assert!(said.contains("no namespaces: "), "{said}");
    assert!(said.contains("--allow-weak-isolation"), "{said}");
    assert!(records.is_empty(), "graded in a refused cell");
    let (code, said, records) = grade_wrapped(&shell, &["--allow-weak-isolation"]);
    assert_eq!(code, 0, "{said}");
    assert_eq!(records.len(), 2, "every student's result is written: {said}");
    for r in &records {
        assert_eq!(r["isolation"], "limits_only", "{r}");
    }
}

#[test]
fn with_a_separate_uid_only_every_student_is_graded_and_the_cell_stated() {
    if !is_root() {
        eprintln!("skipped: a uid of its own needs the grader to be root");
        return;
    }
    // The cell of a root grader without namespaces, asked for by name; its
    // compiler runs under a uid of its own, so the toolchain must be one
    // every user can read: here this machine's, hard-linked into a folder
    // all may enter (as /usr/local/rustup is in the official Rust image).
    let sysroot = std::process::Command::new("rustc").args(["--print", "sysroot"]).output().unwrap();
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    let dir = tempfile::tempdir().unwrap();
    let farm = dir.path().join("toolchain");
    let linked = std::process::Command::new("cp").arg("-al").arg(&sysroot).arg(&farm).status().unwrap();
    if !linked.success() {
        eprintln!("skipped: the toolchain cannot be hard-linked into a readable folder here");
        return;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!("{}:{}", farm.join("bin").display(), std::env::var("PATH").unwrap_or_default());
    let envs = [(WEAKEN_VAR, "separate_uid".to_string()), ("PATH", path)];
    let (code, said, records) = grade_wrapped_with(&["env"], &[], &envs);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("isolation: separate_uid"), "{said}");
    assert!(said.contains("warning: no namespaces here"), "{said}");
    assert_eq!(records.len(), 2, "{said}");
    for r in &records {
        assert_eq!(r["isolation"], "separate_uid", "{r}");
    }
    let correct = &records[0]["grade"]["tests"];
    assert!(correct.as_array().unwrap().iter().all(|t| t["score"] == t["max_score"]), "{correct}");
    let slip = &records[1]["grade"];
    assert_eq!(slip["gradable"], true, "{slip}");
}
