//! Every experiment's quick profile runs, returns well-formed frames, and
//! the analytic claims (toy function, AMSGrad counterexample, Wilson's
//! construction, seed 004's momentum and He init) hold with fixed seeds.

use descent::data::Mnist;
use descent::experiments::{by_name, Context, Profile, Verdict, EXPERIMENTS};
use std::sync::OnceLock;
use std::time::Instant;

fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| Mnist::load(None).unwrap_or_else(|e| panic!("the MNIST experiments need the data: {e}")))
}

fn run(name: &str) -> descent::experiments::Outcome {
    let experiment = by_name(name).unwrap();
    let ctx = Context { profile: Profile::Quick, seed: 0, mnist: Ok(mnist()), progress: false };
    let start = Instant::now();
    let outcome = (experiment.run)(&ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!("{name}: {:.1?}", start.elapsed());
    for claim in &outcome.claims {
        eprintln!("  [{:?}] {}: {}", claim.verdict, claim.id, claim.detail);
        assert!(claim.id.starts_with(name), "{} belongs to {name}", claim.id);
    }
    for note in &outcome.notes {
        eprintln!("  note: {note}");
    }
    for (frame, df) in &outcome.frames {
        let columns: Vec<&str> = df.get_column_names().into_iter().map(|c| c.as_str()).collect();
        assert_eq!(
            columns,
            ["experiment", "optimizer", "lr", "seed", "step_or_epoch", "metric", "value", "setting"],
            "{name}/{frame}"
        );
    }
    assert!(outcome.frames.iter().any(|(_, df)| df.height() > 0), "{name} produced data");
    for (frame, df) in &outcome.frames {
        let labels = descent::experiments::labels(df, "experiment").unwrap();
        assert!(labels.is_empty() || labels == [name], "{name}/{frame}: rows of {labels:?}");
    }
    // Every chart and table the experiment declares draws from what it ran
    // (a metric renamed on one side only would leave one empty).
    let visuals = experiment.visuals(&outcome).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(visuals.empty.is_empty(), "{name}: specs that drew nothing: {:?}", visuals.empty);
    let specs = experiment.charts.len();
    assert!(visuals.charts.len() >= specs, "{name}: {} charts from {specs} specs", visuals.charts.len());
    assert_eq!(visuals.math.len(), experiment.formulas.len(), "{name}");
    outcome
}

fn assert_supported(outcome: &descent::experiments::Outcome, ids: &[&str]) {
    for id in ids {
        let claim = outcome.claims.iter().find(|c| c.id == *id).unwrap_or_else(|| panic!("no claim {id}"));
        assert_eq!(claim.verdict, Verdict::Supported, "{id}: {}", claim.detail);
    }
}

#[test]
fn toy_function() {
    let o = run("toy_function");
    assert_supported(&o, &["toy_function.no_minimum", "toy_function.seed_gradient_stops_at_2"]);
}

#[test]
fn amsgrad_counterexample() {
    let o = run("amsgrad");
    assert_supported(&o, &["amsgrad.online", "amsgrad.theorem1"]);
}

#[test]
fn wilson_construction() {
    let o = run("wilson");
    assert_supported(&o, &["wilson.gd_min_norm", "wilson.adaptive_sign"]);
    assert_eq!(o.claims.iter().find(|c| c.id == "wilson.mnist_gap").unwrap().verdict, Verdict::FullProfileOnly);
}

#[test]
fn seed004() {
    let o = run("seed004");
    assert_supported(&o, &["seed004.momentum_effective_rate", "seed004.he_init"]);
}

#[test]
fn the_other_experiments_run() {
    for name in
        ["batch_modes", "linear_regression", "surfaces", "adadelta_eps", "adagrad_sparse", "mnist_mlp", "cnn_grid"]
    {
        run(name);
    }
}

#[test]
fn names_are_unique_and_unknown_ones_are_errors() {
    let mut names: Vec<&str> = EXPERIMENTS.iter().map(|e| e.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), EXPERIMENTS.len());
    let err = by_name("nope").err().unwrap().to_string();
    assert!(err.contains("batch_modes") && err.contains("cnn_grid"), "{err}");
    assert!("fast".parse::<Profile>().unwrap_err().to_string().contains("quick, full"));
}
