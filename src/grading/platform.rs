//! Grading on the platforms' own machines, and their files from ours.
//!
//! - [`export`]: Gradescope's or PrairieLearn's `results.json` for every
//!   student of a graded folder (`grade export`).
//! - [`grade_single`]: one submission, one results file: what an
//!   autograder runs (`grade one`).
//! - [`package_gradescope`]: Gradescope's autograder zip (`grade package
//!   --gradescope`): `setup.sh` builds the `grade` binary from descent's
//!   sources inside the image, `run_autograder` grades
//!   `/autograder/submission` into `/autograder/results/results.json`.

use super::batch::{grade_one, Loaded, Record, Submission};
use super::score::{gradescope, prairielearn};
use crate::files::{walk, write_atomically};
use crate::{Error, Result};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A grading platform's results format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Gradescope's autograder `results.json`.
    Gradescope,
    /// PrairieLearn's external grader `results.json`.
    PrairieLearn,
}

impl Platform {
    /// The platform's `results.json` for `record`.
    pub fn results(self, record: &Record) -> serde_json::Value {
        match self {
            Platform::Gradescope => gradescope(&record.grade),
            Platform::PrairieLearn => prairielearn(&record.grade),
        }
    }

    /// Its folder name in a graded folder (`gradescope`, `prairielearn`).
    pub fn folder(self) -> &'static str {
        match self {
            Platform::Gradescope => "gradescope",
            Platform::PrairieLearn => "prairielearn",
        }
    }
}

/// The records of a graded folder (`grades/students/*.json`), by student.
pub fn records(grades: &Path) -> Result<Vec<Record>> {
    let dir = grades.join("students");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(|e| Error::io(dir.display(), e))? {
        let path = entry.map_err(|e| Error::io(dir.display(), e))?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let bytes = std::fs::read(&path).map_err(|e| Error::io(path.display(), e))?;
            out.push(serde_json::from_slice(&bytes).map_err(|e| Error::data(path.display(), e.to_string()))?);
        }
    }
    out.sort_by(|a: &Record, b: &Record| a.grade.student.cmp(&b.grade.student));
    Ok(out)
}

/// Writes `out/NAME/results.json` in `platform`'s format for every record
/// of the graded folder `grades`; returns how many.
pub fn export(grades: &Path, platform: Platform, out: &Path) -> Result<usize> {
    let all = records(grades)?;
    for r in &all {
        let bytes = serde_json::to_vec_pretty(&platform.results(r)).expect("JSON");
        write_atomically(&out.join(&r.grade.student).join("results.json"), &bytes)?;
    }
    Ok(all.len())
}

/// The submitted source in `path`: the file itself, or in a folder its
/// `solution.rs`, else its only `.rs` file.
pub fn submitted_file(path: &Path) -> Result<PathBuf> {
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    if path.join("solution.rs").is_file() {
        return Ok(path.join("solution.rs"));
    }
    let rs: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::io(path.display(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rs"))
        .collect();
    match rs.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::data(path.display(), "no .rs file was submitted (expected solution.rs)")),
        _ => Err(Error::data(path.display(), "several .rs files and no solution.rs: submit one file, solution.rs")),
    }
}

/// Grades the one submission at `submission` (a file or a folder) and
/// writes `platform`'s results to `results`; returns the record.
pub fn grade_single(assignment: &Path, submission: &Path, platform: Platform, results: &Path) -> Result<Record> {
    let loaded = Loaded::read(assignment)?;
    let path = submitted_file(submission)?;
    let work = tempfile::tempdir().map_err(|e| Error::io("temporary directory", e))?;
    let hide = [assignment.to_path_buf(), submission.to_path_buf()];
    let record = grade_one(&loaded, &Submission { student: "submission".into(), path }, work.path(), &hide)?;
    write_atomically(results, &serde_json::to_vec_pretty(&platform.results(&record)).expect("JSON"))?;
    Ok(record)
}

/// The parts of descent's source tree the `grade` binary is built from.
const SOURCES: [&str; 7] = ["Cargo.toml", "Cargo.lock", "rustfmt.toml", "src", "templates", "benches", "examples"];

/// Gradescope's `setup.sh`: the Rust toolchain and the `grade` binary,
/// built once when the image is built.
const SETUP: &str = r#"#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq curl build-essential pkg-config
if ! command -v cargo >/dev/null; then
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi
export PATH="$HOME/.cargo/bin:$PATH"
cd /autograder/source/descent
cargo build --release --locked --bin grade
"#;

/// Gradescope's `run_autograder`: grade the submission, write the results.
const RUN: &str = r#"#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER (default /autograder)
# is the root of Gradescope's layout, for trying it elsewhere.
set -uo pipefail
root="${AUTOGRADER:-/autograder}"
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p "$root/results"
"$root/source/descent/target/release/grade" one "$root/source/assignment" "$root/submission" \
    --gradescope "$root/results/results.json"
"#;

/// Adds the file `path` to the zip as `name`.
fn add_file(zip: &mut zip::ZipWriter<std::fs::File>, path: &Path, name: &str) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path.display(), e))?;
    zip.start_file(name, file_options(0o644)).map_err(|e| Error::io(name, e.into()))?;
    zip.write_all(&bytes).map_err(|e| Error::io(name, e))
}

/// Adds `path` (a file, or every file below a folder) as `prefix/...`,
/// leaving out what `skip` says.
fn add_tree(
    zip: &mut zip::ZipWriter<std::fs::File>,
    path: &Path,
    prefix: &str,
    skip: impl Fn(&Path) -> bool,
) -> Result<()> {
    if path.is_file() {
        return add_file(zip, path, prefix);
    }
    if path.is_dir() {
        for rel in walk(path)?.into_iter().filter(|rel| !skip(rel)) {
            add_file(zip, &path.join(&rel), &format!("{prefix}/{}", rel.to_string_lossy().replace('\\', "/")))?;
        }
    }
    Ok(())
}

fn file_options(mode: u32) -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(mode)
        // A fixed time: the same inputs give the same zip, byte for byte.
        .last_modified_time(zip::DateTime::default())
}

/// Writes Gradescope's autograder zip for the assignment in `assignment` to
/// `out`: `setup.sh`, `run_autograder`, the assignment (with its hidden
/// data: the zip is the teacher's upload, never the students'; without
/// `solution/`), and
/// descent's sources from `source` (the folder with descent's `Cargo.toml`).
pub fn package_gradescope(assignment: &Path, source: &Path, out: &Path) -> Result<()> {
    Loaded::read(assignment)?;
    let manifest = source.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| Error::io(manifest.display(), e))?;
    if !text.contains("name = \"descent\"") {
        return Err(Error::data(manifest.display(), "not descent's Cargo.toml (give --source, descent's folder)"));
    }
    let tmp = out.with_extension("zip.partial");
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
    }
    let file = std::fs::File::create(&tmp).map_err(|e| Error::io(tmp.display(), e))?;
    let mut zip = zip::ZipWriter::new(file);
    let zerr = |e: zip::result::ZipError| Error::io(tmp.display(), e.into());
    for (name, text) in [("setup.sh", SETUP), ("run_autograder", RUN)] {
        zip.start_file(name, file_options(0o755)).map_err(zerr)?;
        zip.write_all(text.as_bytes()).map_err(|e| Error::io(tmp.display(), e))?;
    }
    for part in SOURCES {
        add_tree(&mut zip, &source.join(part), &format!("descent/{part}"), |_| false)?;
    }
    // The assignment without its reference solution, which grading does
    // not need.
    add_tree(&mut zip, assignment, "assignment", |rel| rel.starts_with("solution"))?;
    zip.finish().map_err(zerr)?.sync_all().map_err(|e| Error::io(tmp.display(), e))?;
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out.display(), e))
}
