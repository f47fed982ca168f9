//! Regrading after an assignment changed (a test fixed, points moved):
//! the new grades are staged beside the published ones, shown side by side
//! per student and test, and published only when the teacher confirms.
//!
//! `grade regrade ASSIGNMENT SUBMISSIONS --out DIR` grades into
//! `DIR/regrade/` (a complete graded folder) and writes
//! `DIR/regrade/changes.csv`; `grade regrade --confirm --out DIR` moves the
//! staged files over the published ones, each by an atomic rename, the
//! gradebook and the class page last.

use crate::class::{grade_all, Graded};
use crate::platform::records;
use descent::files::{csv_field, walk, write_atomically};
use descent::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The staging folder inside a graded folder.
pub const STAGED: &str = "regrade";

/// One student's test, before and after (`None`: not there).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Student.
    pub student: String,
    /// Test.
    pub test: String,
    /// The published score.
    pub old: Option<f64>,
    /// The staged score.
    pub new: Option<f64>,
}

impl Change {
    /// Whether the score moved (or the row appeared or went away).
    pub fn changed(&self) -> bool {
        match (self.old, self.new) {
            (Some(a), Some(b)) => (a - b).abs() > 1e-9,
            _ => true,
        }
    }
}

/// Every (student, test) of the published and the staged grades, in order.
pub fn changes(published: &Path, staged: &Path) -> Result<Vec<Change>> {
    let scores = |dir: &Path| -> Result<BTreeMap<(String, String), f64>> {
        Ok(records(dir)?
            .into_iter()
            .flat_map(|r| {
                let student = r.grade.student.clone();
                r.grade.tests.into_iter().map(move |t| ((student.clone(), t.name), t.score))
            })
            .collect())
    };
    let (old, new) = (scores(published)?, scores(staged)?);
    let mut keys: Vec<&(String, String)> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    Ok(keys
        .into_iter()
        .map(|k| Change { student: k.0.clone(), test: k.1.clone(), old: old.get(k).copied(), new: new.get(k).copied() })
        .collect())
}

/// `student,test,old,new,change` (empty where a side has no row).
pub fn changes_csv(changes: &[Change]) -> String {
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    let mut out = String::from("student,test,old,new,change\n");
    for c in changes {
        let delta = match (c.old, c.new) {
            (Some(a), Some(b)) => format!("{:.3}", b - a),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{},{},{},{},{delta}\n",
            csv_field(&c.student),
            csv_field(&c.test),
            cell(c.old),
            cell(c.new)
        ));
    }
    out
}

/// Grades the submissions again into `out/regrade/` and compares with the
/// grades published in `out`; publishes nothing.
pub fn stage(
    assignment: &Path,
    submissions: &Path,
    out: &Path,
    jobs: usize,
    progress: bool,
) -> Result<(Graded, Vec<Change>)> {
    if !out.join("students").is_dir() {
        return Err(Error::data(
            out.display(),
            "no published grades here to compare with (grade them first with `grade run`)",
        ));
    }
    let staged = out.join(STAGED);
    let graded = grade_all(assignment, submissions, &staged, jobs, progress)?;
    let all = changes(out, &staged)?;
    write_atomically(&staged.join("changes.csv"), changes_csv(&all).as_bytes())?;
    Ok((graded, all))
}

/// Publishes the grades staged in `out/regrade/`: every file renamed over
/// its published one (the gradebook and the class page last), then the
/// staging folder removed. Returns how many files moved.
pub fn publish(out: &Path) -> Result<usize> {
    let staged = out.join(STAGED);
    if !staged.join("gradebook.csv").is_file() {
        return Err(Error::data(
            staged.display(),
            "no complete staged regrade here (run `grade regrade ASSIGNMENT SUBMISSIONS --out DIR` first)",
        ));
    }
    let mut all = walk(&staged)?;
    all.retain(|p| p != Path::new("changes.csv"));
    // Per-student files first; what lists them all last.
    let last = |p: &PathBuf| p == Path::new("gradebook.csv") || p == Path::new("index.html");
    all.sort_by_key(|p| (last(p), p.clone()));
    for rel in &all {
        let (from, to) = (staged.join(rel), out.join(rel));
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        }
        std::fs::rename(&from, &to).map_err(|e| Error::io(to.display(), e))?;
    }
    std::fs::remove_dir_all(&staged).map_err(|e| Error::io(staged.display(), e))?;
    Ok(all.len())
}
