//! The formats graders already use, and grading on the platforms' own
//! machines:
//!
//! - [`gradebook_csv`]: descent's gradebook, one row per student and test.
//! - [`gradescope`] and [`prairielearn`]: each platform's `results.json`,
//!   and Gradescope's autograder zip ([`gradescope::package`]).
//! - [`export`]: a platform's `results.json` for every student of a graded
//!   folder (`grade export`).
//! - [`grade_single`]: one submission, one results file: what an
//!   autograder runs (`grade one`).

pub mod gradescope;
pub mod prairielearn;

use crate::intake::Submission;
use crate::model::{Loaded, Record};
use crate::one::grade_one;
use crate::score::Grade;
use descent::files::{csv_field, write_atomically};
use descent::{Error, Result};
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
    /// Every platform.
    pub const ALL: [Platform; 2] = [Platform::Gradescope, Platform::PrairieLearn];

    /// The platform's `results.json` for `record`.
    pub fn results(self, record: &Record) -> serde_json::Value {
        match self {
            Platform::Gradescope => gradescope::results(&record.grade),
            Platform::PrairieLearn => prairielearn::results(&record.grade),
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

/// The files a package takes from `path` (a file, or every file below a
/// folder but those `skip` names), each with its name in the package:
/// `prefix`, or `prefix/rel` with `/` separators.
pub(crate) fn tree_files(path: &Path, prefix: &str, skip: impl Fn(&Path) -> bool) -> Result<Vec<(PathBuf, String)>> {
    if path.is_file() {
        return Ok(vec![(path.to_path_buf(), prefix.to_string())]);
    }
    if !path.is_dir() {
        return Ok(Vec::new());
    }
    Ok(descent::files::walk(path)?
        .into_iter()
        .filter(|rel| !skip(rel))
        .map(|rel| (path.join(&rel), format!("{prefix}/{}", rel.to_string_lossy().replace('\\', "/"))))
        .collect())
}

/// Whether `source` is descent's workspace (what a package is built from).
pub(crate) fn check_source(source: &Path) -> Result<()> {
    let manifest = source.join("crates/grader/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| Error::io(manifest.display(), e))?;
    if !text.contains("name = \"descent-grader\"") {
        return Err(Error::data(
            manifest.display(),
            "not descent's grader (give --source, the folder of descent's workspace)",
        ));
    }
    Ok(())
}

/// The submission at `path`: the file itself, or a folder with its
/// `solution.rs` (or `solution.ipynb`), else its only `.rs` file. Nothing is
/// followed: a link is taken as itself, and refused when read.
pub fn submitted(path: &Path) -> Result<Submission> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io(path.display(), e))?;
    if !meta.is_dir() {
        return Ok(Submission::at(path, "submission"));
    }
    let named = ["solution.rs", "solution.ipynb"].iter().any(|n| std::fs::symlink_metadata(path.join(n)).is_ok());
    if named {
        return Ok(Submission::at(path, "submission"));
    }
    let rs: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::io(path.display(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    match rs.as_slice() {
        [one] => Ok(Submission { student: "submission".into(), path: one.clone(), folder: Some(path.to_path_buf()) }),
        [] => Err(Error::data(path.display(), "no .rs file was submitted (expected solution.rs)")),
        _ => Err(Error::data(path.display(), "several .rs files and no solution.rs: submit one file, solution.rs")),
    }
}

/// Grades the one submission at `submission` (a file or a folder) and
/// writes `platform`'s results to `results`; returns the record.
pub fn grade_single(assignment: &Path, submission: &Path, platform: Platform, results: &Path) -> Result<Record> {
    let loaded = Loaded::read(assignment)?;
    let submission = submitted(submission)?;
    let work = tempfile::tempdir().map_err(|e| Error::io("temporary directory", e))?;
    let record = grade_one(&loaded, &submission, work.path())?;
    write_atomically(results, &serde_json::to_vec_pretty(&platform.results(&record)).expect("JSON"))?;
    Ok(record)
}

/// The gradebook: one row per student and test (`student,test,score,max,status`).
pub fn gradebook_csv(grades: &[Grade]) -> String {
    let mut out = String::from("student,test,score,max,status\n");
    for g in grades {
        for t in &g.tests {
            // Three decimals, always: a thousandth of a point is the
            // resolution, and the column reads as one numeric type.
            out.push_str(&format!(
                "{},{},{:.3},{:.3},{}\n",
                csv_field(&g.student),
                csv_field(&t.name),
                t.score,
                t.max_score,
                t.status
            ));
        }
    }
    out
}
