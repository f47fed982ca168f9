//! Pieces every optimizer shares: hyperparameter checks, the gradient
//! transform (`maximize`, L2 or decoupled weight decay), `lerp` with torch's
//! rounding, bias correction, state buffers, and the checks on a step's inputs.

use crate::{Element, Error, Result};
use ndarray::ArrayD;

/// `lr` must be finite and non-negative.
pub(crate) fn check_lr(op: &'static str, lr: f64) -> Result<()> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(op, "lr", format!("the learning rate must be finite and >= 0, got {lr}")))
    }
}

/// A coefficient in `[0, 1)`: betas, momentum of the EMA form.
pub(crate) fn check_unit_open(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(op, name, format!("must be in [0, 1), got {value}")))
    }
}

/// A coefficient in `[0, 1]`: rho, alpha, dampening.
pub(crate) fn check_unit_closed(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::invalid(op, name, format!("must be in [0, 1], got {value}")))
    }
}

/// A strictly positive, finite value: eps.
pub(crate) fn check_positive(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(op, name, format!("must be finite and > 0, got {value}")))
    }
}

/// A finite value `>= 0`: weight decay, momentum, lr_decay, accumulators.
pub(crate) fn check_non_negative(op: &'static str, name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(op, name, format!("must be finite and >= 0, got {value}")))
    }
}

/// What every optimizer does to a raw gradient before its own update:
/// `g <- -g` when maximizing, then `g <- g + weight_decay * theta` (L2, the
/// "coupled" decay of torch's `weight_decay`). Decoupled decay (AdamW) is
/// applied to the parameter instead, by [`decay_parameters`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct GradTransform<T> {
    maximize: bool,
    /// `lambda` of the L2 term; zero when decay is off or decoupled.
    l2: T,
}

impl<T: Element> GradTransform<T> {
    pub(crate) fn new(maximize: bool, weight_decay: f64, decoupled: bool) -> Self {
        GradTransform { maximize, l2: T::of(if decoupled { 0.0 } else { weight_decay }) }
    }

    /// The gradient the update uses, in torch's order of operations.
    #[inline(always)]
    pub(crate) fn apply(&self, grad: T, param: T) -> T {
        let g = if self.maximize { -grad } else { grad };
        if self.l2 == T::zero() {
            g
        } else {
            g + self.l2 * param
        }
    }
}

/// Decoupled weight decay (Loshchilov & Hutter): `theta <- theta (1 - lr lambda)`.
pub(crate) fn decay_parameters<T: Element>(params: &mut [&mut ArrayD<T>], lr: f64, weight_decay: f64) {
    if weight_decay != 0.0 {
        let factor = T::of(1.0 - lr * weight_decay);
        for p in params.iter_mut() {
            p.map_inplace(|x| *x *= factor);
        }
    }
}

/// `torch.lerp(start, end, weight)` with torch's two-sided formula, so an
/// EMA `m <- beta m + (1 - beta) g` rounds exactly as torch's `exp_avg.lerp_`.
#[inline(always)]
pub(crate) fn lerp<T: Element>(start: T, end: T, weight: T) -> T {
    if weight.abs() < T::of(0.5) {
        start + weight * (end - start)
    } else {
        end - (end - start) * (T::one() - weight)
    }
}

/// Where `eps` goes in a root-mean-square denominator: torch adds it to the
/// root, the seeds (000's RMSprop, Zeiler's Adadelta) inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EpsPlacement {
    /// `sqrt(v) + eps` (torch's RMSprop, Adam).
    #[default]
    OutsideRoot,
    /// `sqrt(v + eps)` (seed 000's RMSprop; Adadelta everywhere).
    InsideRoot,
}

impl EpsPlacement {
    /// The denominator `sqrt(v) + eps` or `sqrt(v + eps)`.
    #[inline(always)]
    pub(crate) fn denom<T: Element>(self, v: T, eps: T) -> T {
        match self {
            EpsPlacement::OutsideRoot => v.sqrt() + eps,
            EpsPlacement::InsideRoot => (v + eps).sqrt(),
        }
    }
}

/// `1 - beta^t`: the bias correction of an EMA started at zero (Adam, section 3).
pub(crate) fn bias_correction(beta: f64, step: u64) -> f64 {
    1.0 - beta.powf(step as f64)
}

/// Buffers shaped like the parameters, filled with `value`.
pub(crate) fn buffers_like<T: Element>(params: &[&mut ArrayD<T>], value: f64) -> Vec<ArrayD<T>> {
    params.iter().map(|p| ArrayD::from_elem(p.raw_dim(), T::of(value))).collect()
}

/// Checks a step's inputs before anything is touched: as many gradients as
/// parameters, equal shapes, shapes equal to the state's (when there is
/// state), and finite gradients. On error nothing has been updated.
///
/// Policy on non-finite gradients: the step is refused with an error naming
/// the parameter, and parameters and state stay as they were, so a NaN never
/// spreads silently into the optimizer's state; the training loop records
/// the run as diverged.
pub(crate) fn check_step<T: Element>(
    op: &'static str,
    params: &[&mut ArrayD<T>],
    grads: &[ArrayD<T>],
    state: Option<&[ArrayD<T>]>,
) -> Result<()> {
    if params.len() != grads.len() {
        return Err(Error::invalid(op, "grads", format!("{} parameters but {} gradients", params.len(), grads.len())));
    }
    if let Some(state) = state {
        if state.len() != params.len() {
            return Err(Error::invalid(
                op,
                "params",
                format!("the optimizer's state holds {} parameters, this step passes {}", state.len(), params.len()),
            ));
        }
    }
    for (i, (p, g)) in params.iter().zip(grads).enumerate() {
        if p.shape() != g.shape() {
            return Err(Error::shape(op, p.shape(), g.shape(), format!("parameter {i} and its gradient differ")));
        }
        if let Some(s) = state.map(|s| &s[i]) {
            if s.shape() != p.shape() {
                return Err(Error::shape(
                    op,
                    p.shape(),
                    s.shape(),
                    format!("parameter {i} and its optimizer state differ"),
                ));
            }
        }
        if !all_finite(g) {
            return Err(Error::NonFiniteGradient { op, index: i });
        }
    }
    Ok(())
}

/// True when every element is finite. `x - x` is 0 for finite `x` and NaN
/// for NaN or inf, so summing it checks a whole buffer without a branch; eight
/// independent sums let the compiler vectorise the loop (one serial sum would
/// be bound by the latency of the additions, slower than the update itself).
fn all_finite<T: Element>(a: &ArrayD<T>) -> bool {
    #[allow(clippy::eq_op)] // x - x is the point: 0, or NaN for a non-finite x
    fn residue<T: Element>(x: T) -> T {
        x - x
    }
    let Some(slice) = a.as_slice_memory_order() else {
        return a.iter().all(|x| x.is_finite());
    };
    let mut lanes = [T::zero(); 8];
    let chunks = slice.chunks_exact(8);
    let tail = chunks.remainder().iter().fold(T::zero(), |acc, &x| acc + residue(x));
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += residue(x);
        }
    }
    lanes.iter().fold(tail, |acc, &lane| acc + lane) == T::zero()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    #[test]
    fn lerp_matches_both_branches_of_torch() {
        assert_eq!(lerp(1.0_f64, 3.0, 0.25), 1.0 + 0.25 * 2.0);
        assert_eq!(lerp(1.0_f64, 3.0, 0.75), 3.0 - 2.0 * 0.25);
    }

    #[test]
    fn non_finite_values_are_found_anywhere() {
        assert!(all_finite(&arr1(&[1.0_f32, -2.0, 3e38]).into_dyn()));
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut a = ArrayD::<f32>::zeros(ndarray::IxDyn(&[1000]));
            a[[737]] = bad;
            assert!(!all_finite(&a), "{bad} not found");
        }
    }
}
