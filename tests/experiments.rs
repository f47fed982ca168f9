//! Every experiment's quick profile runs, returns well-formed frames, and
//! the analytic claims (toy function, AMSGrad counterexample, Wilson's
//! construction, seed 004's momentum and He init) hold with fixed seeds;
//! the registry of seed claims matches what the experiments decide.

use descent::data::Mnist;
use descent_lab::experiments::seed_claims::{registry, Handling, StepMatch, DOCUMENTS, MOMENTUM_COMPARISONS};
use descent_lab::experiments::{by_name, Context, Kind, Profile, Verdict, EXPERIMENTS};
use std::sync::OnceLock;
use std::time::Instant;

fn mnist() -> &'static Mnist {
    static MNIST: OnceLock<Mnist> = OnceLock::new();
    MNIST.get_or_init(|| Mnist::load(None).unwrap_or_else(|e| panic!("the MNIST experiments need the data: {e}")))
}

fn run(name: &str) -> descent_lab::experiments::Outcome {
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
        let labels = descent_lab::experiments::labels(df, "experiment").unwrap();
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

fn assert_supported(outcome: &descent_lab::experiments::Outcome, ids: &[&str]) {
    for id in ids {
        let claim = outcome.claims.iter().find(|c| c.id == *id).unwrap_or_else(|| panic!("no claim {id}"));
        assert_eq!(claim.verdict, Verdict::Supported, "{id}: {}", claim.detail);
    }
}

/// Evidence claims decided without the protocol, and why that is right:
/// one deterministic run of a deterministic problem, or a property with no
/// method to tune.
/// (None now: the one-run claims of a deterministic problem, `amsgrad.online`
/// and `amsgrad.common_betas_converge`, and `seed004.he_init`, a property of
/// the initialisation, are demonstrations.)
const WITHOUT_PROTOCOL: &[(&str, &str)] = &[];

/// Every experiment's quick profile runs and draws; the analytic claims
/// hold; every claim a run produces is one its experiment declares, with
/// the declaration's words and kind; every declaration is produced by its
/// run; every evidence claim carries its protocol unless listed above.
#[test]
fn every_experiment_runs_and_its_claims_are_registered() {
    for e in EXPERIMENTS {
        let o = run(e.name);
        for spec in e.claims {
            assert!(
                o.claims.iter().any(|c| c.id == spec.id),
                "{} declares {}, its run did not produce it",
                e.name,
                spec.id
            );
            assert!(spec.id.starts_with(&format!("{}.", e.name)), "{} declares {}, another's", e.name, spec.id);
        }
        for c in &o.claims {
            let spec = e.claims.iter().find(|s| s.id == c.id);
            let spec = spec.unwrap_or_else(|| panic!("{} produced {}, which it does not declare", e.name, c.id));
            let declared = (spec.source, spec.statement, spec.criterion, spec.kind);
            assert_eq!((c.source.as_str(), c.statement.as_str(), c.criterion.as_str(), c.kind), declared, "{}", c.id);
            if c.kind == Kind::Evidence && c.protocol.is_none() {
                assert!(WITHOUT_PROTOCOL.iter().any(|(id, _)| *id == c.id), "{} has no protocol", c.id);
            }
            if c.kind == Kind::Demonstration {
                assert_eq!(c.verdict, Verdict::Supported, "demonstration {} failed: {}", c.id, c.detail);
            }
        }
        // Tuned on what is decided: a claim decided after the first epoch
        // selects its rates after the first epoch.
        for c in o.claims.iter().filter(|c| c.kind == Kind::Evidence && c.criterion.contains("after the first epoch")) {
            let p = c.protocol.as_ref().unwrap_or_else(|| panic!("{} records no tuning", c.id));
            assert!(p.selected_on.contains("after the first epoch"), "{}: tuned on {}", c.id, p.selected_on);
        }
        // Momentum against none at matched steps, as the run recorded them.
        for c in &o.claims {
            match MOMENTUM_COMPARISONS.iter().find(|(id, _)| *id == c.id).map(|m| m.1) {
                Some(StepMatch::Effective { plain, with, mu }) => {
                    let p = c.protocol.as_ref().unwrap_or_else(|| panic!("{} records no learning rates", c.id));
                    let (a, b) = (p.selected[plain], p.selected[with]);
                    assert!((a - b / (1.0 - mu)).abs() <= 1e-12 * a, "{}: {plain} at {a}, {with} at {b}", c.id);
                }
                Some(StepMatch::Tuned) => {
                    let p = c.protocol.as_ref().unwrap_or_else(|| panic!("{} records no tuning", c.id));
                    assert!(p.lr_grid.len() >= 2, "{}: tuned on {:?}", c.id, p.lr_grid.keys());
                }
                Some(StepMatch::SameMomentum) | None => {}
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
    }
}

/// Every evidence claim that mentions momentum (heavy ball, Nesterov) says
/// how its steps are matched.
#[test]
fn every_momentum_comparison_matches_its_steps() {
    for spec in EXPERIMENTS.iter().flat_map(|e| e.claims) {
        let text = format!("{} {}", spec.statement, spec.criterion).to_lowercase();
        let mentions = ["momentum", "heavy ball", "nesterov"].iter().any(|w| text.contains(w));
        if spec.kind == Kind::Evidence && mentions {
            assert!(
                MOMENTUM_COMPARISONS.iter().any(|(id, _)| *id == spec.id),
                "{} compares momentum but says nothing of matching its steps",
                spec.id
            );
        }
    }
}

#[test]
fn the_registry_covers_every_seed_and_paper() {
    let registry = registry();
    for doc in DOCUMENTS {
        assert!(registry.iter().any(|r| r.document == doc), "no claim registered from {doc}");
    }
    for r in &registry {
        assert!(DOCUMENTS.contains(&r.document), "unknown document {}", r.document);
        match r.handling {
            Handling::Decided(id, kind) => {
                let experiment = id.split('.').next().unwrap();
                let e = by_name(experiment).unwrap_or_else(|_| panic!("{id}: no experiment {experiment}"));
                let spec = e.claims.iter().find(|c| c.id == id);
                assert_eq!(spec.map(|c| c.kind), Some(kind), "{id}: not declared by {experiment}, or of another kind");
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
                assert!(registry.iter().any(|r| r.document == doc), "seed file {name} has no registered claim");
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

/// A criterion is declared as text before the run; where it quotes one of
/// its experiment's constants, the text says the constant's value.
#[test]
fn criteria_quote_the_constants_their_runs_use() {
    use descent_lab::experiments::{adagrad_sparse, normalization, surfaces, wilson};
    let quotes = [
        (adagrad_sparse::RARE_FEATURES.criterion, format!("falls below {}", adagrad_sparse::RARE_TARGET)),
        (normalization::BATCH_NORM_LARGER_LR.criterion, format!("at {}×", normalization::HIGH_LR_FACTOR)),
        (normalization::BATCH_NORM_LARGER_LR.criterion, format!("scores {}, chance", normalization::DIVERGED_ACCURACY)),
        (
            normalization::DATA_STANDARDIZED_FASTER.criterion,
            format!("after {} full-batch", normalization::DATA_UPDATES),
        ),
        (surfaces::NESTEROV_ILL_CONDITIONED.criterion, format!("from {} random starts", surfaces::STARTS_PER_SEED)),
        (surfaces::NESTEROV_ROSENBROCK.criterion, format!("from {} random starts", surfaces::STARTS_PER_SEED)),
        (wilson::SPAN_METHODS_MIN_NORM.criterion, format!("mini-batch GD ({} examples)", wilson::MINI_BATCH)),
        (wilson::ADAPTIVE_ERROR_TO_HALF.criterion, format!("for p in {:?}", wilson::P_SWEEP)),
    ];
    for (criterion, quote) in quotes {
        assert!(criterion.contains(&quote), "{criterion:?} does not say {quote:?}");
    }
}
