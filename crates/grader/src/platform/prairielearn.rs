//! PrairieLearn's external grader: its `results.json`.

use crate::score::{Grade, Visibility};
use serde_json::{json, Value};

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
