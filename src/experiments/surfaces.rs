//! Trajectories of every optimizer on 2-D surfaces (seed 000, figures 2 and
//! 4; d2l's ill-conditioned quadratic; Rosenbrock).
//!
//! - `two_wells`: `(x^2 - 1)^2 + 0.3 x + y^2/2`, a local minimum near
//!   `x = +0.96` and the global one near `x = -1.04`; start `(2, 1)`.
//! - `saddle`: `x^2 - y^2` from `(1, 1e-3)`: escaping means `|y| >= 1`.
//! - `ill_conditioned`: `0.1 x^2 + 2 y^2` from `(-5, -2)` (d2l 12.6).
//! - `rosenbrock`: `(1 - x)^2 + 100 (y - x^2)^2` from `(-1.5, 2)`.
//!
//! Learning rates are one per optimizer family and surface, fixed before
//! the runs (see [`lr`]).

use super::{Check, ClaimSpec, Tested};
use super::protocol::{tune_lr, Estimate, Protocol, Seeds, Tuned};
use super::{minimize, ChartSpec, Claim, Context, Experiment, MnistUse, Outcome, Run, Trajectory};
use descent::rng::seeded;
use descent::train::run_parallel;
use rand::Rng;
use descent_plot::Field;
use descent::optim::by_name;
pub use descent::data::surfaces::Surface;
use descent::Result;

/// First coordinate of the iterate.
pub const X: &str = "x";
/// Second coordinate of the iterate.
pub const Y: &str = "y";
/// The function's value at the iterate.
pub const F: &str = "f";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "surfaces",
    title: "Trajectories on 2-D surfaces",
    question: "What do the optimizers do on surfaces we can see: a two-well function (does momentum roll into the \
               deeper well?), a saddle (who escapes, how fast?), d2l's ill-conditioned quadratic, and Rosenbrock's \
               valley?",
    sources: "seed 000, figures 2 and 4; d2l; Rosenbrock",
    mnist: MnistUse::NotAtAll,
    run,
    formulas: &["momentum", "nesterov", "adam"],
    charts: &[ChartSpec::paths("trajectories", X, Y, field)
        .titled("{facet}", "x", "y")
        .caption("{facet}: every optimizer's path (dot: where it ended).")],
    tables: &[],
    claims: &[
        MOMENTUM_OTHER_WELL,
        ADAM_AVOIDS_LOCAL_MINIMA,
        ADAPTIVE_ESCAPE_SADDLE,
        ADAM_ESCAPES_PLATEAU,
        MOMENTUM_FASTER_ILL_CONDITIONED,
        NESTEROV_ILL_CONDITIONED,
        NESTEROV_ROSENBROCK,
    ],
};

/// surfaces.momentum_other_well
pub const MOMENTUM_OTHER_WELL: ClaimSpec = ClaimSpec::evidence(
    "surfaces.momentum_other_well",
    "000",
    "seed 000, figure 2 (local minima)",
    "momentum can carry the iterate through a shallow local minimum into a deeper one, where plain gradient \
         descent stops in the first well it meets",
    "share of random starts near (2, 1) ending in the deeper well (x < 0): momentum (μ = 0.9, torch form at \
         lr 0.001, effective step 0.01) − GD (lr 0.01) > 0, paired by seed",
);

/// surfaces.adam_avoids_local_minima
pub const ADAM_AVOIDS_LOCAL_MINIMA: ClaimSpec = ClaimSpec::evidence(
    "surfaces.adam_avoids_local_minima",
    "000",
    "seed 000 (Adam: escapes plateaus and local minima)",
    "Adam avoids local minima better than gradient descent",
    "share of random starts near (2, 1) ending in the deeper well: Adam − GD > 0, each at its learning rate \
         tuned for the lowest final value on separate starts, paired by seed",
);

/// surfaces.adaptive_escape_saddle
pub const ADAPTIVE_ESCAPE_SADDLE: ClaimSpec = ClaimSpec::evidence(
    "surfaces.adaptive_escape_saddle",
    "000",
    "seed 000, figure 4 (saddle points)",
    "adaptive methods escape a saddle point faster than gradient descent",
    "mean steps until |y| ≥ 1 on x² − y² from x = 1, |y| in [1e-4, 1e-2]: AdaGrad, RMSprop and Adam each − GD \
         < 0 at tuned learning rates, paired by seed; the value is the least favourable difference",
);

/// surfaces.adam_escapes_plateau
pub const ADAM_ESCAPES_PLATEAU: ClaimSpec = ClaimSpec::evidence(
    "surfaces.adam_escapes_plateau",
    "000",
    "seed 000 (Adam: can escape plateau region); seed 003, section 1 (gradient descent does not perform well in \
     smooth plateaus)",
    "Adam can escape a plateau region, where gradient descent does not perform well",
    "on the plateau 1 − exp(−(x² + y²)/2), from 20 random starts at radius 3.5 to 4.5 (gradient 1e-3 to 1e-5): \
     mean steps until f < 0.5, Adam − GD < 0, each at its lr tuned on separate starts, paired by seed",
);

/// surfaces.momentum_faster_ill_conditioned
pub const MOMENTUM_FASTER_ILL_CONDITIONED: ClaimSpec = ClaimSpec::evidence(
    "surfaces.momentum_faster_ill_conditioned",
    "004",
    "seed 004 (convergence: problem with fixed step gradient; momentum); seed 000 (momentum: move towards the \
     minimum faster)",
    "where a fixed-step gradient descent zigzags (an ill-conditioned valley), momentum converges faster",
    "mean steps until f < 1e-6 from 20 random starts in the window on ill_conditioned: momentum (μ = 0.9, torch \
     form) − GD < 0, each at its lr tuned on separate starts, paired by seed",
);

/// surfaces.nesterov_ill_conditioned
pub const NESTEROV_ILL_CONDITIONED: ClaimSpec = ClaimSpec::evidence(
    "surfaces.nesterov_ill_conditioned",
    "004",
    "seed 004 (Nesterov momentum)",
    "Nesterov momentum converges faster than classical momentum (ill_conditioned)",
    "mean steps until f < 1e-6 from 20 random starts in the window (μ = 0.9, each at its tuned lr): \
     Nesterov − momentum < 0, paired by seed",
);

/// surfaces.nesterov_rosenbrock
pub const NESTEROV_ROSENBROCK: ClaimSpec = ClaimSpec::evidence(
    "surfaces.nesterov_rosenbrock",
    "004",
    "seed 004 (Nesterov momentum)",
    "Nesterov momentum converges faster than classical momentum (rosenbrock)",
    "mean steps until f < 1e-2 from 20 random starts in the window (μ = 0.9, each at its tuned lr): \
     Nesterov − momentum < 0, paired by seed",
);

/// The surface called `name`, as a field to draw.
fn field(name: &str) -> Option<Field<'static>> {
    let (surface, _) = Surface::ALL.into_iter().find(|(_, n)| *n == name)?;
    Some(Field { window: surface.window(), f: Box::new(move |x, y| surface.eval(&[x, y]).0) })
}

/// The optimizers drawn on every surface.
pub const OPTIMIZERS: [&str; 9] =
    ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "amsgrad", "nesterov_lookahead"];

/// The learning rate of optimizer `name` on `surface`.
pub fn lr(surface: Surface, name: &str) -> f64 {
    let plain = matches!(name, "sgd" | "momentum" | "nesterov" | "nesterov_lookahead");
    match (surface, plain, name) {
        (Surface::Rosenbrock, true, _) => 1e-4,
        (_, true, _) => 0.01,
        (_, false, "adagrad") => 0.5,
        (_, false, "adadelta") => 1.0,
        _ => 0.01,
    }
}

/// Runs every optimizer on every surface.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let steps = ctx.profile.pick(3_000, 20_000);
    let mut long = EXPERIMENT.frame();
    let mut ends = Vec::new();
    for (surface, sname) in Surface::ALL {
        for name in OPTIMIZERS {
            let lr = lr(surface, name);
            let mut opt = by_name::<f64>(name, Some(lr))?;
            let path = minimize(opt.as_mut(), &surface.start(), steps, |p| surface.eval(p), None)?;
            let run = Run { optimizer: name, lr, seed: ctx.seed, setting: sname };
            let stride = (path.points.len() / 400).max(1);
            for (t, (p, v)) in path.points.iter().zip(&path.values).enumerate() {
                if t % stride == 0 || t + 1 == path.points.len() {
                    long.push(&run, t as f64, X, p[0]);
                    long.push(&run, t as f64, Y, p[1]);
                    long.push(&run, t as f64, F, *v);
                }
            }
            ends.push((sname, name, path.last().to_vec()));
        }
    }
    let find = |s: &str, n: &str| ends.iter().find(|e| e.0 == s && e.1 == n).expect("ran");
    let rosen: Vec<String> = OPTIMIZERS
        .iter()
        .map(|n| {
            let p = &find("rosenbrock", n).2;
            format!("{n} {:.3}", ((p[0] - 1.0).powi(2) + (p[1] - 1.0).powi(2)).sqrt())
        })
        .collect();
    let seeds = Seeds::of(ctx.profile, ctx.seed);
    let claims = vec![
        momentum_claim(&seeds, steps)?,
        adam_minima_claim(&seeds, steps)?,
        saddle_claim(&seeds, steps)?,
        plateau_claim(&seeds, steps)?,
        faster_claim(Surface::IllConditioned, &MOMENTUM_FASTER_ILL_CONDITIONED, ["sgd", "momentum"], 1e-6, 0.1, &seeds, steps)?,
        faster_claim(Surface::IllConditioned, &NESTEROV_ILL_CONDITIONED, ["momentum", "nesterov"], 1e-6, 0.1, &seeds, steps)?,
        faster_claim(Surface::Rosenbrock, &NESTEROV_ROSENBROCK, ["momentum", "nesterov"], 1e-2, 1e-4, &seeds, steps)?,
    ];
    let notes = vec![format!("Rosenbrock, distance to (1, 1) after {steps} steps: {}.", rosen.join(", "))];
    Ok(Outcome { frames: vec![("trajectories".into(), long.finish()?)], claims, notes })
}

/// Random starts per seed for the basin and saddle claims (one seed's value
/// is a share or a mean over its starts).
pub const STARTS_PER_SEED: usize = 20;

/// `STARTS_PER_SEED` starts on `surface` drawn with `seed`: on the two wells
/// around (2, 1) (x in [1.5, 2.5], y in [−1, 1]), on the saddle at x = 1 with
/// |y| in [1e-4, 1e-2] and a random sign, elsewhere uniform in the window.
pub fn starts(surface: Surface, seed: u64) -> Vec<[f64; 2]> {
    let mut rng = seeded(seed);
    (0..STARTS_PER_SEED)
        .map(|_| match surface {
            Surface::Saddle => {
                let y = 10f64.powf(rng.gen_range(-4.0..-2.0));
                [1.0, if rng.gen::<bool>() { y } else { -y }]
            }
            Surface::TwoWells => [rng.gen_range(1.5..2.5), rng.gen_range(-1.0..1.0)],
            _ => {
                let ((x0, x1), (y0, y1)) = surface.window();
                [rng.gen_range(x0..x1), rng.gen_range(y0..y1)]
            }
        })
        .collect()
}

/// Where `name` at `lr` ends from `start` after `steps` steps.
fn end(surface: Surface, name: &str, lr: f64, start: &[f64; 2], steps: usize) -> Result<Trajectory> {
    let mut opt = by_name::<f64>(name, Some(lr))?;
    minimize(opt.as_mut(), start, steps, |p| surface.eval(p), None)
}

/// Share of `seed`'s starts from which `name` at `lr` ends in the deeper
/// (x < 0) well of the two-wells surface.
fn share_global(name: &str, lr: f64, seed: u64, steps: usize) -> Result<f64> {
    let starts = starts(Surface::TwoWells, seed);
    let mut global = 0;
    for s in &starts {
        let t = end(Surface::TwoWells, name, lr, s, steps)?;
        if t.diverged.is_none() && t.last()[0] < 0.0 {
            global += 1;
        }
    }
    Ok(global as f64 / starts.len() as f64)
}

fn shares(name: &str, lr: f64, seeds: &Seeds, steps: usize) -> Result<Vec<f64>> {
    run_parallel(&seeds.eval, |&s| share_global(name, lr, s, steps)).into_iter().collect()
}

/// Seed 000, figure 2: momentum rolls through the shallow well, compared
/// with plain GD at the **same effective step** `η/(1−μ)`.
fn momentum_claim(seeds: &Seeds, steps: usize) -> Result<Claim> {
    let (lr, mu) = (0.01, 0.9);
    let gd = shares("sgd", lr, seeds, steps)?;
    let torch = shares("momentum", lr * (1.0 - mu), seeds, steps)?;
    let ema = shares("momentum_ema", lr, seeds, steps)?;
    let unmatched = shares("momentum", lr, seeds, steps)?;
    let big_gd = shares("sgd", lr / (1.0 - mu), seeds, steps)?;
    let e = Estimate::paired(&torch, &gd);
    let show = |xs: &[f64]| Estimate::of(xs).show(2);
    Ok(MOMENTUM_OTHER_WELL.tested(Tested {
 estimate: &e,
 verdict: e.above(0.0),
 detail: format!(
            "share in the deeper well: GD {}; momentum at matched effective step {}; seed 000's EMA momentum \
             (lr 0.01) {}. Unmatched, for comparison: torch momentum at lr 0.01 (effective step 0.1) {}, and GD at lr \
             0.1 {} — the step size, not momentum, is what crosses the barrier",
            show(&gd),
            show(&torch),
            show(&ema),
            show(&unmatched),
            show(&big_gd)
        ),
 protocol: Protocol::new(seeds, &format!("not tuned: matched effective step; {STARTS_PER_SEED} random starts per seed"))
            .fixed("sgd", lr)
            .fixed("momentum", lr * (1.0 - mu)),
 }))
}

/// Seed 000: Adam "escapes plateaus / avoids local minima". Each method's
/// lr is tuned on the tuning seed's starts (lowest mean final f).
fn adam_minima_claim(seeds: &Seeds, steps: usize) -> Result<Claim> {
    let tune = |name: &'static str, default: f64| {
        tune_lr(default, |lr| {
            let mut total = 0.0;
            for s in starts(Surface::TwoWells, seeds.tuning) {
                let t = end(Surface::TwoWells, name, lr, &s, steps)?;
                total += if t.diverged.is_some() { f64::INFINITY } else { *t.values.last().expect("a step") };
            }
            Ok(total / STARTS_PER_SEED as f64)
        })
    };
    let (gd_t, adam_t) = (tune("sgd", 0.01)?, tune("adam", 0.01)?);
    let gd = shares("sgd", gd_t.best, seeds, steps)?;
    let adam = shares("adam", adam_t.best, seeds, steps)?;
    let e = Estimate::paired(&adam, &gd);
    Ok(ADAM_AVOIDS_LOCAL_MINIMA.tested(Tested {
 estimate: &e,
 verdict: e.above(0.0),
 detail: format!(
            "share in the deeper well: GD (lr {:.3e}) {}, Adam (lr {:.3e}) {}",
            gd_t.best,
            Estimate::of(&gd).show(2),
            adam_t.best,
            Estimate::of(&adam).show(2)
        ),
 protocol: Protocol::new(seeds, &format!("lowest mean final f over {STARTS_PER_SEED} separate starts"))
            .tuned("sgd", &gd_t)
            .tuned("adam", &adam_t),
 }))
}

/// Seed 000, figure 4: adaptive methods leave the saddle faster. Each lr is
/// tuned on the tuning seed's starts (fewest mean steps to |y| ≥ 1).
fn saddle_claim(seeds: &Seeds, steps: usize) -> Result<Claim> {
    let escape = |name: &str, lr: f64, seed: u64| -> Result<f64> {
        let mut total = 0.0;
        for s in starts(Surface::Saddle, seed) {
            let t = end(Surface::Saddle, name, lr, &s, steps)?;
            total += t.points.iter().position(|p| p[1].abs() >= 1.0).map_or(f64::INFINITY, |k| k as f64);
        }
        Ok(total / STARTS_PER_SEED as f64)
    };
    let methods = [("sgd", 0.01), ("adagrad", 0.5), ("rmsprop", 0.01), ("adam", 0.01)];
    let tuned: Vec<Tuned> =
        methods.iter().map(|&(n, d)| tune_lr(d, |lr| escape(n, lr, seeds.tuning))).collect::<Result<_>>()?;
    let per_seed: Vec<Vec<f64>> = methods
        .iter()
        .zip(&tuned)
        .map(|(&(n, _), t)| seeds.eval.iter().map(|&s| escape(n, t.best, s)).collect::<Result<Vec<f64>>>())
        .collect::<Result<_>>()?;
    let diffs: Vec<Estimate> = (1..4).map(|i| Estimate::paired(&per_seed[i], &per_seed[0])).collect();
    let verdict = Check::all(&diffs.iter().map(|d| d.below(0.0)).collect::<Vec<_>>());
    let worst = diffs.iter().copied().max_by(|a, b| a.mean.total_cmp(&b.mean)).expect("three");
    let protocol = Protocol::new(seeds, &format!("fewest mean steps to escape over {STARTS_PER_SEED} separate starts")).tuned_each(&methods, &tuned);
    Ok(ADAPTIVE_ESCAPE_SADDLE.tested(Tested {
 estimate: &worst,
 verdict,
 detail: methods
            .iter()
            .zip(&tuned)
            .zip(&per_seed)
            .map(|((&(n, _), t), v)| format!("{n} (lr {:.3e}) {} steps", t.best, Estimate::of(v).show(3)))
            .collect::<Vec<_>>()
            .join(", "),
 protocol,
 }))
}

/// The plateau `1 − exp(−(x² + y²)/2)` and its gradient: a basin of
/// radius about 1 in a plain whose gradient vanishes like `r e^{−r²/2}`.
fn plateau(p: &[f64]) -> (f64, Vec<f64>) {
    let g = (-(p[0] * p[0] + p[1] * p[1]) / 2.0).exp();
    (1.0 - g, vec![p[0] * g, p[1] * g])
}

/// Seed 000: Adam against GD on the plateau, each tuned on the tuning
/// seed's starts: mean steps until `f < 0.5` (into the basin).
fn plateau_claim(seeds: &Seeds, steps: usize) -> Result<Claim> {
    let starts = |seed: u64| -> Vec<[f64; 2]> {
        let mut rng = seeded(seed);
        (0..STARTS_PER_SEED)
            .map(|_| {
                let (r, a) = (rng.gen_range(3.5..4.5), rng.gen_range(0.0..std::f64::consts::TAU));
                [r * a.cos(), r * a.sin()]
            })
            .collect()
    };
    let escape = |name: &str, lr: f64, seed: u64| -> Result<f64> {
        let mut total = 0.0;
        for s in starts(seed) {
            let mut opt = by_name::<f64>(name, Some(lr))?;
            let t = minimize(opt.as_mut(), &s, steps, plateau, None)?;
            total += t.values.iter().position(|&v| v < 0.5).map_or(f64::INFINITY, |k| k as f64);
        }
        Ok(total / STARTS_PER_SEED as f64)
    };
    // Grid centres: GD at 1/L (the basin's curvature is 1), Adam at 0.01 as on the saddle.
    let methods = [("sgd", 1.0), ("adam", 0.01)];
    let tuned: Vec<Tuned> =
        methods.iter().map(|&(n, d)| tune_lr(d, |lr| escape(n, lr, seeds.tuning))).collect::<Result<_>>()?;
    let per_seed: Vec<Vec<f64>> = methods
        .iter()
        .zip(&tuned)
        .map(|(&(n, _), t)| {
            run_parallel(&seeds.eval, |&s| escape(n, t.best, s)).into_iter().collect::<Result<Vec<f64>>>()
        })
        .collect::<Result<_>>()?;
    let e = Estimate::paired(&per_seed[1], &per_seed[0]);
    let protocol = Protocol::new(seeds, &format!("fewest mean steps into the basin over {STARTS_PER_SEED} separate starts"))
        .tuned_each(&methods, &tuned);
    Ok(ADAM_ESCAPES_PLATEAU.tested(Tested {
        estimate: &e,
        verdict: e.below(0.0),
        detail: format!(
            "budget {steps} steps: GD (lr {:.2e}) {} steps, Adam (lr {:.2e}) {} steps; Adam − GD {}",
            tuned[0].best,
            Estimate::of(&per_seed[0]).show(3),
            tuned[1].best,
            Estimate::of(&per_seed[1]).show(3),
            e.show(3)
        ),
        protocol,
    }))
}

/// Mean steps until `f < target` from `seed`'s starts (infinite if a start
/// never gets there).
fn mean_steps_to(surface: Surface, name: &str, lr: f64, seed: u64, steps: usize, target: f64) -> Result<f64> {
    let mut total = 0.0;
    for s in starts(surface, seed) {
        let t = end(surface, name, lr, &s, steps)?;
        total += t.values.iter().position(|&v| v < target).map_or(f64::INFINITY, |k| k as f64);
    }
    Ok(total / STARTS_PER_SEED as f64)
}

/// Seed 004: `names[1]` against `names[0]` (Nesterov against classical
/// momentum, momentum against GD; torch's forms, μ = 0.9), each at its lr
/// tuned on the tuning seed's starts: fewer mean steps to `target`.
fn faster_claim(
    surface: Surface,
    spec: &ClaimSpec,
    names: [&str; 2],
    target: f64,
    default: f64,
    seeds: &Seeds,
    steps: usize,
) -> Result<Claim> {
    let tuned: Vec<Tuned> = names
        .iter()
        .map(|n| tune_lr(default, |lr| mean_steps_to(surface, n, lr, seeds.tuning, steps, target)))
        .collect::<Result<_>>()?;
    let per: Vec<Vec<f64>> = names
        .iter()
        .zip(&tuned)
        .map(|(n, t)| {
            run_parallel(&seeds.eval, |&s| mean_steps_to(surface, n, t.best, s, steps, target))
                .into_iter()
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    let e = Estimate::paired(&per[1], &per[0]);
    let mut protocol = Protocol::new(seeds, &format!("fewest mean steps to f < {target:e} over {STARTS_PER_SEED} separate starts"));
    for (n, t) in names.iter().zip(&tuned) {
        protocol = protocol.tuned(n, t);
    }
    Ok(spec.tested(Tested { estimate: &e, verdict: e.below(0.0), detail: format!(
            "budget {steps} steps: {} (lr {:.2e}) {} steps, {} (lr {:.2e}) {} steps; difference {}",
            names[0],
            tuned[0].best,
            Estimate::of(&per[0]).show(3),
            names[1],
            tuned[1].best,
            Estimate::of(&per[1]).show(3),
            e.show(3)
        ), protocol }))
}
