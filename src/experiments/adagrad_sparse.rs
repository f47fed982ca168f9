//! Adagrad (seeds 000 and 002): per-coordinate steps `lr / sqrt(sum of
//! squared gradients)`, which shrink forever (the "vanishing step") but stay
//! large for coordinates whose gradients are rare, as for sparse features.
//!
//! A regression with 10 dense features and 10 rare ones (non-zero in 2% of
//! the examples), full-batch gradients of the mean squared error from
//! `w = 0`: the rare coordinates' gradients are about 50 times smaller, so
//! gradient descent with one learning rate crawls on them, while Adagrad
//! scales each coordinate by its own history.

use super::metric::LOSS;
use super::{minimize, ChartSpec, Claim, Context, Experiment, MnistUse, Outcome, Rows, Run, SeriesBy};
use crate::optim::by_name;
use crate::rng::seeded;
use crate::Result;
use ndarray::{Array1, Array2};
use rand::Rng;

/// `|w − w*|` on the dense coefficients.
pub const DENSE_ERROR: &str = "error on dense coefficients";
/// `|w − w*|` on the rare coefficients.
pub const RARE_ERROR: &str = "error on rare coefficients";
/// Adagrad's `lr / sqrt(G_t)` on a dense coordinate.
pub const DENSE_STEP: &str = "effective step, dense coordinate 0";
/// Adagrad's `lr / sqrt(G_t)` on a rare coordinate.
pub const RARE_STEP: &str = "effective step, rare coordinate 10";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "adagrad_sparse",
    title: "Adagrad: the vanishing step and sparse features",
    question: "Adagrad divides each coordinate's step by the root of its accumulated squared gradients: the step \
               only shrinks, but shrinks less for rare features. Does that help on sparse features?",
    sources: "seeds 000 and 002",
    mnist: MnistUse::NotAtAll,
    run,
    formulas: &["adagrad"],
    charts: &[
        ChartSpec::lines("runs", &[RARE_ERROR])
            .rows(Rows::setting("sparse regression"))
            .titled("Rare features", "step", "||w_rare − w*_rare||")
            .log_y()
            .caption("Error on the coefficients of rare features."),
        ChartSpec::lines("runs", &[DENSE_STEP, RARE_STEP])
            .rows(Rows::of("adagrad", "effective step"))
            .by(SeriesBy::Metric)
            .titled("Effective step", "step", "lr / sqrt(G_t)")
            .log_x()
            .log_y()
            .caption("Adagrad's per-coordinate step lr / sqrt(G_t): it only shrinks."),
    ],
    tables: &[],
};

/// The sparse problem: `(X, y, w_true)`.
pub fn sparse_problem(n: usize, seed: u64) -> (Array2<f64>, Array1<f64>, Array1<f64>) {
    let mut rng = seeded(seed);
    let d = 20;
    let mut x = Array2::zeros((n, d));
    for i in 0..n {
        for j in 0..d {
            let present = j < 10 || rng.gen::<f64>() < 0.02;
            if present {
                x[[i, j]] = rng.gen::<f64>() * 2.0 - 1.0;
            }
        }
    }
    let w: Array1<f64> = (0..d).map(|j| 1.0 + (j % 5) as f64 * 0.5).collect();
    let noise: Array1<f64> = (0..n).map(|_| (rng.gen::<f64>() - 0.5) * 0.1).collect();
    let y = x.dot(&w) + noise;
    (x, y, w)
}

/// Runs GD and Adagrad.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let steps = ctx.profile.pick(2_000, 10_000);
    let (x, y, w_true) = sparse_problem(5_000, ctx.seed);
    let n = x.nrows() as f64;
    let objective = |w: &[f64]| {
        let r = x.dot(&Array1::from(w.to_vec())) - &y;
        (r.dot(&r) / n, (x.t().dot(&r) * (2.0 / n)).to_vec())
    };
    let mut long = EXPERIMENT.frame();
    let mut errors = Vec::new();
    for (name, lr) in [("sgd", 0.5), ("adagrad", 0.5)] {
        let mut opt = by_name::<f64>(name, Some(lr))?;
        let run = Run { optimizer: name, lr, seed: ctx.seed, setting: "sparse regression" };
        let path = minimize(opt.as_mut(), &[0.0; 20], steps, objective, None)?;
        let err =
            |p: &[f64], range: std::ops::Range<usize>| range.map(|j| (p[j] - w_true[j]).powi(2)).sum::<f64>().sqrt();
        for (t, p) in path.points.iter().enumerate().filter(|(t, _)| t % 10 == 0) {
            long.push(&run, t as f64, DENSE_ERROR, err(p, 0..10));
            long.push(&run, t as f64, RARE_ERROR, err(p, 10..20));
            long.push(&run, t as f64, LOSS, path.values[t]);
        }
        let reach = path.points.iter().position(|p| err(p, 10..20) < 0.1).map_or(f64::INFINITY, |t| t as f64);
        errors.push((name, err(path.last(), 0..10), err(path.last(), 10..20), reach));
    }
    // The vanishing step: Adagrad's effective rate lr / (sqrt(sum) + eps) on a dense and a rare coordinate.
    let mut adagrad = by_name::<f64>("adagrad", Some(0.5))?;
    let mut w = ndarray::ArrayD::zeros(vec![20]);
    let run = Run { optimizer: "adagrad", lr: 0.5, seed: ctx.seed, setting: "effective step" };
    let mut last = (0.0, 0.0);
    for t in 1..=steps {
        let (_, g) = objective(w.as_slice().expect("1-D"));
        adagrad.step(&mut [&mut w], &[ndarray::ArrayD::from_shape_vec(vec![20], g).expect("20")])?;
        let sum = &adagrad.buffer("sum").expect("adagrad keeps `sum`")[0];
        let eff = |j: usize| 0.5 / (sum[[j]].sqrt() + 1e-10);
        last = (eff(0), eff(10));
        if t % 10 == 0 || t == 1 {
            long.push(&run, t as f64, DENSE_STEP, last.0);
            long.push(&run, t as f64, RARE_STEP, last.1);
        }
    }
    let (gd, ada) = (errors[0], errors[1]);
    let claims = vec![
        Claim::decided(
            "adagrad_sparse.rare_features",
            "seed 000 (Adagrad); seed 002",
            "Adagrad performs larger updates for parameters of infrequent features, so it learns them faster than \
             gradient descent with one learning rate",
            "full-batch steps (both lr 0.5) until the error on the rare coefficients falls below 0.1: fewer for \
             Adagrad than for GD",
            ada.3,
            ada.3 < gd.3,
            format!(
                "steps to rare-coefficient error < 0.1: GD {}, Adagrad {}; after {steps} steps: GD error dense {:.3}, \
                 rare {:.3}; Adagrad error dense {:.3}, rare {:.3}",
                gd.3, ada.3, gd.1, gd.2, ada.1, ada.2
            ),
        ),
        Claim::demonstration(
            "adagrad_sparse.vanishing_step",
            "seed 000; seed 002",
            "Adagrad's effective learning rate keeps shrinking, and shrinks less for rare features",
            "after all steps the rare coordinate's effective step exceeds the dense one's",
            last.1 / last.0,
            last.1 > last.0,
            format!("effective step after {steps} steps: dense {:.3e}, rare {:.3e}", last.0, last.1),
        ),
    ];
    Ok(Outcome { frames: vec![("runs".into(), long.finish()?)], claims, notes: vec![] })
}
