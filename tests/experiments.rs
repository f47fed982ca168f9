//! Every experiment's quick profile runs, returns well-formed frames, and
//! the analytic claims (toy function, AMSGrad counterexample, Wilson's
//! construction, seed 004's momentum and He init) hold with fixed seeds;
//! the registry of seed claims matches what the experiments decide.

use descent::data::Mnist;
use descent::experiments::claims::{entry, Handling, DOCUMENTS, REGISTRY};
use descent::experiments::{by_name, Context, Kind, Profile, Verdict, EXPERIMENTS};
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

/// Evidence claims decided without the protocol, and why that is right:
/// one deterministic run of a deterministic problem, or a property with no
/// method to tune.
const WITHOUT_PROTOCOL: &[(&str, &str)] = &[
    ("amsgrad.online", "deterministic problem and step size given by the paper"),
    ("amsgrad.common_betas_converge", "deterministic problem and step size given by the paper"),
    ("seed004.he_init", "forward variance of an initialisation: no optimizer involved"),
];

/// Every experiment's quick profile runs and draws; the analytic claims
/// hold; every claim is in the registry of seed claims with the same kind;
/// every registered decision is produced by a run; every evidence claim
/// carries its protocol unless listed above.
#[test]
fn every_experiment_runs_and_its_claims_are_registered() {
    let mut produced = Vec::new();
    for e in EXPERIMENTS {
        let o = run(e.name);
        for c in &o.claims {
            let entry = entry(&c.id).unwrap_or_else(|| panic!("{} is not in experiments::claims::REGISTRY", c.id));
            assert_eq!(entry.handling, Handling::Decided(registry_id(entry), c.kind), "{}: kind differs", c.id);
            if c.kind == Kind::Evidence && c.protocol.is_none() {
                assert!(WITHOUT_PROTOCOL.iter().any(|(id, _)| *id == c.id), "{} has no protocol", c.id);
            }
            if c.kind == Kind::Demonstration {
                assert_eq!(c.verdict, Verdict::Supported, "demonstration {} failed: {}", c.id, c.detail);
            }
        }
        match e.name {
            "toy_function" => {
                assert_supported(&o, &["toy_function.no_minimum", "toy_function.seed_gradient_stops_at_2"])
            }
            "amsgrad" => assert_supported(&o, &["amsgrad.online", "amsgrad.theorem1"]),
            "wilson" => {
                assert_supported(&o, &["wilson.gd_min_norm", "wilson.adaptive_sign"]);
                let gap = o.claims.iter().find(|c| c.id == "wilson.mnist_gap").unwrap();
                assert_eq!(gap.verdict, Verdict::FullProfileOnly);
            }
            "seed004" => assert_supported(&o, &["seed004.momentum_effective_rate", "seed004.he_init"]),
            _ => {}
        }
        produced.extend(o.claims.into_iter().map(|c| c.id));
    }
    for r in REGISTRY {
        if let Handling::Decided(id, _) = r.handling {
            assert!(produced.iter().any(|p| p == id), "registered claim {id} was not produced by any experiment");
        }
    }
}

fn registry_id(r: &descent::experiments::claims::Registered) -> &'static str {
    match r.handling {
        Handling::Decided(id, _) => id,
        Handling::NotDecided(_) => "",
    }
}

#[test]
fn the_registry_covers_every_seed_and_paper() {
    for doc in DOCUMENTS {
        assert!(REGISTRY.iter().any(|r| r.document == doc), "no claim registered from {doc}");
    }
    for r in REGISTRY {
        assert!(DOCUMENTS.contains(&r.document), "unknown document {}", r.document);
        match r.handling {
            Handling::Decided(id, _) => {
                let experiment = id.split('.').next().unwrap();
                assert!(by_name(experiment).is_ok(), "{id}: no experiment {experiment}");
            }
            Handling::NotDecided(why) => assert!(why.len() > 20, "{}: say why it is not decided", r.statement),
        }
    }
    // Every seed file in ../shared/seeds (when present) has entries.
    if let Ok(dir) = std::fs::read_dir("../shared/seeds") {
        for f in dir.flatten() {
            let name = f.file_name().to_string_lossy().to_string();
            if name.ends_with(".txt") {
                let doc = &name[..3];
                assert!(REGISTRY.iter().any(|r| r.document == doc), "seed file {name} has no registered claim");
            }
        }
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
