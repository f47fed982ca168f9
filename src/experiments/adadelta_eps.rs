//! Seed 002: in Adadelta, epsilon acts as a learning rate. At the start the
//! accumulated update is 0, so the first steps have size about
//! `sqrt(eps / (1 - rho))` whatever the gradient's scale; a larger epsilon
//! means faster progress early on.
//!
//! Sweeps (torch's Adadelta, lr 1, rho 0.9): epsilon from 1e-8 to 1e-1 on
//! the generated regression (mini-batch 32), loss against epochs, and the
//! first update's size against the formula; the initial accumulated update
//! `u0` (eps 1e-6) on the same regression; and epsilon on the MNIST MLP.

use super::{Check, ClaimSpec, Decided, Tested};
use super::runs::generated;
use descent::train::fit_linear as fit;
use super::runs::{final_train_loss, push_history, MnistRun, TRAIN_PART};
use super::metric::{BATCH_LOSS_SMOOTHED, LOSS};
use super::protocol::{tune_lr, Estimate, Protocol, Seeds, Tuned};
use descent::rng::seeded;
use rand::Rng;
use super::{ChartSpec, Claim, Context, Experiment, Long, MnistUse, Outcome, Rows, Run, SeriesBy, Verdict};
use descent::data::regression::Regression;
use descent::data::Batching;
use descent::optim::{Adadelta, AdadeltaConfig, Optimizer, OptimizerSpec};
use descent::train::{MnistModel, RunHistory};
use descent::Result;
use ndarray::ArrayD;

/// Size of the first update, by gradient (x: the gradient).
pub const FIRST_STEP: &str = "first step size";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "adadelta_eps",
    title: "Adadelta: epsilon acts as a learning rate",
    question: "Seed 002: Adadelta has no learning rate, but its epsilon acts as one. How does the speed of \
               convergence depend on epsilon?",
    sources: "seed 002",
    mnist: MnistUse::InPart,
    run,
    formulas: &["adadelta"],
    charts: &[
        ChartSpec::lines("sweep", &[LOSS])
            .rows(Rows::setting("eps="))
            .by(SeriesBy::Setting)
            .titled("Adadelta: epsilon", "epoch", "MSE")
            .log_y()
            .caption("Regression: full-data loss per epoch, one line per epsilon."),
        ChartSpec::lines("sweep", &[LOSS])
            .rows(Rows::setting("u0="))
            .by(SeriesBy::Setting)
            .titled("Adadelta: initial accumulated update", "epoch", "MSE")
            .log_y()
            .caption("Regression: one line per initial accumulated update u0 (eps 1e-6)."),
        ChartSpec::lines("sweep", &[BATCH_LOSS_SMOOTHED])
            .rows(Rows::setting("mnist"))
            .by(SeriesBy::Setting)
            .titled("Adadelta on MNIST", "update", "cross-entropy (nats)")
            .log_y()
            .caption("MNIST MLP: training loss (smoothed), one line per epsilon."),
    ],
    tables: &[],
    claims: &[EPS_IS_A_LEARNING_RATE, FIRST_STEP_FORMULA, INITIAL_UPDATE, MNIST, SUDDEN_GRADIENT, NO_LEARNING_RATE],
};

/// adadelta_eps.eps_is_a_learning_rate
pub const EPS_IS_A_LEARNING_RATE: ClaimSpec = ClaimSpec::evidence(
    "adadelta_eps.eps_is_a_learning_rate",
    "002",
    "seed 002 (Adadelta)",
    "epsilon behaves like a learning rate: the larger it is, the faster Adadelta converges",
    "acts like a learning rate (RATE_LIKE): over eps from 1e-8 to 1e-1, the full-data loss after 5 epochs falls at \
     every step up to the eps with the lowest mean loss, which is not the smallest (each of those adjacent log ratios \
     below 0, paired by seed); checked on SGD's own learning rate on the same problem, which must pass it; the value \
     is the least favourable step",
);

/// adadelta_eps.first_step
pub const FIRST_STEP_FORMULA: ClaimSpec = ClaimSpec::evidence(
    "adadelta_eps.first_step",
    "002",
    "seed 002; Zeiler 2012",
    "the first update is sqrt(eps) / sqrt((1 - rho) g^2 + eps) * g: about sqrt(eps / (1 - rho)) whatever the \
             gradient's scale",
    "measured first steps match the formula to 1e-12 (relative) for g = 1e-3, 1, 1e3 and every eps",
).demonstrates();

/// adadelta_eps.initial_update
pub const INITIAL_UPDATE: ClaimSpec = ClaimSpec::evidence(
    "adadelta_eps.initial_update",
    "002",
    "seed 002 (Adadelta: effect of the initial step)",
    "the initial accumulated update sets the size of the first steps, like a learning rate",
    "acts like a learning rate (RATE_LIKE) over u0 = 0, 1e-4, 1e-2, 1 (eps 1e-6), full-data loss after 5 epochs, \
     paired by seed; checked on SGD's own learning rate on the same problem",
);

/// adadelta_eps.mnist
pub const MNIST: ClaimSpec = ClaimSpec::evidence(
    "adadelta_eps.mnist",
    "002",
    "seed 002 (Adadelta)",
    "on MNIST too, a larger epsilon makes Adadelta learn faster",
    "acts like a learning rate (RATE_LIKE) over eps = 1e-8, 1e-6, 1e-4, 1e-2: final training loss (mean of the last 10 \
     batches) of the MLP, paired by seed; checked on SGD's own learning rate on the same MLP",
);

/// adadelta_eps.sudden_gradient
pub const SUDDEN_GRADIENT: ClaimSpec = ClaimSpec::evidence(
    "adadelta_eps.sudden_gradient",
    "000",
    "seed 000 (Adadelta: advantages)",
    "Adadelta is robust to a large sudden gradient",
    "on |x|²/2 (10-D), one step's gradient multiplied by 1000: log(f after / f before that step), Adadelta − SGD \
         < 0 (paired by seed: same start and spike time), each at its tuned lr",
);

/// adadelta_eps.no_learning_rate
pub const NO_LEARNING_RATE: ClaimSpec = ClaimSpec::evidence(
    "adadelta_eps.no_learning_rate",
    "000",
    "seed 000 (Adadelta: advantages)",
    "Adadelta needs no global learning rate to be chosen",
    "generated regression (mini-batch 32, torch's defaults rho 0.9, eps 1e-6): full-data loss after 5 epochs at lr 1 \
     (no learning rate) against the same with its multiplier lr tuned on a separate draw: log(loss at lr 1 / loss at \
     the tuned lr) < ln 2 (tuning it gains less than a factor 2), paired by seed",
);

/// The epsilons of the sweep.
pub const EPS: [f64; 6] = [1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 1e-1];
/// The initial accumulated updates of the second sweep.
pub const U0: [f64; 4] = [0.0, 1e-4, 1e-2, 1.0];
/// The epsilons of the MNIST sweep.
pub const MNIST_EPS: [f64; 4] = [1e-8, 1e-6, 1e-4, 1e-2];

/// Size of Adadelta's first step for gradient `g` (computed by running it).
pub fn first_step(eps: f64, g: f64) -> Result<f64> {
    let mut opt = Adadelta::<f64>::new(AdadeltaConfig { eps, ..AdadeltaConfig::default() })?;
    let mut x = ArrayD::from_elem(vec![1], 0.0);
    opt.step(&mut [&mut x], &[ArrayD::from_elem(vec![1], g)])?;
    Ok(x[[0]].abs())
}

/// What "acts like a learning rate" means, for every claim that says so: a
/// learning rate's loss after a fixed budget is U-shaped in it (too small
/// is slow, too large unstable), so a criterion that asks the loss to fall
/// at every step of the whole grid would fail a learning rate itself.
pub const RATE_LIKE: &str = "the loss falls at every step of the grid up to its lowest point, which is not the grid's \
                             first (each adjacent log ratio below 0, paired by seed), and SGD's learning rate on the \
                             same problem passes the same test";

/// SGD's learning rates of the check of [`RATE_LIKE`] on the generated
/// problem, and on MNIST.
pub const SGD_CHECK: [f64; 5] = [1e-4, 1e-3, 1e-2, 1e-1, 1.0];
/// The same on the MNIST MLP.
pub const SGD_CHECK_MNIST: [f64; 4] = [1e-3, 1e-2, 1e-1, 1.0];

/// The [`RATE_LIKE`] test on a sweep (one value per seed at each setting):
/// the verdict, the adjacent log ratios up to the lowest mean, and the
/// index of that lowest point.
pub fn rate_like(per_setting: &[Vec<f64>]) -> (Check, Vec<Estimate>, usize) {
    let mean = |v: &Vec<f64>| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        if m.is_nan() { f64::INFINITY } else { m }
    };
    let best = (0..per_setting.len()).min_by(|&a, &b| mean(&per_setting[a]).total_cmp(&mean(&per_setting[b]))).unwrap_or(0);
    let (verdict, steps) = decreasing(&per_setting[..=best]);
    if best == 0 {
        // Lowest at the first setting: not supported, as strongly as the
        // loss is shown to rise from the first setting to the second.
        let rise = decreasing(&per_setting[..per_setting.len().min(2)]).1.first().map(|e| e.above(0.0));
        let p_against = rise.map_or(1.0, |c| c.p_for);
        return (Check { verdict: Verdict::NotSupported, p_for: 1.0, p_against }, Vec::new(), 0);
    }
    (verdict, steps, best)
}

/// A [`rate_like`] verdict, made inconclusive when SGD's own learning rate
/// fails the same test (the criterion would then not recognise a learning
/// rate on this problem), with both in a sentence.
fn checked(verdict: Check, sgd: &[Vec<f64>], lrs: &[f64]) -> (Check, String) {
    let (sgd_verdict, sgd_steps, sgd_best) = rate_like(sgd);
    let said = format!(
        "the check, SGD's learning rate over {lrs:?}: lowest at {:e}, log ratios {} ({})",
        lrs[sgd_best],
        sgd_steps.iter().map(|e| e.show(2)).collect::<Vec<_>>().join(", "),
        sgd_verdict.verdict.text()
    );
    if sgd_verdict.verdict == Verdict::Supported {
        (verdict, said)
    } else {
        let undecided = Check { verdict: Verdict::Inconclusive, p_for: 1.0, p_against: 1.0 };
        (undecided, format!("{said}: the criterion does not recognise a learning rate here, so it decides nothing"))
    }
}

/// Claim "the quantity decreases as the setting grows": for each adjacent
/// pair of settings, the log ratio of the later to the earlier, paired by
/// seed, must be below 0. Returns the combined verdict and the estimates.
pub fn decreasing(per_setting: &[Vec<f64>]) -> (Check, Vec<Estimate>) {
    let steps: Vec<Estimate> = per_setting
        .windows(2)
        .map(|w| Estimate::of(&w[0].iter().zip(&w[1]).map(|(a, b)| (b / a).ln()).collect::<Vec<_>>()))
        .collect();
    (Check::all(&steps.iter().map(|e| e.below(0.0)).collect::<Vec<_>>()), steps)
}

fn describe<L: std::fmt::Display>(labels: &[L], per: &[Vec<f64>], steps: &[Estimate]) -> String {
    let levels: Vec<String> = labels.iter().zip(per).map(|(l, v)| format!("{l}: {}", Estimate::of(v).show(3))).collect();
    let ratios: Vec<String> = steps.iter().map(|e| e.show(2)).collect();
    format!("{}; log ratios of adjacent settings {}", levels.join(", "), ratios.join(", "))
}

/// Full-data loss after 5 epochs of Adadelta `config` on `data`.
fn loss_after_5(data: &Regression, config: AdadeltaConfig, epochs: usize, seed: u64) -> Result<(RunHistory, f64)> {
    let h = fit(data, &OptimizerSpec::Adadelta(config), Batching::MiniBatch(32), epochs, seed)?;
    let at_5 = h.rows.iter().find(|r| r.split == "all" && r.epoch == 5.0).map_or(f64::INFINITY, |r| r.value);
    Ok((h, at_5))
}

/// Runs the sweeps under the protocol (seeds: fresh draws of the data,
/// initialisation and shuffling).
pub fn run(ctx: &Context) -> Result<Outcome> {
    let epochs = ctx.profile.pick(20, 60);
    let seeds = Seeds::of(ctx.profile, ctx.seed);
    let protocol = |what: &str| Protocol::new(&seeds, &format!("not tuned: the sweep over {what} is the claim")).fixed("adadelta", 1.0);
    let mut long = EXPERIMENT.frame();
    let sweep = |configs: Vec<(String, AdadeltaConfig)>, long: &mut Long| -> Result<Vec<Vec<f64>>> {
        let mut per = vec![Vec::new(); configs.len()];
        for &s in &seeds.eval {
            let data = generated(1_000, s)?;
            let runs = descent::train::run_parallel(&configs, |(_, c)| loss_after_5(&data, *c, epochs, s));
            for (k, ((setting, _), r)) in configs.iter().zip(runs).enumerate() {
                let (h, at_5) = r?;
                if s == seeds.eval[0] {
                    let run = Run { optimizer: "adadelta", lr: 1.0, seed: s, setting };
                    for r in h.rows.iter().filter(|r| r.split == "all") {
                        long.push(&run, r.epoch, LOSS, r.value);
                    }
                }
                per[k].push(at_5);
            }
        }
        Ok(per)
    };
    let eps_configs = EPS.iter().map(|&eps| (format!("eps={eps:e}"), AdadeltaConfig { eps, ..AdadeltaConfig::default() })).collect();
    let eps_loss = sweep(eps_configs, &mut long)?;
    let (eps_verdict, eps_steps, eps_best) = rate_like(&eps_loss);
    // The check: SGD's own learning rate on the same draws, the same way.
    let mut sgd_loss = vec![Vec::new(); SGD_CHECK.len()];
    for &s in &seeds.eval {
        let data = generated(1_000, s)?;
        let runs = descent::train::run_parallel(&SGD_CHECK, |&lr| -> Result<f64> {
            let h = fit(&data, &OptimizerSpec::by_name("sgd", Some(lr))?, Batching::MiniBatch(32), epochs, s)?;
            Ok(h.rows.iter().find(|r| r.split == "all" && r.epoch == 5.0).map_or(f64::INFINITY, |r| r.value))
        });
        for (k, r) in runs.into_iter().enumerate() {
            sgd_loss[k].push(r?);
        }
    }
    let (eps_verdict, eps_check) = checked(eps_verdict, &sgd_loss, &SGD_CHECK);
    let mut ratio_err: f64 = 0.0;
    for eps in EPS {
        let run = Run { optimizer: "adadelta", lr: 1.0, seed: ctx.seed, setting: &format!("eps={eps:e}") };
        for g in [1e-3, 1.0, 1e3] {
            let step = first_step(eps, g)?;
            let predicted = eps.sqrt() * g / (0.1 * g * g + eps).sqrt();
            ratio_err = ratio_err.max((step / predicted - 1.0).abs());
            long.push(&run, g, FIRST_STEP, step);
        }
    }
    let u0_configs = U0
        .iter()
        .map(|&u0| (format!("u0={u0:e}"), AdadeltaConfig { initial_acc_delta: u0, ..AdadeltaConfig::default() }))
        .collect();
    let u0_loss = sweep(u0_configs, &mut long)?;
    let (u0_verdict, u0_steps, u0_best) = rate_like(&u0_loss);
    let (u0_verdict, u0_check) = checked(u0_verdict, &sgd_loss, &SGD_CHECK);
    let none = Estimate::of(&[]);
    let worst = |steps: &[Estimate]| steps.iter().max_by(|a, b| a.hi.total_cmp(&b.hi)).copied().unwrap_or(none);
    let mut claims = vec![
        EPS_IS_A_LEARNING_RATE.tested(Tested {
 estimate: &worst(&eps_steps),
 verdict: eps_verdict,
 detail: format!(
                "{}; lowest at eps {:e}; {eps_check}",
                describe(&EPS.map(|e| format!("eps {e:e}")), &eps_loss, &eps_steps),
                EPS[eps_best]
            ),
 protocol: protocol("eps"),
 }),
        FIRST_STEP_FORMULA.demonstration(Decided {
 value: ratio_err,
 ok: ratio_err < 1e-12,
 detail: format!("the formula is the algorithm's first step written out (a check of the code); largest relative deviation {ratio_err:.1e}"),
 }),
        INITIAL_UPDATE.tested(Tested {
 estimate: &worst(&u0_steps),
 verdict: u0_verdict,
 detail: format!(
                "{}; lowest at u0 {:e}; {u0_check}",
                describe(&U0.map(|u| format!("u0 {u:e}")), &u0_loss, &u0_steps),
                U0[u0_best]
            ),
 protocol: protocol("u0"),
 }),
    ];
    claims.push(sudden_gradient(&seeds)?);
    claims.push(no_learning_rate(&seeds)?);
    let mut notes = Vec::new();
    // Epsilon on the MNIST MLP.
    match ctx.mnist() {
        Ok(mnist) => {
            let (train_n, mnist_epochs) = ctx.profile.pick((5_000, 2), (TRAIN_PART, 3));
            let jobs: Vec<(f64, u64)> = seeds.eval.iter().flat_map(|&s| MNIST_EPS.iter().map(move |&e| (e, s))).collect();
            let runs = descent::train::run_parallel(&jobs, |&(eps, s)| {
                let mut run = MnistRun::new(MnistModel::Mlp, train_n, mnist_epochs, "adadelta", 1.0, s)?;
                run.spec = OptimizerSpec::Adadelta(AdadeltaConfig { eps, ..AdadeltaConfig::default() });
                run.skip_evaluation = s != seeds.eval[0];
                run.train(mnist)
            });
            // The check: SGD's learning rate on the same MLP, the same way.
            let sgd_jobs: Vec<(f64, u64)> =
                seeds.eval.iter().flat_map(|&s| SGD_CHECK_MNIST.iter().map(move |&lr| (lr, s))).collect();
            let sgd_runs = descent::train::run_parallel(&sgd_jobs, |&(lr, s)| -> Result<f64> {
                let mut run = MnistRun::new(MnistModel::Mlp, train_n, mnist_epochs, "sgd", lr, s)?;
                run.skip_evaluation = true;
                Ok(final_train_loss(&run.train(mnist)?, 10))
            });
            let mut sgd_per = vec![Vec::new(); SGD_CHECK_MNIST.len()];
            for (&(lr, _), r) in sgd_jobs.iter().zip(sgd_runs) {
                let k = SGD_CHECK_MNIST.iter().position(|&x| x == lr).expect("in the check");
                sgd_per[k].push(r.map(|v| if v.is_nan() { f64::INFINITY } else { v })?);
            }
            let mut per = vec![Vec::new(); MNIST_EPS.len()];
            for (&(eps, s), h) in jobs.iter().zip(runs) {
                let h = h?;
                let k = MNIST_EPS.iter().position(|&e| e == eps).expect("in the sweep");
                if s == seeds.eval[0] {
                    let setting = format!("mnist eps={eps:e}");
                    push_history(&mut long, &Run { optimizer: "adadelta", lr: 1.0, seed: s, setting: &setting }, &h, 5);
                }
                per[k].push(final_train_loss(&h, 10));
            }
            let (verdict, steps, best) = rate_like(&per);
            let (verdict, check) = checked(verdict, &sgd_per, &SGD_CHECK_MNIST);
            claims.push(MNIST.tested(Tested {
 estimate: &worst(&steps),
 verdict,
 detail: format!(
                    "MLP, {train_n} images, {mnist_epochs} epochs: {}; lowest at eps {:e}; {check}",
                    describe(&MNIST_EPS.map(|e| format!("eps {e:e}")), &per, &steps),
                    MNIST_EPS[best]
                ),
 protocol: protocol("eps"),
 }));
        }
        Err(e) => notes.push(format!("MNIST sweep not run: {e}")),
    }
    Ok(Outcome { frames: vec![("sweep".into(), long.finish()?)], claims, notes })
}

/// Steps of the sudden-gradient runs, and the spike's size.
const SPIKE_RUN: usize = 300;
const SPIKE: f64 = 1_000.0;

/// A start for the sudden-gradient runs: 10 coordinates uniform in [−1, 1].
fn random_start(rng: &mut descent::rng::Rng) -> ArrayD<f64> {
    ArrayD::from_shape_vec(vec![10], (0..10).map(|_| rng.gen_range(-1.0..1.0)).collect()).expect("10 values")
}

/// `f(x) = |x|²/2` in 10 dimensions from a random start, with the gradient
/// multiplied by [`SPIKE`] at one random step in [100, 200): the log of
/// `f` just after the spike over `f` just before.
fn spike_damage(name: &str, lr: f64, seed: u64) -> Result<f64> {
    let mut rng = seeded(seed);
    let mut x = random_start(&mut rng);
    let at = rng.gen_range(100..200);
    let mut opt = descent::optim::by_name::<f64>(name, Some(lr))?;
    let f = |x: &ArrayD<f64>| x.mapv(|v| v * v).sum() / 2.0;
    let mut before = f(&x);
    for t in 0..SPIKE_RUN {
        let g = if t == at { x.mapv(|v| v * SPIKE) } else { x.clone() };
        if t == at {
            before = f(&x);
        }
        opt.step(&mut [&mut x], &[g])?;
        if t == at {
            return Ok((f(&x) / before).ln());
        }
    }
    Ok(f64::NAN)
}

/// Seed 000: "Adadelta is robust to a large sudden gradient", against SGD,
/// each at its lr tuned (lowest loss after the run, no spike) on the
/// tuning seed.
fn sudden_gradient(seeds: &Seeds) -> Result<Claim> {
    let clean = |name: &str, lr: f64| -> Result<f64> {
        let mut x = random_start(&mut seeded(seeds.tuning));
        let mut opt = descent::optim::by_name::<f64>(name, Some(lr))?;
        for _ in 0..SPIKE_RUN {
            let g = x.clone();
            opt.step(&mut [&mut x], &[g])?;
        }
        Ok(x.mapv(|v| v * v).sum() / 2.0)
    };
    let methods = [("adadelta", 1.0), ("sgd", 0.1), ("rmsprop", 0.01), ("adam", 0.01)];
    let tuned: Vec<Tuned> = methods.iter().map(|&(n, d)| tune_lr(d, |lr| clean(n, lr))).collect::<Result<_>>()?;
    let damage: Vec<Vec<f64>> = methods
        .iter()
        .zip(&tuned)
        .map(|(&(n, _), t)| seeds.eval.iter().map(|&s| spike_damage(n, t.best, s)).collect::<Result<Vec<_>>>())
        .collect::<Result<_>>()?;
    let e = Estimate::paired(&damage[0], &damage[1]);
    let protocol = Protocol::new(seeds, "lowest loss after the run without a spike, on the tuning seed's start").tuned_each(&methods, &tuned);
    Ok(SUDDEN_GRADIENT.tested(Tested {
 estimate: &e,
 verdict: e.below(0.0),
 detail: format!(
            "log damage of the spike: {}; Adadelta − SGD {}",
            methods
                .iter()
                .zip(&damage)
                .zip(&tuned)
                .map(|((&(n, _), d), t)| format!("{n} (lr {:.2e}) {}", t.best, Estimate::of(d).show(3)))
                .collect::<Vec<_>>()
                .join(", "),
            e.show(3)
        ),
 protocol,
 }))
}

/// Seed 000: Adadelta at lr 1 against Adadelta with a tuned multiplier.
fn no_learning_rate(seeds: &Seeds) -> Result<Claim> {
    let at_5 = |lr: f64, seed: u64| -> Result<f64> {
        let data = generated(1_000, seed)?;
        let config = AdadeltaConfig { lr, ..AdadeltaConfig::default() };
        Ok(loss_after_5(&data, config, 5, seed)?.1)
    };
    let tuned = tune_lr(1.0, |lr| at_5(lr, seeds.tuning))?;
    let pairs = descent::train::run_parallel(&seeds.eval, |&s| -> Result<(f64, f64)> { Ok((at_5(1.0, s)?, at_5(tuned.best, s)?)) })
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let ratio: Vec<f64> = pairs.iter().map(|(one, best)| (one / best).ln()).collect();
    let e = Estimate::of(&ratio);
    let (one, best): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    let protocol = Protocol::new(seeds, &format!("loss after 5 epochs on a separate draw (seed {})", seeds.tuning))
        .tuned("adadelta (multiplier)", &tuned)
        .fixed("adadelta (no learning rate)", 1.0);
    Ok(NO_LEARNING_RATE.tested(Tested {
        estimate: &e,
        verdict: e.below(2f64.ln()),
        detail: format!(
            "loss after 5 epochs: lr 1 {}, tuned lr {:.2e} {}; log ratio {} (ln 2 = 0.69)",
            Estimate::of(&one).show(3),
            tuned.best,
            Estimate::of(&best).show(3),
            e.show(3)
        ),
        protocol,
    }))
}
