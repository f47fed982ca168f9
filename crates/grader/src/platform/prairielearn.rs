//! PrairieLearn's external grader: its `results.json`.

use crate::score::Grade;
use serde_json::{json, Value};

/// PrairieLearn's `results.json` (`score` in [0, 1]).
pub fn results(grade: &Grade) -> Value {
    let max = grade.max_score();
    let tests: Vec<Value> = grade
        .tests
        .iter()
        .map(|t| {
            json!({"name": t.name, "points": t.score, "max_points": t.max_score,
                   "message": t.diagnosis.as_ref().map_or("", |d| d.message.as_str()), "output": t.output})
        })
        .collect();
    let score = if max > 0.0 { grade.score() / max } else { 0.0 };
    json!({"gradable": grade.gradable, "score": score, "message": grade.message, "tests": tests})
}
