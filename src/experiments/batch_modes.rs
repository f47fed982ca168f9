//! Batch, stochastic and mini-batch gradient descent (seed 000,
//! "Convergence steps"; seed 004) on linear regression with generated data:
//! the loss against updates and against examples processed.
//!
//! Under the protocol ([`super::protocol`]): each mode's step size is tuned
//! on a separate draw of the problem (its own seed) for the fewest updates
//! to reach the target, from a ×2 grid around 0.05; the full-data loss is
//! measured after **every** update (updates are the unit of the claim); the
//! comparison is paired over 3 (quick) or 5 (full) fresh draws. The noise
//! claim compares the modes at one equal step size (0.01), so that the
//! noise comes from the gradient estimate and not from the step.

use super::{Check, ClaimSpec, Tested};
use super::runs::generated;
use super::metric::BATCH_LOSS;
use super::protocol::{tune_lr, Estimate, Protocol, Seeds};
use super::{ChartSpec, Claim, Context, Experiment, Long, MnistUse, Outcome, Run, SeriesBy};
use descent::data::regression::{least_squares, Regression};
use descent::data::Batching;
use descent::optim::by_name;
use descent::rng::seeded;
use descent::train::run_parallel;
use descent::Result;
use ndarray::{Array1, ArrayD, Axis, IxDyn};

/// Full-data loss, by updates taken.
pub const FULL_LOSS_VS_UPDATES: &str = "full loss vs updates";
/// Full-data loss, by examples processed.
pub const FULL_LOSS_VS_EXAMPLES: &str = "full loss vs examples";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "batch_modes",
    title: "Batch, stochastic and mini-batch gradient descent",
    question: "How do batch, stochastic and mini-batch gradient descent trade the number of updates against the \
               cost of each? Seed 000 says BGD converges in the fewest steps and SGD in the noisiest way; seed 004 \
               says the same.",
    sources: "seed 000 (convergence steps), seed 004",
    mnist: MnistUse::NotAtAll,
    run,
    formulas: &["sgd"],
    charts: &[
        ChartSpec::lines("loss", &[FULL_LOSS_VS_UPDATES])
            .by(SeriesBy::Setting)
            .titled("Loss vs updates", "updates", "MSE")
            .log_x()
            .log_y()
            .caption("Full-data loss after every update, each mode at its tuned step size (first seed)."),
        ChartSpec::lines("loss", &[FULL_LOSS_VS_EXAMPLES])
            .by(SeriesBy::Setting)
            .titled("Loss vs examples", "examples processed", "MSE")
            .log_x()
            .log_y()
            .caption("Full-data loss against examples processed: SGD uses each example best."),
        ChartSpec::lines("loss", &[BATCH_LOSS])
            .by(SeriesBy::Setting)
            .titled("Batch loss", "updates", "batch MSE")
            .log_x()
            .log_y()
            .caption("Each update's own batch loss at the common step size 0.01: the noise of the gradient estimate."),
    ],
    tables: &[],
    claims: &[BGD_FEWEST_UPDATES, SGD_NOISIEST, MBGD_BETWEEN, SGD_FEWEST_EXAMPLES, MBGD_FASTER_THAN_BGD, CONSTANT_RATE_STALLS],
};

/// batch_modes.bgd_fewest_updates
pub const BGD_FEWEST_UPDATES: ClaimSpec = ClaimSpec::evidence(
    "batch_modes.bgd_fewest_updates",
    "000",
    "seed 000 (convergence steps); seed 004",
    "batch gradient descent needs the fewest updates to converge",
    "updates until the full-data loss (measured after every update) is within 5% of the least-squares \
             optimum, each mode at its tuned step size: BGD − MBGD < 0 and BGD − SGD < 0 (paired by draw)",
);

/// batch_modes.sgd_noisiest
pub const SGD_NOISIEST: ClaimSpec = ClaimSpec::evidence(
    "batch_modes.sgd_noisiest",
    "000",
    "seed 000; seed 004",
    "SGD's path is the noisiest",
    "at the common step size 0.01, the std of successive batch-loss changes over the last 200 updates, \
             relative to the mean batch loss: SGD − MBGD > 0 and SGD − BGD > 0 (paired by draw)",
);

/// batch_modes.mbgd_between
pub const MBGD_BETWEEN: ClaimSpec = ClaimSpec::evidence(
    "batch_modes.mbgd_between",
    "000",
    "seed 000 (MBGD)",
    "mini-batch gradient descent is less noisy than SGD and needs fewer steps to converge than SGD",
    "the two measures above, MBGD (batch 32) against SGD: relative noise SGD − MBGD > 0 at the common step size, \
     and updates to the target MBGD − SGD < 0 at the tuned step sizes (paired by draw)",
);

/// batch_modes.sgd_fewest_examples
pub const SGD_FEWEST_EXAMPLES: ClaimSpec = ClaimSpec::evidence(
    "batch_modes.sgd_fewest_examples",
    "000",
    "seed 000 (SGD: faster training time than BGD)",
    "SGD trains faster than batch gradient descent",
    "examples processed (updates × batch size, the work of an epoch's gradient) until the full-data loss is \
     within 5% of the optimum, each mode at its tuned step size: log(SGD / BGD) < 0, paired by draw (a mode that \
     never reaches the target within the budget counts as never)",
);

/// batch_modes.mbgd_faster_than_bgd
pub const MBGD_FASTER_THAN_BGD: ClaimSpec = ClaimSpec::evidence(
    "batch_modes.mbgd_faster_than_bgd",
    "003",
    "seed 003, section 1 (mini-batch gradient descent)",
    "mini-batch gradient descent, updating after each batch, achieves convergence much faster than batch gradient \
     descent",
    "examples processed until the full-data loss is within 5% of the optimum, each mode at its tuned step size: \
     log(MBGD / BGD) < 0, paired by draw",
);

/// batch_modes.constant_rate_stalls
pub const CONSTANT_RATE_STALLS: ClaimSpec = ClaimSpec::evidence(
    "batch_modes.constant_rate_stalls",
    "003",
    "seed 003, section 1 (SGD; Darken et al.)",
    "with a constant learning rate SGD stalls at an error of the order of the learning rate; a decaying schedule \
         reaches the optimum",
    "single-example SGD on the standardised regression, excess loss over the optimum (mean of the last 10% of \
         the run): log(excess at η = 0.02 / at η/4) > ln 2 (the stall scales with η), and log(excess with \
         η/(1 + t/n) / with constant η) < 0, paired by draw",
);

/// The modes compared.
pub const MODES: [(&str, Batching); 3] =
    [("bgd", Batching::Full), ("mbgd", Batching::MiniBatch(32)), ("sgd", Batching::Single)];
/// Centre of each mode's ×2 tuning grid.
pub const DEFAULT_LR: f64 = 0.05;
/// The common step size of the noise comparison.
pub const EQUAL_LR: f64 = 0.01;

/// One run of plain gradient descent on `data`'s mean squared error
/// `mean((X w + b − y)²)`, from zero, with the library's `sgd`: the
/// full-data loss after every update (entry 0 is the start) and each
/// update's batch loss.
pub struct Path {
    /// Full-data loss before the first update and after each one.
    pub full: Vec<f64>,
    /// The loss of each update's own batch, before the update.
    pub batch: Vec<f64>,
}

impl Path {
    /// The first update after which the full loss is at most `target`.
    pub fn updates_to(&self, target: f64) -> Option<usize> {
        self.full.iter().position(|&v| v <= target)
    }
}

/// Runs `updates` updates of `batching` at `lr` (shuffled each epoch with
/// `seed`); stops early once the loss is not finite.
pub fn descend(data: &Regression, batching: Batching, lr: f64, updates: usize, seed: u64) -> Result<Path> {
    descend_scheduled(data, batching, |_| lr, updates, seed)
}

/// [`descend`] with the step size `lr(t)` at update `t` (0-based).
pub fn descend_scheduled(
    data: &Regression,
    batching: Batching,
    lr: impl Fn(usize) -> f64,
    updates: usize,
    seed: u64,
) -> Result<Path> {
    let (n, d) = data.x.dim();
    let mut w = vec![ArrayD::<f64>::zeros(IxDyn(&[d])), ArrayD::<f64>::zeros(IxDyn(&[1]))];
    let mut opt = by_name::<f64>("sgd", Some(lr(0)))?;
    let full_loss = |w: &[ArrayD<f64>]| {
        let wv = w[0].view().into_dimensionality::<ndarray::Ix1>().expect("1-D");
        let r = data.x.dot(&wv) + w[1][0] - &data.y;
        r.dot(&r) / n as f64
    };
    let mut rng = seeded(seed);
    let mut path = Path { full: vec![full_loss(&w)], batch: Vec::with_capacity(updates) };
    'outer: loop {
        for idx in batching.epoch(n, Some(&mut rng))?.iter() {
            if path.batch.len() == updates {
                break 'outer;
            }
            let xb = data.x.select(Axis(0), idx);
            let yb: Array1<f64> = idx.iter().map(|&i| data.y[i]).collect();
            let wv = w[0].view().into_dimensionality::<ndarray::Ix1>().expect("1-D");
            let r = xb.dot(&wv) + w[1][0] - &yb;
            let m = idx.len() as f64;
            path.batch.push(r.dot(&r) / m);
            let gw = xb.t().dot(&r) * (2.0 / m);
            let gb = r.sum() * (2.0 / m);
            let grads = [gw.into_dyn(), ArrayD::from_elem(IxDyn(&[1]), gb)];
            let mut params: Vec<&mut ArrayD<f64>> = w.iter_mut().collect();
            opt.set_lr(lr(path.batch.len() - 1))?;
            opt.step(&mut params, &grads)?;
            let loss = full_loss(&w);
            path.full.push(loss);
            if !loss.is_finite() {
                break 'outer;
            }
        }
    }
    Ok(path)
}

/// Relative noise of a path's batch losses: the standard deviation of
/// successive changes over the last `k` updates over their mean.
pub fn noise(batch: &[f64], k: usize) -> f64 {
    let tail = &batch[batch.len().saturating_sub(k)..];
    let diffs: Vec<f64> = tail.windows(2).map(|w| w[1] - w[0]).collect();
    let (mean_loss, _) = super::mean_std(tail);
    let (_, sd) = super::mean_std(&diffs);
    sd / mean_loss
}

/// Runs the three modes under the protocol.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let n = ctx.profile.pick(500, 2_000);
    let budget = ctx.profile.pick(2_000, 6_000);
    let seeds = Seeds::of(ctx.profile, ctx.seed);
    let problem = |seed: u64| -> Result<(Regression, f64)> {
        let data = generated(n, seed)?;
        let (_, _, optimum) = least_squares(&data.x, &data.y)?;
        Ok((data, 1.05 * optimum))
    };
    let updates_to = |p: &Path, target: f64| p.updates_to(target).map_or(f64::INFINITY, |u| u as f64);
    // Step sizes: fewest updates to the target on the tuning draw.
    let (tuning_data, tuning_target) = problem(seeds.tuning)?;
    let mut tuned = Vec::new();
    for (_, batching) in MODES {
        tuned.push(tune_lr(DEFAULT_LR, |lr| {
            Ok(updates_to(&descend(&tuning_data, batching, lr, budget, seeds.tuning)?, tuning_target))
        })?);
    }
    let jobs: Vec<(usize, u64)> = seeds.eval.iter().flat_map(|&s| (0..MODES.len()).map(move |m| (m, s))).collect();
    let results = run_parallel(&jobs, |&(m, s)| -> Result<(f64, f64, Option<Path>)> {
        let (data, target) = problem(s)?;
        let at_tuned = descend(&data, MODES[m].1, tuned[m].best, budget, s)?;
        let at_equal = descend(&data, MODES[m].1, EQUAL_LR, budget, s)?;
        let k = 200.min(budget / 2);
        let u = updates_to(&at_tuned, target);
        let z = noise(&at_equal.batch, k);
        let keep = (s == seeds.eval[0]).then_some(Path { full: at_tuned.full, batch: at_equal.batch });
        Ok((u, z, keep))
    });
    let mut updates = vec![Vec::new(); MODES.len()];
    let mut noises = vec![Vec::new(); MODES.len()];
    let mut long = EXPERIMENT.frame();
    for (&(m, s), r) in jobs.iter().zip(results) {
        let (u, z, path) = r?;
        updates[m].push(u);
        noises[m].push(z);
        if let Some(p) = path {
            push_path(&mut long, &p, MODES[m].0, tuned[m].best, s, MODES[m].1.size(n) as f64);
        }
    }
    let protocol = Protocol::new(&seeds, &format!("a separate draw of the problem (seed {})", seeds.tuning)).tuned_each(&MODES, &tuned);
    let fewer = |other: usize| Estimate::paired(&updates[0], &updates[other]);
    let (vs_mbgd, vs_sgd) = (fewer(1), fewer(2));
    let show = |xs: &[f64]| Estimate::of(xs).show(3);
    let louder = |other: usize| Estimate::paired(&noises[2], &noises[other]);
    let (over_mbgd, over_bgd) = (louder(1), louder(0));
    let mbgd_fewer = Estimate::paired(&updates[1], &updates[2]);
    // Examples to the target, as a log ratio: SGD's batch is 1, BGD's is n
    // (never against never is NaN: undecided).
    let examples = |m: usize| updates[m].iter().map(|u| u * MODES[m].1.size(n) as f64).collect::<Vec<f64>>();
    let log_examples = |a: usize, b: usize| {
        Estimate::of(&examples(a).iter().zip(examples(b)).map(|(x, y)| (x / y).ln()).collect::<Vec<f64>>())
    };
    let mbgd_bgd = log_examples(1, 0);
    let sgd_bgd = log_examples(2, 0);
    let claims = vec![
        BGD_FEWEST_UPDATES.tested(Tested {
 estimate: &vs_mbgd,
 verdict: Check::all(&[vs_mbgd.below(0.0), vs_sgd.below(0.0)]),
 detail: format!(
                "updates to the target: BGD {}, MBGD {}, SGD {}; BGD − MBGD {}, BGD − SGD {} (budget {budget})",
                show(&updates[0]),
                show(&updates[1]),
                show(&updates[2]),
                vs_mbgd.show(3),
                vs_sgd.show(3)
            ),
 protocol: protocol.clone(),
 }),
        SGD_NOISIEST.tested(Tested {
 estimate: &over_mbgd,
 verdict: Check::all(&[over_mbgd.above(0.0), over_bgd.above(0.0)]),
 detail: format!(
                "relative noise: BGD {}, MBGD {}, SGD {}",
                show(&noises[0]),
                show(&noises[1]),
                show(&noises[2])
            ),
 protocol: Protocol::new(&seeds, "not tuned: one step size for all modes")
                .fixed("bgd", EQUAL_LR)
                .fixed("mbgd", EQUAL_LR)
                .fixed("sgd", EQUAL_LR),
 }),
        MBGD_BETWEEN.tested(Tested {
            estimate: &mbgd_fewer,
            verdict: Check::all(&[over_mbgd.above(0.0), mbgd_fewer.below(0.0)]),
            detail: format!(
                "relative noise SGD − MBGD {}; updates to the target MBGD − SGD {} (MBGD {}, SGD {})",
                over_mbgd.show(3),
                mbgd_fewer.show(3),
                show(&updates[1]),
                show(&updates[2])
            ),
            protocol: protocol.clone().fixed("common step size (noise)", EQUAL_LR),
        }),
        SGD_FEWEST_EXAMPLES.tested(Tested {
            estimate: &sgd_bgd,
            verdict: sgd_bgd.below(0.0),
            detail: format!(
                "examples to the target: SGD {}, BGD {} ({n} per update); log(SGD / BGD) {}",
                show(&examples(2)),
                show(&examples(0)),
                sgd_bgd.show(3)
            ),
            protocol: protocol.clone(),
        }),
        MBGD_FASTER_THAN_BGD.tested(Tested {
            estimate: &mbgd_bgd,
            verdict: mbgd_bgd.below(0.0),
            detail: format!(
                "examples to the target: MBGD {}, BGD {}; log(MBGD / BGD) {}",
                show(&examples(1)),
                show(&examples(0)),
                mbgd_bgd.show(3)
            ),
            protocol: protocol.clone(),
        }),
    ];
    let mut claims = claims;
    claims.push(constant_rate_stalls(&seeds, n, budget)?);
    Ok(Outcome {
        frames: vec![("loss".into(), long.finish()?)],
        claims,
        notes: vec![format!(
            "{n} examples, 10 features (5 informative), noise 10, features and targets standardised; budget \
             {budget} updates per run; tuned step sizes: {}.",
            MODES.iter().zip(&tuned).map(|((l, _), t)| format!("{l} {:.3e}", t.best)).collect::<Vec<_>>().join(", ")
        )],
    })
}

/// The first seed's paths: full loss against updates and examples at the
/// tuned step, batch loss at the common one (thinned to ~400 points).
fn push_path(long: &mut Long, p: &Path, label: &str, lr: f64, seed: u64, batch: f64) {
    let run = Run { optimizer: "sgd", lr, seed, setting: label };
    let stride = (p.full.len() / 400).max(1);
    for (t, v) in p.full.iter().enumerate().skip(1).filter(|(t, _)| t % stride == 0) {
        long.push(&run, t as f64, FULL_LOSS_VS_UPDATES, *v);
        long.push(&run, t as f64 * batch, FULL_LOSS_VS_EXAMPLES, *v);
    }
    let equal = Run { lr: EQUAL_LR, ..run };
    for (t, v) in p.batch.iter().enumerate().filter(|(t, _)| t % stride == 0) {
        long.push(&equal, (t + 1) as f64, BATCH_LOSS, *v);
    }
}

/// Seed 003 (after Darken et al.): SGD with a constant rate stalls at an
/// excess loss of the order of the rate; a decaying rate goes on.
fn constant_rate_stalls(seeds: &Seeds, n: usize, budget: usize) -> Result<Claim> {
    let eta = 0.02;
    // Excess of the full loss over the optimum, averaged over the last 10% of the run.
    let excess = |p: &Path, optimum: f64| {
        let tail = &p.full[p.full.len() - p.full.len() / 10..];
        tail.iter().sum::<f64>() / tail.len() as f64 - optimum
    };
    let runs = run_parallel(&seeds.eval, |&s| -> Result<[f64; 3]> {
        let data = generated(n, s)?;
        let (_, _, optimum) = least_squares(&data.x, &data.y)?;
        let big = descend(&data, Batching::Single, eta, budget, s)?;
        let small = descend(&data, Batching::Single, eta / 4.0, budget, s)?;
        let decaying = descend_scheduled(&data, Batching::Single, |t| eta / (1.0 + t as f64 / n as f64), budget, s)?;
        Ok([excess(&big, optimum), excess(&small, optimum), excess(&decaying, optimum)])
    })
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    let col = |k: usize| runs.iter().map(|r| r[k]).collect::<Vec<f64>>();
    let log_ratio = |a: &[f64], b: &[f64]| Estimate::of(&a.iter().zip(b).map(|(x, y)| (x / y).ln()).collect::<Vec<_>>());
    let scales = log_ratio(&col(0), &col(1));
    let decays = log_ratio(&col(2), &col(0));
    Ok(CONSTANT_RATE_STALLS.tested(Tested {
 estimate: &scales,
 verdict: Check::all(&[scales.above(2f64.ln()), decays.below(0.0)]),
 detail: format!(
            "excess: η {}, η/4 {}, decaying {}; log ratio η vs η/4 {} (ln 4 = 1.39 if proportional), decaying vs \
             constant {}",
            Estimate::of(&col(0)).show(3),
            Estimate::of(&col(1)).show(3),
            Estimate::of(&col(2)).show(3),
            scales.show(3),
            decays.show(3)
        ),
 protocol: Protocol::new(seeds, "not tuned: the claim is about the rate itself")
            .fixed("sgd", eta)
            .fixed("sgd (η/4)", eta / 4.0),
 }))
}
