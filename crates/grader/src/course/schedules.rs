//! The `schedules` assignment's reference code: the learning rates of
//! `torch.optim.lr_scheduler`'s StepLR, ExponentialLR, LinearLR warm-up
//! then CosineAnnealingLR (one SequentialLR) and ReduceLROnPlateau (mode
//! `min`, relative threshold), epoch by epoch (the first three are
//! descent's own [`Schedule`]s), and the slips a student makes in each,
//! computed here. A case's inputs are the hyperparameters
//! in [`HYPER_ORDER`] and an epoch's validation losses; its output is the
//! learning rate before the first epoch and after each `step`.

use super::OpSlip;
use descent::optim::Schedule;

/// The schedules, by the name `build_schedule` is called with.
pub const SCHEDULES: [&str; 4] = ["step_lr", "exponential_lr", "cosine_warmup", "reduce_on_plateau"];

/// The order of the hyperparameters in a case (and on the wire).
pub const HYPER_ORDER: [&str; 12] = [
    "lr",
    "step_size",
    "gamma",
    "warmup_epochs",
    "start_factor",
    "t_max",
    "eta_min",
    "factor",
    "patience",
    "threshold",
    "cooldown",
    "min_lr",
];

/// Whether `op` is one of the schedules (its output is a learning rate per
/// epoch).
pub fn is_schedule(op: &str) -> bool {
    SCHEDULES.contains(&op)
}

/// A hyperparameter of a case by its name.
fn h(xs: &[Vec<f64>], name: &str) -> f64 {
    xs[0].get(HYPER_ORDER.iter().position(|n| *n == name).expect("a known name")).copied().unwrap_or(f64::NAN)
}

/// The rates `schedule` gives a case's epochs `0..=T` (`T` losses), each
/// read `shift` epochs later.
fn rates(xs: &[Vec<f64>], schedule: &Schedule, shift: u64) -> Vec<Vec<f64>> {
    let lr = h(xs, "lr");
    vec![(0..=xs[1].len() as u64).map(|t| schedule.lr(lr, t + shift)).collect()]
}

/// The case's StepLR, as descent's [`Schedule::Step`].
fn step_lr(xs: &[Vec<f64>]) -> Schedule {
    Schedule::Step { step_size: h(xs, "step_size") as u64, gamma: h(xs, "gamma") }
}

/// The case's linear warm-up then cosine (descent's [`Schedule::Warmup`]
/// of a [`Schedule::Cosine`]), warming up from `start_factor` and decaying
/// to `eta_min`.
fn cosine_warmup(xs: &[Vec<f64>], start_factor: f64, eta_min: f64) -> Schedule {
    let cosine = Schedule::Cosine { t_max: h(xs, "t_max") as u64, eta_min };
    Schedule::warmup(h(xs, "warmup_epochs") as u64, start_factor, cosine)
}

/// The case's own cosine with warm-up.
fn cosine_warmup_of(xs: &[Vec<f64>]) -> Schedule {
    cosine_warmup(xs, h(xs, "start_factor"), h(xs, "eta_min"))
}

/// The slips a reduce-on-plateau schedule can make.
#[derive(Clone, Copy, Default)]
struct Plateau {
    patience_off_by_one: bool,
    absolute_threshold: bool,
    ignores_cooldown: bool,
    below_min_lr: bool,
}

/// ReduceLROnPlateau, mode `min`, `threshold_mode` `rel`, `eps` 1e-8.
fn reduce_on_plateau(xs: &[Vec<f64>], slip: Plateau) -> Vec<Vec<f64>> {
    let (mut lr, factor, patience) = (h(xs, "lr"), h(xs, "factor"), h(xs, "patience"));
    let (threshold, cooldown, min_lr) = (h(xs, "threshold"), h(xs, "cooldown"), h(xs, "min_lr"));
    let (mut best, mut bad, mut cooling) = (f64::INFINITY, 0.0, 0.0);
    let mut lrs = vec![lr];
    for &loss in &xs[1] {
        let better = if slip.absolute_threshold { loss < best - threshold } else { loss < best * (1.0 - threshold) };
        if better {
            best = loss;
            bad = 0.0;
        } else {
            bad += 1.0;
        }
        if cooling > 0.0 && !slip.ignores_cooldown {
            cooling -= 1.0;
            bad = 0.0;
        }
        let exceeded = if slip.patience_off_by_one { bad >= patience } else { bad > patience };
        if exceeded {
            let new = if slip.below_min_lr { lr * factor } else { (lr * factor).max(min_lr) };
            if lr - new > 1e-8 {
                lr = new;
            }
            cooling = cooldown;
            bad = 0.0;
        }
        lrs.push(lr);
    }
    vec![lrs]
}

/// The learning rates of `schedule` for a case's inputs.
pub fn learning_rates(schedule: &str, xs: &[Vec<f64>]) -> Vec<f64> {
    let mut out = match schedule {
        "step_lr" => rates(xs, &step_lr(xs), 0),
        "exponential_lr" => rates(xs, &Schedule::Exponential { gamma: h(xs, "gamma") }, 0),
        "cosine_warmup" => rates(xs, &cosine_warmup_of(xs), 0),
        "reduce_on_plateau" => reduce_on_plateau(xs, Plateau::default()),
        _ => vec![Vec::new()],
    };
    out.remove(0)
}

/// StepLR's slips.
pub const STEP_SLIPS: &[OpSlip] = &[
    OpSlip::forward(
        "decays_one_epoch_early",
        "lr · γ^⌊(t + 1) / step_size⌋: each decay one epoch early (the epoch counted from 1)",
        |xs, _, _| rates(xs, &step_lr(xs), 1),
    ),
    OpSlip::forward(
        "continuous_decay",
        "lr · γ^(t / step_size): a decay every epoch, not a step every step_size",
        |xs, _, _| {
            let (lr, gamma, size) = (h(xs, "lr"), h(xs, "gamma"), h(xs, "step_size"));
            vec![(0..=xs[1].len()).map(|t| lr * gamma.powf(t as f64 / size)).collect()]
        },
    ),
];

/// ExponentialLR's slip.
pub const EXPONENTIAL_SLIPS: &[OpSlip] =
    &[OpSlip::forward("one_epoch_early", "lr · γ^(t + 1): the first epoch already decayed", |xs, _, _| {
        rates(xs, &Schedule::Exponential { gamma: h(xs, "gamma") }, 1)
    })];

/// The cosine-with-warm-up's slips.
pub const COSINE_SLIPS: &[OpSlip] = &[
    OpSlip::forward("warmup_from_zero", "a warm-up from 0 instead of from start_factor · lr", |xs, _, _| {
        rates(xs, &cosine_warmup(xs, 0.0, h(xs, "eta_min")), 0)
    }),
    OpSlip::forward(
        "cosine_not_offset",
        "the cosine's phase counted from epoch 0 instead of from the warm-up's end: cos(π t / T_max)",
        |xs, _, _| {
            // The warm-up as it is, then the cosine at t instead of t − W.
            let (lr, w) = (h(xs, "lr"), h(xs, "warmup_epochs") as u64);
            let cosine = Schedule::Cosine { t_max: h(xs, "t_max") as u64, eta_min: h(xs, "eta_min") };
            let warmup = cosine_warmup_of(xs);
            let at = |t: u64| if t < w { warmup.lr(lr, t) } else { cosine.lr(lr, t) };
            vec![(0..=xs[1].len() as u64).map(at).collect()]
        },
    ),
    OpSlip::forward("cosine_to_zero", "the cosine decays to 0, not to eta_min", |xs, _, _| {
        rates(xs, &cosine_warmup(xs, h(xs, "start_factor"), 0.0), 0)
    }),
];

/// ReduceLROnPlateau's slips.
pub const PLATEAU_SLIPS: &[OpSlip] = &[
    OpSlip::forward(
        "patience_off_by_one",
        "a reduction after `patience` epochs without improvement instead of after more than `patience`",
        |xs, _, _| reduce_on_plateau(xs, Plateau { patience_off_by_one: true, ..Plateau::default() }),
    ),
    OpSlip::forward(
        "absolute_threshold",
        "an improvement counted when loss < best − threshold (threshold_mode `abs`) instead of loss < best · (1 − \
         threshold)",
        |xs, _, _| reduce_on_plateau(xs, Plateau { absolute_threshold: true, ..Plateau::default() }),
    ),
    OpSlip::forward("ignores_cooldown", "no cooldown: epochs right after a reduction count as bad ones", |xs, _, _| {
        reduce_on_plateau(xs, Plateau { ignores_cooldown: true, ..Plateau::default() })
    }),
    OpSlip::forward("below_min_lr", "the rate reduced below min_lr", |xs, _, _| {
        reduce_on_plateau(xs, Plateau { below_min_lr: true, ..Plateau::default() })
    }),
];
