//! Grading a class: a folder of submissions against an assignment, what
//! `grade run` does. Each submission is compiled and run in its own child
//! process; one that fails to build, panics, hangs or crashes costs only its
//! own grade.

use crate::exercise::module_of;
use crate::intake::{submissions, take, Submission};
use crate::model::{rustc_version, Loaded, Record};
use crate::one::{grade_one, is_notebook};
use crate::pages::{class_html, feedback_html};
use crate::platform::{gradebook_csv, Platform};
use crate::score::{ungradable, Grade};
use descent::files::write_atomically;
use descent::{Error, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// The record already in `out` for this submission, if it was graded with
/// the same assignment, submission, grader, compiler and cell (what resuming an
/// interrupted run reuses). The record is written after the student's other
/// files, so its presence means they are all there.
fn finished(out: &Path, loaded: &Loaded, submission: &Submission) -> Option<Record> {
    let path = out.join("students").join(format!("{}.json", submission.student));
    let record: Record = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let sha = take(submission).ok()?.sha256;
    (record.assignment_hash == loaded.hash
        && record.submission_sha256 == sha
        && record.grader == env!("CARGO_PKG_VERSION")
        && record.rustc == rustc_version()
        && record.isolation == Some(crate::sandbox::isolation())
        && record.grade.student == submission.student)
        .then_some(record)
}

/// Every pair of the class's submissions with their similarity
/// ([`crate::similarity`]), leaving out the reference solution and the
/// kit's skeleton. A submission that was refused or holds no module counts
/// as empty.
fn similar_pairs(assignment: &Path, subs: &[Submission]) -> Result<Vec<crate::similarity::Pair>> {
    let students: Vec<(String, String)> = subs
        .iter()
        .map(|s| {
            let text = take(s).ok().and_then(|t| t.source.ok()).map(|b| String::from_utf8_lossy(&b).into_owned());
            (s.student.clone(), text.and_then(|t| module_of(&t, is_notebook(&s.path)).ok()).unwrap_or_default())
        })
        .collect();
    let mut given = Vec::new();
    if let Ok((solution, notebook)) = crate::kit::reference_solution(assignment) {
        let skeleton = crate::kit::starter(&solution, notebook).ok().and_then(|s| module_of(&s, notebook).ok());
        given.push(module_of(&solution, notebook)?);
        given.extend(skeleton);
    }
    let given: Vec<&str> = given.iter().map(String::as_str).collect();
    Ok(crate::similarity::pairs(&students, &given))
}

/// What [`grade_all`] did.
#[derive(Debug, Clone)]
pub struct Graded {
    /// Every student's record, by student.
    pub records: Vec<Record>,
    /// How many were taken from a previous, interrupted run of the same
    /// grading (same assignment, submission, grader and compiler).
    pub reused: usize,
}

/// Grades every submission of `submissions` against the assignment in
/// `assignment` with `jobs` in parallel, and writes into `out`:
/// `gradebook.csv`, `students/NAME.json` (the record),
/// `gradescope/NAME/results.json`, `prairielearn/NAME/results.json`,
/// `feedback/NAME.html` (the student's page) and `index.html` (the class
/// summary).
/// Every file is written atomically, after its submission is graded; the
/// gradebook and the class page last. A submission already graded in `out`
/// by an interrupted run of the same grading is not graded again.
pub fn grade_all(assignment: &Path, submissions_dir: &Path, out: &Path, jobs: usize, progress: bool) -> Result<Graded> {
    let loaded = Loaded::read(assignment)?;
    let subs = submissions(submissions_dir)?;
    let work = tempfile::tempdir().map_err(|e| Error::io("temporary directory", e))?;
    let bar = if progress { ProgressBar::new(subs.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("grading [{bar:30}] {pos}/{len} ({eta})").expect("valid template"));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::invalid("grade", "jobs", e.to_string()))?;
    let records: Vec<Result<(Record, bool)>> = pool.install(|| {
        subs.par_iter()
            .enumerate()
            .map(|(i, s)| {
                if let Some(record) = finished(out, &loaded, s) {
                    bar.inc(1);
                    return Ok((record, true));
                }
                // The grader failing on one submission (a full disk, rustc
                // missing) costs that submission a grade that says so, not
                // the batch; its record is not kept, so a rerun grades it.
                let (record, keep) = match grade_one(&loaded, s, &work.path().join(format!("{i}"))) {
                    Ok(record) => (record, true),
                    Err(e) => {
                        let why = format!("the grader could not grade this submission: {e}");
                        let grade = ungradable(&s.student, &loaded.assignment.rules, &why);
                        let sha = take(s).map(|t| t.sha256).unwrap_or_default();
                        (Record::new(grade, &loaded, sha), false)
                    }
                };
                let json = |v: &serde_json::Value| serde_json::to_vec_pretty(v).expect("JSON");
                let write = |p: PathBuf, bytes: &[u8]| write_atomically(&p, bytes);
                let name = &s.student;
                for platform in Platform::ALL {
                    write(
                        out.join(platform.folder()).join(name).join("results.json"),
                        &json(&platform.results(&record)),
                    )?;
                }
                write(
                    out.join("feedback").join(format!("{name}.html")),
                    feedback_html(&loaded.assignment, &record)?.as_bytes(),
                )?;
                // Last: its presence says the student's files are complete.
                if keep {
                    write(
                        out.join("students").join(format!("{name}.json")),
                        &serde_json::to_vec_pretty(&record).expect("JSON"),
                    )?;
                }
                bar.inc(1);
                Ok((record, false))
            })
            .collect()
    });
    bar.finish_and_clear();
    let done = records.into_iter().collect::<Result<Vec<_>>>()?;
    let reused = done.iter().filter(|(_, r)| *r).count();
    let records: Vec<Record> = done.into_iter().map(|(r, _)| r).collect();
    let grades: Vec<Grade> = records.iter().map(|r| r.grade.clone()).collect();
    let pairs = similar_pairs(assignment, &subs)?;
    write_atomically(&out.join("similarity.csv"), crate::similarity::csv(&pairs).as_bytes())?;
    write_atomically(&out.join("gradebook.csv"), gradebook_csv(&grades).as_bytes())?;
    let classes: Vec<&str> = loaded.optimizer_cases().iter().map(|c| c.optimizer.as_str()).collect();
    write_atomically(&out.join("index.html"), class_html(&loaded.assignment, &classes, &records, &pairs)?.as_bytes())?;
    Ok(Graded { records, reused })
}
