//! The grader's core against PyTorch's trajectories (`tests/golden/grading.json`,
//! written by `scripts/golden/grading.py`) and a corpus of student
//! optimizers: correct ones, each common slip, one that names its state
//! wrong, one that panics, one that returns NaN. The students are written
//! here independently of `descent_grader::course`.

use descent_grader::{
    compare, course::for_class, diagnose, run_forced, Case, Hyper, StudentOptimizer, Trajectory, TOL,
};
use serde::Deserialize;
use std::path::PathBuf;

/// Reads and parses `tests/golden/<name>` (written by `scripts/golden/grading.py`).
fn golden<D: for<'de> Deserialize<'de>>(name: &str) -> D {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sample submissions of `tests/submissions/NAME/`, and the
/// assignment's reference solution (`solution.rs` or `solution.ipynb`) as
/// `NAME_correct`, in `dir/subs`.
fn corpus_folder(name: &str, dir: &std::path::Path) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let subs = dir.join("subs");
    std::fs::create_dir_all(&subs).unwrap();
    for e in std::fs::read_dir(root.join("tests/submissions").join(name)).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, subs.join(p.file_name().unwrap())).unwrap();
    }
    let solution = root.join("assignments").join(name).join("solution");
    for file in ["solution.rs", "solution.ipynb"] {
        if solution.join(file).is_file() {
            let ext = file.rsplit('.').next().unwrap();
            std::fs::copy(solution.join(file), subs.join(format!("{name}_correct.{ext}"))).unwrap();
        }
    }
    subs
}

#[derive(Deserialize)]
struct File {
    cases: Vec<Case>,
    op_cases: Vec<descent_grader::ops::OpCase>,
}

fn cases() -> Vec<Case> {
    golden::<File>("grading.json").cases
}

/// The golden op cases of the ops `ops` (`tests/golden/grading.json`).
fn op_cases(ops: &[&str]) -> Vec<descent_grader::ops::OpCase> {
    golden::<File>("grading.json").op_cases.into_iter().filter(|c| ops.contains(&c.op.as_str())).collect()
}

/// A student's Adam, written the way the course teaches it, with the
/// slips a student makes as switches.
#[derive(Default, Clone)]
struct StudentAdam {
    h: Option<Hyper>,
    no_bias_correction: bool,
    eps_inside: bool,
    swap_betas: bool,
    plus: bool,
    t: i32,
    m: Vec<f64>,
    v: Vec<f64>,
    vmax: Vec<f64>,
    state_name: Option<&'static str>,
    panic_at: Option<i32>,
    nan: bool,
}

impl StudentOptimizer for StudentAdam {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        let h = self.h.expect("hyperparameters");
        let (b1, b2) = if self.swap_betas { (h.betas.1, h.betas.0) } else { h.betas };
        if self.m.is_empty() {
            self.m = vec![0.0; params.len()];
            self.v = vec![0.0; params.len()];
            self.vmax = vec![0.0; params.len()];
        }
        self.t += 1;
        if Some(self.t) == self.panic_at {
            panic!("index out of bounds: the len is 2 but the index is 2");
        }
        for i in 0..params.len() {
            let mut g = grads[i];
            if h.decoupled {
                params[i] -= h.lr * h.weight_decay * params[i];
            } else {
                g += h.weight_decay * params[i];
            }
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g;
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g;
            self.vmax[i] = self.vmax[i].max(self.v[i]);
            let v = if h.amsgrad { self.vmax[i] } else { self.v[i] };
            let (m_hat, v_hat) = if self.no_bias_correction {
                (self.m[i], v)
            } else {
                (self.m[i] / (1.0 - b1.powi(self.t)), v / (1.0 - b2.powi(self.t)))
            };
            let denom = if self.eps_inside { (v_hat + h.eps).sqrt() } else { v_hat.sqrt() + h.eps };
            let step = h.lr * m_hat / denom;
            params[i] = if self.nan {
                f64::NAN
            } else if self.plus {
                params[i] + step
            } else {
                params[i] - step
            };
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        let mut s = vec![
            (self.state_name.unwrap_or("exp_avg").to_string(), self.m.clone()),
            ("exp_avg_sq".to_string(), self.v.clone()),
        ];
        if self.h.is_some_and(|h| h.amsgrad) {
            s.push(("max_exp_avg_sq".to_string(), self.vmax.clone()));
        }
        s
    }
}

/// A student's SGD with momentum (torch's form) and Nesterov, with slips.
#[derive(Default)]
struct StudentMomentum {
    h: Option<Hyper>,
    ema: bool,
    ignore_nesterov: bool,
    b: Vec<f64>,
}

impl StudentOptimizer for StudentMomentum {
    fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        let h = self.h.expect("hyperparameters");
        let first = self.b.is_empty();
        if first {
            self.b = vec![0.0; params.len()];
        }
        for i in 0..params.len() {
            let g = grads[i] + h.weight_decay * params[i];
            self.b[i] = if self.ema {
                h.momentum * self.b[i] + (1.0 - h.momentum) * g
            } else if first {
                g
            } else {
                h.momentum * self.b[i] + g
            };
            let d = if h.nesterov && !self.ignore_nesterov { g + h.momentum * self.b[i] } else { self.b[i] };
            params[i] -= h.lr * d;
        }
    }

    fn state(&self) -> Vec<(String, Vec<f64>)> {
        vec![("momentum_buffer".to_string(), self.b.clone())]
    }
}

fn adam(case: &Case, change: impl FnOnce(&mut StudentAdam)) -> Trajectory {
    let mut s = StudentAdam { h: Some(case.hyper), ..StudentAdam::default() };
    change(&mut s);
    run_forced(&mut s, case)
}

fn adam_cases() -> Vec<Case> {
    cases().into_iter().filter(|c| matches!(c.optimizer.as_str(), "Adam" | "AdamW")).collect()
}

#[test]
fn the_problems_losses_and_gradients_are_pytorchs_at_every_step() {
    use descent_grader::problems::Problem;
    for case in cases() {
        let problem = Problem::from_name(&case.problem).unwrap();
        assert_eq!(case.losses.len(), case.steps() + 1, "{}", case.name);
        for t in 0..=case.steps() {
            let at = if t == 0 { &case.params0 } else { &case.params[t - 1] };
            let (loss, grad) = problem.loss_grad(at, &case.x, &case.y);
            assert!((loss - case.losses[t]).abs() <= 1e-12 * case.losses[t].abs().max(1.0), "{} step {t}", case.name);
            // The weight decay is the optimizer's, not the problem's.
            if let Some(g) = case.grads.get(t) {
                for (a, b) in grad.iter().zip(g) {
                    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{} step {t}: {a} vs {b}", case.name);
                }
            }
        }
    }
}

#[test]
fn the_reference_conventions_match_pytorch_at_every_step_with_their_state() {
    for case in cases() {
        let (reference, _) = for_class(&case.optimizer).expect("a known optimizer");
        let replay = compare(&run_forced(reference(&case.hyper).as_mut(), &case), &case, TOL, true);
        assert_eq!(replay.matched, case.steps(), "{}: {:?}", case.name, replay.first);
    }
}

#[test]
fn a_correct_student_scores_every_step_and_gets_no_diagnosis() {
    for case in adam_cases() {
        let t = adam(&case, |_| {});
        let replay = compare(&t, &case, TOL, true);
        assert_eq!((replay.matched, replay.first.clone()), (case.steps(), None), "{}", case.name);
        assert_eq!(diagnose(&t, &case), None, "{}", case.name);
    }
    for case in cases().into_iter().filter(|c| c.optimizer == "SGD") {
        let mut s = StudentMomentum { h: Some(case.hyper), ..StudentMomentum::default() };
        let replay = compare(&run_forced(&mut s, &case), &case, TOL, true);
        assert_eq!(replay.matched, case.steps(), "{}: {:?}", case.name, replay.first);
    }
}

#[test]
fn each_adam_slip_is_named_on_every_case_that_shows_it() {
    type Slip = (&'static str, fn(&mut StudentAdam));
    // Without bias correction on an AMSGrad case is Reddi's AMSGrad.
    let adam_cases = || adam_cases().into_iter().filter(|c| !c.hyper.amsgrad).collect::<Vec<_>>();
    let slips: [Slip; 4] = [
        ("no_bias_correction", |s| s.no_bias_correction = true),
        ("eps_inside_root", |s| s.eps_inside = true),
        ("betas_swapped", |s| s.swap_betas = true),
        ("ascends", |s| s.plus = true),
    ];
    for (key, slip) in slips {
        let mut seen = 0;
        for case in adam_cases() {
            let t = adam(&case, slip);
            if compare(&t, &case, TOL, false).matched == case.steps() {
                // Indistinguishable here (ε inside the root when v̂ ≫ ε):
                // not a mistake this case can see, and not diagnosed.
                assert_eq!(diagnose(&t, &case), None, "{}: {key}", case.name);
                continue;
            }
            seen += 1;
            let d = diagnose(&t, &case).unwrap_or_else(|| panic!("{}: {key} not diagnosed", case.name));
            assert_eq!(d.key, key, "{}: {}", case.name, d.message);
        }
        assert!(seen >= 1, "{key}: no case shows it");
        if key != "eps_inside_root" {
            assert_eq!(seen, adam_cases().len(), "{key} is visible on every case");
        }
    }
    // The message, in full, for one case.
    let case = adam_cases().into_iter().find(|c| c.name == "adam_rosenbrock").unwrap();
    let d = diagnose(&adam(&case, |s| s.no_bias_correction = true), &case).unwrap();
    assert_eq!(
        d.message,
        "your updates match no bias correction (m and v are not divided by 1 − β^t; Reddi et al.'s AMSGrad, Algorithm \
         2, has none) at every one of the 40 steps"
    );
}

#[test]
fn weight_decay_and_amsgrad_conventions_are_told_apart() {
    let by_name = |n: &str| cases().into_iter().find(|c| c.name == n).unwrap();
    // AdamW's case done with L2 decay, and Adam's with decoupled decay.
    let adamw = by_name("adamw_least_squares");
    let d = diagnose(&adam(&adamw, |s| s.h = Some(Hyper { decoupled: false, ..adamw.hyper })), &adamw).unwrap();
    assert_eq!(d.key, "l2_instead_of_decoupled");
    let l2 = by_name("adam_weight_decay");
    let d = diagnose(&adam(&l2, |s| s.h = Some(Hyper { decoupled: true, ..l2.hyper })), &l2).unwrap();
    assert_eq!(d.key, "decoupled_instead_of_l2");
    // AMSGrad without its maximum, and in Reddi's flavour.
    let ams = by_name("amsgrad_mlp");
    let d = diagnose(&adam(&ams, |s| s.h = Some(Hyper { amsgrad: false, ..ams.hyper })), &ams).unwrap();
    assert_eq!(d.key, "amsgrad_missing");
    // Without bias correction: one name on Adam's tests and AMSGrad's (where it is Reddi et al.'s Algorithm 2).
    let d = diagnose(&adam(&ams, |s| s.no_bias_correction = true), &ams).unwrap();
    assert_eq!(d.key, "no_bias_correction");
    assert!(d.message.contains("Reddi et al.'s AMSGrad, Algorithm 2"), "{}", d.message);
}

#[test]
fn momentum_slips_are_named() {
    let by_name = |n: &str| cases().into_iter().find(|c| c.name == n).unwrap();
    let case = by_name("momentum_quadratic");
    let mut ema = StudentMomentum { h: Some(case.hyper), ema: true, ..StudentMomentum::default() };
    assert_eq!(diagnose(&run_forced(&mut ema, &case), &case).unwrap().key, "ema_momentum");
    let case = by_name("nesterov_mlp");
    let mut classical = StudentMomentum { h: Some(case.hyper), ignore_nesterov: true, ..StudentMomentum::default() };
    assert_eq!(diagnose(&run_forced(&mut classical, &case), &case).unwrap().key, "nesterov_missing");
}

#[test]
fn the_first_divergence_names_the_step_and_the_buffer() {
    let case = adam_cases().into_iter().find(|c| c.name == "adam_quadratic").unwrap();
    // Right updates, state under another name: every step loses its state check.
    let replay = compare(&adam(&case, |s| s.state_name = Some("m")), &case, TOL, true);
    assert_eq!(replay.matched, 0);
    let first = replay.first.unwrap();
    assert_eq!((first.step, first.what.as_str()), (1, "exp_avg (the state has no buffer of this name)"));
    // Without bias correction, the first step's first coordinate is off.
    let replay = compare(&adam(&case, |s| s.no_bias_correction = true), &case, TOL, true);
    let first = replay.first.unwrap();
    assert_eq!((first.step, first.what.as_str()), (1, "parameter 0"));
    assert!(first.to_string().starts_with("step 1: parameter 0 is "), "{first}");
}

#[test]
fn a_panic_costs_the_steps_from_there_and_nan_matches_nothing() {
    let case = adam_cases().into_iter().find(|c| c.name == "adam_mlp").unwrap();
    let t = adam(&case, |s| s.panic_at = Some(7));
    assert_eq!(t.params.len(), 6);
    let replay = compare(&t, &case, TOL, true);
    assert_eq!(replay.matched, 6);
    assert_eq!(
        replay.first.unwrap().what,
        "the run (panicked at step 7: index out of bounds: the len is 2 but the index is 2)"
    );
    assert_eq!(diagnose(&t, &case), None);
    let t = adam(&case, |s| s.nan = true);
    let replay = compare(&t, &case, TOL, true);
    assert_eq!(replay.matched, 0);
    assert_eq!(diagnose(&t, &case), None);
}

mod child {
    //! The same checks through the real path: the student's file compiled
    //! by rustc into a runner, run in a child process that returns numbers.
    use super::*;
    use descent_grader::child::{run, Job};
    use descent_grader::compile::{compile, Built};
    use descent_grader::model::Kind;
    use std::path::PathBuf;
    use std::time::Duration;

    /// A sample submission; `adam_correct` is the assignment's reference
    /// solution.
    fn submission(name: &str) -> String {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let path = if name == "adam_correct" {
            root.join("assignments/adam/solution/solution.rs")
        } else {
            root.join("tests/submissions/adam").join(format!("{name}.rs"))
        };
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn built(name: &str, dir: &tempfile::TempDir) -> PathBuf {
        match compile(&submission(name), Kind::Optimizer, &dir.path().join(name), Duration::from_secs(120)).unwrap() {
            Built::Binary(bin) => bin,
            Built::Rejected(e) => panic!("{name} did not build: {}", e.message),
        }
    }

    #[test]
    fn a_compiled_correct_adam_matches_pytorch_on_every_case_and_step() {
        let dir = tempfile::tempdir().unwrap();
        let bin = built("adam_correct", &dir);
        let cases = adam_cases();
        let jobs: Vec<Job> = cases.iter().map(Job::forced).collect();
        let out = run(&bin, &jobs, Duration::from_secs(60)).unwrap();
        assert_eq!(out.failure, None, "{}", out.stderr);
        for (t, case) in out.trajectories.iter().zip(&cases) {
            let replay = compare(t, case, TOL, true);
            assert_eq!(replay.matched, case.steps(), "{}: {:?}", case.name, replay.first);
        }
    }

    #[test]
    fn slips_panics_compile_errors_and_hangs_cost_what_they_should() {
        let dir = tempfile::tempdir().unwrap();
        let case = adam_cases().into_iter().find(|c| c.name == "adam_rosenbrock").unwrap();
        let jobs = &[Job::forced(&case)][..];
        // A slip: every step off, and named.
        let out = run(&built("adam_no_bias_correction", &dir), jobs, Duration::from_secs(60)).unwrap();
        assert_eq!(compare(&out.trajectories[0], &case, TOL, true).matched, 0);
        assert_eq!(diagnose(&out.trajectories[0], &case).unwrap().key, "no_bias_correction");
        // A panic at step 3: two steps count, the message says where.
        let out = run(&built("adam_panics_at_step_3", &dir), jobs, Duration::from_secs(60)).unwrap();
        let replay = compare(&out.trajectories[0], &case, TOL, true);
        assert_eq!(replay.matched, 2);
        let what = replay.first.unwrap().what;
        assert!(what.starts_with("the run (panicked at step 3: index out of bounds"), "{what}");
        // A compile error: rustc's message.
        let rejected = compile(
            &submission("does_not_compile"),
            Kind::Optimizer,
            &dir.path().join("bad"),
            Duration::from_secs(120),
        )
        .unwrap();
        let Built::Rejected(err) = rejected else { panic!("a type error compiled") };
        assert!(err.message.contains("mismatched types"), "{}", err.message);
        // A hang: killed at the timeout, nothing counts.
        let started = std::time::Instant::now();
        let out = run(&built("loops_forever", &dir), jobs, Duration::from_secs(2)).unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert_eq!(out.failure.as_deref(), Some("killed after 2 s wall time"));
        let replay = compare(&out.trajectories[0], &case, TOL, true);
        assert_eq!(replay.matched, 0);
        assert_eq!(replay.first.unwrap().what, "the run (killed after 2 s wall time)");
    }
}

mod scores {
    //! Points, messages and the graders' formats.
    use super::*;
    use descent_grader::platform::{gradescope, prairielearn};
    use descent_grader::{score_test, ungradable, Grade, Rules, TestResult, TestSpec};
    use std::collections::BTreeMap;

    fn spec(case: &str, points: f64) -> TestSpec {
        serde_json::from_value(serde_json::json!({"name": case, "case": case, "points": points})).unwrap()
    }

    fn case(name: &str) -> Case {
        cases().into_iter().find(|c| c.name == name).unwrap()
    }

    #[test]
    fn points_follow_the_matching_steps_and_the_teachers_convention_credit() {
        let c = case("adam_mlp");
        let rules = Rules {
            tests: vec![spec("adam_mlp", 10.0)],
            convention_credit: BTreeMap::new(),
            visibility: descent_grader::Visibility::Visible,
        };
        let right = score_test(&rules.tests[0], &c, &adam(&c, |_| {}), &rules);
        assert_eq!((right.score, right.status.as_str()), (10.0, "passed"));
        assert_eq!(right.output, "40 of 40 steps match the reference");
        // A panic at step 7: 6 of 40 steps.
        let panicked = score_test(&rules.tests[0], &c, &adam(&c, |s| s.panic_at = Some(7)), &rules);
        assert_eq!((panicked.score, panicked.status.as_str()), (1.5, "failed"));
        // No bias correction: nothing, unless the teacher credits the convention.
        let slip = adam(&c, |s| s.no_bias_correction = true);
        let zero = score_test(&rules.tests[0], &c, &slip, &rules);
        assert_eq!(zero.score, 0.0);
        assert!(zero
            .output
            .starts_with("0 of 40 steps match the reference; first difference at step 1: parameter 0 is "));
        assert!(zero.output.ends_with(
            ". Diagnosis: your updates match no bias correction (m and v are not divided by 1 − β^t; Reddi et al.'s AMSGrad, \
             Algorithm 2, has none) at every one of the 40 steps"
        ));
        let generous = Rules { convention_credit: BTreeMap::from([("no_bias_correction".into(), 0.5)]), ..rules };
        assert_eq!(score_test(&generous.tests[0], &c, &slip, &generous).score, 5.0);
    }

    fn sample_grade() -> Grade {
        let c = case("adam_mlp");
        let mut hidden = spec("adam_mlp", 10.0);
        hidden.name = "adam_mlp_hidden".into();
        hidden.visibility = descent_grader::Visibility::Hidden;
        let rules = Rules {
            tests: vec![spec("adam_mlp", 10.0), hidden],
            convention_credit: BTreeMap::new(),
            visibility: descent_grader::Visibility::Visible,
        };
        let t = adam(&c, |s| s.panic_at = Some(21));
        let tests = rules.tests.iter().map(|s| score_test(s, &c, &t, &rules)).collect();
        Grade {
            student: "ada, \"the\" student".into(),
            gradable: true,
            message: String::new(),
            tests,
            execution_time: 0.25,
            visibility: descent_grader::Visibility::Visible,
        }
    }

    #[test]
    fn gradescope_results_have_the_documented_fields() {
        let v = gradescope::results(&sample_grade());
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&v), ["execution_time", "output", "score", "tests", "visibility"]);
        assert_eq!(v["visibility"], "visible");
        assert_eq!(v["score"], 10.0);
        for t in v["tests"].as_array().unwrap() {
            assert_eq!(keys(t), ["max_score", "name", "output", "score", "status", "visibility"]);
            assert!(
                ["hidden", "after_due_date", "after_published", "visible"].contains(&t["visibility"].as_str().unwrap())
            );
            assert!(["passed", "failed"].contains(&t["status"].as_str().unwrap()));
        }
        assert_eq!(v["tests"][1]["visibility"], "hidden");
    }

    #[test]
    fn a_flood_of_text_is_cut_and_results_stay_under_one_megabyte() {
        // Every test's output and the message 4 MB, with control characters.
        let mut flood = sample_grade();
        let big = format!("\u{1b}[31m{}", "0.123456789 ".repeat(4 << 18));
        flood.message = big.clone();
        let spec0 = flood.tests[0].clone();
        flood.tests =
            (0..40).map(|i| TestResult { name: format!("t{i}"), output: big.clone(), ..spec0.clone() }).collect();
        let bounded = flood.bounded();
        assert!(bounded.tests.iter().all(|t| t.output.len() <= descent_grader::score::MAX_TEXT + 100));
        assert!(bounded.tests[0].output.contains("[cut: "), "the cut is not said");
        assert!(!bounded.message.contains('\u{1b}'), "a control character reached the student");
        for v in [gradescope::results(&bounded), prairielearn::results(&bounded)] {
            let bytes = serde_json::to_vec_pretty(&v).unwrap().len();
            assert!(bytes < 1_000_000, "results.json of {bytes} bytes");
        }
    }

    #[test]
    fn prairielearn_results_have_the_documented_fields() {
        let v = prairielearn::results(&sample_grade());
        assert_eq!(v["gradable"], true);
        assert_eq!(v["score"], 0.5);
        // The visible test in full, the hidden one as its points only.
        let keys = |t: &serde_json::Value| t.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&v["tests"][0]), ["max_points", "message", "name", "output", "points"]);
        assert_eq!(keys(&v["tests"][1]), ["max_points", "name", "points"]);
        assert_eq!(v["tests"][1]["name"], "hidden test 1");
        let rules = Rules {
            tests: vec![spec("adam_mlp", 10.0)],
            convention_credit: BTreeMap::new(),
            visibility: descent_grader::Visibility::Visible,
        };
        let v = prairielearn::results(&ungradable("bob", &rules, "error[E0308]: mismatched types"));
        assert_eq!((v["gradable"].as_bool(), v["score"].as_f64()), (Some(false), Some(0.0)));
        assert_eq!(v["message"], "error[E0308]: mismatched types");
    }
}

mod batch {
    //! `grade run` over the sample submissions: every student gets a
    //! gradebook row per test and their files, whatever their code does.
    use descent_grader::class::grade_all;
    use descent_grader::model::Loaded;
    use std::path::PathBuf;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_reference_solutions_score_full_marks() {
        for name in ["adam", "momentum", "rmsprop", "adagrad", "adadelta"] {
            let dir = tempfile::tempdir().unwrap();
            let subs = dir.path().join("subs");
            std::fs::create_dir_all(&subs).unwrap();
            std::fs::copy(
                root().join("assignments").join(name).join("solution/solution.rs"),
                subs.join("reference.rs"),
            )
            .unwrap();
            let records = grade_all(&root().join("assignments").join(name), &subs, &dir.path().join("out"), 1, false)
                .unwrap()
                .records;
            let g = &records[0].grade;
            assert_eq!(g.score(), g.max_score(), "{name}: {:#?}", g.tests);
            assert_eq!(records[0].assignment_hash, Loaded::read(&root().join("assignments").join(name)).unwrap().hash);
        }
    }

    use super::corpus_folder as corpus;

    /// The words a diagnosis on a 40-step case ends with.
    fn diagnosed(what: &str) -> String {
        format!("Diagnosis: your updates match {what} at every one of the 40 steps")
    }

    #[test]
    fn the_adam_corpus_gets_its_exact_scores_and_diagnoses_and_everyone_is_graded() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let records =
            grade_all(&root().join("assignments/adam"), &corpus("adam", dir.path()), &out, 2, false).unwrap().records;
        let by = |s: &str| &records.iter().find(|r| r.grade.student == s).unwrap().grade;
        let test = |s: &str, t: &str| by(s).tests.iter().find(|x| x.name == t).unwrap().clone();
        assert_eq!(records.len(), 16);
        // The numbers only hidden tests' cases hold, and the detector finds
        // one printed as a diagnosis would print it.
        let hidden_only = hidden_numbers(&root().join("assignments/adam"));
        assert!(hidden_only.len() > 100, "{}", hidden_only.len());
        let planted = format!("parameter 0 is {:.8e}, PyTorch's", hidden_only[hidden_only.len() / 2]);
        assert!(hidden_number(&planted, &hidden_only).is_some(), "the detector missed {planted}");
        // Scores: 80 points of replays (9 tests) and 20 of properties (4 × 5).
        let expected = [
            ("adam_correct", 100.0),
            // Every replay but the AMSGrad ones (0 steps), all properties.
            ("adam_amsgrad_max_of_corrected", 76.0),
            // Every replay 0 but named (real work); lr = 0, maximize,
            // determinism pass; it does not reach Rosenbrock's band (7.996
            // against 5.909 · 1.05).
            ("adam_betas_swapped", 15.0),
            // Same, but reaches the band: 5.8995.
            ("adam_bias_correction_one_ahead", 20.0),
            // ε inside: indistinguishable where v̂ ≫ ε (full points), the
            // convention's 0.8 credit on the three MLP cases where it shows.
            ("adam_eps_inside_root", 80.0 - 1.6 - 1.6 - 2.4 + 20.0),
            // L2 where AdamW was asked: the first AdamW step matches (the
            // decay acts from step 2), 1 of 40 of 8 points.
            ("adam_l2_always", 72.0 + 0.2 + 20.0),
            // No bias correction, one name and the teacher's 0.5 credit on
            // all nine replays (Reddi's AMSGrad on the AMSGrad ones); all
            // four properties.
            ("adam_no_bias_correction", 40.0 + 20.0),
            // Panics at step 3 of every run: 2 of 40 steps of the 80
            // replay points; every property run is cut short.
            ("adam_panics_at_step_3", 4.0),
            // NaN from step 1: no real work, and a NaN fails determinism.
            ("adam_returns_nan", 0.0),
            // Nothing happens, or the input comes back, or seeded noise:
            // the properties they would pass vacuously earn nothing.
            ("adam_does_nothing", 0.0),
            ("adam_returns_input", 0.0),
            ("adam_random_noise", 0.0),
            // A slip the grader does not know, with right moments: every
            // replay 0; the three properties (its state agrees and it moves: real work)
            // and the free run, which ends inside Rosenbrock's band.
            ("adam_corrects_m_only", 20.0),
            ("adam_sign_error", 15.0),
            ("does_not_compile", 0.0),
            ("loops_forever", 0.0),
        ];
        for (student, score) in expected {
            assert!((by(student).score() - score).abs() < 1e-9, "{student}: {} != {score}", by(student).score());
            assert_eq!(by(student).max_score(), 100.0, "{student}");
        }
        // Each slip named, in words, on a test that shows it.
        for (student, t, key, words) in [
            (
                "adam_no_bias_correction",
                "adam_quadratic",
                "no_bias_correction",
                "no bias correction (m and v are not divided by 1 − β^t; Reddi et al.'s AMSGrad, Algorithm 2, has none)",
            ),
            (
                "adam_no_bias_correction",
                "amsgrad_rosenbrock",
                "no_bias_correction",
                "no bias correction (m and v are not divided by 1 − β^t; Reddi et al.'s AMSGrad, Algorithm 2, has none)",
            ),
            (
                "adam_bias_correction_one_ahead",
                "adam_rosenbrock",
                "bias_correction_one_ahead",
                "the bias correction one step ahead (1 − β^(t+1) instead of 1 − β^t)",
            ),
            (
                "adam_eps_inside_root",
                "adam_large_eps",
                "eps_inside_root",
                "ε inside the square root (√(v̂ + ε) instead of √v̂ + ε)",
            ),
            ("adam_betas_swapped", "adam_mlp", "betas_swapped", "β1 and β2 swapped"),
            (
                "adam_sign_error",
                "adam_least_squares",
                "ascends",
                "a sign error: the update climbs the gradient (θ + step)",
            ),
            (
                "adam_l2_always",
                "adamw_least_squares",
                "l2_instead_of_decoupled",
                "L2 weight decay (λθ added to the gradient) where AdamW's decoupled decay was asked",
            ),
            (
                "adam_amsgrad_max_of_corrected",
                "amsgrad_mlp",
                "amsgrad_max_of_corrected",
                "AMSGrad's maximum taken over the bias-corrected v̂ instead of the raw v (torch)",
            ),
        ] {
            let r = test(student, t);
            assert_eq!(r.diagnosis.as_ref().map(|d| d.key.as_str()), Some(key), "{student} {t}: {}", r.output);
            assert!(r.output.ends_with(&diagnosed(words)), "{student} {t}: {}", r.output);
        }
        // ε inside the root cannot be told apart where v̂ ≫ ε: full points, no diagnosis.
        let hidden = test("adam_eps_inside_root", "adam_quadratic");
        assert_eq!((hidden.score, hidden.diagnosis), (8.0, None));
        // The failures say what happened.
        assert_eq!(
            test("adam_returns_nan", "adam_quadratic").output,
            "0 of 40 steps match the reference; first difference at step 1: parameter 0 is NaN, the reference's is \
             -4.9500000005e0. No known mistake matches these steps; the first NaN or infinity is at step 1, parameter \
             0 = NaN; at step 1 every state buffer (exp_avg, exp_avg_sq) agrees with the reference, so the mistake is \
             in the update that uses them"
        );
        assert_eq!(
            test("adam_returns_nan", "free_running_rosenbrock").output,
            "run freely for 40 steps, the loss is NaN; PyTorch's is 5.909229e0, the band ends at 6.204690e0"
        );
        assert!(test("adam_panics_at_step_3", "adam_quadratic")
            .output
            .ends_with("step 3: the run (panicked at step 3: index out of bounds: the len is 0 but the index is 3)"));
        assert_eq!(
            test("adam_panics_at_step_3", "lr_zero_changes_nothing").output,
            "with lr = 0, the run stopped after 2 of 40 steps (panicked at step 3: index out of bounds: the len is 0 \
             but the index is 3)"
        );
        assert_eq!(test("adam_sign_error", "maximize_ascends").status, "passed");
        let broken = by("does_not_compile");
        assert!(!broken.gradable && broken.message.contains("mismatched types"), "{}", broken.message);
        let stuck = by("loops_forever");
        assert_eq!(stuck.message, "the run ended badly: killed after 10 s wall time in test adam_quadratic");
        // The files: a gradebook row per student and test, and each platform's results.
        let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
        assert_eq!(csv.lines().count(), 1 + 16 * 13);
        for r in &records {
            let name = &r.grade.student;
            for platform in ["gradescope", "prairielearn"] {
                let path = out.join(platform).join(name).join("results.json");
                let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                assert_eq!(v["tests"].as_array().unwrap().len(), 13, "{}", path.display());
            }
            let record: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(out.join("students").join(format!("{name}.json"))).unwrap(),
            )
            .unwrap();
            assert_eq!(record["submission_sha256"].as_str().unwrap().len(), 64);
            // The feedback page: every visible test, no other by name.
            let page = std::fs::read_to_string(out.join("feedback").join(format!("{name}.html"))).unwrap();
            for t in &r.grade.tests {
                let hidden = t.visibility != descent_grader::Visibility::Visible;
                assert_eq!(page.contains(&format!("<td>{}", t.name)), !hidden, "{name}: {}", t.name);
            }
            assert!(page.contains("2 hidden tests"), "{name}");
            // No number of a case that only hidden tests use reaches any
            // student-facing file: the page, PrairieLearn's results whole,
            // Gradescope's total and visible tests.
            let gradescope: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join("gradescope").join(name).join("results.json")).unwrap())
                    .unwrap();
            let mut seen =
                vec![page, std::fs::read_to_string(out.join("prairielearn").join(name).join("results.json")).unwrap()];
            seen.push(gradescope["output"].to_string());
            for t in gradescope["tests"].as_array().unwrap() {
                if t["visibility"] == "visible" {
                    seen.push(t.to_string());
                }
            }
            for text in &seen {
                if let Some(n) = hidden_number(text, &hidden_only) {
                    panic!("{name}: a hidden case's number {n} reached a student: {text}");
                }
            }
        }
        // The class page: each mistake diagnosed, with how many students.
        let class = std::fs::read_to_string(out.join("index.html")).unwrap();
        for key in ["no_bias_correction", "eps_inside_root", "betas_swapped", "amsgrad_max_of_corrected", "ascends"] {
            assert!(class.contains(&format!("<code>{key}</code></td><td class=\"num\">1</td>")), "{key}");
        }
        assert!(class.contains("16 submissions (1 did not build)"));
        // A slip nobody named: said so, with the buffers that still agree.
        assert!(
            test("adam_corrects_m_only", "adam_quadratic").output.ends_with(
                ". No known mistake matches these steps; at step 1 every state buffer (exp_avg, exp_avg_sq) agrees \
                 with the reference, so the mistake is in the update that uses them"
            ),
            "{}",
            test("adam_corrects_m_only", "adam_quadratic").output
        );
        // A do-nothing optimizer passes lr = 0 and is told why it earns nothing.
        let idle = test("adam_does_nothing", "lr_zero_changes_nothing");
        assert!(idle.score == 0.0 && idle.output.contains("No points: no test shows the submission doing the work"));
        // NaN in a property's run fails it, saying where.
        let nan = test("adam_returns_nan", "deterministic");
        assert!(nan.output.contains("first at step 1, parameter 0 = NaN"), "{}", nan.output);
        // Every pair in similarity.csv; the copies of the reference are alike to nobody.
        let similarity = std::fs::read_to_string(out.join("similarity.csv")).unwrap();
        assert_eq!(similarity.lines().count(), 1 + 16 * 15 / 2);
        assert_eq!(class.matches("<rect class=\"bar\"").count(), 10);
    }

    /// A number printed with `digits` significant digits.
    fn rounded(x: f64, digits: i32) -> f64 {
        if x == 0.0 || !x.is_finite() {
            return x;
        }
        let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
        (x * scale).round() / scale
    }

    /// Every number of the reference's cases, by whether a visible test uses
    /// its case: those only hidden tests use, less any a visible case also
    /// holds (to six significant digits).
    fn hidden_numbers(assignment: &std::path::Path) -> Vec<f64> {
        let spec: serde_json::Value =
            serde_json::from_slice(&std::fs::read(assignment.join("assignment.json")).unwrap()).unwrap();
        let reference: serde_json::Value =
            serde_json::from_slice(&std::fs::read(assignment.join("hidden/reference.json")).unwrap()).unwrap();
        let tests = spec["rules"]["tests"].as_array().unwrap();
        let visible_case =
            |case: &str| tests.iter().any(|t| t["case"] == case && t.get("visibility").is_none_or(|v| v == "visible"));
        fn collect(v: &serde_json::Value, into: &mut Vec<f64>) {
            match v {
                serde_json::Value::Number(n) => into.push(n.as_f64().unwrap()),
                serde_json::Value::Array(a) => a.iter().for_each(|x| collect(x, into)),
                serde_json::Value::Object(o) => o.values().for_each(|x| collect(x, into)),
                _ => {}
            }
        }
        let (mut hidden, mut visible) = (Vec::new(), Vec::new());
        for case in reference["cases"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            collect(case, if visible_case(name) { &mut visible } else { &mut hidden });
        }
        let visible: std::collections::BTreeSet<u64> = visible.iter().map(|&x| rounded(x, 6).to_bits()).collect();
        hidden.retain(|&x| x.is_finite() && !visible.contains(&rounded(x, 6).to_bits()));
        hidden
    }

    /// A number printed in `text` with at least six significant digits
    /// that is one of `hidden` to as many digits.
    fn hidden_number(text: &str, hidden: &[f64]) -> Option<String> {
        let keys: std::collections::BTreeSet<(i32, u64)> =
            (6..=17).flat_map(|d| hidden.iter().map(move |&h| (d, rounded(h, d).to_bits()))).collect();
        let is_num = |c: char| c.is_ascii_digit() || ".eE-+".contains(c);
        text.split(|c: char| !is_num(c))
            .filter(|t| !t.is_empty())
            .find(|token| {
                let digits = token.split(['e', 'E']).next().unwrap_or("").trim_start_matches(['-', '+', '0', '.']);
                let significant = digits.chars().filter(char::is_ascii_digit).count() as i32;
                significant >= 6
                    && token
                        .parse::<f64>()
                        .is_ok_and(|x| keys.contains(&(significant.min(17), rounded(x, significant.min(17)).to_bits())))
            })
            .map(str::to_string)
    }

    #[test]
    fn the_momentum_corpus_gets_its_exact_scores_and_diagnoses() {
        let dir = tempfile::tempdir().unwrap();
        let records = grade_all(
            &root().join("assignments/momentum"),
            &corpus("momentum", dir.path()),
            &dir.path().join("o"),
            2,
            false,
        )
        .unwrap()
        .records;
        let by = |s: &str| &records.iter().find(|r| r.grade.student == s).unwrap().grade;
        assert_eq!(by("momentum_correct").score(), 60.0);
        // The three momentum replays are EMA throughout (named); the
        // Nesterov ones match no known slip; lr = 0 and maximize pass;
        // the quadratic is not reached (0.588 against 0.0298 · 1.05).
        let ema = by("momentum_ema");
        assert_eq!(ema.score(), 5.0);
        assert!(ema.tests[0]
            .output
            .ends_with(&diagnosed("momentum as an exponential moving average (v ← μv + (1 − μ)g, θ ← θ − ηv)")));
        assert_eq!(ema.tests[3].diagnosis, None);
        // Classical momentum everywhere: the momentum tests pass, Nesterov's named.
        let classical = by("momentum_nesterov_missing");
        assert_eq!(classical.score(), 35.0);
        assert!(classical.tests[3]
            .output
            .ends_with(&diagnosed("classical momentum: Nesterov's look-ahead correction is missing")));
    }
}

mod course {
    //! The RMSprop, Adagrad and Adadelta assignments: their corpora graded,
    //! every slip named, and every known slip shown by a visible test.
    use descent_grader::class::grade_all;
    use descent_grader::kit::assign;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// Grades the corpus of `name` with its reference solution as NAME_correct.
    fn graded(name: &str, dir: &Path) -> Vec<descent_grader::Grade> {
        let subs = super::corpus_folder(name, dir);
        let records =
            grade_all(&root().join("assignments").join(name), &subs, &dir.join("out"), 2, false).unwrap().records;
        records.into_iter().map(|r| r.grade).collect()
    }

    /// A student, their exact score, and (test, slip key) pairs named.
    type Expected<'a> = (&'a str, f64, &'a [(&'a str, &'a str)]);

    fn check(grades: &[descent_grader::Grade], expected: &[Expected]) {
        for (student, score, named) in expected {
            let g = grades.iter().find(|g| g.student == *student).unwrap_or_else(|| panic!("no {student}"));
            assert!((g.score() - score).abs() < 1e-9, "{student}: {} != {score}: {:#?}", g.score(), g.tests);
            for (test, key) in *named {
                let t = g.tests.iter().find(|t| t.name == *test).unwrap();
                assert_eq!(t.diagnosis.as_ref().map(|d| d.key.as_str()), Some(*key), "{student} {test}: {}", t.output);
            }
        }
    }

    #[test]
    fn the_rmsprop_corpus_gets_its_exact_scores_and_diagnoses() {
        let dir = tempfile::tempdir().unwrap();
        let grades = graded("rmsprop", dir.path());
        assert_eq!(grades.len(), 4);
        check(
            &grades,
            &[
                ("rmsprop_correct", 100.0, &[]),
                // Named on every replay, no credit; the properties (a named slip is real work).
                (
                    "rmsprop_alpha_swapped",
                    15.0,
                    &[("rmsprop_quadratic", "alpha_swapped"), ("rmsprop_centered_mlp", "alpha_swapped")],
                ),
                // The two centered replays: plain RMSprop named, nothing earned.
                ("rmsprop_never_centered", 80.0, &[("rmsprop_centered_least_squares", "not_centered")]),
                // ε inside the root: seed 000's convention, 0.5 credit where it shows (full points on
                // Rosenbrock, where v ≫ ε), more where most steps still match.
                ("rmsprop_eps_inside_root", 77.75, &[("rmsprop_large_eps", "eps_inside_root")]),
            ],
        );
        // The class page words each slip as this assignment's (ε inside is not Adam's slip here).
        let class = std::fs::read_to_string(dir.path().join("out/index.html")).unwrap();
        assert!(class.contains("seed 000&#x27;s form") || class.contains("seed 000's form"), "{class}");
        assert!(class.contains("Similar submissions"));
    }

    #[test]
    fn the_adagrad_corpus_gets_its_exact_scores_and_diagnoses() {
        let dir = tempfile::tempdir().unwrap();
        let grades = graded("adagrad", dir.path());
        assert_eq!(grades.len(), 4);
        check(
            &grades,
            &[
                ("adagrad_correct", 100.0, &[]),
                ("adagrad_ema", 25.0, &[("adagrad_quadratic", "ema_accumulator"), ("adagrad_mlp", "ema_accumulator")]),
                // The decay case: only its first step matches (the decay acts from step 2).
                ("adagrad_no_lr_decay", 90.25, &[("adagrad_lr_decay", "no_lr_decay")]),
            ],
        );
        // A slip nobody named: said so, with the buffer that differs.
        let odd = grades.iter().find(|g| g.student == "adagrad_forgets_weight_decay_sign").unwrap();
        assert!((odd.score() - 90.25).abs() < 1e-9);
        let t = odd.tests.iter().find(|t| t.name == "adagrad_weight_decay").unwrap();
        assert!(
            t.output.ends_with(
                "No known mistake matches these steps; at step 2 no state buffer agrees with the reference (sum)"
            ),
            "{}",
            t.output
        );
    }

    #[test]
    fn the_adadelta_corpus_gets_its_exact_scores_and_diagnoses() {
        let dir = tempfile::tempdir().unwrap();
        let grades = graded("adadelta", dir.path());
        assert_eq!(grades.len(), 4);
        check(
            &grades,
            &[
                ("adadelta_correct", 100.0, &[]),
                // Zeiler's form (no lr): every case at lr 1 passes; the lr case
                // names it; lr = 0 changes the parameters.
                ("adadelta_paper_form", 85.0, &[("adadelta_lr", "lr_ignored")]),
                ("adadelta_eps_outside", 15.0, &[("adadelta_quadratic", "eps_outside_root")]),
            ],
        );
        // Right averages, no update: its state agrees but it never moves, so
        // the properties it passes vacuously earn nothing.
        let idle = grades.iter().find(|g| g.student == "adadelta_does_nothing").unwrap();
        assert_eq!(idle.score(), 0.0);
        assert!(idle.tests[0].output.ends_with(
            "No known mistake matches these steps; at step 1 every state buffer (acc_delta, square_avg) agrees with \
             the reference, so the mistake is in the update that uses them"
        ));
    }

    #[test]
    fn every_known_slip_of_the_course_is_shown_before_the_deadline() {
        for name in ["adam", "momentum", "rmsprop", "adagrad", "adadelta", "log_softmax"] {
            let dir = tempfile::tempdir().unwrap();
            assign(&root().join("assignments").join(name), &dir.path().join("kit"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

mod kit {
    //! The student kit: visible tests only, the solution removed.
    use descent_grader::kit::{assign, check};
    use descent_grader::model::Loaded;
    use descent_grader::Visibility;
    use std::path::PathBuf;

    #[test]
    fn the_kit_holds_no_hidden_test_or_data_and_the_solution_is_gone() {
        let assignment = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assignments/adam");
        let loaded = Loaded::read(&assignment).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kit = dir.path().join("kit");
        assign(&assignment, &kit).unwrap();
        // Nothing hidden, by name or by number, in any file of the kit.
        let mut text = String::new();
        for entry in descent::files::walk(&kit).unwrap() {
            text.push_str(&std::fs::read_to_string(kit.join(entry)).unwrap());
        }
        for (spec, case) in loaded.assignment.rules.tests.iter().zip(&loaded.cases) {
            let present = text.contains(&spec.name);
            assert_eq!(present, spec.visibility == Visibility::Visible, "{}", spec.name);
            if spec.visibility != Visibility::Visible {
                let descent_grader::model::TestCase::Optimizer(case) = case else { panic!("an optimizer's case") };
                let number = format!("{}", case.params[5][0]);
                assert!(!text.contains(&number), "{}: its data is in the kit", spec.name);
            }
        }
        assert!(!text.contains("b1.powi(self.t)"), "the solution is in the kit");
        // The starter builds and fails every visible test at step 1; the
        // reference solution passes them all.
        let starter = check(&kit, &kit.join("solution.rs")).unwrap().grade;
        assert!(starter.gradable && starter.score() == 0.0);
        assert!(starter.tests[0].output.ends_with("(panicked at step 1: not yet implemented: your code here)"));
        let solved = check(&kit, &assignment.join("solution/solution.rs")).unwrap().grade;
        // The visible tests: six replays of 8 and one of 12, four properties of 5.
        assert_eq!((solved.score(), solved.max_score()), (80.0, 80.0));
    }

    #[test]
    fn an_optimizer_kit_works_as_a_notebook_exercise() {
        use descent_grader::kit::assign_as;
        let assignment = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assignments/rmsprop");
        let dir = tempfile::tempdir().unwrap();
        let kit = dir.path().join("kit");
        assign_as(&assignment, &kit, true).unwrap();
        assert!(kit.join("solution.ipynb").is_file() && !kit.join("solution.rs").exists());
        let starter_text = std::fs::read_to_string(kit.join("solution.ipynb")).unwrap();
        assert!(!starter_text.contains("self.square_avg[i] = a *"), "the solution is in the kit");
        let starter = check(&kit, &kit.join("solution.ipynb")).unwrap().grade;
        assert!(starter.gradable && starter.score() == 0.0, "{:#?}", starter.tests);
        // The student's answer: the solution's region where the todo!() stands.
        let solution = std::fs::read_to_string(assignment.join("solution/solution.rs")).unwrap();
        let region =
            solution.split("// BEGIN SOLUTION\n").nth(1).unwrap().split("        // END SOLUTION").next().unwrap();
        let mut nb: serde_json::Value = serde_json::from_str(&starter_text).unwrap();
        for cell in nb["cells"].as_array_mut().unwrap() {
            if cell["metadata"]["tags"].as_array().is_some_and(|t| t.iter().any(|v| v == "solution")) {
                let text = cell["source"].as_str().unwrap().replace("        todo!(\"your code here\")\n", region);
                cell["source"] = text.into();
            }
        }
        std::fs::write(dir.path().join("answer.ipynb"), nb.to_string()).unwrap();
        let solved = check(&kit, &dir.path().join("answer.ipynb")).unwrap().grade;
        assert_eq!((solved.score(), solved.max_score()), (80.0, 80.0), "{:#?}", solved.tests);
        // The API cell is the grader's student API, less serde.
        assert!(starter_text.contains("pub trait StudentOptimizer") && !starter_text.contains("serde"));
    }

    #[test]
    fn an_assignment_that_hides_a_known_mistake_until_the_deadline_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let assignment = dir.path().join("a");
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assignments/adam");
        std::fs::create_dir_all(assignment.join("hidden")).unwrap();
        std::fs::copy(source.join("hidden/reference.json"), assignment.join("hidden/reference.json")).unwrap();
        // Only the large-ε case shows ε inside the root; hide it.
        let spec = std::fs::read_to_string(source.join("assignment.json")).unwrap().replace(
            r#"{ "name": "adam_large_eps", "case": "adam_large_eps", "points": 8 }"#,
            r#"{ "name": "adam_large_eps", "case": "adam_large_eps", "points": 8, "visibility": "hidden" }"#,
        );
        std::fs::write(assignment.join("assignment.json"), spec).unwrap();
        let err = assign(&assignment, &dir.path().join("kit")).unwrap_err().to_string();
        assert!(
            err.contains("could not see every known mistake")
                && err.contains("eps_inside_root (ε inside the square root (√(v̂ + ε) instead of √v̂ + ε)): no visible test tells it from the reference"),
            "{err}"
        );
        assert!(!dir.path().join("kit").exists(), "no kit is written");
    }

    #[test]
    fn a_visible_test_on_a_hidden_tests_case_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let assignment = dir.path().join("a");
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assignments/adam");
        std::fs::create_dir_all(assignment.join("hidden")).unwrap();
        std::fs::copy(source.join("hidden/reference.json"), assignment.join("hidden/reference.json")).unwrap();
        let spec = std::fs::read_to_string(source.join("assignment.json")).unwrap().replace(
            r#""case": "amsgrad_rosenbrock", "check": "deterministic""#,
            r#""case": "amsgrad_mlp", "check": "deterministic""#,
        );
        std::fs::write(assignment.join("assignment.json"), spec).unwrap();
        let err = assign(&assignment, &dir.path().join("kit")).unwrap_err().to_string();
        assert!(
            err.contains(r#"visible test "deterministic" uses case "amsgrad_mlp" of the Hidden test "amsgrad_mlp""#),
            "{err}"
        );
        assert!(!dir.path().join("kit").exists());
    }
}

mod platforms {
    //! The platforms' files from a graded folder, one submission graded
    //! for an autograder, Gradescope's zip run as Gradescope runs it, a
    //! regrade staged and published, an interrupted run resumed.
    use descent_grader::class::grade_all;
    use descent_grader::platform::{export, grade_single, gradescope, Platform};
    use descent_grader::regrade::{publish, stage};
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// A folder of submissions: the reference solution as `correct` and the
    /// sample submissions `names`.
    fn submissions(dir: &Path, names: &[&str]) -> PathBuf {
        let subs = dir.join("subs");
        std::fs::create_dir_all(&subs).unwrap();
        std::fs::copy(root().join("assignments/adam/solution/solution.rs"), subs.join("correct.rs")).unwrap();
        for n in names {
            std::fs::copy(root().join(format!("tests/submissions/adam/{n}.rs")), subs.join(format!("{n}.rs"))).unwrap();
        }
        subs
    }

    fn json(path: &Path) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .unwrap()
    }

    #[test]
    fn export_and_one_write_each_platforms_results() {
        let dir = tempfile::tempdir().unwrap();
        let subs = submissions(dir.path(), &["does_not_compile"]);
        let out = dir.path().join("grades");
        grade_all(&root().join("assignments/adam"), &subs, &out, 2, false).unwrap();
        let n = export(&out, Platform::PrairieLearn, &dir.path().join("pl")).unwrap();
        assert_eq!(n, 2);
        let pl = json(&dir.path().join("pl/does_not_compile/results.json"));
        assert_eq!((pl["gradable"].as_bool(), pl["score"].as_f64()), (Some(false), Some(0.0)));
        export(&out, Platform::Gradescope, &dir.path().join("gs")).unwrap();
        assert_eq!(json(&dir.path().join("gs/correct/results.json"))["score"], 100.0);
        // One submission, as an autograder grades it: a folder with solution.rs.
        let one = dir.path().join("submission");
        std::fs::create_dir_all(&one).unwrap();
        std::fs::copy(subs.join("correct.rs"), one.join("solution.rs")).unwrap();
        let results = dir.path().join("results/results.json");
        let record = grade_single(&root().join("assignments/adam"), &one, Platform::Gradescope, &results).unwrap();
        assert_eq!(record.grade.score(), 100.0);
        assert_eq!(json(&results)["tests"].as_array().unwrap().len(), 13);
        // A folder with two .rs files and no solution.rs is refused, clearly.
        std::fs::rename(one.join("solution.rs"), one.join("a.rs")).unwrap();
        std::fs::write(one.join("b.rs"), "").unwrap();
        let err = grade_single(&root().join("assignments/adam"), &one, Platform::Gradescope, &results).unwrap_err();
        assert!(err.to_string().contains("several .rs files and no solution.rs"), "{err}");
    }

    #[test]
    fn the_prairielearn_package_grades_in_prairielearns_layout() {
        use descent_grader::platform::prairielearn;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("course");
        let workspace = root().join("../..");
        prairielearn::package(&root().join("assignments/adam"), &workspace, &out).unwrap();
        let question = out.join("questions/descent_adam");
        let info = json(&question.join("info.json"));
        let options = &info["externalGradingOptions"];
        assert_eq!(info["gradingMethod"], "External");
        assert_eq!(options["enabled"], true);
        assert_eq!(options["enableNetworking"], false);
        assert_eq!(options["serverFilesCourse"], serde_json::json!(["descent/"]));
        assert_eq!(options["entrypoint"], "/grade/serverFilesCourse/descent/run_grader");
        assert_eq!(info["uuid"].as_str().unwrap().len(), 36);
        for needed in [
            "questions/descent_adam/question.html",
            "questions/descent_adam/tests/assignment.json",
            "questions/descent_adam/tests/hidden/reference.json",
            "serverFilesCourse/descent/Dockerfile",
            "serverFilesCourse/descent/Cargo.lock",
            "serverFilesCourse/descent/crates/grader/src/bin/grade.rs",
        ] {
            assert!(out.join(needed).is_file(), "{needed} is not in the package");
        }
        assert!(!question.join("tests/solution").exists(), "the reference solution is in the package");
        assert!(!out.join("serverFilesCourse/descent/crates/grader/tests").exists(), "the grader's tests are in it");
        // PrairieLearn's layout: the question's tests at /grade/tests, the
        // course's server files at /grade/serverFilesCourse, the student's
        // files at /grade/student; the entry point writes the results.
        let grade = dir.path().join("grade");
        let copy_tree = |from: &std::path::Path, to: &std::path::Path| {
            for rel in descent::files::walk(from).unwrap() {
                std::fs::create_dir_all(to.join(&rel).parent().unwrap()).unwrap();
                std::fs::copy(from.join(&rel), to.join(&rel)).unwrap();
            }
        };
        copy_tree(&question.join("tests"), &grade.join("tests"));
        copy_tree(&out.join("serverFilesCourse"), &grade.join("serverFilesCourse"));
        std::fs::create_dir_all(grade.join("student")).unwrap();
        std::fs::copy(
            root().join("tests/submissions/adam/adam_no_bias_correction.rs"),
            grade.join("student/solution.rs"),
        )
        .unwrap();
        let status = std::process::Command::new("bash")
            .arg(grade.join("serverFilesCourse/descent/run_grader"))
            .env("PL_GRADE", &grade)
            .env("DESCENT_GRADE", env!("CARGO_BIN_EXE_grade"))
            .status()
            .unwrap();
        assert!(status.success());
        let results = json(&grade.join("results/results.json"));
        assert_eq!(results["gradable"], true);
        assert_eq!(results["score"], 0.6);
        // Hidden tests by points and a neutral name only.
        let tests = results["tests"].as_array().unwrap();
        assert_eq!(tests.iter().filter(|t| t["name"].as_str().unwrap().starts_with("hidden test ")).count(), 2);
        assert!(tests.iter().all(|t| t["name"] != "adam_mlp" && t["name"] != "amsgrad_mlp"));
        // The same inputs give the same package.
        let again = dir.path().join("again");
        prairielearn::package(&root().join("assignments/adam"), &workspace, &again).unwrap();
        assert_eq!(
            std::fs::read(out.join("questions/descent_adam/info.json")).unwrap(),
            std::fs::read(again.join("questions/descent_adam/info.json")).unwrap()
        );
    }

    #[test]
    fn the_gradescope_zip_holds_its_scripts_and_grades_as_gradescope_runs_it() {
        let dir = tempfile::tempdir().unwrap();
        let zip_path = dir.path().join("autograder.zip");
        let workspace = root().join("../..");
        gradescope::package(&root().join("assignments/adam"), &workspace, &zip_path).unwrap();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
        let names: Vec<String> = zip.file_names().map(str::to_string).collect();
        for needed in [
            "setup.sh",
            "run_autograder",
            "descent/Cargo.toml",
            "descent/Cargo.lock",
            "descent/crates/grader/Cargo.toml",
            "descent/crates/grader/src/bin/grade.rs",
            "descent/crates/grader/runner/main.rs",
            "descent/crates/grader/templates/feedback.html.tera",
            "descent/crates/descent/src/lib.rs",
            "assignment/assignment.json",
            "assignment/hidden/reference.json",
        ] {
            assert!(names.iter().any(|n| n == needed), "{needed} is not in the zip");
        }
        assert!(!names.iter().any(|n| n.starts_with("assignment/solution")), "the reference solution is in the zip");
        assert!(!names.iter().any(|n| n.contains("target/")), "build output is in the zip");
        assert!(
            !names.iter().any(|n| n.starts_with("descent/crates/grader/assignments")),
            "other assignments are in the zip"
        );
        assert!(
            !names.iter().any(|n| n.starts_with("descent/crates/grader/tests")),
            "the grader's tests are in the zip"
        );
        for script in ["setup.sh", "run_autograder"] {
            assert_eq!(zip.by_name(script).unwrap().unix_mode().unwrap() & 0o777, 0o755, "{script}");
        }
        // Gradescope's layout: the zip in source/, the submission in
        // submission/; the binary setup.sh would build is this one.
        let ag = dir.path().join("autograder");
        zip.extract(ag.join("source")).unwrap();
        let bin = ag.join("source/descent/target/release");
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_grade"), bin.join("grade")).unwrap();
        std::fs::create_dir_all(ag.join("submission")).unwrap();
        std::fs::copy(
            root().join("tests/submissions/adam/adam_no_bias_correction.rs"),
            ag.join("submission/solution.rs"),
        )
        .unwrap();
        let status = std::process::Command::new("bash")
            .arg(ag.join("source/run_autograder"))
            .env("AUTOGRADER", &ag)
            .status()
            .unwrap();
        assert!(status.success());
        let results = json(&ag.join("results/results.json"));
        assert_eq!(results["score"], 60.0);
        // The same inputs give the same zip, byte for byte.
        let again = dir.path().join("again.zip");
        gradescope::package(&root().join("assignments/adam"), &workspace, &again).unwrap();
        assert_eq!(std::fs::read(&zip_path).unwrap(), std::fs::read(&again).unwrap());
    }

    #[test]
    fn a_regrade_is_shown_side_by_side_and_published_only_when_confirmed() {
        let dir = tempfile::tempdir().unwrap();
        let subs = submissions(dir.path(), &["adam_no_bias_correction"]);
        let out = dir.path().join("grades");
        grade_all(&root().join("assignments/adam"), &subs, &out, 2, false).unwrap();
        let published = std::fs::read(out.join("gradebook.csv")).unwrap();
        // The teacher moves points and withdraws the credit for dropping the bias correction (Reddi's AMSGrad).
        let changed = dir.path().join("adam");
        std::fs::create_dir_all(changed.join("hidden")).unwrap();
        std::fs::copy(root().join("assignments/adam/hidden/reference.json"), changed.join("hidden/reference.json"))
            .unwrap();
        let spec = std::fs::read_to_string(root().join("assignments/adam/assignment.json"))
            .unwrap()
            .replace(r#""case": "adam_quadratic", "points": 8"#, r#""case": "adam_quadratic", "points": 10"#)
            .replace(r#""no_bias_correction": 0.5"#, r#""no_bias_correction": 0.0"#);
        std::fs::write(changed.join("assignment.json"), spec).unwrap();
        let (_, changes) = stage(&changed, &subs, &out, 2, false).unwrap();
        let moved: Vec<_> = changes
            .iter()
            .filter(|c| c.changed())
            .map(|c| (c.student.as_str(), c.test.as_str(), c.old, c.new))
            .collect();
        // Its half credit goes on every replay; the correct student's test is worth 10.
        let mut expected: Vec<(&str, &str, Option<f64>, Option<f64>)> = [
            "adam_large_eps",
            "adam_least_squares",
            "adam_mlp",
            "adam_quadratic",
            "adam_rosenbrock",
            "adam_weight_decay",
            "adamw_least_squares",
        ]
        .into_iter()
        .map(|t| ("adam_no_bias_correction", t, Some(4.0), Some(0.0)))
        .collect();
        expected.push(("adam_no_bias_correction", "amsgrad_mlp", Some(6.0), Some(0.0)));
        expected.push(("adam_no_bias_correction", "amsgrad_rosenbrock", Some(6.0), Some(0.0)));
        expected.push(("correct", "adam_quadratic", Some(8.0), Some(10.0)));
        assert_eq!(moved, expected);
        assert_eq!(changes.len(), 2 * 13);
        let csv = std::fs::read_to_string(out.join("regrade/changes.csv")).unwrap();
        assert!(csv.contains("correct,adam_quadratic,8.000,10.000,2.000\n"), "{csv}");
        // Nothing published yet.
        assert_eq!(std::fs::read(out.join("gradebook.csv")).unwrap(), published);
        assert_eq!(json(&out.join("gradescope/correct/results.json"))["score"], 100.0);
        // Confirmed: the new grades everywhere, the staging gone.
        publish(&out).unwrap();
        assert_ne!(std::fs::read(out.join("gradebook.csv")).unwrap(), published);
        assert_eq!(json(&out.join("gradescope/correct/results.json"))["score"], 102.0);
        assert_eq!(json(&out.join("students/adam_no_bias_correction.json"))["grade"]["tests"][7]["score"], 0.0);
        assert!(!out.join("regrade").exists());
        assert!(publish(&out).unwrap_err().to_string().contains("no complete staged regrade"));
    }

    #[test]
    fn an_interrupted_run_resumes_without_regrading_the_finished_ones() {
        let dir = tempfile::tempdir().unwrap();
        let subs = submissions(dir.path(), &["adam_sign_error", "adam_betas_swapped"]);
        let out = dir.path().join("grades");
        let first = grade_all(&root().join("assignments/adam"), &subs, &out, 2, false).unwrap();
        assert_eq!(first.reused, 0);
        let gradebook = std::fs::read(out.join("gradebook.csv")).unwrap();
        // Killed after two students were finished: the third's record and
        // the gradebook were never written.
        std::fs::remove_file(out.join("students/correct.json")).unwrap();
        std::fs::remove_file(out.join("gradebook.csv")).unwrap();
        let resumed = grade_all(&root().join("assignments/adam"), &subs, &out, 2, false).unwrap();
        assert_eq!(resumed.reused, 2);
        assert_eq!(std::fs::read(out.join("gradebook.csv")).unwrap(), gradebook);
        // A submission that changed since is graded again.
        std::fs::copy(subs.join("correct.rs"), subs.join("adam_sign_error.rs")).unwrap();
        let again = grade_all(&root().join("assignments/adam"), &subs, &out, 2, false).unwrap();
        assert_eq!(again.reused, 2);
        assert_eq!(again.records.iter().find(|r| r.grade.student == "adam_sign_error").unwrap().grade.score(), 100.0);
    }
}

mod ops {
    //! The log-softmax notebook exercise: the op's references against
    //! PyTorch, the corpus (a notebook and Rust files) with exact scores and
    //! diagnoses, and the student's kit of a notebook.
    use descent_grader::class::grade_all;
    use descent_grader::course::log_softmax::{log_softmax, log_softmax_backward, SLIPS};
    use descent_grader::kit::{assign, check};
    use descent_grader::model::Loaded;
    use std::path::PathBuf;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_graders_log_softmax_is_pytorchs_and_every_slip_differs_from_it() {
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs().max(1.0));
        for case in super::op_cases(&["log_softmax"]) {
            for p in &case.points {
                let (x, shape, dx) = (&p.inputs[0], &case.shapes[0], p.grads[0].as_deref().unwrap());
                assert!(close(&log_softmax(x, shape), &p.y), "{}", case.name);
                assert!(close(&log_softmax_backward(x, shape, &p.dy), dx), "{}", case.name);
                for slip in SLIPS.iter().filter(|s| !s.forward) {
                    let slipped = (slip.compute)(&p.inputs, &case.shapes, &p.dy);
                    assert!(!close(&slipped[0], dx), "{}: {}", case.name, slip.key);
                }
            }
        }
    }

    #[test]
    fn the_log_softmax_corpus_gets_its_exact_scores_and_diagnoses() {
        let dir = tempfile::tempdir().unwrap();
        let subs = super::corpus_folder("log_softmax", dir.path());
        let graded =
            grade_all(&root().join("assignments/log_softmax"), &subs, &dir.path().join("out"), 2, false).unwrap();
        let by = |s: &str| &graded.records.iter().find(|r| r.grade.student == s).unwrap().grade;
        let test = |s: &str, t: &str| by(s).tests.iter().find(|x| x.name == t).unwrap().clone();
        // 25 forward, 20 backward, 15 gradient check.
        for (student, score) in [
            ("log_softmax_correct", 60.0),
            // Large logits: the forward and the gradient check there fail.
            ("log_softmax_naive", 40.0),
            // The forward only.
            ("log_softmax_diagonal", 25.0),
            ("log_softmax_missing_sum", 25.0),
            ("log_softmax_backward_panics", 25.0),
            ("log_softmax_untagged", 0.0),
        ] {
            assert_eq!(by(student).score(), score, "{student}");
        }
        let naive = test("log_softmax_naive", "forward_large_logits");
        assert_eq!(naive.diagnosis.unwrap().key, "no_max_subtraction");
        assert!(naive
            .output
            .starts_with("forward: 0 of 3 points match PyTorch; first difference at point 1: element 2 is -inf"));
        for (student, key) in
            [("log_softmax_diagonal", "diagonal_jacobian"), ("log_softmax_missing_sum", "missing_sum_of_dy")]
        {
            let t = test(student, "backward_small");
            assert_eq!(t.diagnosis.as_ref().map(|d| d.key.as_str()), Some(key), "{student}: {}", t.output);
        }
        assert!(test("log_softmax_missing_sum", "backward_small").output.ends_with(
            "Diagnosis: your backward matches dx = dy − softmax(x), without multiplying the softmax by the row's Σ dy \
             at every one of the 3 points"
        ));
        // The gradient check names its worst element: point, index, both values.
        let gc = test("log_softmax_diagonal", "gradcheck_single_row").output;
        assert!(
            gc.starts_with(
                "gradient check (h = 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|): 0 of 2 points pass; worst \
                 element: point 1, index 0: analytic -2.040921630853773e-1, numeric 1.05186230"
            ),
            "{gc}"
        );
        assert!(test("log_softmax_correct", "gradcheck_large_logits").output.contains("3 of 3 points pass"));
        assert_eq!(
            test("log_softmax_backward_panics", "backward_small").output,
            "backward: 0 of 3 points match PyTorch; first difference at point 1: panicked in backward: not \
             implemented: the backward"
        );
        let untagged = by("log_softmax_untagged");
        assert_eq!(
            (untagged.gradable, untagged.message.as_str()),
            (false, "the notebook has nothing to grade: notebook: no solution cell (a code cell tagged `solution`)")
        );
    }

    #[test]
    fn the_notebook_kit_has_the_starter_cells_and_no_hidden_data() {
        let assignment = root().join("assignments/log_softmax");
        let loaded = Loaded::read(&assignment).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kit = dir.path().join("kit");
        assign(&assignment, &kit).unwrap();
        let starter = std::fs::read_to_string(kit.join("solution.ipynb")).unwrap();
        assert!(!starter.contains("log_sum") && !starter.contains("yi.exp() * total"), "the solution is in the kit");
        let cells: serde_json::Value = serde_json::from_str(&starter).unwrap();
        for cell in cells["cells"].as_array().unwrap().iter().filter(|c| c["cell_type"] == "code") {
            assert_eq!(cell["outputs"], serde_json::json!([]), "an output of the reference is in the kit");
        }
        let reference = std::fs::read_to_string(kit.join("visible/reference.json")).unwrap();
        for (spec, case) in loaded.assignment.rules.tests.iter().zip(&loaded.cases) {
            let shown = spec.visibility == descent_grader::Visibility::Visible;
            assert_eq!(reference.contains(&format!("\"{}\"", case.name())), shown, "{}", spec.name);
        }
        // The starter builds and panics in every call; the reference scores
        // every visible point.
        let start = check(&kit, &kit.join("solution.ipynb")).unwrap().grade;
        assert!(start.gradable && start.score() == 0.0, "{:#?}", start.tests);
        assert!(start.tests[0].output.ends_with("panicked in forward: not yet implemented: your code here"));
        let solved = check(&kit, &assignment.join("solution/solution.ipynb")).unwrap().grade;
        assert_eq!((solved.score(), solved.max_score()), (45.0, 45.0));
    }
}

#[test]
fn the_notebook_exercises_api_cell_is_the_graders_student_api() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let nb: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("assignments/log_softmax/solution/solution.ipynb")).unwrap(),
    )
    .unwrap();
    let api = std::fs::read_to_string(root.join("src/student.rs")).unwrap();
    let cell = nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| match &c["source"] {
            serde_json::Value::Array(lines) => lines.iter().filter_map(|l| l.as_str()).collect::<String>(),
            other => other.as_str().unwrap_or("").to_string(),
        })
        .find(|s| s.contains("pub trait StudentOp"))
        .expect("a cell defines StudentOp");
    assert!(api.contains(cell.trim()), "the notebook's StudentOp differs from src/grading/student.rs:\n{cell}");
}

mod attacks {
    //! The attack corpus (`tests/submissions/attacks/`): hostile
    //! submissions graded in one batch with two bystanders, a correct one
    //! and a slip. Each attack costs exactly its own grade, says what
    //! happened, and leaves the grader, the other students, the output and
    //! the assignment as they were. As root (CI's case) the full cell is
    //! built; not as root the test is skipped (the cell is then the
    //! platform's duty, see README).
    use descent_grader::class::{grade_all, Graded};
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let target = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy_dir(&p, &target);
            } else {
                std::fs::copy(&p, &target).unwrap();
            }
        }
    }

    /// Grades the corpus; returns the grades, the folder, and whether the
    /// TCP listener was reached.
    fn grade_corpus() -> (Graded, tempfile::TempDir, bool) {
        let dir = tempfile::tempdir().unwrap();
        let assignment = dir.path().join("adam");
        copy_dir(&root().join("assignments/adam"), &assignment);
        let spec = std::fs::read_to_string(assignment.join("assignment.json"))
            .unwrap()
            .replace("\"timeout_seconds\": 10", "\"timeout_seconds\": 2");
        std::fs::write(assignment.join("assignment.json"), &spec).unwrap();
        let out = dir.path().join("out");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let subs = dir.path().join("subs");
        std::fs::create_dir_all(&subs).unwrap();
        for e in std::fs::read_dir(root().join("tests/submissions/attacks")).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p)
                .unwrap()
                .replace("{PORT}", &port.to_string())
                .replace("{HIDDEN}", &assignment.join("hidden/reference.json").display().to_string())
                .replace("{OUT}", &out.display().to_string())
                .replace("{ASSIGNMENT}", &assignment.display().to_string());
            std::fs::write(subs.join(p.file_name().unwrap()), text).unwrap();
        }
        std::fs::copy(root().join("assignments/adam/solution/solution.rs"), subs.join("correct.rs")).unwrap();
        std::fs::copy(root().join("tests/submissions/adam/adam_no_bias_correction.rs"), subs.join("slip.rs")).unwrap();
        let graded = grade_all(&assignment, &subs, &out, 2, false).unwrap();
        let reached = listener.accept().is_ok();
        // The assignment is as it was.
        assert_eq!(std::fs::read_to_string(assignment.join("assignment.json")).unwrap(), spec);
        (graded, dir, reached)
    }

    #[test]
    fn every_attack_costs_only_its_own_grade_and_says_what_happened() {
        if !descent_grader::sandbox::is_root() {
            eprintln!(
                "skipped: the attack corpus needs the grader to run as root (the cell's namespaces, chroot and uid)"
            );
            return;
        }
        let (graded, dir, reached) = grade_corpus();
        let by = |s: &str| &graded.records.iter().find(|r| r.grade.student == s).unwrap().grade;
        let killed = |test: &str, how: &str| format!("the run ended badly: {how} in test {test}");
        // Each attack: its score, its message, the first test's output.
        let refused = |what: &str| {
            format!(
                "the submission does not compile:\nthe submission is refused before compiling: {what}. A submission \
                 is one module of plain Rust; remove it and submit again."
            )
        };
        let ended =
            |why: &str| format!("0 of 40 steps match the reference; first difference at step 1: the run ({why})");
        let cases: Vec<(&str, f64, String, String)> = vec![
            ("loops_forever", 0.0, killed("adam_quadratic", "killed after 2 s wall time"), ended("killed after 2 s wall time")),
            ("sleeps_forever", 0.0, killed("adam_quadratic", "killed after 2 s wall time"), ended("killed after 2 s wall time")),
            // Stopped by the limit on processes, then looping on its
            // refused spawns until the wall clock; its processes all killed.
            ("fork_bomb", 0.0, killed("adam_quadratic", "killed after 2 s wall time"), ended("killed after 2 s wall time")),
            (
                "allocates_10_gb",
                0.0,
                killed("adam_quadratic", "killed by signal 6 (SIGABRT: aborted, e.g. an allocation failed)"),
                ended("killed by signal 6 (SIGABRT: aborted, e.g. an allocation failed)"),
            ),
            (
                "aborts",
                0.0,
                killed("adam_quadratic", "killed by signal 6 (SIGABRT: aborted, e.g. an allocation failed)"),
                ended("killed by signal 6 (SIGABRT: aborted, e.g. an allocation failed)"),
            ),
            (
                "segfaults",
                0.0,
                killed("adam_quadratic", "killed by signal 11 (SIGSEGV: an invalid memory access)"),
                ended("killed by signal 11 (SIGSEGV: an invalid memory access)"),
            ),
            (
                "thread_bomb",
                0.0,
                String::new(),
                ended(
                    "panicked in build: failed to spawn thread: Os { code: 11, kind: WouldBlock, message: \"Resource \
                     temporarily unavailable\" }",
                ),
            ),
            ("prints_1_gb", 0.0, killed("adam_quadratic", "output cut at 64 MiB"), ended("output cut at 64 MiB")),
            ("exits_early", 0.0, String::new(), ended("the runner's output ended early")),
            (
                "panics",
                4.0,
                String::new(),
                "2 of 40 steps match the reference; first difference at step 3: the run (panicked at step 3: index out \
                 of bounds: the len is 0 but the index is 3)"
                    .into(),
            ),
            // Their attack failed inside the cell, and their Adam is right.
            ("connects_tcp", 100.0, String::new(), "40 of 40 steps match the reference".into()),
            ("reads_passwd", 100.0, String::new(), "40 of 40 steps match the reference".into()),
            ("reads_hidden_at_run_time", 100.0, String::new(), "40 of 40 steps match the reference".into()),
            ("writes_outside", 100.0, String::new(), "40 of 40 steps match the reference".into()),
            ("outliving_child", 100.0, String::new(), "40 of 40 steps match the reference".into()),
            ("changes_directory", 100.0, String::new(), "40 of 40 steps match the reference".into()),
            // Refused before the compiler sees them.
            (
                "reads_hidden_at_compile_time",
                0.0,
                refused("it uses `include_str`, which reads a file at compile time"),
                "not run: the submission could not be built".into(),
            ),
            ("crate_attribute", 0.0, refused("it has an inner attribute `#![...]`"), "not run: the submission could not be built".into()),
            ("extern_crate", 0.0, refused("it has `extern crate`"), "not run: the submission could not be built".into()),
            ("module_in_another_file", 0.0, refused("it has the attribute `#[path]`, which a submission does not need"), "not run: the submission could not be built".into()),
            // The bystanders: exactly their grades of a batch of their own.
            ("correct", 100.0, String::new(), "40 of 40 steps match the reference".into()),
        ];
        for (student, score, message, first) in &cases {
            let g = by(student);
            assert_eq!((g.score(), &g.message, &g.tests[0].output), (*score, message, first), "{student}");
        }
        assert_eq!(graded.records.len(), cases.len() + 1);
        // No bias correction: the teacher's 0.5 credit on all nine replays, all four properties.
        assert_eq!(by("slip").score(), 60.0);
        assert!(!reached, "a submission reached the grader's TCP listener");
        // The output is the grader's: every student has their files, the
        // gradebook is the real one.
        let out = dir.path().join("out");
        let csv = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
        assert_eq!(csv.lines().count(), 1 + graded.records.len() * 13);
        assert!(!csv.contains("me,all"), "a submission wrote the gradebook");
        for r in &graded.records {
            let name = &r.grade.student;
            assert!(out.join("feedback").join(format!("{name}.html")).is_file(), "{name}");
            let record = std::fs::read_to_string(out.join("students").join(format!("{name}.json"))).unwrap();
            assert!(record.contains("\"submission_sha256\""), "{name}: {record}");
        }
        // Nothing of theirs is left running: no runner that does not
        // descend from this test process (other tests' runs do; a process
        // left behind is reparented away from it).
        let me = std::process::id().to_string();
        let parent = |pid: &str| {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            status.lines().find_map(|l| l.strip_prefix("PPid:")).map(|p| p.trim().to_string())
        };
        let runners = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| {
                std::fs::read_link(e.path().join("exe")).is_ok_and(|x| x.to_string_lossy().ends_with("/runner"))
            })
            .filter(|e| {
                let mut pid = e.file_name().to_string_lossy().into_owned();
                for _ in 0..8 {
                    match parent(&pid) {
                        Some(p) if p == me => return false,
                        Some(p) if p != "0" => pid = p,
                        _ => return true,
                    }
                }
                true
            })
            .count();
        assert_eq!(runners, 0, "a submission's process outlived its run");
    }
}

mod autodiff {
    //! The autodiff assignment: the grader's ops are PyTorch's, every slip
    //! differs from them and is visible, the sample corpus gets its exact
    //! scores and diagnoses, and the kit works as a Rust file and as a
    //! notebook exercise.
    use descent_grader::class::grade_all;
    use descent_grader::course::autodiff::{backward, forward, OPS};
    use descent_grader::course::op_slips;
    use descent_grader::kit::{assign, assign_as, check, reference_solution};
    use descent_grader::model::Loaded;
    use descent_grader::ops::OpCase;
    use std::path::PathBuf;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs().max(1.0))
    }

    #[test]
    fn the_graders_ops_are_pytorchs_and_every_slip_differs_from_them() {
        let cases = super::op_cases(&OPS);
        assert_eq!(cases.len(), 13);
        for op in OPS {
            let mine: Vec<&OpCase> = cases.iter().filter(|c| c.op == op).collect();
            assert!(!mine.is_empty(), "{op} has no case");
            for case in &mine {
                for p in &case.points {
                    assert!(close(&forward(op, &p.inputs, &case.shapes), &p.y), "{}", case.name);
                    let grads = backward(op, &p.inputs, &case.shapes, &p.dy);
                    for (g, r) in grads.iter().zip(&p.grads) {
                        match r {
                            Some(r) => assert!(close(g, r), "{}", case.name),
                            None => assert!(g.is_empty(), "{}", case.name),
                        }
                    }
                }
            }
            for slip in op_slips(op) {
                let differs = mine.iter().any(|c| {
                    c.points.iter().any(|p| {
                        let s = (slip.compute)(&p.inputs, &c.shapes, &p.dy);
                        p.grads.iter().enumerate().any(|(i, r)| r.as_ref().is_some_and(|r| !close(&s[i], r)))
                    })
                });
                assert!(differs, "{op}: slip {} is PyTorch's on every case", slip.key);
            }
        }
    }

    #[test]
    fn the_autodiff_corpus_gets_its_exact_scores_and_diagnoses() {
        let dir = tempfile::tempdir().unwrap();
        let subs = super::corpus_folder("autodiff", dir.path());
        let assignment = root().join("assignments/autodiff");
        let (solution, _) = reference_solution(&assignment).unwrap();
        let starter = descent_grader::kit::starter(&solution, false).unwrap();
        std::fs::write(subs.join("autodiff_starter.rs"), starter).unwrap();
        let graded = grade_all(&assignment, &subs, &dir.path().join("out"), 2, false).unwrap();
        let by = |s: &str| &graded.records.iter().find(|r| r.grade.student == s).unwrap().grade;
        let test = |s: &str, t: &str| by(s).tests.iter().find(|x| x.name == t).unwrap().clone();
        // 50 visible backward, 20 hidden backward, 20 gradient check.
        for (student, score, slip, on) in [
            ("autodiff_correct", 90.0, None, ""),
            ("autodiff_starter", 0.0, None, ""),
            ("autodiff_zeros", 0.0, None, ""),
            ("autodiff_matmul_swapped", 70.0, Some("gradients_swapped"), "matmul_backward"),
            ("autodiff_matmul_untransposed", 70.0, Some("untransposed_factors"), "matmul_backward"),
            // Only the cases with exact zeros show it; the gradient check is
            // away from the kink.
            ("autodiff_relu_at_zero", 75.0, Some("gradient_at_zero"), "relu_backward"),
            ("autodiff_relu_identity", 70.0, Some("identity_backward"), "relu_backward"),
            ("autodiff_bias_mean", 70.0, Some("bias_grad_mean"), "add_backward"),
            ("autodiff_ce_no_mean", 60.0, Some("no_mean"), "cross_entropy_backward"),
            // Large logits only.
            ("autodiff_ce_naive_softmax", 80.0, Some("naive_softmax"), "cross_entropy_backward_large_logits"),
            ("autodiff_ce_ignores_dy", 60.0, None, "cross_entropy_backward"),
        ] {
            assert_eq!(by(student).score(), score, "{student}: {:#?}", by(student).tests);
            if !on.is_empty() {
                let t = test(student, on);
                assert_eq!(t.diagnosis.as_ref().map(|d| d.key.as_str()), slip, "{student}: {}", t.output);
            }
        }
        // Which input, which element, both values.
        let swapped = test("autodiff_matmul_swapped", "matmul_backward").output;
        assert!(
            swapped.starts_with(
                "backward: 0 of 3 points match PyTorch; first difference at point 1: the gradient of a: 8 values, \
                 PyTorch's 12"
            ),
            "{swapped}"
        );
        let unknown = test("autodiff_ce_ignores_dy", "cross_entropy_backward").output;
        assert!(unknown.ends_with(". No known mistake of this op matches at every point"), "{unknown}");
        // A forward of zeros cannot pass a gradient check by differentiating zeros.
        let zeros = test("autodiff_zeros", "relu_gradcheck").output;
        assert!(zeros.contains("0 of 2 points pass; worst element: point 1, index"), "{zeros}");
        assert!(test("autodiff_starter", "add_backward")
            .output
            .ends_with("panicked in backward: not yet implemented: your code here"));
    }

    #[test]
    fn a_gradient_check_of_a_wrong_forward_earns_nothing() {
        // The forward and backward of zero: their differences agree exactly.
        let dir = tempfile::tempdir().unwrap();
        let subs = dir.path().join("subs");
        std::fs::create_dir_all(&subs).unwrap();
        std::fs::write(
            subs.join("constant.rs"),
            "use crate::student_api::*;\npub struct Zero;\nimpl StudentFunction for Zero {\n    fn forward(&self, \
             i: &[Tensor]) -> Vec<f64> { vec![0.0; i[0].data.len()] }\n    fn backward(&self, i: &[Tensor], _: \
             &[f64]) -> Vec<Vec<f64>> { i.iter().map(|t| vec![0.0; t.data.len()]).collect() }\n}\npub fn \
             build_function(_: &str) -> Option<Box<dyn StudentFunction>> { Some(Box::new(Zero)) }\n",
        )
        .unwrap();
        let graded = grade_all(&root().join("assignments/autodiff"), &subs, &dir.path().join("out"), 1, false).unwrap();
        let grade = &graded.records[0].grade;
        assert_eq!(grade.score(), 0.0, "{:#?}", grade.tests);
        let gc = &grade.tests.iter().find(|t| t.name == "relu_gradcheck").unwrap().output;
        assert!(gc.contains("your forward is not PyTorch's there"), "{gc}");
    }

    #[test]
    fn every_slip_is_visible_and_hiding_one_is_refused() {
        let assignment = root().join("assignments/autodiff");
        let dir = tempfile::tempdir().unwrap();
        assign(&assignment, &dir.path().join("kit")).unwrap();
        // The only case with large logits hidden: the naive softmax is unseen.
        let copy = dir.path().join("copy");
        std::fs::create_dir_all(copy.join("hidden")).unwrap();
        std::fs::copy(assignment.join("hidden/reference.json"), copy.join("hidden/reference.json")).unwrap();
        std::fs::create_dir_all(copy.join("solution")).unwrap();
        std::fs::copy(assignment.join("solution/solution.rs"), copy.join("solution/solution.rs")).unwrap();
        let spec = std::fs::read_to_string(assignment.join("assignment.json")).unwrap();
        let mut json: serde_json::Value = serde_json::from_str(&spec).unwrap();
        for t in json["rules"]["tests"].as_array_mut().unwrap() {
            if t["case"] == "ce_large_logits" {
                t["visibility"] = "hidden".into();
            }
        }
        std::fs::write(copy.join("assignment.json"), json.to_string()).unwrap();
        let err = assign(&copy, &dir.path().join("kit2")).unwrap_err().to_string();
        assert!(err.contains("naive_softmax (") && !err.contains("no_mean ("), "{err}");
    }

    #[test]
    fn the_kit_works_as_a_rust_file_and_as_a_notebook() {
        let assignment = root().join("assignments/autodiff");
        let loaded = Loaded::read(&assignment).unwrap();
        let visible = loaded
            .assignment
            .rules
            .tests
            .iter()
            .filter(|t| t.visibility == descent_grader::Visibility::Visible)
            .map(|t| t.points)
            .sum::<f64>();
        let dir = tempfile::tempdir().unwrap();
        for notebook in [false, true] {
            let kit = dir.path().join(format!("kit{notebook}"));
            assign_as(&assignment, &kit, notebook).unwrap();
            let name = if notebook { "solution.ipynb" } else { "solution.rs" };
            let starter = std::fs::read_to_string(kit.join(name)).unwrap();
            assert!(
                !starter.contains("dlogits.push") && !starter.contains("da[i * k + p]"),
                "the answer is in the kit"
            );
            let start = check(&kit, &kit.join(name)).unwrap().grade;
            assert!(start.gradable && start.score() == 0.0, "{:#?}", start.tests);
        }
        // The reference, as a file and as the reference notebook, scores
        // every visible point.
        let solved = check(&dir.path().join("kitfalse"), &assignment.join("solution/solution.rs")).unwrap().grade;
        assert_eq!((solved.score(), solved.max_score()), (visible, visible));
        let (solution, _) = reference_solution(&assignment).unwrap();
        let notebook = descent_grader::exercise::notebook_of(loaded.assignment.kind, "t", &solution).unwrap();
        let answer = dir.path().join("answer.ipynb");
        std::fs::write(&answer, notebook).unwrap();
        let solved = check(&dir.path().join("kittrue"), &answer).unwrap().grade;
        assert_eq!(solved.score(), visible, "{:#?}", solved.tests);
    }
}

mod schedules {
    //! The learning-rate schedules assignment: the grader's schedules are
    //! torch.optim.lr_scheduler's, every slip differs from them and is
    //! visible, the sample corpus gets its exact scores and diagnoses, and
    //! the kit works as a Rust file and as a notebook exercise.
    use descent_grader::class::grade_all;
    use descent_grader::course::op_slips;
    use descent_grader::course::schedules::{learning_rates, SCHEDULES};
    use descent_grader::kit::{assign_as, check, reference_solution};
    use descent_grader::ops::OpCase;
    use std::path::PathBuf;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn the_graders_schedules_are_torchs_and_every_slip_differs_from_them() {
        let close = |a: &[f64], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-12 * y.abs().max(1.0))
        };
        let cases = super::op_cases(&SCHEDULES);
        assert_eq!(cases.len(), 7);
        for schedule in SCHEDULES {
            let mine: Vec<&OpCase> = cases.iter().filter(|c| c.op == schedule).collect();
            assert!(!mine.is_empty(), "{schedule} has no case");
            for case in &mine {
                for p in &case.points {
                    assert!(close(&learning_rates(schedule, &p.inputs), &p.y), "{}", case.name);
                }
            }
            for slip in op_slips(schedule) {
                let differs = mine
                    .iter()
                    .any(|c| c.points.iter().any(|p| !close(&(slip.compute)(&p.inputs, &c.shapes, &p.dy)[0], &p.y)));
                assert!(differs, "{schedule}: slip {} is torch's on every case", slip.key);
            }
        }
    }

    #[test]
    fn the_schedules_corpus_gets_its_exact_scores_and_diagnoses() {
        let dir = tempfile::tempdir().unwrap();
        let subs = super::corpus_folder("schedules", dir.path());
        let assignment = root().join("assignments/schedules");
        let (solution, _) = reference_solution(&assignment).unwrap();
        std::fs::write(subs.join("schedules_starter.rs"), descent_grader::kit::starter(&solution, false).unwrap())
            .unwrap();
        let graded = grade_all(&assignment, &subs, &dir.path().join("out"), 2, false).unwrap();
        let by = |s: &str| &graded.records.iter().find(|r| r.grade.student == s).unwrap().grade;
        let test = |s: &str, t: &str| by(s).tests.iter().find(|x| x.name == t).unwrap().clone();
        // Visible: step 15, exponential 10, cosine 20, plateau 25; hidden:
        // step 5, cosine 10, plateau 15. Points are per setting: a slip
        // that changes nothing at a setting (a cosine to 0 where eta_min is
        // 0, no cooldown where it is 0) keeps that setting's share.
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        for (student, score, slip, on) in [
            ("schedules_correct", 100.0, None, ""),
            ("schedules_starter", 0.0, None, ""),
            ("schedules_constant", 0.0, None, ""),
            ("schedules_step_early", 80.0, Some("decays_one_epoch_early"), "step_lr"),
            // step_size 1 in one hidden setting: continuous is stepped there.
            ("schedules_step_continuous", 82.5, Some("continuous_decay"), "step_lr"),
            ("schedules_exponential_early", 90.0, Some("one_epoch_early"), "exponential_lr"),
            ("schedules_warmup_from_zero", 70.0, Some("warmup_from_zero"), "cosine_warmup"),
            ("schedules_cosine_not_offset", 70.0, Some("cosine_not_offset"), "cosine_warmup"),
            ("schedules_cosine_to_zero", 81.667, None, ""),
            ("schedules_patience_off_by_one", 60.0, Some("patience_off_by_one"), "reduce_on_plateau"),
            ("schedules_absolute_threshold", 84.167, None, ""),
            ("schedules_no_cooldown", 83.333, None, ""),
            ("schedules_below_min_lr", 84.167, None, ""),
            ("schedules_best_is_last", 60.0, None, "reduce_on_plateau"),
        ] {
            assert_eq!(r(by(student).score()), score, "{student}: {:#?}", by(student).tests);
            if !on.is_empty() {
                let t = test(student, on);
                assert_eq!(t.diagnosis.as_ref().map(|d| d.key.as_str()), slip, "{student}: {}", t.output);
            }
        }
        // A slip that leaves some settings alone is still named on the
        // test where it shows: the diagnosis needs every setting to agree
        // with the slip, and a setting it leaves alone agrees with it.
        for (student, on, key) in [
            ("schedules_cosine_to_zero", "cosine_warmup", "cosine_to_zero"),
            ("schedules_absolute_threshold", "reduce_on_plateau", "absolute_threshold"),
            ("schedules_no_cooldown", "reduce_on_plateau", "ignores_cooldown"),
            ("schedules_below_min_lr", "reduce_on_plateau", "below_min_lr"),
        ] {
            let t = test(student, on);
            assert_eq!(t.diagnosis.as_ref().map(|d| d.key.as_str()), Some(key), "{student}: {}", t.output);
        }
        let early = test("schedules_step_early", "step_lr").output;
        assert!(
            early.starts_with(
                "learning rates: 0 of 3 settings match PyTorch; first difference at setting 1: epoch 2: the learning \
                 rate is 5e-2, PyTorch's is 1e-1"
            ),
            "{early}"
        );
        assert!(test("schedules_starter", "reduce_on_plateau")
            .output
            .ends_with("panicked in reduce_on_plateau: not yet implemented: your code here"));
    }

    #[test]
    fn the_kit_works_as_a_rust_file_and_as_a_notebook() {
        let assignment = root().join("assignments/schedules");
        let dir = tempfile::tempdir().unwrap();
        for notebook in [false, true] {
            let kit = dir.path().join(format!("kit{notebook}"));
            assign_as(&assignment, &kit, notebook).unwrap();
            let name = if notebook { "solution.ipynb" } else { "solution.rs" };
            let starter = std::fs::read_to_string(kit.join(name)).unwrap();
            assert!(!starter.contains("self.best = loss") && !starter.contains("powi"), "the answer is in the kit");
            let start = check(&kit, &kit.join(name)).unwrap().grade;
            assert!(start.gradable && start.score() == 0.0, "{:#?}", start.tests);
        }
        let solved = check(&dir.path().join("kitfalse"), &assignment.join("solution/solution.rs")).unwrap().grade;
        assert_eq!((solved.score(), solved.max_score()), (70.0, 70.0));
    }
}

mod training {
    //! The training assignment: a student's training with descent's
    //! library, compiled against the prebuilt core and run in a cell,
    //! scored on held-out images that never enter the cell. Needs MNIST
    //! (`MNIST_DIR`, as CI sets it).
    use descent_grader::class::grade_all;
    use descent_grader::compile::{compile_gated, Built, Gate};
    use descent_grader::model::Kind;
    use descent_grader::sandbox::{isolation, Isolation};
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn subs_with(files: &[(&str, String)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("subs")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("subs").join(name), text).unwrap();
        }
        dir
    }

    fn sample(name: &str) -> String {
        std::fs::read_to_string(root().join("tests/submissions/training").join(format!("{name}.rs"))).unwrap()
    }

    /// The MNIST folder the grader reads (where a submission would look).
    fn mnist_dir() -> PathBuf {
        let dir = descent::data::mnist::locate(None).expect("the training tests need MNIST: set MNIST_DIR");
        dir.canonicalize().unwrap()
    }

    #[test]
    fn the_training_corpus_gets_its_scores_and_reasons() {
        let mut files: Vec<(&str, String)> =
            ["training_untrained", "training_wrong_model", "training_batch_norm", "training_panics"]
                .iter()
                .map(|n| (*n, sample(n)))
                .collect();
        let solution = std::fs::read_to_string(root().join("assignments/training/solution/solution.rs")).unwrap();
        files.push(("training_correct", solution.clone()));
        let named: Vec<(String, String)> = files.iter().map(|(n, t)| (format!("{n}.rs"), t.clone())).collect();
        let dir = subs_with(&named.iter().map(|(n, t)| (n.as_str(), t.clone())).collect::<Vec<_>>());
        let graded = grade_all(
            &root().join("assignments/training"),
            &dir.path().join("subs"),
            &dir.path().join("out"),
            2,
            false,
        )
        .unwrap();
        let by = |s: &str| &graded.records.iter().find(|r| r.grade.student == s).unwrap().grade;
        let out = |s: &str, t: &str| by(s).tests.iter().find(|x| x.name == t).unwrap().output.clone();
        // The reference clears both targets (92 % on the first 2,000 test
        // images from 6,000 examples, 95 % on the last 5,000 from 12,000).
        assert_eq!(by("training_correct").score(), 100.0, "{:#?}", by("training_correct").tests);
        assert!(out("training_correct", "held_out_12k").contains("on 5000 images the submission never saw"));
        // An untrained network is at chance: no point.
        assert_eq!(by("training_untrained").score(), 0.0);
        let chance = out("training_untrained", "held_out_6k");
        assert!(chance.starts_with("held-out accuracy "), "{chance}");
        for (student, said) in [
            ("training_wrong_model", "the returned parameters are not those of cnn"),
            ("training_batch_norm", "train returned the model \"mlp_batch_norm\"; a trained model is one of mlp"),
            ("training_panics", "panicked in train: not enough data"),
        ] {
            assert_eq!(by(student).score(), 0.0, "{student}");
            assert!(out(student, "held_out_6k").contains(said), "{student}: {}", out(student, "held_out_6k"));
        }
    }

    #[test]
    fn the_kit_holds_the_visible_set_up_and_a_starter_that_scores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let kit = dir.path().join("kit");
        descent_grader::kit::assign(&root().join("assignments/training"), &kit).unwrap();
        let reference = std::fs::read_to_string(kit.join("visible/reference.json")).unwrap();
        assert!(reference.contains("mnist_6k") && !reference.contains("mnist_12k"), "{reference}");
        assert!(std::fs::read_to_string(kit.join("README.md")).unwrap().contains("it needs MNIST"));
        let starter = std::fs::read_to_string(kit.join("solution.rs")).unwrap();
        assert!(!starter.contains("optimizer.step"), "the answer is in the kit");
        let grade = descent_grader::kit::check(&kit, &kit.join("solution.rs")).unwrap().grade;
        assert!(grade.gradable && grade.score() == 0.0, "{:#?}", grade.tests);
        assert!(grade.tests[0].output.contains("panicked in train: not yet implemented"), "{:#?}", grade.tests);
    }

    #[test]
    fn a_training_past_the_time_limit_is_stopped_and_scores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let assignment = dir.path().join("training");
        std::fs::create_dir_all(assignment.join("hidden")).unwrap();
        for f in ["hidden/reference.json", "assignment.json"] {
            std::fs::copy(root().join("assignments/training").join(f), assignment.join(f)).unwrap();
        }
        let spec = std::fs::read_to_string(assignment.join("assignment.json")).unwrap();
        std::fs::write(
            assignment.join("assignment.json"),
            spec.replace("\"timeout_seconds\": 30", "\"timeout_seconds\": 3"),
        )
        .unwrap();
        let subs = subs_with(&[("endless.rs", sample("training_endless"))]);
        // The core is built once per process (minutes on a cold cache, and
        // other tests may be building it): the clock times the grading.
        descent_grader::library::prebuilt().unwrap();
        let started = std::time::Instant::now();
        let graded = grade_all(&assignment, &subs.path().join("subs"), &dir.path().join("out"), 1, false).unwrap();
        let grade = &graded.records[0].grade;
        assert_eq!(grade.score(), 0.0);
        assert!(
            grade.tests[0].output.contains("no trained model came back: killed after 3 s wall time"),
            "{:#?}",
            grade.tests
        );
        assert!(started.elapsed() < Duration::from_secs(40), "{:?}", started.elapsed());
    }

    /// A submission that looks for MNIST's test files where the grader
    /// keeps them, at run time (panicking with what it found) and at
    /// compile time (with the gate off).
    fn peeking(dir: &Path) -> String {
        let labels = dir.join("t10k-labels-idx1-ubyte.gz");
        let raw = dir.join("t10k-labels-idx1-ubyte");
        format!(
            "use descent::data::MnistSplit;\nuse descent::nn::{{Init, Sequential}};\nuse descent::train::MnistModel;\n\
             pub fn train(_: &MnistSplit, seed: u64) -> descent::Result<(MnistModel, Sequential<f32>)> {{\n    \
             for p in [{labels:?}, {raw:?}] {{\n        if let Ok(b) = std::fs::read(p) {{\n            \
             panic!(\"read the held-out labels: {{}} bytes\", b.len());\n        }}\n    }}\n    \
             let mut rng = descent::rng::seeded(seed);\n    \
             Ok((MnistModel::Mlp, MnistModel::Mlp.build(Init::TorchDefault, &mut rng)?))\n}}\n"
        )
    }

    #[test]
    fn the_held_out_set_is_not_in_the_run_s_cell() {
        if isolation() < Isolation::Namespaces {
            eprintln!("skipped: without namespaces the run's cell holds what the grader's user may read");
            return;
        }
        let subs = subs_with(&[("peek.rs", peeking(&mnist_dir()))]);
        let dir = tempfile::tempdir().unwrap();
        let graded = grade_all(
            &root().join("assignments/training"),
            &subs.path().join("subs"),
            &dir.path().join("out"),
            1,
            false,
        )
        .unwrap();
        let out = &graded.records[0].grade.tests[0].output;
        // It ran, found nothing, and returned its untrained network.
        assert!(out.starts_with("held-out accuracy "), "{out}");
    }

    #[test]
    fn the_held_out_set_is_not_in_the_compiler_s_cell_even_without_the_gate() {
        if isolation() < Isolation::Namespaces {
            eprintln!("skipped: without namespaces the compiler sees what the grader's user may read");
            return;
        }
        let labels = mnist_dir().join("t10k-labels-idx1-ubyte.gz");
        let labels = if labels.is_file() { labels } else { mnist_dir().join("t10k-labels-idx1-ubyte") };
        let source = format!("{}\nconst LABELS: &[u8] = include_bytes!({labels:?});\n", peeking(&mnist_dir()));
        let work = tempfile::tempdir().unwrap();
        let built = compile_gated(&source, Kind::Training, work.path(), Duration::from_secs(120), Gate::Off).unwrap();
        match built {
            Built::Rejected(e) => assert!(e.message.contains("couldn't read"), "{}", e.message),
            Built::Binary(_) => panic!("the compiler read the held-out labels"),
        }
    }
}
