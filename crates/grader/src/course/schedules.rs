//! The `schedules` assignment's reference code: the learning rates of
//! `torch.optim.lr_scheduler`'s StepLR, ExponentialLR, LinearLR warm-up
//! then CosineAnnealingLR (one SequentialLR) and ReduceLROnPlateau (mode
//! `min`, relative threshold), epoch by epoch, and the slips a student
//! makes in each, computed here. A case's inputs are the hyperparameters
//! in [`HYPER_ORDER`] and an epoch's validation losses; its output is the
//! learning rate before the first epoch and after each `step`.

use super::OpSlip;
use std::f64::consts::PI;

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

/// The epochs `0..=T` of a case with `T` losses.
fn epochs(xs: &[Vec<f64>]) -> impl Iterator<Item = f64> {
    (0..=xs[1].len()).map(|t| t as f64)
}

/// StepLR: `lr · γ^⌊(t + shift) / step_size⌋`, or `γ^((t + shift) / step_size)`
/// when not `floor`ed.
fn step_lr(xs: &[Vec<f64>], shift: f64, floor: bool) -> Vec<Vec<f64>> {
    let (lr, gamma, size) = (h(xs, "lr"), h(xs, "gamma"), h(xs, "step_size"));
    let k = |t: f64| if floor { ((t + shift) / size).floor() } else { (t + shift) / size };
    vec![epochs(xs).map(|t| lr * gamma.powf(k(t))).collect()]
}

/// ExponentialLR: `lr · γ^(t + shift)`.
fn exponential_lr(xs: &[Vec<f64>], shift: f64) -> Vec<Vec<f64>> {
    let (lr, gamma) = (h(xs, "lr"), h(xs, "gamma"));
    vec![epochs(xs).map(|t| lr * gamma.powf(t + shift)).collect()]
}

/// The slips a cosine schedule with warm-up can make.
#[derive(Clone, Copy, Default)]
struct Cosine {
    warmup_from_zero: bool,
    no_offset: bool,
    to_zero: bool,
}

/// Linear warm-up from `start_factor · lr` to `lr` over `W` epochs, then
/// `η_min + (lr − η_min)(1 + cos(π (t − W) / T_max)) / 2`.
fn cosine_warmup(xs: &[Vec<f64>], slip: Cosine) -> Vec<Vec<f64>> {
    let (lr, w, s, t_max) = (h(xs, "lr"), h(xs, "warmup_epochs"), h(xs, "start_factor"), h(xs, "t_max"));
    let s = if slip.warmup_from_zero { 0.0 } else { s };
    let eta_min = if slip.to_zero { 0.0 } else { h(xs, "eta_min") };
    let offset = if slip.no_offset { 0.0 } else { w };
    let at = |t: f64| {
        if t < w {
            lr * (s + (1.0 - s) * t / w)
        } else {
            eta_min + (lr - eta_min) * (1.0 + (PI * (t - offset) / t_max).cos()) / 2.0
        }
    };
    vec![epochs(xs).map(at).collect()]
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
        "step_lr" => step_lr(xs, 0.0, true),
        "exponential_lr" => exponential_lr(xs, 0.0),
        "cosine_warmup" => cosine_warmup(xs, Cosine::default()),
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
        |xs, _, _| step_lr(xs, 1.0, true),
    ),
    OpSlip::forward(
        "continuous_decay",
        "lr · γ^(t / step_size): a decay every epoch, not a step every step_size",
        |xs, _, _| step_lr(xs, 0.0, false),
    ),
];

/// ExponentialLR's slip.
pub const EXPONENTIAL_SLIPS: &[OpSlip] =
    &[OpSlip::forward("one_epoch_early", "lr · γ^(t + 1): the first epoch already decayed", |xs, _, _| {
        exponential_lr(xs, 1.0)
    })];

/// The cosine-with-warm-up's slips.
pub const COSINE_SLIPS: &[OpSlip] = &[
    OpSlip::forward("warmup_from_zero", "a warm-up from 0 instead of from start_factor · lr", |xs, _, _| {
        cosine_warmup(xs, Cosine { warmup_from_zero: true, ..Cosine::default() })
    }),
    OpSlip::forward(
        "cosine_not_offset",
        "the cosine's phase counted from epoch 0 instead of from the warm-up's end: cos(π t / T_max)",
        |xs, _, _| cosine_warmup(xs, Cosine { no_offset: true, ..Cosine::default() }),
    ),
    OpSlip::forward("cosine_to_zero", "the cosine decays to 0, not to eta_min", |xs, _, _| {
        cosine_warmup(xs, Cosine { to_zero: true, ..Cosine::default() })
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
