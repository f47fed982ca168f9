//! Gradient checking by central differences, in `f64`.
//!
//! For a function `f` of some inputs built from tape ops, the analytic
//! gradient of `L = sum(f(x) * r)` (with `r` a fixed random projection, so
//! that every output element and every index of the Jacobian matters) is
//! compared with `(L(x + h e_j) - L(x - h e_j)) / 2h` for every element `j`
//! of every input. The numeric side never uses the tape's backward pass: it
//! only evaluates `f` and sums with plain `ndarray`, so it is an independent
//! reference.
//!
//! ```
//! use descent::autodiff::{gradcheck, GradCheckOptions};
//! use ndarray::array;
//!
//! let x = array![[0.3, -1.2], [2.0, 0.7]].into_dyn();
//! let report = gradcheck(|_, v| Ok(v[0].tanh()), &[x], &GradCheckOptions::default()).unwrap();
//! assert!(report.max_rel_error < 1e-7, "{report}");
//! ```

use crate::autodiff::{Tape, Var};
use crate::{Error, Result};
use ndarray::{ArrayD, Dimension, IxDyn, Zip};
use rand_distr::{Distribution, StandardNormal};

/// Settings of [`gradcheck`].
#[derive(Debug, Clone, Copy)]
pub struct GradCheckOptions {
    /// Step `h` of the central difference. Default `1e-5`, near the
    /// textbook optimum `cbrt(eps_f64) ~ 6e-6` that balances the truncation
    /// error `h^2 |L'''| / 6` (~1e-11 here) against the rounding error of
    /// evaluating `L`, `eps_f64 * sum|terms| / h` (~1e-10 for the sums of a
    /// few hundred terms of order 1 that the tests build).
    pub step: f64,
    /// Floor of the denominator of the relative error, so that gradients
    /// that are (numerically) zero are compared absolutely. Default `1e-3`.
    pub floor: f64,
    /// Seed of the random projection `r`.
    pub seed: u64,
}

impl Default for GradCheckOptions {
    fn default() -> Self {
        GradCheckOptions { step: 1e-5, floor: 1e-3, seed: 0 }
    }
}

/// What [`gradcheck`] found: the worst element and how bad it is.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheckReport {
    /// Largest `|analytic - numeric| / max(|analytic|, |numeric|, floor)`.
    pub max_rel_error: f64,
    /// Largest `|analytic - numeric|`.
    pub max_abs_error: f64,
    /// Input holding the element with the largest relative error.
    pub worst_input: usize,
    /// Index of that element within its input.
    pub worst_index: Vec<usize>,
    /// Analytic derivative at the worst element.
    pub analytic: f64,
    /// Central-difference derivative at the worst element.
    pub numeric: f64,
    /// Number of elements compared.
    pub checked: usize,
}

impl std::fmt::Display for GradCheckReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "gradcheck over {} elements: max relative error {:.3e} (max absolute {:.3e}) at input {} index {:?}: analytic {:.12e}, numeric {:.12e}",
            self.checked, self.max_rel_error, self.max_abs_error, self.worst_input, self.worst_index, self.analytic, self.numeric
        )
    }
}

/// Checks the gradient of `f` at `inputs` against central differences.
///
/// `f` receives a fresh tape and one leaf per input and returns any-shaped
/// output. Errors from `f` (shape errors...) are passed through.
pub fn gradcheck<F>(f: F, inputs: &[ArrayD<f64>], opts: &GradCheckOptions) -> Result<GradCheckReport>
where
    F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Result<Var<'t, f64>>,
{
    if !(opts.step > 0.0 && opts.step.is_finite()) {
        return Err(Error::invalid("gradcheck", "step", format!("{} must be positive and finite", opts.step)));
    }
    // Analytic side: backward through L = sum(f(x) * r).
    let tape = Tape::new();
    let leaves: Vec<Var<'_, f64>> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    let out = f(&tape, &leaves)?;
    let projection = random_projection(&out.shape(), opts.seed);
    let loss = out.mul(&tape.constant(projection.clone()))?.sum();
    let grads = tape.backward(&loss)?;

    // Numeric side: L evaluated with plain ndarray around each element.
    let objective = |xs: &[ArrayD<f64>]| -> Result<f64> {
        let tape = Tape::new();
        let leaves: Vec<Var<'_, f64>> = xs.iter().map(|x| tape.constant(x.clone())).collect();
        let y = f(&tape, &leaves)?.value();
        Ok(Zip::from(y.as_ref()).and(&projection).fold(0.0, |acc, &y, &r| acc + y * r))
    };
    let mut report = GradCheckReport {
        max_rel_error: 0.0,
        max_abs_error: 0.0,
        worst_input: 0,
        worst_index: Vec::new(),
        analytic: 0.0,
        numeric: 0.0,
        checked: 0,
    };
    let mut xs = inputs.to_vec();
    for (i, leaf) in leaves.iter().enumerate() {
        let analytic = grads.wrt(leaf)?.cloned().unwrap_or_else(|| ArrayD::zeros(inputs[i].raw_dim()));
        for (flat, (index, &a)) in analytic.indexed_iter().enumerate() {
            let x0 = inputs[i].as_slice().map(|s| s[flat]).unwrap_or_else(|| inputs[i][&index]);
            xs[i][&index] = x0 + opts.step;
            let plus = objective(&xs)?;
            xs[i][&index] = x0 - opts.step;
            let minus = objective(&xs)?;
            xs[i][&index] = x0;
            let numeric = (plus - minus) / (2.0 * opts.step);
            let abs = (a - numeric).abs();
            let rel = abs / a.abs().max(numeric.abs()).max(opts.floor);
            report.checked += 1;
            report.max_abs_error = report.max_abs_error.max(abs);
            if rel > report.max_rel_error || rel.is_nan() || report.worst_index.is_empty() {
                report.max_rel_error = if rel.is_nan() { f64::INFINITY } else { rel.max(report.max_rel_error) };
                report.worst_input = i;
                report.worst_index = index.as_array_view().to_vec();
                report.analytic = a;
                report.numeric = numeric;
            }
        }
    }
    Ok(report)
}

/// Standard normal weights of `shape`; exactly 1 for a one-element output,
/// so that a scalar function's report reads in its own units.
fn random_projection(shape: &[usize], seed: u64) -> ArrayD<f64> {
    if shape.iter().product::<usize>() == 1 {
        return ArrayD::from_elem(IxDyn(shape), 1.0);
    }
    let mut rng = crate::rng::seeded(seed);
    ArrayD::from_shape_simple_fn(IxDyn(shape), || StandardNormal.sample(&mut rng))
}

/// Helpers for the per-op gradient checks beside each op.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// The tolerance every op is held to: with the default step the central
    /// difference is accurate to ~1e-10 absolute for the test inputs (see
    /// [`GradCheckOptions::step`]), i.e. ~1e-7 relative at the 1e-3 floor,
    /// so 1e-6 leaves margin while still catching any wrong index or factor.
    pub const TOLERANCE: f64 = 1e-6;

    /// Standard normal values of `shape`, seeded.
    pub fn randn(shape: &[usize], seed: u64) -> ArrayD<f64> {
        let mut rng = crate::rng::seeded(seed + 1000);
        ArrayD::from_shape_simple_fn(IxDyn(shape), || StandardNormal.sample(&mut rng))
    }

    /// `randn` pushed away from zero (`|x| >= 0.1`), for ops with a kink at 0.
    pub fn randn_away_from_zero(shape: &[usize], seed: u64) -> ArrayD<f64> {
        randn(shape, seed).mapv(|v| if v.abs() < 0.1 { v.signum() * 0.1 + v } else { v })
    }

    /// Asserts that `f`'s gradient at `inputs` passes at [`TOLERANCE`].
    pub fn assert_gradcheck<F>(f: F, inputs: &[ArrayD<f64>])
    where
        F: for<'t> Fn(&'t Tape<f64>, &[Var<'t, f64>]) -> Result<Var<'t, f64>>,
    {
        let report = gradcheck(f, inputs, &GradCheckOptions::default()).expect("function evaluates");
        assert!(report.checked > 0, "nothing was checked");
        assert!(report.max_rel_error < TOLERANCE, "{report}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::ops::pointwise::Pointwise;

    /// The toy function of seed 003, `f(x) = x^3 - 3x^2 + 4x`, with the
    /// derivative its code used (`3x^2 - 6x`, missing the `+ 4`).
    struct SeedToyWithWrongDerivative;
    impl Pointwise<f64> for SeedToyWithWrongDerivative {
        fn f(&self, x: f64) -> f64 {
            x * x * x - 3.0 * x * x + 4.0 * x
        }
        fn df(&self, x: f64, _: f64) -> f64 {
            3.0 * x * x - 6.0 * x
        }
    }

    #[test]
    fn gradcheck_catches_a_wrong_derivative_and_says_where() {
        let x = ndarray::array![0.5, 1.0, 2.0].into_dyn();
        let report = gradcheck(
            |_, v| Ok(v[0].pointwise(SeedToyWithWrongDerivative).sum()),
            std::slice::from_ref(&x),
            &GradCheckOptions::default(),
        )
        .unwrap();
        // The error is the missing 4 everywhere; relative to
        // max(|true|, |wrong|) it is largest at x = 0.5, where the true
        // derivative is 1.75 and the wrong one -2.25.
        assert_eq!(report.worst_index, vec![0]);
        assert!((report.numeric - report.analytic - 4.0).abs() < 1e-6, "{report}");
        assert!((report.max_rel_error - 4.0 / 2.25).abs() < 1e-6, "{report}");
        // The same function built from tape ops passes.
        let built = gradcheck(
            |_, v| {
                let x = v[0];
                x.powf(3.0).sub(&x.powf(2.0).mul_scalar(3.0))?.add(&x.mul_scalar(4.0))
            },
            &[x],
            &GradCheckOptions::default(),
        )
        .unwrap();
        assert!(built.max_rel_error < testing::TOLERANCE, "{built}");
    }

    #[test]
    fn a_step_that_is_not_positive_is_an_error() {
        let opts = GradCheckOptions { step: 0.0, ..Default::default() };
        let x = ndarray::array![1.0].into_dyn();
        assert!(matches!(gradcheck(|_, v| Ok(v[0].exp()), &[x], &opts), Err(Error::InvalidArgument { .. })));
    }
}
