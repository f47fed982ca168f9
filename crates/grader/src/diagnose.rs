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
    let matching: Vec<&Variant> = slips
        .iter()
        .filter(|v| (v.applies)(&case.hyper))
        .filter(|v: &&Variant| {
            let forced = run_forced((v.build)(&case.hyper).as_mut(), case);
            if right(&forced) {
                return false;
            }
            let as_reference = Case { params: forced.params, ..case.clone() };
            let replay: Replay = compare(trajectory, &as_reference, TOL, false);
            replay.matched == steps
        })
        .collect();
    let first = matching.first()?;
    let mut message = format!("your updates match {} at every one of the {steps} steps", first.description);
    if matching.len() > 1 {
        let others: Vec<&str> = matching[1..].iter().map(|v| v.description).collect();
        message.push_str(&format!(
            "; on this test they equally match {} (the test cannot tell these apart)",
            others.join("; and ")
        ));
    }
    Some(Diagnosis { key: first.key.to_string(), message })
}

/// A slip and its teacher-forced parameters on a case.
type SlipRun<'a> = (&'a Variant, Vec<Vec<f64>>);

/// The slips an assignment's visible tests cannot show before the
/// deadline, each with why, from its tests' cases, each with whether a
/// visible replay test shows it: a slip must differ from the reference on
/// some shown case where it applies, and from every slip it can be
/// confused with (one that applies to a case it applies to) on some shown
/// case where both apply. `grade assign` refuses an assignment that leaves
/// one invisible.
pub fn invisible_slips(cases: &[(&Case, bool)]) -> Vec<String> {
    let forced = |v: &Variant, case: &Case| run_forced((v.build)(&case.hyper).as_mut(), case).params;
    let differ = |a: &[Vec<f64>], b: &[Vec<f64>], case: &Case| {
        compare(
            &Trajectory { params: a.to_vec(), ..Trajectory::default() },
            &Case { params: b.to_vec(), ..case.clone() },
            TOL,
            false,
        )
        .matched
            < case.steps()
    };
    // Every case's applicable slips, and which cases are shown.
    let mut slips: Vec<&Variant> = Vec::new();
    let mut co_apply: Vec<(&str, &str)> = Vec::new();
    let mut shown: Vec<(&Case, Vec<SlipRun>)> = Vec::new();
    for &(case, visible_replay) in cases {
        let Some((_, list)) = for_class(&case.optimizer) else { continue };
        let applicable: Vec<&Variant> = list.iter().filter(|v| (v.applies)(&case.hyper)).collect();
        for v in &applicable {
            if !slips.iter().any(|s| s.key == v.key) {
                slips.push(v);
            }
            for w in &applicable {
                if v.key < w.key && !co_apply.contains(&(v.key, w.key)) {
                    co_apply.push((v.key, w.key));
                }
            }
        }
        if visible_replay {
            shown.push((case, applicable.iter().map(|v| (*v, forced(v, case))).collect()));
        }
    }
    let mut out = Vec::new();
    for v in &slips {
        let seen =
            shown.iter().any(|(case, runs)| runs.iter().any(|(w, p)| w.key == v.key && differ(p, &case.params, case)));
        if !seen {
            out.push(format!("{} ({}): no visible test tells it from the reference", v.key, v.description));
        }
    }
    for (a, b) in co_apply {
        let told = shown.iter().any(|(case, runs)| {
            let (pa, pb) = (runs.iter().find(|r| r.0.key == a), runs.iter().find(|r| r.0.key == b));
            matches!((pa, pb), (Some(x), Some(y)) if differ(&x.1, &y.1, case))
        });
        if !told {
            out.push(format!("{a} and {b}: no visible test tells them apart"));
        }
    }
    out
}
