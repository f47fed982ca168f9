//! Gradescope: its `results.json`, and its autograder zip (`setup.sh`
//! builds the `grade` binary from descent's sources inside the image,
//! `run_autograder` grades `/autograder/submission`).

use crate::model::Loaded;
use crate::score::Grade;
use descent::{Error, Result};
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::Path;

/// Gradescope's `results.json`: each test with its `visibility`
/// (`hidden`, `after_due_date`, `after_published` or `visible`, which
/// Gradescope enforces), the total with the assignment's. Its size is
/// bounded by the grade's ([`crate::score::MAX_TEXTS`]).
pub fn results(grade: &Grade) -> Value {
    let tests: Vec<Value> = grade
        .tests
        .iter()
        .map(|t| {
            json!({"name": t.name, "score": t.score, "max_score": t.max_score, "status": t.status,
                   "output": t.output, "visibility": t.visibility})
        })
        .collect();
    // The total's visibility is the assignment's (Gradescope's default,
    // when absent, is to show it).
    json!({"score": grade.score(), "execution_time": grade.execution_time, "output": grade.message,
           "visibility": grade.visibility, "tests": tests})
}

/// The parts of descent's source tree the `grade` binary is built from.
pub(crate) const SOURCES: [&str; 6] = ["Cargo.toml", "Cargo.lock", "rustfmt.toml", "src", "templates", "crates"];

/// What of [`SOURCES`] the build does not need: the crates' tests and the
/// grader's own assignments (their hidden data has no business in another
/// assignment's zip).
pub(crate) fn not_needed(rel: &Path) -> bool {
    let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    matches!(parts.as_slice(), [_, part, ..] if part == "tests" || part == "assignments" || part == "target")
}

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
    for (file, name) in super::tree_files(path, prefix, skip)? {
        add_file(zip, &file, &name)?;
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
/// descent's sources from `source` (the folder of descent's workspace).
pub fn package(assignment: &Path, source: &Path, out: &Path) -> Result<()> {
    Loaded::read(assignment)?;
    super::check_source(source)?;
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
        add_tree(&mut zip, &source.join(part), &format!("descent/{part}"), |rel| part == "crates" && not_needed(rel))?;
    }
    // The assignment without its reference solution, which grading does
    // not need.
    add_tree(&mut zip, assignment, "assignment", |rel| rel.starts_with("solution"))?;
    zip.finish().map_err(zerr)?.sync_all().map_err(|e| Error::io(tmp.display(), e))?;
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out.display(), e))
}
