//! Which known slip a wrong trajectory is.

use crate::course::{for_class, Variant};
use crate::replay::{compare, run_forced, Case, Replay, Trajectory, TOL};
use serde::{Deserialize, Serialize};

/// A slip that explains every step of a student's trajectory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The slip's key (`no_bias_correction`).
    pub key: String,
    /// In words, for the student.
    pub message: String,
}

/// The first of `case`'s slips whose teacher-forced parameters match
/// `trajectory`'s at every step (parameters only: a slip's buffers need not
/// be named as the student named theirs). `None` when the trajectory's
/// parameters are right, when no slip explains it, or when the optimizer
/// has no list. A slip that this case cannot tell from the reference (ε
/// inside the root, when every `v̂` dwarfs ε) is never the diagnosis.
pub fn diagnose(trajectory: &Trajectory, case: &Case) -> Option<Diagnosis> {
    let (_, slips) = for_class(&case.optimizer)?;
    let steps = case.steps();
    let right = |t: &Trajectory| compare(t, case, TOL, false).matched == steps;
    if trajectory.params.len() != steps || right(trajectory) {
        return None;
    }
    slips.iter().filter(|v| (v.applies)(&case.hyper)).find_map(|v: &Variant| {
        let forced = run_forced((v.build)(&case.hyper).as_mut(), case);
        if right(&forced) {
            return None;
        }
        let as_reference = Case { params: forced.params, ..case.clone() };
        let replay: Replay = compare(trajectory, &as_reference, TOL, false);
        (replay.matched == steps).then(|| Diagnosis {
            key: v.key.to_string(),
            message: format!("your updates match {} at every one of the {steps} steps", v.description),
        })
    })
}
