//! Batch, stochastic and mini-batch gradient descent (seed 000,
//! "Convergence steps"; seed 004) on linear regression with generated data:
//! the loss against updates and against examples processed.
//!
//! Step sizes (set before the runs): BGD 0.1, MBGD (32) 0.05, SGD 0.01 —
//! each a stable step for its gradient noise on standardised features.

use super::linear_regression::{fit, generated};
use super::metric::BATCH_LOSS;
use super::{ChartSpec, Claim, Context, Experiment, MnistUse, Outcome, Run, SeriesBy};
use crate::data::regression::least_squares;
use crate::data::Batching;
use crate::optim::OptimizerSpec;
use crate::Result;

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
            .caption("Full-data loss against updates: BGD needs the fewest."),
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
            .caption("Each update's own batch loss: the noise of the gradient estimate."),
    ],
    tables: &[],
};

/// Runs the three modes.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let n = ctx.profile.pick(500, 2_000);
    let data = generated(n, ctx.seed)?;
    let (_, _, optimum) = least_squares(&data.x, &data.y)?;
    let target = 1.05 * optimum;
    let modes = [
        ("bgd", Batching::Full, 0.1, 300),
        ("mbgd", Batching::MiniBatch(32), 0.05, 60),
        ("sgd", Batching::Single, 0.01, 20),
    ];
    let mut long = EXPERIMENT.frame();
    let mut reached = Vec::new();
    let mut noise = Vec::new();
    for (label, batching, lr, epochs) in modes {
        let h = fit(&data, &OptimizerSpec::by_name("sgd", Some(lr))?, batching, epochs, ctx.seed)?;
        let per_epoch = batching.size(n);
        let run = Run { optimizer: "sgd", lr, seed: ctx.seed, setting: label };
        let mut first = None;
        for r in &h.rows {
            if r.split == "all" {
                long.push(&run, r.step as f64, FULL_LOSS_VS_UPDATES, r.value);
                long.push(&run, r.epoch * n as f64, FULL_LOSS_VS_EXAMPLES, r.value);
                if first.is_none() && r.value <= target {
                    first = Some((r.step, r.epoch * n as f64));
                }
            } else {
                long.push(&run, r.step as f64, BATCH_LOSS, r.value);
            }
        }
        // Noise: std of successive batch-loss changes over the last epoch, relative to the mean loss.
        let updates_per_epoch = n.div_ceil(per_epoch);
        let batch: Vec<f64> = h.rows.iter().filter(|r| r.split == "batch").map(|r| r.value).collect();
        let tail = &batch[batch.len().saturating_sub(updates_per_epoch.max(2))..];
        let diffs: Vec<f64> = tail.windows(2).map(|w| w[1] - w[0]).collect();
        let (mean_loss, _) = super::mean_std(tail);
        let (_, sd) = super::mean_std(&diffs);
        noise.push((label, sd / mean_loss));
        reached.push((label, first));
    }
    let updates = |i: usize| reached[i].1.map_or(f64::INFINITY, |r| r.0 as f64);
    let fewest = updates(0) < updates(1) && updates(0) < updates(2);
    let noisiest = noise[2].1 > noise[1].1 && noise[2].1 > noise[0].1;
    let describe = |i: usize| match reached[i].1 {
        Some((u, e)) => format!("{}: {u} updates ({e:.0} examples)", reached[i].0),
        None => format!("{}: not reached", reached[i].0),
    };
    let claims = vec![
        Claim::decided(
            "batch_modes.bgd_fewest_updates",
            "seed 000 (convergence steps); seed 004",
            "batch gradient descent needs the fewest updates to converge",
            "updates until the full-data loss is within 5% of the least-squares optimum: BGD < MBGD and BGD < SGD \
             (measured at epoch ends)",
            updates(0),
            fewest,
            format!("optimum MSE {optimum:.3}; {}", (0..3).map(describe).collect::<Vec<_>>().join("; ")),
        ),
        Claim::decided(
            "batch_modes.sgd_noisiest",
            "seed 000; seed 004",
            "SGD's path is the noisiest",
            "std of successive batch-loss changes over the last epoch, relative to the mean batch loss: SGD > MBGD \
             and SGD > BGD",
            noise[2].1,
            noisiest,
            noise.iter().map(|(l, v)| format!("{l} {v:.3}")).collect::<Vec<_>>().join(", "),
        ),
    ];
    Ok(Outcome {
        frames: vec![("loss".into(), long.finish()?)],
        claims,
        notes: vec![format!("{n} examples, 10 features (5 informative), noise 10.")],
    })
}
