//! descent's core, prebuilt for submissions that use it (the training
//! assignment): `cargo build -p descent` in descent's own workspace, then
//! the core's rlib and those of its dependencies (and the procedural
//! macros they were built with) hard-linked or copied into a folder of
//! their own, which the compiler's cell sees read-only. Nothing else of the
//! build (the grader, its tests, any data) is in that folder.

use descent::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The prebuilt core: its folder, which holds every rlib it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Library {
    /// The folder (`-L dependency=` for rustc).
    pub dir: PathBuf,
    /// descent's own rlib in it (`--extern descent=`).
    pub descent: PathBuf,
}

/// The workspace the grader was built from (holding `crates/descent`).
fn workspace() -> Result<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if root.join("crates/descent/Cargo.toml").is_file() {
        Ok(root.canonicalize().map_err(|e| Error::io(root.display(), e))?)
    } else {
        Err(Error::data(
            root.display(),
            "a submission that uses descent's library is compiled against descent's core, built from its source, \
             which is not there: run the grader from descent's checkout",
        ))
    }
}

/// The prebuilt core, built (or found up to date) once per process.
pub fn prebuilt() -> Result<&'static Library> {
    static LIBRARY: std::sync::OnceLock<std::result::Result<Library, String>> = std::sync::OnceLock::new();
    LIBRARY.get_or_init(|| build().map_err(|e| e.to_string())).as_ref().map_err(|e| Error::data("descent's core", e))
}

fn build() -> Result<Library> {
    let root = workspace()?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        // Up to a minute or two the first time: say what the wait is.
        eprintln!("building descent's core for the submissions that use it (cargo build -p descent)");
    }
    let out = Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "-p", "descent", "--lib", "--message-format=json"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| Error::io("cargo", e))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
        return Err(Error::data(
            "cargo build -p descent",
            format!("it failed: {}", tail.into_iter().rev().collect::<Vec<_>>().join("\n")),
        ));
    }
    // Every artifact of the build: descent's rlib and its dependencies'.
    let mut files: Vec<PathBuf> = Vec::new();
    let mut descent = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if m["reason"] != "compiler-artifact" {
            continue;
        }
        for f in m["filenames"].as_array().into_iter().flatten().filter_map(|f| f.as_str()) {
            let ext = Path::new(f).extension().and_then(|e| e.to_str());
            if matches!(ext, Some("rlib" | "so" | "dylib" | "dll")) {
                if m["target"]["name"] == "descent" {
                    descent = Some(PathBuf::from(f));
                }
                files.push(PathBuf::from(f));
            }
        }
    }
    let descent = descent.ok_or_else(|| Error::data("cargo build -p descent", "it named no rlib of descent"))?;
    // A folder per set of files (by their paths, sizes and times): a
    // rebuilt core gets a new one, and a finished folder is never changed.
    let mut key = <sha2::Sha256 as sha2::Digest>::new();
    for f in &files {
        let meta = std::fs::metadata(f).map_err(|e| Error::io(f.display(), e))?;
        let modified = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        sha2::Digest::update(&mut key, format!("{}|{}|{modified:?}\n", f.display(), meta.len()).as_bytes());
    }
    let key = hex::encode(sha2::Digest::finalize(key));
    let parent = descent.parent().expect("an rlib in a folder").join("grader-library");
    let dir = parent.join(&key[..16]);
    let name = |f: &Path| f.file_name().expect("a file").to_owned();
    if !dir.join("complete").is_file() {
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(parent.display(), e))?;
        let staging = tempfile::Builder::new()
            .prefix(".staging-")
            .tempdir_in(&parent)
            .map_err(|e| Error::io(parent.display(), e))?;
        for f in &files {
            let to = staging.path().join(name(f));
            std::fs::hard_link(f, &to)
                .or_else(|_| std::fs::copy(f, &to).map(|_| ()))
                .map_err(|e| Error::io(to.display(), e))?;
        }
        std::fs::write(staging.path().join("complete"), b"").map_err(|e| Error::io(staging.path().display(), e))?;
        let staged = staging.keep();
        // Another grader may have finished the same folder meanwhile.
        if std::fs::rename(&staged, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&staged);
        }
        remove_stale(&parent, &dir);
    }
    Ok(Library { descent: dir.join(name(&descent)), dir })
}

/// Removes the folders of earlier builds under `parent` (their hard links
/// would keep every old rlib on disk), except `current` and any finished in
/// the last hour (a grader started before may still compile against it).
fn remove_stale(parent: &Path, current: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let finished = std::fs::metadata(path.join("complete")).and_then(|m| m.modified());
        let old = finished.ok().and_then(|t| t.elapsed().ok()).is_some_and(|age| age.as_secs() > 3600);
        if path != current && old {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}
