//! The runner compiled around a student's learning-rate schedules
//! (`rustc --cfg student_kit`, no dependencies). A call names the schedule,
//! gives its hyperparameters (in the order of [`hyper`]) and an epoch's
//! losses each; the answer is `lr()` before the first epoch and after each
//! `step`. It never sees a reference value.

mod solution;
mod student_api;
#[allow(dead_code)] // The grader's side of the format is not the runner's.
mod wire;

use std::panic::{catch_unwind, AssertUnwindSafe};
use student_api::ScheduleHyper;

/// The hyperparameters from their wire order: lr, step_size, gamma,
/// warmup_epochs, start_factor, t_max, eta_min, factor, patience,
/// threshold, cooldown, min_lr.
fn hyper(v: &[f64]) -> Result<ScheduleHyper, String> {
    let [lr, step_size, gamma, warmup_epochs, start_factor, t_max, eta_min, factor, patience, threshold, cooldown, min_lr] =
        v
    else {
        return Err(format!("{} hyperparameters, not 12", v.len()));
    };
    let count = |x: &f64| *x as usize;
    Ok(ScheduleHyper {
        lr: *lr,
        step_size: count(step_size),
        gamma: *gamma,
        warmup_epochs: count(warmup_epochs),
        start_factor: *start_factor,
        t_max: count(t_max),
        eta_min: *eta_min,
        factor: *factor,
        patience: count(patience),
        threshold: *threshold,
        cooldown: count(cooldown),
        min_lr: *min_lr,
    })
}

fn main() -> std::io::Result<()> {
    std::panic::set_hook(Box::new(|_| {}));
    wire::serve(|call| {
        let [(_, h), (_, losses)] = call.inputs.as_slice() else {
            return Err("a schedule's call has its hyperparameters and its losses".into());
        };
        let h = hyper(h)?;
        let run = || {
            let mut s = solution::build_schedule(&call.op, &h)
                .ok_or_else(|| format!("build_schedule({:?}) returned None", call.op))?;
            let mut lrs = Vec::with_capacity(losses.len() + 1);
            lrs.push(s.lr());
            for &loss in losses {
                s.step(loss);
                lrs.push(s.lr());
            }
            Ok(vec![lrs])
        };
        catch_unwind(AssertUnwindSafe(run))
            .unwrap_or_else(|e| Err(format!("panicked in {}: {}", call.op, wire::panic_text(e.as_ref()))))
    })
}
