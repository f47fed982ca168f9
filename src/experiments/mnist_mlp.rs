//! The MNIST MLP with the optimizers of seed 000's figure 6: train loss and
//! test accuracy per epoch.

use super::runs::{push_history, tune_on_validation, MnistRun, TRAIN_PART};
use super::{Check, ClaimSpec, Tested};
use super::metric::{BATCH_LOSS_SMOOTHED, TEST_ACCURACY};
use super::protocol::{Estimate, Protocol, Seeds};
use super::{ChartSpec, Context, Experiment, MnistUse, Outcome, Run};
use descent::train::{run_parallel, MnistModel};
use descent::Result;

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "mnist_mlp",
    title: "MNIST MLP: the optimizers compared",
    question: "Seed 000's figure 6: how do the optimizers compare when training an MLP on MNIST?",
    sources: "seed 000, figure 6",
    mnist: MnistUse::Entirely,
    run,
    formulas: &["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "amsgrad"],
    charts: &[
        ChartSpec::lines("history", &[BATCH_LOSS_SMOOTHED])
            .titled("MLP training loss", "update", "cross-entropy (nats)")
            .log_y()
            .caption("Training loss (exponentially smoothed, 0.9)."),
        ChartSpec::lines("history", &[TEST_ACCURACY])
            .titled("MLP test accuracy", "epoch", "accuracy")
            .caption("Test accuracy after each epoch."),
    ],
    tables: &[],
    claims: &[ADAPTIVE_FASTER, RMSPROP_FASTER_THAN_ADAGRAD, AMSGRAD_VS_ADAM],
};

/// mnist_mlp.adaptive_faster
pub const ADAPTIVE_FASTER: ClaimSpec = ClaimSpec::evidence(
    "mnist_mlp.adaptive_faster",
    "000",
    "seed 000, figure 6",
    "adaptive methods (Adam, RMSprop) learn faster than plain SGD on the MNIST network",
    "test accuracy after the first epoch, each method at its lr tuned for it (validation error after one epoch), \
             paired by seed: Adam − SGD > 0 and RMSprop − SGD > 0",
);

/// mnist_mlp.rmsprop_faster_than_adagrad
pub const RMSPROP_FASTER_THAN_ADAGRAD: ClaimSpec = ClaimSpec::evidence(
    "mnist_mlp.rmsprop_faster_than_adagrad",
    "000",
    "seed 000, RMSprop and figure 5",
    "RMSprop is faster than Adagrad",
    "test accuracy after the first epoch, each at its lr tuned for it (validation error after one epoch), paired by \
     seed: RMSprop − Adagrad > 0",
);

/// mnist_mlp.amsgrad_vs_adam
pub const AMSGRAD_VS_ADAM: ClaimSpec = ClaimSpec::evidence(
    "mnist_mlp.amsgrad_vs_adam",
    "003",
    "seed 003, section 1 (AMSGrad)",
    "on deep learning problems AMSGrad can outperform Adam",
    "final test accuracy, each at its tuned lr, paired by seed: AMSGrad − Adam > 0",
);

/// The optimizers and the centres of their ×2 tuning grids (common defaults).
pub const OPTIMIZERS: [(&str, f64); 8] = [
    ("sgd", 0.1),
    ("momentum", 0.01),
    ("nesterov", 0.01),
    ("adagrad", 0.01),
    ("adadelta", 1.0),
    ("rmsprop", 0.001),
    ("adam", 0.001),
    ("amsgrad", 0.001),
];

/// The optimizers of the speed claims (decided after one epoch, so tuned
/// on the validation error after one epoch).
pub const FAST_LEARNERS: [&str; 4] = ["sgd", "adagrad", "rmsprop", "adam"];

/// Trains the MLP with every optimizer under the protocol.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let mnist = ctx.mnist()?;
    let (train_n, epochs) = ctx.profile.pick((5_000, 2), (TRAIN_PART, 3));
    let seeds = Seeds::of(ctx.profile, ctx.seed);
    let index = |n: &str| OPTIMIZERS.iter().position(|o| o.0 == n).expect("in the list");
    let tuned = tune_on_validation(mnist, &OPTIMIZERS, |name, lr| {
        MnistRun::new(MnistModel::Mlp, train_n, epochs, name, lr, seeds.tuning)
    })?;
    // The speed claims: each optimizer tuned on, and decided by, its first epoch.
    let fast: Vec<(&str, f64)> = FAST_LEARNERS.iter().map(|n| OPTIMIZERS[index(n)]).collect();
    let tuned_fast = tune_on_validation(mnist, &fast, |name, lr| {
        MnistRun::new(MnistModel::Mlp, train_n, 1, name, lr, seeds.tuning)
    })?;
    let jobs: Vec<(usize, u64)> = seeds.eval.iter().flat_map(|&s| (0..OPTIMIZERS.len()).map(move |i| (i, s))).collect();
    // Only the first seed's histories are drawn; the others give their
    // final test accuracy, so they are evaluated after their last epoch only.
    let histories = run_parallel(&jobs, |&(i, s)| {
        let run = MnistRun::new(MnistModel::Mlp, train_n.min(TRAIN_PART), epochs, OPTIMIZERS[i].0, tuned[i].best, s)?;
        MnistRun { evaluate_last_only: s != seeds.eval[0], ..run }.train(mnist)
    });
    let fast_jobs: Vec<(usize, u64)> = seeds.eval.iter().flat_map(|&s| (0..fast.len()).map(move |i| (i, s))).collect();
    let fast_histories = run_parallel(&fast_jobs, |&(i, s)| {
        let run = MnistRun::new(MnistModel::Mlp, train_n.min(TRAIN_PART), 1, fast[i].0, tuned_fast[i].best, s)?;
        MnistRun { evaluate_last_only: true, ..run }.train(mnist)
    });
    let mut long = EXPERIMENT.frame();
    let mut first_epoch = vec![Vec::new(); fast.len()];
    let mut finals = vec![Vec::new(); OPTIMIZERS.len()];
    for (&(i, s), h) in jobs.iter().zip(histories) {
        let h = h?;
        let name = OPTIMIZERS[i].0;
        if s == seeds.eval[0] {
            push_history(&mut long, &Run { optimizer: name, lr: tuned[i].best, seed: s, setting: "mlp" }, &h, 5);
        }
        finals[i].push(test_accuracy(&h, epochs));
    }
    for (&(i, _), h) in fast_jobs.iter().zip(fast_histories) {
        first_epoch[i].push(test_accuracy(&h?, 1));
    }
    let at_fast = |n: &str| &first_epoch[FAST_LEARNERS.iter().position(|f| *f == n).expect("a speed claim's optimizer")];
    let gain = |n: &str| Estimate::paired(at_fast(n), at_fast("sgd"));
    let (adam, rmsprop) = (gain("adam"), gain("rmsprop"));
    let protocol = Protocol::new(&seeds, "validation error (last 10,000 training images) after the last epoch").tuned_each(&OPTIMIZERS, &tuned);
    let fast_protocol = Protocol::new(&seeds, "validation error (last 10,000 training images) after the first epoch, the epoch decided")
        .tuned_each(&fast, &tuned_fast);
    let table = |names: &[&str], v: &[Vec<f64>]| {
        names.iter().zip(v).map(|(n, a)| format!("{n} {}", Estimate::of(a).show(4))).collect::<Vec<_>>()
    };
    let all_names: Vec<&str> = OPTIMIZERS.iter().map(|o| o.0).collect();
    let rms_adagrad = Estimate::paired(at_fast("rmsprop"), at_fast("adagrad"));
    let ams_adam = Estimate::paired(&finals[index("amsgrad")], &finals[index("adam")]);
    let claims = vec![
        ADAPTIVE_FASTER.tested(Tested {
 estimate: &adam,
 verdict: Check::all(&[adam.above(0.0), rmsprop.above(0.0)]),
 detail: format!(
                "after epoch 1: {}; Adam − SGD {}, RMSprop − SGD {}",
                table(&FAST_LEARNERS, &first_epoch).join(", "),
                adam.show(3),
                rmsprop.show(3)
            ),
 protocol: fast_protocol.clone(),
 }),
        RMSPROP_FASTER_THAN_ADAGRAD.tested(Tested {
 estimate: &rms_adagrad,
 verdict: rms_adagrad.above(0.0),
 detail: format!("RMSprop − Adagrad after epoch 1: {}", rms_adagrad.show(3)),
 protocol: fast_protocol,
 }),
        AMSGRAD_VS_ADAM.tested(Tested {
 estimate: &ams_adam,
 verdict: ams_adam.above(0.0),
 detail: format!("AMSGrad − Adam after {epochs} epochs: {}", ams_adam.show(3)),
 protocol,
 }),
    ];
    let notes = vec![format!(
        "MLP 784-256-256-10, batch 128, {train_n} training images, {epochs} epochs, seeds {:?} (tuning seed {}); \
         final test accuracy (mean [95% interval]): {}.",
        seeds.eval,
        seeds.tuning,
        table(&all_names, &finals).join(", ")
    )];
    Ok(Outcome { frames: vec![("history".into(), long.finish()?)], claims, notes })
}

/// Test accuracy after `epoch` (0 for a run that did not reach it).
fn test_accuracy(h: &descent::train::RunHistory, epoch: usize) -> f64 {
    h.at("test", "accuracy", epoch).unwrap_or(0.0)
}
