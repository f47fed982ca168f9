//! Seed 002: in Adadelta, epsilon acts as a learning rate. At the start the
//! accumulated update is 0, so the first steps have size about
//! `sqrt(eps / (1 - rho))` whatever the gradient's scale; a larger epsilon
//! means faster progress early on.
//!
//! Sweeps (torch's Adadelta, lr 1, rho 0.9): epsilon from 1e-8 to 1e-1 on
//! the generated regression (mini-batch 32), loss against epochs, and the
//! first update's size against the formula; the initial accumulated update
//! `u0` (eps 1e-6) on the same regression; and epsilon on the MNIST MLP.

use super::linear_regression::{fit, generated};
use super::mnist_mlp::{final_train_loss, push_history, MnistRun};
use super::metric::{BATCH_LOSS_SMOOTHED, LOSS};
use super::{ChartSpec, Claim, Context, Experiment, MnistUse, Outcome, Rows, Run, SeriesBy};
use crate::data::regression::least_squares;
use crate::data::Batching;
use crate::optim::{Adadelta, AdadeltaConfig, Optimizer};
use crate::train::MnistModel;
use crate::Result;
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
};

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

/// Runs the sweep.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let epochs = ctx.profile.pick(20, 60);
    let data = generated(1_000, ctx.seed)?;
    let (_, _, optimum) = least_squares(&data.x, &data.y)?;
    let mut long = EXPERIMENT.frame();
    let mut at_5 = Vec::new();
    let mut ratio_err: f64 = 0.0;
    for eps in EPS {
        let setting = format!("eps={eps:e}");
        let mut spec = crate::optim::OptimizerSpec::by_name("adadelta", Some(1.0))?;
        if let crate::optim::OptimizerSpec::Adadelta(c) = &mut spec {
            c.eps = eps;
        }
        let h = fit(&data, &spec, Batching::MiniBatch(32), epochs, ctx.seed)?;
        let run = Run { optimizer: "adadelta", lr: 1.0, seed: ctx.seed, setting: &setting };
        for r in h.rows.iter().filter(|r| r.split == "all") {
            long.push(&run, r.epoch, LOSS, r.value);
        }
        at_5.push(h.rows.iter().find(|r| r.split == "all" && r.epoch == 5.0).map_or(f64::NAN, |r| r.value));
        for g in [1e-3, 1.0, 1e3] {
            let step = first_step(eps, g)?;
            let predicted = eps.sqrt() * g / (0.1 * g * g + eps).sqrt();
            ratio_err = ratio_err.max((step / predicted - 1.0).abs());
            long.push(&run, g, FIRST_STEP, step);
        }
    }
    let monotone = at_5.windows(2).all(|w| w[1] < w[0]);
    let mut claims = vec![
        Claim::decided(
            "adadelta_eps.eps_is_a_learning_rate",
            "seed 002 (Adadelta)",
            "epsilon behaves like a learning rate: the larger it is, the faster Adadelta converges",
            "full-data loss after 5 epochs strictly decreases as eps grows from 1e-8 to 1e-1",
            at_5[0] / at_5[at_5.len() - 1],
            monotone,
            format!(
                "optimum MSE {optimum:.2}; loss after 5 epochs: {}",
                EPS.iter().zip(&at_5).map(|(e, l)| format!("eps {e:e}: {l:.2}")).collect::<Vec<_>>().join(", ")
            ),
        ),
        Claim::decided(
            "adadelta_eps.first_step",
            "seed 002; Zeiler 2012",
            "the first update is sqrt(eps) / sqrt((1 - rho) g^2 + eps) * g: about sqrt(eps / (1 - rho)) whatever the \
             gradient's scale",
            "measured first steps match the formula to 1e-12 (relative) for g = 1e-3, 1, 1e3 and every eps",
            ratio_err,
            ratio_err < 1e-12,
            format!("largest relative deviation {ratio_err:.1e}"),
        ),
    ];
    let mut notes = Vec::new();
    // The initial accumulated update u0 plays the same role.
    let mut u0_at_5 = Vec::new();
    for u0 in U0 {
        let setting = format!("u0={u0:e}");
        let spec = crate::optim::OptimizerSpec::Adadelta(AdadeltaConfig {
            initial_acc_delta: u0,
            ..AdadeltaConfig::default()
        });
        let h = fit(&data, &spec, Batching::MiniBatch(32), epochs, ctx.seed)?;
        let run = Run { optimizer: "adadelta", lr: 1.0, seed: ctx.seed, setting: &setting };
        for r in h.rows.iter().filter(|r| r.split == "all") {
            long.push(&run, r.epoch, LOSS, r.value);
        }
        u0_at_5.push(h.rows.iter().find(|r| r.split == "all" && r.epoch == 5.0).map_or(f64::NAN, |r| r.value));
    }
    claims.push(Claim::decided(
        "adadelta_eps.initial_update",
        "seed 002 (Adadelta: effect of the initial step)",
        "the initial accumulated update sets the size of the first steps, like a learning rate",
        "full-data loss after 5 epochs strictly decreases as u0 grows over 0, 1e-4, 1e-2, 1 (eps 1e-6)",
        u0_at_5[0] / u0_at_5[u0_at_5.len() - 1],
        u0_at_5.windows(2).all(|w| w[1] < w[0]),
        format!(
            "loss after 5 epochs: {}",
            U0.iter().zip(&u0_at_5).map(|(u, l)| format!("u0 {u:e}: {l:.2}")).collect::<Vec<_>>().join(", ")
        ),
    ));
    // Epsilon on the MNIST MLP.
    match ctx.mnist() {
        Ok(mnist) => {
            let (train_n, mnist_epochs) = ctx.profile.pick((5_000, 2), (60_000, 3));
            let runs = crate::train::run_parallel(&MNIST_EPS, |&eps| {
                let mut run = MnistRun::new(MnistModel::Mlp, train_n, mnist_epochs, "adadelta", 1.0, ctx.seed)?;
                run.spec = crate::optim::OptimizerSpec::Adadelta(AdadeltaConfig { eps, ..AdadeltaConfig::default() });
                run.train(mnist)
            });
            let mut finals = Vec::new();
            for (&eps, h) in MNIST_EPS.iter().zip(runs) {
                let h = h?;
                let setting = format!("mnist eps={eps:e}");
                push_history(
                    &mut long,
                    &Run { optimizer: "adadelta", lr: 1.0, seed: ctx.seed, setting: &setting },
                    &h,
                    5,
                );
                finals.push((eps, final_train_loss(&h, 10)));
            }
            let (small, large) = (finals[0].1, finals[2].1);
            claims.push(Claim::decided(
                "adadelta_eps.mnist",
                "seed 002 (Adadelta)",
                "on MNIST too, a larger epsilon makes Adadelta learn faster",
                "final training loss (mean of the last 10 batches) of the MLP at eps 1e-4 below that at eps 1e-8",
                large / small,
                large < small,
                format!(
                    "MLP, {train_n} images, {mnist_epochs} epochs: {}",
                    finals.iter().map(|(e, l)| format!("eps {e:e}: {l:.3}")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        Err(e) => notes.push(format!("MNIST sweep not run: {e}")),
    }
    Ok(Outcome { frames: vec![("sweep".into(), long.finish()?)], claims, notes })
}
