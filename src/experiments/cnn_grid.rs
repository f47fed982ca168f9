//! Seed 003's figure 1: the CNN on MNIST with Adam, SGD, RMSprop and
//! Adadelta at learning rates 0.1, 0.01 and 0.0001, batch 512; train loss
//! (raw and smoothed, as the seed plots it) and test loss and accuracy.

use super::mnist_mlp::{final_train_loss, push_history, MnistRun};
use super::metric::{BATCH_LOSS, BATCH_LOSS_SMOOTHED, TEST_ACCURACY, TEST_LOSS};
use super::{ChartSpec, Claim, Context, Experiment, Facet, Key, MnistUse, Outcome, Profile, Rows, Run, TableSpec};
use crate::train::{run_parallel, MnistModel};
use crate::Result;

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "cnn_grid",
    title: "MNIST CNN: optimizers x learning rates",
    question: "Seed 003's figure 1: the CNN on MNIST with Adam, SGD, RMSprop and Adadelta at learning rates 0.1, \
               0.01 and 0.0001 (batch 512). Does Adam win at 0.01 with RMSprop close? Does RMSprop get stuck at \
               0.0001, and do SGD and Adadelta suffer at small rates?",
    sources: "seed 003, figure 1",
    mnist: MnistUse::Entirely,
    run,
    formulas: &["adam", "sgd", "rmsprop", "adadelta"],
    charts: &[ChartSpec::lines("history", &[BATCH_LOSS_SMOOTHED])
        .faint(BATCH_LOSS)
        .facet(Facet::Lr)
        .titled("CNN, lr = {facet}", "update", "cross-entropy (nats)")
        .log_y()
        .caption("lr {facet}: training loss, raw (faint) and smoothed.")],
    tables: &[TableSpec {
        frame: "history",
        caption: "Final test loss and accuracy of the grid.",
        rows: Rows::ALL,
        keys: &[Key::Lr, Key::Optimizer],
        columns: &[("test loss", TEST_LOSS), ("test accuracy", TEST_ACCURACY)],
    }],
};

/// The grid's optimizers.
pub const OPTIMIZERS: [&str; 4] = ["adam", "sgd", "rmsprop", "adadelta"];
/// The grid's learning rates.
pub const LRS: [f64; 3] = [0.1, 0.01, 0.0001];

/// Trains the 12 runs of the grid.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let mnist = ctx.mnist()?;
    let (train_n, epochs) = ctx.profile.pick((5_120, 2), (60_000, 5));
    let jobs: Vec<(&str, f64)> = LRS.iter().flat_map(|&lr| OPTIMIZERS.iter().map(move |&n| (n, lr))).collect();
    let histories = run_parallel(&jobs, |&(name, lr)| {
        MnistRun::new(MnistModel::Cnn, train_n, epochs, name, lr, ctx.seed)?.train(mnist)
    });
    let mut long = EXPERIMENT.frame();
    let mut loss = Vec::new();
    for (&(name, lr), h) in jobs.iter().zip(histories) {
        let h = h?;
        push_history(&mut long, &Run { optimizer: name, lr, seed: ctx.seed, setting: "cnn" }, &h, 1);
        loss.push((name, lr, final_train_loss(&h, 10)));
    }
    let l = |n: &str, lr: f64| loss.iter().find(|x| x.0 == n && x.1 == lr).map_or(f64::NAN, |x| x.2);
    let table = |lr: f64| OPTIMIZERS.iter().map(|n| format!("{n} {:.3}", l(n, lr))).collect::<Vec<_>>().join(", ");
    let mut ranked: Vec<&str> = OPTIMIZERS.to_vec();
    ranked.sort_by(|a, b| l(a, 0.01).total_cmp(&l(b, 0.01)));
    let source = "seed 003, section 4 and figure 1";
    let decide = |id: &str, statement: &str, criterion: &str, value: f64, ok: bool, detail: String| match ctx.profile {
        Profile::Full => Claim::decided(id, source, statement, criterion, value, ok, detail),
        Profile::Quick => Claim::full_only(
            id,
            source,
            statement,
            criterion,
            &format!("quick profile ({train_n} images, {epochs} epochs) only indicates: {detail}"),
        ),
    };
    let claims = vec![
        decide(
            "cnn_grid.adam_best_at_0.01",
            "at learning rate 0.01 Adam outperforms them all, and RMSprop is very close to it",
            "at lr 0.01, final train loss (mean of the last 10 batches): Adam lowest, RMSprop second",
            l("adam", 0.01),
            ranked[0] == "adam" && ranked[1] == "rmsprop",
            format!("lr 0.01: {}", table(0.01)),
        ),
        decide(
            "cnn_grid.rmsprop_stuck_at_1e-4",
            "at learning rate 0.0001 RMSprop does not learn properly and got stuck on a high loss value",
            "at lr 0.0001, RMSprop's final train loss is more than twice Adam's",
            l("rmsprop", 1e-4) / l("adam", 1e-4),
            l("rmsprop", 1e-4) > 2.0 * l("adam", 1e-4),
            format!("lr 0.0001: {}", table(1e-4)),
        ),
        decide(
            "cnn_grid.sgd_adadelta_suffer_small_lr",
            "SGD and Adadelta suffer greatly from decreasing the learning rate",
            "final train loss at lr 0.0001 is more than twice that at lr 0.1, for both SGD and Adadelta",
            l("sgd", 1e-4) / l("sgd", 0.1),
            l("sgd", 1e-4) > 2.0 * l("sgd", 0.1) && l("adadelta", 1e-4) > 2.0 * l("adadelta", 0.1),
            format!("lr 0.1: {}; lr 0.0001: {}", table(0.1), table(1e-4)),
        ),
    ];
    let notes = vec![format!(
        "CNN of seed 003 (two 5x5 convolutions with max-pool, two linear layers, ReLU), batch 512, {train_n} \
         training images, {epochs} epochs, seed {}. A diverged run (loss above 1000 or not finite) is drawn up to \
         where it stopped and its final loss counts as infinite.",
        ctx.seed
    )];
    Ok(Outcome { frames: vec![("history".into(), long.finish()?)], claims, notes })
}
