//! PrairieLearn's external grader: its `results.json`, and the files a
//! course needs to grade a question with descent (`grade package
//! --prairielearn`).

use crate::model::Loaded;
use crate::platform::gradescope::{not_needed, SOURCES};
use crate::score::{Grade, Visibility};
use descent::{Error, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;

/// PrairieLearn's `results.json` (`score` in [0, 1]). PrairieLearn shows
/// every test it is given: a test that is not `visible` is given only as
/// its points under a neutral name, with no message, output or diagnosis.
/// Its size is bounded by the grade's ([`crate::score::MAX_TEXTS`]), under
/// PrairieLearn's 1 MB.
pub fn results(grade: &Grade) -> Value {
    let max = grade.max_score();
    let mut hidden = 0;
    let tests: Vec<Value> = grade
        .tests
        .iter()
        .map(|t| {
            if t.visibility == Visibility::Visible {
                json!({"name": t.name, "points": t.score, "max_points": t.max_score,
                       "message": t.diagnosis.as_ref().map_or("", |d| d.message.as_str()), "output": t.output})
            } else {
                hidden += 1;
                json!({"name": format!("hidden test {hidden}"), "points": t.score, "max_points": t.max_score})
            }
        })
        .collect();
    let score = if max > 0.0 { grade.score() / max } else { 0.0 };
    json!({"gradable": grade.gradable, "score": score, "message": grade.message, "tests": tests})
}

/// The entry point PrairieLearn's grading container runs: grade
/// `/grade/student` against the question's tests in `/grade/tests` and write
/// `/grade/results/results.json`, or, if the grader itself fails, a result
/// that says so. `PL_GRADE` (default `/grade`) is the root, for trying it
/// elsewhere; `DESCENT_GRADE` the `grade` binary (default: the image's).
const RUN: &str = r#"#!/usr/bin/env bash
# PrairieLearn runs this for each submission, in the image built from
# serverFilesCourse/descent/Dockerfile.
set -uo pipefail
root="${PL_GRADE:-/grade}"
grade="${DESCENT_GRADE:-/usr/local/bin/grade}"
mkdir -p "$root/results"
"$grade" one "$root/tests" "$root/student" --prairielearn "$root/results/results.json"
if [ ! -s "$root/results/results.json" ]; then
    printf '{"gradable": false, "score": 0, "message": "the grader could not grade this submission; your teacher has the log"}\n' \
        >"$root/results/results.json"
fi
"#;

/// The image: Rust and the `grade` binary, built from descent's sources.
const DOCKERFILE: &str = r#"# The image PrairieLearn grades descent's questions in. Build it from this
# folder (serverFilesCourse/descent), push it to Docker Hub, and name it in
# each question's info.json ("image").
FROM rust:1-slim-bookworm
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libc6-dev && rm -rf /var/lib/apt/lists/*
COPY . /opt/descent
RUN cd /opt/descent && cargo build --release --locked --bin grade \
    && cp target/release/grade /usr/local/bin/grade && rm -rf target
"#;

/// A stable UUID for the question of assignment `name` (PrairieLearn needs
/// one; the same assignment always gets the same).
fn uuid(name: &str) -> String {
    let h = hex::encode(Sha256::digest(format!("descent question {name}").as_bytes()));
    format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

/// Writes into `out` what a PrairieLearn course needs to grade the
/// assignment in `assignment` externally:
/// - `questions/descent_NAME/info.json` (external grading enabled, the
///   entry point, `serverFilesCourse/descent`, no network, a timeout);
/// - `questions/descent_NAME/question.html` (a file editor for
///   `solution.rs` and the grader's results);
/// - `questions/descent_NAME/tests/`: the assignment with its hidden data
///   and without its solution (PrairieLearn mounts it at `/grade/tests`,
///   never shown to students);
/// - `serverFilesCourse/descent/`: descent's sources, `run_grader` (the
///   entry point) and the `Dockerfile` of the image.
///
/// `out` is written whole or not at all.
pub fn package(assignment: &Path, source: &Path, out: &Path) -> Result<()> {
    let loaded = Loaded::read(assignment)?;
    super::check_source(source)?;
    let tmp = out.with_extension("partial");
    let _ = std::fs::remove_dir_all(&tmp);
    let write = |rel: &str, bytes: &[u8], mode: u32| -> Result<()> {
        let path = tmp.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(path.display(), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io(path.display(), e))?;
        }
        #[cfg(not(unix))]
        let _ = mode;
        Ok(())
    };
    let copy = |from: &Path, to: &str, skip: &dyn Fn(&Path) -> bool| -> Result<()> {
        for (file, name) in super::tree_files(from, to, skip)? {
            let bytes = std::fs::read(&file).map_err(|e| Error::io(file.display(), e))?;
            write(&name, &bytes, 0o644)?;
        }
        Ok(())
    };
    let a = &loaded.assignment;
    let question = format!("questions/descent_{}", a.name);
    let info = serde_json::json!({
        "uuid": uuid(&a.name),
        "type": "v3",
        "title": a.title,
        "topic": "Optimizers",
        "tags": ["descent"],
        "singleVariant": true,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": true,
            "image": "YOUR_DOCKERHUB_USER/descent-grader",
            "serverFilesCourse": ["descent/"],
            "entrypoint": "/grade/serverFilesCourse/descent/run_grader",
            "timeout": (a.timeout_seconds * 2.0 * a.rules.tests.len() as f64 + 120.0).ceil(),
            "enableNetworking": false
        }
    });
    write(&format!("{question}/info.json"), &serde_json::to_vec_pretty(&info).expect("JSON"), 0o644)?;
    let html = format!(
        "<pl-question-panel>\n<p>{}: write <code>solution.rs</code> (one module of plain Rust, as in the kit).</p>\n\
         </pl-question-panel>\n<pl-file-editor file-name=\"solution.rs\" ace-mode=\"ace/mode/rust\"></pl-file-editor>\n\
         <pl-submission-panel>\n<pl-external-grader-results></pl-external-grader-results>\n</pl-submission-panel>\n",
        a.title.replace('&', "&amp;").replace('<', "&lt;")
    );
    write(&format!("{question}/question.html"), html.as_bytes(), 0o644)?;
    copy(assignment, &format!("{question}/tests"), &|rel: &Path| rel.starts_with("solution"))?;
    for part in SOURCES {
        copy(&source.join(part), &format!("serverFilesCourse/descent/{part}"), &|rel: &Path| {
            part == "crates" && not_needed(rel)
        })?;
    }
    write("serverFilesCourse/descent/run_grader", RUN.as_bytes(), 0o755)?;
    write("serverFilesCourse/descent/Dockerfile", DOCKERFILE.as_bytes(), 0o644)?;
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| Error::io(out.display(), e))?;
    }
    std::fs::rename(&tmp, out).map_err(|e| Error::io(out.display(), e))
}
