//! Adagrad (seeds 000 and 002): per-coordinate steps `lr / sqrt(sum of
//! squared gradients)`, which shrink forever (the "vanishing step") but stay
//! large for coordinates whose gradients are rare, as for sparse features.
//!
//! A regression with 10 dense features and 10 rare ones (non-zero in 2% of
//! the examples), full-batch gradients of the mean squared error from
//! `w = 0`: the rare coordinates' gradients are about 50 times smaller, so
//! gradient descent with one learning rate crawls on them, while Adagrad
//! scales each coordinate by its own history. Each method's rate is tuned on
//! a separate draw (steps until the rare coefficients are learned), and the
//! comparison is paired over draws.

use super::{ClaimSpec, Decided, Tested};
use super::least_squares::transpose_times;
use super::metric::LOSS;
use super::protocol::{tune_lr, Estimate, Protocol, Seeds, Tuned};
use super::{minimize, ChartSpec, Context, Experiment, MnistUse, Outcome, Rows, Run, SeriesBy};
use descent::train::run_parallel;
use descent::optim::by_name;
use descent::rng::seeded;
use descent::Result;
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
    claims: &[VANISHING_STEP, RARE_FEATURES, SHRINKING_STEP_SLOWS],
};

/// adagrad_sparse.vanishing_step
pub const VANISHING_STEP: ClaimSpec = ClaimSpec::evidence(
    "adagrad_sparse.vanishing_step",
    "000",
    "seed 000; seed 002",
    "Adagrad's effective learning rate keeps shrinking, and shrinks less for rare features",
    "after all steps the rare coordinate's effective step exceeds the dense one's",
).demonstrates();

/// adagrad_sparse.rare_features
pub const RARE_FEATURES: ClaimSpec = ClaimSpec::evidence(
    "adagrad_sparse.rare_features",
    "000",
    "seed 000 (Adagrad); seed 002",
    "Adagrad performs larger updates for parameters of infrequent features, so it learns them faster than gradient \
     descent with one learning rate",
    "full-batch steps until the error on the rare coefficients falls below 0.1, Adagrad − GD < 0, each \
     at its lr tuned on a separate draw, paired by draw (never reached: open interval)",
);

/// adagrad_sparse.shrinking_step_slows
pub const SHRINKING_STEP_SLOWS: ClaimSpec = ClaimSpec::evidence(
    "adagrad_sparse.shrinking_step_slows",
    "000",
    "seed 000 (Adagrad: limits)",
    "Adagrad converges slowly because its learning rate is drastically reduced (the sum of squared gradients only \
     grows)",
    "the regression of this section (5,000 examples, 20 features) with mini-batches of 32, after a fixed budget of \
     updates: log(full-data loss of Adagrad / of the same update dividing by the root of the running mean of the \
     squared gradients instead of their sum) > 0, each at its lr tuned on a separate draw, paired by draw; the two \
     differ only in the accumulator's growth",
);

/// The mini-batch of the shrinking-step claim's runs.
const BATCH: usize = 32;

/// Adagrad on `(x, y)` with mini-batches of [`BATCH`] in a seeded order
/// (a short remainder dropped), from `w = 0`, for `updates` updates; with
/// `mean`, the accumulator is the running mean of the squared gradients
/// instead of their sum, so the step stops shrinking. The final full-data
/// loss (infinite if the run diverged).
fn adagrad_minibatch(x: &Array2<f64>, y: &Array1<f64>, lr: f64, mean: bool, updates: usize, seed: u64) -> f64 {
    let (n, d) = x.dim();
    let mut rng = seeded(seed ^ 0x5eed);
    let mut order: Vec<usize> = (0..n).collect();
    let (mut w, mut acc) = (Array1::<f64>::zeros(d), Array1::<f64>::zeros(d));
    let mut at = n;
    for t in 1..=updates {
        if at + BATCH > n {
            // A new epoch: a Fisher–Yates shuffle.
            for i in (1..n).rev() {
                order.swap(i, rng.gen_range(0..=i));
            }
            at = 0;
        }
        let rows = &order[at..at + BATCH];
        at += BATCH;
        let xb = x.select(ndarray::Axis(0), rows);
        let yb: Array1<f64> = rows.iter().map(|&i| y[i]).collect();
        let g = xb.t().dot(&(xb.dot(&w) - yb)) * (2.0 / BATCH as f64);
        if mean {
            acc += &((&g * &g - &acc) / t as f64);
        } else {
            acc += &(&g * &g);
        }
        w -= &(&g * lr / (acc.mapv(f64::sqrt) + 1e-10));
        if !w.iter().all(|v| v.is_finite()) {
            return f64::INFINITY;
        }
    }
    let r = x.dot(&w) - y;
    r.dot(&r) / n as f64
}

/// Seed 000's "slow because the step shrinks": Adagrad against the same
/// update whose accumulator does not grow, each tuned.
fn shrinking_step(seeds: &Seeds, updates: usize) -> Result<super::Claim> {
    let loss = |lr: f64, mean: bool, seed: u64| {
        let (x, y, _) = sparse_problem(5_000, seed);
        adagrad_minibatch(&x, &y, lr, mean, updates, seed)
    };
    let methods = [("adagrad (sum)", false), ("mean accumulator", true)];
    let tuned: Vec<Tuned> =
        methods.iter().map(|&(_, mean)| tune_lr(0.1, |lr| Ok(loss(lr, mean, seeds.tuning)))).collect::<Result<_>>()?;
    let per: Vec<Vec<f64>> = methods
        .iter()
        .zip(&tuned)
        .map(|(&(_, mean), t)| run_parallel(&seeds.eval, |&s| loss(t.best, mean, s)))
        .collect();
    let ratio: Vec<f64> = per[0].iter().zip(&per[1]).map(|(a, b)| (a / b).ln()).collect();
    let e = Estimate::of(&ratio);
    let protocol = Protocol::new(seeds, &format!("full-data loss after {updates} updates on a separate draw"))
        .tuned_each(&methods, &tuned);
    Ok(SHRINKING_STEP_SLOWS.tested(Tested {
        estimate: &e,
        verdict: e.above(0.0),
        detail: format!(
            "{updates} updates of {BATCH}: Adagrad (lr {:.2e}) {}, mean accumulator (lr {:.2e}) {}; log ratio {}",
            tuned[0].best,
            Estimate::of(&per[0]).show(3),
            tuned[1].best,
            Estimate::of(&per[1]).show(3),
            e.show(3)
        ),
        protocol,
    }))
}

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

/// The mean squared error of `x w` against `y` and its gradient.
fn mse<'a>(x: &'a Array2<f64>, y: &'a Array1<f64>) -> impl Fn(&[f64]) -> (f64, Vec<f64>) + 'a {
    let n = x.nrows() as f64;
    move |w: &[f64]| {
        let r = x.dot(&Array1::from(w.to_vec())) - y;
        (r.dot(&r) / n, (transpose_times(x, &r, 0..x.nrows()) * (2.0 / n)).to_vec())
    }
}

/// Error on the rare coefficients below which they count as learned.
pub const RARE_TARGET: f64 = 0.1;

/// Errors on the dense and the rare coefficients, and the loss, at one step.
type Errors = (f64, f64, f64);

/// Full-batch run of `name` at `lr` on the problem of `seed`: the path's
/// errors (dense, rare, per step) and the steps until the rare error falls
/// below [`RARE_TARGET`] (infinite if it never does).
fn descend(name: &str, lr: f64, steps: usize, seed: u64) -> Result<(Vec<Errors>, f64)> {
    let (x, y, w_true) = sparse_problem(5_000, seed);
    let mut opt = by_name::<f64>(name, Some(lr))?;
    let path = minimize(opt.as_mut(), &[0.0; 20], steps, mse(&x, &y), None)?;
    let err = |p: &[f64], range: std::ops::Range<usize>| range.map(|j| (p[j] - w_true[j]).powi(2)).sum::<f64>().sqrt();
    let trace: Vec<(f64, f64, f64)> =
        path.points.iter().zip(&path.values).map(|(p, &v)| (err(p, 0..10), err(p, 10..20), v)).collect();
    let reach = trace.iter().position(|t| t.1 < RARE_TARGET).map_or(f64::INFINITY, |t| t as f64);
    Ok((trace, reach))
}

/// Runs GD and Adagrad, each at its rate tuned on a separate draw.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let steps = ctx.profile.pick(2_000, 10_000);
    let seeds = Seeds::of(ctx.profile, ctx.seed);
    let methods = [("sgd", 0.5), ("adagrad", 0.5)];
    let tuned: Vec<Tuned> = methods
        .iter()
        .map(|&(name, default)| tune_lr(default, |lr| Ok(descend(name, lr, steps, seeds.tuning)?.1)))
        .collect::<Result<_>>()?;
    let mut long = EXPERIMENT.frame();
    let mut reached = vec![Vec::new(); methods.len()];
    let mut finals = Vec::new();
    for (i, (&(name, _), t)) in methods.iter().zip(&tuned).enumerate() {
        let runs = run_parallel(&seeds.eval, |&s| descend(name, t.best, steps, s));
        for (&s, r) in seeds.eval.iter().zip(runs) {
            let (trace, reach) = r?;
            if s == seeds.eval[0] {
                let run = Run { optimizer: name, lr: t.best, seed: s, setting: "sparse regression" };
                for (step, &(dense, rare, loss)) in trace.iter().enumerate().filter(|(t, _)| t % 10 == 0) {
                    long.push(&run, step as f64, DENSE_ERROR, dense);
                    long.push(&run, step as f64, RARE_ERROR, rare);
                    long.push(&run, step as f64, LOSS, loss);
                }
                let &(dense, rare, _) = trace.last().expect("steps");
                finals.push(format!("{name} (lr {:.2e}): dense {dense:.3}, rare {rare:.3}", t.best));
            }
            reached[i].push(reach);
        }
    }
    let e = Estimate::paired(&reached[1], &reached[0]);
    let protocol = Protocol::new(&seeds, "steps to the rare target on a separate draw of the data").tuned_each(&methods, &tuned);
    let (x, y, _) = sparse_problem(5_000, ctx.seed);
    let objective = mse(&x, &y);
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
    let claims = vec![
        RARE_FEATURES.tested(Tested { estimate: &e, verdict: e.below(0.0), detail: format!(
                "steps to rare error < {RARE_TARGET}: GD {}, Adagrad {}; difference {}. After {steps} steps (first \
                 draw): {}",
                Estimate::of(&reached[0]).show(3),
                Estimate::of(&reached[1]).show(3),
                e.show(3),
                finals.join("; ")
            ), protocol }),
        VANISHING_STEP.demonstration(Decided {
 value: last.1 / last.0,
 ok: last.1 > last.0,
 detail: format!("effective step after {steps} steps: dense {:.3e}, rare {:.3e}", last.0, last.1),
 }),
    ];
    let mut claims = claims;
    claims.push(shrinking_step(&seeds, ctx.profile.pick(300, 1_500))?);
    Ok(Outcome { frames: vec![("runs".into(), long.finish()?)], claims, notes: vec![] })
}
