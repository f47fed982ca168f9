//! Reddi, Kale and Kumar (ICLR 2018): Adam can fail to converge on a convex
//! problem; AMSGrad, which never lets its second-moment estimate shrink,
//! fixes it.
//!
//! Three problems on the feasible set `[-1, 1]` (projection after each step),
//! step size `alpha_t = alpha / sqrt(t)`, optimum `x* = -1` in all three:
//! - (a) online: `f_t(x) = 1010 x` if `t mod 101 == 1`, else `-10 x`
//!   (betas 0.9, 0.99). Each period of 101 steps sums to `10 x`.
//! - (b) stochastic: `f_t(x) = 1010 x` with probability 0.01, else `-10 x`
//!   (expectation `0.2 x`).
//! - (c) Theorem 1: `f_t(x) = C x` if `t mod 3 == 1`, else `-x`, `C = 3`,
//!   `beta1 = 0`, `beta2 = 1 / (1 + C^2)`; the theorem's algorithm has no
//!   bias correction, so both methods run without it. With the common betas
//!   (0.9, 0.99) the same period-3 problem does not defeat Adam: we run that
//!   too.
//!
//! The average regret `R_t / t = (sum_s f_s(x_s) - sum_s f_s(-1)) / t` must go
//! to 0 for a method that converges.

use super::{Check, ClaimSpec, Decided, Tested};
use super::protocol::{Estimate, Protocol, Seeds};
use super::{ChartSpec, Context, Experiment, Facet, Long, MnistUse, Outcome, Run};
use descent::train::run_parallel;
use descent::optim::{AdamConfig, Optimizer};
use descent::rng::seeded;
use descent::Result;
use ndarray::{arr1, ArrayD};
use rand::Rng;

/// The minimiser of every problem here.
const OPTIMUM: f64 = -1.0;

/// One problem: its gradient at step `t` (1-based), given a uniform draw.
#[derive(Debug, Clone, Copy)]
enum Problem {
    Online,
    Stochastic,
    Theorem1 { c: f64 },
}

impl Problem {
    fn slope(self, t: u64, u: f64) -> f64 {
        match self {
            Problem::Online => {
                if t % 101 == 1 {
                    1010.0
                } else {
                    -10.0
                }
            }
            Problem::Stochastic => {
                if u < 0.01 {
                    1010.0
                } else {
                    -10.0
                }
            }
            Problem::Theorem1 { c } => {
                if t % 3 == 1 {
                    c
                } else {
                    -1.0
                }
            }
        }
    }
}

/// Final point and average regret of one method on one problem.
struct Ending {
    x: f64,
    regret: f64,
}

/// Runs `steps` projected steps of `config` on `problem`, recording `x_t`
/// and `R_t / t` at about 400 log-spaced steps.
#[allow(clippy::too_many_arguments)]
fn online(
    long: &mut Long,
    run: &Run,
    config: AdamConfig,
    problem: Problem,
    alpha: f64,
    steps: u64,
    seed: u64,
) -> Result<Ending> {
    let mut opt: Box<dyn Optimizer<f64>> = Box::new(descent::optim::Adam::new(config)?);
    let mut rng = seeded(seed);
    let mut x = arr1(&[0.0]).into_dyn();
    let mut regret = 0.0;
    let mut next_record = 1.0f64;
    for t in 1..=steps {
        let slope = problem.slope(t, rng.gen::<f64>());
        let xt = x[[0]];
        regret += slope * (xt - OPTIMUM);
        opt.set_lr(alpha / (t as f64).sqrt())?;
        opt.step(&mut [&mut x], &[ArrayD::from_elem(vec![1], slope)])?;
        x.mapv_inplace(|v| v.clamp(-1.0, 1.0));
        if t as f64 >= next_record || t == steps {
            long.push(run, t as f64, X_T, x[[0]]);
            long.push(run, t as f64, AVERAGE_REGRET, regret / t as f64);
            next_record = (next_record * 1.02).max(t as f64 + 1.0);
        }
    }
    Ok(Ending { x: x[[0]], regret: regret / steps as f64 })
}

/// The iterate after step t.
pub const X_T: &str = "x_t";
/// Average regret `R_t / t`.
pub const AVERAGE_REGRET: &str = "R_t/t";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "amsgrad",
    title: "Reddi et al.: Adam's non-convergence and AMSGrad",
    question: "Reddi et al. show that Adam can fail to converge on a simple convex online problem, and that AMSGrad \
               fixes it. Does it happen here, and does it need the theorem's particular betas?",
    sources: "seed 003; Reddi, Kale, Kumar, ICLR 2018",
    mnist: MnistUse::NotAtAll,
    run,
    formulas: &["adam", "amsgrad", "regret"],
    charts: &[
        ChartSpec::lines("path", &[X_T])
            .facet(Facet::Setting)
            .titled("{facet}: x_t", "t", "x_t")
            .log_x()
            .caption("{facet}: the iterate x_t (optimum −1)."),
        ChartSpec::lines("path", &[AVERAGE_REGRET])
            .facet(Facet::Setting)
            .titled("{facet}: R_t / t", "t", "R_t / t")
            .log_x()
            .caption("{facet}: average regret."),
    ],
    tables: &[],
    claims: &[COMMON_BETAS_CONVERGE, ONLINE, STOCHASTIC, STOCHASTIC_BETTER, THEOREM1],
};

/// amsgrad.common_betas_converge
pub const COMMON_BETAS_CONVERGE: ClaimSpec = ClaimSpec::evidence(
    "amsgrad.common_betas_converge",
    "reddi",
    "this project's note on Reddi et al.",
    "the failure needs Theorem 1's betas: with (0.9, 0.99) Adam converges to -1 on the same period-3 problem",
    "Adam's x_T < -0.9 with betas (0.9, 0.99)",
).demonstrates();

/// Where the paper's two problems come from.
const SOURCE: &str = "Reddi et al. 2018, section 3 and figure 1; seed 003";
/// The outcome both of Theorem 1 and of the online problem.
const DRIFT: &str =
    "after T steps Adam's x_T > 0.9 (near the worst point +1) and AMSGrad's x_T < -0.9 (near the optimum -1)";

/// amsgrad.online
pub const ONLINE: ClaimSpec = ClaimSpec::evidence(
    "amsgrad.online",
    "reddi",
    SOURCE,
    "on the online problem (1010x once every 101 steps, else -10x), Adam drifts to +1 while AMSGrad converges to the \
     optimum -1",
    DRIFT,
).demonstrates();

/// amsgrad.stochastic
pub const STOCHASTIC: ClaimSpec = ClaimSpec::evidence(
    "amsgrad.stochastic",
    "reddi",
    SOURCE,
    "on the stochastic version (1010x with probability 0.01), Adam drifts to +1 while AMSGrad converges to -1",
    "over independent runs, mean x_T: Adam's interval above 0.9 and AMSGrad's below -0.9",
);

/// amsgrad.stochastic_better
pub const STOCHASTIC_BETTER: ClaimSpec = ClaimSpec::evidence(
    "amsgrad.stochastic_better",
    "reddi",
    SOURCE,
    "on the stochastic problem AMSGrad does better than Adam",
    "paired by seed: AMSGrad's x_T − Adam's x_T < 0 (closer to the optimum) and AMSGrad's R_T/T − Adam's < 0",
);

/// amsgrad.theorem1
pub const THEOREM1: ClaimSpec = ClaimSpec::evidence(
    "amsgrad.theorem1",
    "reddi",
    "Reddi et al. 2018, Theorem 1",
    "Theorem 1: with beta1 = 0 and beta2 = 1/(1 + C^2), Adam converges to the worst point +1 of the period-3 problem",
    DRIFT,
)
.demonstrates();

fn adam(betas: (f64, f64), amsgrad: bool, bias_correction: bool) -> AdamConfig {
    AdamConfig { betas, amsgrad, bias_correction, eps: 1e-8, ..AdamConfig::default() }
}

/// Runs (a), (b), (c) and the common-betas variant of (c).
pub fn run(ctx: &Context) -> Result<Outcome> {
    let steps = ctx.profile.pick(1_000_000u64, 5_000_000);
    let alpha = 0.5;
    let c = 3.0;
    let theorem_betas = (0.0, 1.0 / (1.0 + c * c));
    let cases: [(&str, Problem, (f64, f64), bool); 4] = [
        ("a: online, period 101", Problem::Online, (0.9, 0.99), true),
        ("b: stochastic, p = 0.01", Problem::Stochastic, (0.9, 0.99), true),
        ("c: Theorem 1, C = 3", Problem::Theorem1 { c }, theorem_betas, false),
        ("c': period 3, betas 0.9/0.99", Problem::Theorem1 { c }, (0.9, 0.99), false),
    ];
    let mut long = EXPERIMENT.frame();
    let mut endings = Vec::new();
    for (setting, problem, betas, bias_correction) in cases {
        let mut pair = Vec::new();
        for (name, ams) in [("adam", false), ("amsgrad", true)] {
            let run = Run { optimizer: name, lr: alpha, seed: ctx.seed, setting };
            pair.push(online(&mut long, &run, adam(betas, ams, bias_correction), problem, alpha, steps, ctx.seed)?);
        }
        endings.push(pair);
    }
    let fmt = |e: &Ending| format!("x_T = {:+.4}, R_T/T = {:.4}", e.x, e.regret);
    let decided = |i: usize| (&endings[i][0], &endings[i][1]);
    let (online_adam, online_ams) = decided(0);
    let (thm_adam, thm_ams) = decided(2);
    let (common_adam, common_ams) = decided(3);
    // (b) is random: independent runs over the seeds, decided by the rule.
    let seeds = Seeds::of(ctx.profile, ctx.seed);
    let runs = run_parallel(&seeds.eval, |&s| -> Result<(Ending, Ending)> {
        let mut scratch = EXPERIMENT.frame();
        let mut one = |name: &'static str, ams: bool| {
            let run = Run { optimizer: name, lr: alpha, seed: s, setting: "b" };
            online(&mut scratch, &run, adam((0.9, 0.99), ams, true), Problem::Stochastic, alpha, steps, s)
        };
        Ok((one("adam", false)?, one("amsgrad", true)?))
    })
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    let adam_x: Vec<f64> = runs.iter().map(|r| r.0.x).collect();
    let ams_x: Vec<f64> = runs.iter().map(|r| r.1.x).collect();
    let (adam_e, ams_e) = (Estimate::of(&adam_x), Estimate::of(&ams_x));
    let closer = Estimate::paired(&ams_x, &adam_x);
    let regret = Estimate::paired(
        &runs.iter().map(|r| r.1.regret).collect::<Vec<_>>(),
        &runs.iter().map(|r| r.0.regret).collect::<Vec<_>>(),
    );
    let protocol = || {
        Protocol::new(&seeds, "not tuned: the paper's step size alpha / sqrt(t), alpha = 0.5")
            .fixed("adam", alpha)
            .fixed("amsgrad", alpha)
    };
    let per_seed = |xs: &[f64]| xs.iter().map(|x| format!("{x:+.3}")).collect::<Vec<_>>().join(", ");
    let stochastic_detail = format!(
        "T = {steps}, x_T per seed: Adam {} (mean {}), AMSGrad {} (mean {})",
        per_seed(&adam_x),
        adam_e.show(3),
        per_seed(&ams_x),
        ams_e.show(3)
    );
    let claims = vec![
        ONLINE.decided(Decided {
            value: online_adam.x,
            ok: online_adam.x > 0.9 && online_ams.x < -0.9,
            detail: format!(
                "deterministic problem, one run; T = {steps}: Adam {}; AMSGrad {}",
                fmt(online_adam),
                fmt(online_ams)
            ),
        }),
        STOCHASTIC.tested(Tested {
            estimate: &ams_e,
            verdict: Check::all(&[adam_e.above(0.9), ams_e.below(-0.9)]),
            detail: stochastic_detail.clone(),
            protocol: protocol(),
        }),
        STOCHASTIC_BETTER.tested(Tested {
            estimate: &closer,
            verdict: Check::all(&[closer.below(0.0), regret.below(0.0)]),
            detail: format!(
                "{stochastic_detail}; x_T difference {}, average-regret difference {}",
                closer.show(3),
                regret.show(3)
            ),
            protocol: protocol(),
        }),
        THEOREM1.demonstration(Decided {
            value: thm_adam.x,
            ok: thm_adam.x > 0.9 && thm_ams.x < -0.9,
            detail: format!(
                "a proven theorem on a deterministic problem (a check of our Adam, not evidence); T = {steps}: Adam \
                 {}; AMSGrad {}",
                fmt(thm_adam),
                fmt(thm_ams)
            ),
        }),
        COMMON_BETAS_CONVERGE.decided(Decided {
 value: common_adam.x,
 ok: common_adam.x < -0.9,
 detail: format!("deterministic problem, one run; T = {steps}: Adam {}; AMSGrad {}", fmt(common_adam), fmt(common_ams)),
 }),
    ];
    let notes = vec![format!(
        "Step size alpha / sqrt(t) with alpha = {alpha}, x_1 = 0, eps = 1e-8; (a) and (b) use torch's Adam (with \
         bias correction), (c) the theorem's algorithm (no bias correction); AMSGrad is the same with the running \
         maximum of v_t."
    )];
    Ok(Outcome { frames: vec![("path".into(), long.finish()?)], claims, notes })
}
