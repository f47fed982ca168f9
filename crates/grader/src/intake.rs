//! Taking a submission in: finding the submissions of a folder, and reading
//! one without following anything the student made.
//!
//! A submission is one `NAME.rs` file or `NAME.ipynb` notebook (its
//! solution cells are the module), or a folder `NAME/` with `solution.rs` or
//! `solution.ipynb` beside other plain files. Refused, with a message that
//! says why, and graded as a submission that cannot be graded: a symbolic
//! link (to the file, or as the folder), a file with other hard links (it
//! may be a file outside the submission), anything that is not a regular
//! file (a FIFO, a device, a socket), a folder inside the folder, and a
//! source over [`MAX_SOURCE`] bytes. The bytes read are what is graded:
//! they are copied into the compiler's cell, never read in place.

use descent::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest source taken in (1 MiB).
pub const MAX_SOURCE: u64 = 1 << 20;

/// A submission found in a folder of submissions.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The student (file stem or folder name).
    pub student: String,
    /// The source file.
    pub path: PathBuf,
    /// The folder it was submitted in, when it was (`NAME/`).
    pub folder: Option<PathBuf>,
}

impl Submission {
    /// The single file or folder `path` as `student`'s submission (a folder
    /// holds `solution.rs` or `solution.ipynb`).
    pub fn at(path: &Path, student: &str) -> Submission {
        let is_dir = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
        if is_dir {
            let notebook = path.join("solution.ipynb");
            let source = if exists(&notebook) { notebook } else { path.join("solution.rs") };
            Submission { student: student.into(), path: source, folder: Some(path.to_path_buf()) }
        } else {
            Submission { student: student.into(), path: path.to_path_buf(), folder: None }
        }
    }
}

/// Whether `p` exists, as itself (a symbolic link exists, whatever it names).
fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// The submissions in `dir`, sorted by student. A symbolic link is listed
/// too, so that its student is told it is refused; names that start with a
/// dot are not submissions.
pub fn submissions(dir: &Path) -> Result<Vec<Submission>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir.display(), e))? {
        let entry = entry.map_err(|e| Error::io(dir.display(), e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let kind = entry.file_type().map_err(|e| Error::io(path.display(), e))?;
        if kind.is_dir() {
            let (rs, nb) = (path.join("solution.rs"), path.join("solution.ipynb"));
            if exists(&rs) || exists(&nb) {
                found.push(Submission::at(&path, &stem));
            }
        } else if path.extension().is_some_and(|e| e == "rs" || e == "ipynb") {
            found.push(Submission { student: stem, path, folder: None });
        } else if kind.is_symlink() && path.extension().is_none() {
            // A folder submitted as a link: refused when taken.
            found.push(Submission { student: stem, path: path.join("solution.rs"), folder: Some(path) });
        }
    }
    found.sort_by(|a, b| a.student.cmp(&b.student));
    Ok(found)
}

/// What taking a submission in gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    /// Its bytes, or why it is refused.
    pub source: std::result::Result<Vec<u8>, String>,
    /// SHA-256 of the bytes (empty when refused).
    pub sha256: String,
}

/// Reads `submission` without following a link: its bytes, or why it is
/// refused. An `Err` is the grader's own trouble (a missing file).
pub fn take(submission: &Submission) -> Result<Taken> {
    let refused = |why: String| Ok(Taken { source: Err(why), sha256: String::new() });
    if let Some(folder) = &submission.folder {
        if let Err(why) = check_folder(folder) {
            return refused(why);
        }
    }
    let path = &submission.path;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let file = match open_no_follow(path) {
        Ok(f) => f,
        Err(e) if is_link_refusal(&e) => return refused(format!("{name} is a symbolic link, which is not followed")),
        Err(e) => return Err(Error::io(path.display(), e)),
    };
    let meta = file.metadata().map_err(|e| Error::io(path.display(), e))?;
    if let Err(why) = plain_file(&name, &meta) {
        return refused(why);
    }
    let mut source = Vec::new();
    file.take(MAX_SOURCE + 1).read_to_end(&mut source).map_err(|e| Error::io(path.display(), e))?;
    if source.len() as u64 > MAX_SOURCE {
        return refused(format!("{name} is larger than {} KiB", MAX_SOURCE >> 10));
    }
    let sha256 = hex::encode(Sha256::digest(&source));
    Ok(Taken { source: Ok(source), sha256 })
}

/// Whether a submission folder holds only plain files.
fn check_folder(folder: &Path) -> std::result::Result<(), String> {
    let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let meta = std::fs::symlink_metadata(folder).map_err(|e| format!("{name}: {e}"))?;
    if meta.file_type().is_symlink() {
        return Err(format!("the folder {name} is a symbolic link, which is not followed"));
    }
    for entry in std::fs::read_dir(folder).map_err(|e| format!("{name}: {e}"))? {
        let entry = entry.map_err(|e| format!("{name}: {e}"))?;
        let inner = entry.file_name().to_string_lossy().into_owned();
        let meta = entry.metadata().map_err(|e| format!("{name}/{inner}: {e}"))?;
        if meta.is_dir() {
            return Err(format!("{name}/{inner} is a folder: a submission folder holds files only"));
        }
        if meta.file_type().is_symlink() {
            return Err(format!("{name}/{inner} is a symbolic link, which is not followed"));
        }
        plain_file(&format!("{name}/{inner}"), &meta)?;
    }
    Ok(())
}

/// A regular file with no other hard link.
fn plain_file(name: &str, meta: &std::fs::Metadata) -> std::result::Result<(), String> {
    if !meta.is_file() {
        return Err(format!("{name} is not a regular file (a FIFO, a device or a socket)"));
    }
    #[cfg(unix)]
    if std::os::unix::fs::MetadataExt::nlink(meta) > 1 {
        return Err(format!("{name} has other hard links, so it may be a file from outside the submission"));
    }
    Ok(())
}

/// Opens `path` for reading, refusing a symbolic link as its last part and
/// never blocking on a FIFO.
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW | libc::O_NONBLOCK);
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(std::io::Error::other("a symbolic link"));
    }
    options.open(path)
}

/// Whether opening failed because the path is a symbolic link.
fn is_link_refusal(e: &std::io::Error) -> bool {
    if cfg!(unix) {
        e.raw_os_error() == Some(LOOP)
    } else {
        e.kind() == std::io::ErrorKind::Other
    }
}

/// `ELOOP`, what opening a symbolic link with `O_NOFOLLOW` fails with.
#[cfg(unix)]
const LOOP: i32 = libc::ELOOP;
#[cfg(not(unix))]
const LOOP: i32 = -1;
