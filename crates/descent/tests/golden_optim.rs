//! Replays torch.optim and torch.optim.lr_scheduler in f64.
//!
//! Produced by: `python3 scripts/golden/optim.py` (torch, float64,
//! `foreach=False`), which records for every step the gradient torch computed
//! and every parameter after the step, on an ill-conditioned quadratic,
//! Rosenbrock from (-1.5, 2) and a least-squares problem with two parameter
//! tensors. The replay feeds torch's gradients to descent's optimizer, so it
//! tests the update alone, step by step.
//!
//! Tolerance: every parameter after every step within 1e-9 relative to
//! max(|want|, 1e-6); the floor only matters for coordinates that converge
//! to 0, where a relative error of two rounding-level differences is
//! meaningless.

mod common;

use common::golden;
use descent::optim::{adamw, OptimizerSpec};
use ndarray::{ArrayD, IxDyn};
use serde::Deserialize;
use serde_json::{Map, Value};

const TOLERANCE: f64 = 1e-9;

#[derive(Deserialize)]
struct Case {
    label: String,
    problem: String,
    optimizer: String,
    kwargs: Map<String, Value>,
    params0: Vec<Vec<f64>>,
    grads: Vec<Vec<Vec<f64>>>,
    params: Vec<Vec<Vec<f64>>>,
}

#[derive(Deserialize)]
struct ScheduleCase {
    name: String,
    params: Map<String, Value>,
    base_lr: f64,
    lrs: Vec<f64>,
}

#[derive(Deserialize)]
struct PlateauCase {
    kwargs: Value,
    base_lr: f64,
    metrics: Vec<f64>,
    lrs: Vec<f64>,
}

#[derive(Deserialize)]
struct Golden {
    torch_version: String,
    cases: Vec<Case>,
    schedules: Vec<ScheduleCase>,
    plateau: PlateauCase,
}

/// `base` with torch's keyword arguments laid over it: our configs use
/// torch's names, so the kwargs map one to one.
fn overlay<C: serde::Serialize>(base: C, kwargs: &Map<String, Value>) -> Value {
    let mut config = serde_json::to_value(base).unwrap();
    for (k, v) in kwargs {
        config[k] = v.clone();
    }
    config
}

/// The descent optimizer for a torch class and its kwargs.
fn spec(optimizer: &str, kwargs: &Map<String, Value>) -> OptimizerSpec {
    let tagged = |tag: &str, config: Value| {
        let mut v = config;
        v["optimizer"] = Value::String(tag.into());
        serde_json::from_value::<OptimizerSpec>(v).unwrap_or_else(|e| panic!("{optimizer} {kwargs:?}: {e}"))
    };
    let plain = || Value::Object(kwargs.clone());
    match optimizer {
        "SGD" => tagged("sgd", plain()),
        "Adagrad" => tagged("adagrad", plain()),
        "Adadelta" => tagged("adadelta", plain()),
        "RMSprop" => tagged("rmsprop", plain()),
        "Adam" => tagged("adam", plain()),
        "AdamW" => tagged("adam", overlay(adamw(), kwargs)),
        "NAdam" => tagged("nadam", plain()),
        "RAdam" => tagged("radam", plain()),
        "Adamax" => tagged("adamax", plain()),
        other => panic!("no descent optimizer for torch.optim.{other}"),
    }
}

fn arrays(values: &[Vec<f64>]) -> Vec<ArrayD<f64>> {
    values.iter().map(|v| ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.clone()).unwrap()).collect()
}

fn relative_error(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1e-6)
}

#[test]
fn every_optimizer_replays_torch_step_for_step() {
    let golden: Golden = golden("optim.json");
    let optimizers: std::collections::BTreeSet<&str> = golden.cases.iter().map(|c| c.optimizer.as_str()).collect();
    assert_eq!(optimizers.len(), 9, "torch {}: {optimizers:?}", golden.torch_version);
    let mut worst = (0.0, String::new());
    for case in &golden.cases {
        let name = format!("{} on {}", case.label, case.problem);
        let mut optimizer = spec(&case.optimizer, &case.kwargs).build::<f64>().unwrap();
        let mut params = arrays(&case.params0);
        assert!(case.params.len() >= 100, "{name}: only {} steps", case.params.len());
        for (step, (grads, want)) in case.grads.iter().zip(&case.params).enumerate() {
            let mut refs: Vec<&mut ArrayD<f64>> = params.iter_mut().collect();
            optimizer.step(&mut refs, &arrays(grads)).unwrap();
            for (p, w) in params.iter().zip(want) {
                for (&got, &want) in p.iter().zip(w) {
                    let err = relative_error(got, want);
                    assert!(
                        err <= TOLERANCE,
                        "{name}, step {}: got {got}, torch {want} (relative error {err:.2e})",
                        step + 1
                    );
                    if err > worst.0 {
                        worst = (err, name.clone());
                    }
                }
            }
        }
    }
    eprintln!("{} cases; worst relative error {:.2e} ({})", golden.cases.len(), worst.0, worst.1);
}

#[test]
fn every_schedule_matches_torch_lr_scheduler() {
    let golden: Golden = golden("optim.json");
    for case in &golden.schedules {
        let p = &case.params;
        let get = |k: &str| p[k].as_f64().unwrap();
        let step = |k: &str| p[k].as_u64().unwrap();
        use descent::optim::Schedule as S;
        let schedule = match case.name.as_str() {
            "constant" => S::Constant,
            "step" => S::Step { step_size: step("step_size"), gamma: get("gamma") },
            "multi_step" => S::MultiStep {
                milestones: p["milestones"].as_array().unwrap().iter().map(|m| m.as_u64().unwrap()).collect(),
                gamma: get("gamma"),
            },
            "exponential" => S::Exponential { gamma: get("gamma") },
            "inverse_time" => S::InverseTime { k: get("k") },
            "inverse_sqrt" => S::InverseSqrt,
            "cosine" => S::Cosine { t_max: step("t_max"), eta_min: get("eta_min") },
            "warmup_cosine" => S::warmup(
                step("warmup_steps"),
                get("start_factor"),
                S::Cosine { t_max: step("t_max"), eta_min: get("eta_min") },
            ),
            "warmup_step" => S::warmup(
                step("warmup_steps"),
                get("start_factor"),
                S::Step { step_size: step("step_size"), gamma: get("gamma") },
            ),
            other => panic!("unknown schedule {other}"),
        };
        schedule.validate().unwrap();
        for (t, &want) in case.lrs.iter().enumerate() {
            let got = schedule.lr(case.base_lr, t as u64);
            // torch computes most schedules recursively (lr_t from lr_{t-1}); ours is closed-form.
            assert!(relative_error(got, want) <= 1e-12, "{} at t = {t}: got {got}, torch {want}", case.name);
        }
    }
}

#[test]
fn reduce_on_plateau_matches_torch() {
    let golden: Golden = golden("optim.json");
    let case = &golden.plateau;
    let config = serde_json::from_value(case.kwargs.clone()).unwrap();
    let mut scheduler = descent::optim::ReduceOnPlateau::new(case.base_lr, config).unwrap();
    for (epoch, (&metric, &want)) in case.metrics.iter().zip(&case.lrs).enumerate() {
        let got = scheduler.step(metric).unwrap();
        assert!(relative_error(got, want) <= 1e-12, "epoch {epoch}: got {got}, torch {want}");
    }
}
