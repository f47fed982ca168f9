//! Normalisation over a group of axes: the core of batch and layer norm.

use crate::autodiff::{Backward, Var};
use crate::kernels::transpose::permuted;
use crate::{Element, Error, Result};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

/// The statistics a [`Var::normalize`] computed, one entry per group (the
/// kept axes' indices in row-major order).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStats<T> {
    /// Mean of each group.
    pub mean: Vec<T>,
    /// Biased variance of each group (divided by `count`).
    pub var: Vec<T>,
    /// Elements per group.
    pub count: usize,
}

struct Normalize<T> {
    /// `x̂` with the kept axes first and the normalised axes last, one
    /// contiguous chunk of `count` per group.
    xhat: Vec<T>,
    /// `1 / sqrt(var + eps)` per group.
    invstd: Vec<T>,
    count: usize,
    /// Axis order of the grouped layout (kept axes, then normalised ones).
    perm: Vec<usize>,
}

/// `a` with its axes in the order `perm`, as one contiguous buffer
/// (a copy of `a`'s when `perm` is the identity and `a` is standard).
fn grouped<T: Element>(a: &ArrayD<T>, perm: &[usize]) -> Vec<T> {
    match a.as_slice() {
        Some(s) => permuted(s, a.shape(), perm),
        None => a.view().permuted_axes(IxDyn(perm)).iter().copied().collect(),
    }
}

/// The inverse of [`grouped`]: `data` laid out in the order `perm`, back in
/// `shape`'s order.
fn ungrouped<T: Element>(data: Vec<T>, shape: &[usize], perm: &[usize]) -> ArrayD<T> {
    let data = if perm.iter().enumerate().all(|(i, &p)| i == p) {
        data
    } else {
        let mut inverse = vec![0; perm.len()];
        for (i, &p) in perm.iter().enumerate() {
            inverse[p] = i;
        }
        let grouped_shape: Vec<usize> = perm.iter().map(|&a| shape[a]).collect();
        permuted(&data, &grouped_shape, &inverse)
    };
    ArrayD::from_shape_vec(IxDyn(shape), data).expect("grouped size")
}

impl<T: Element> Backward<T> for Normalize<T> {
    fn backward(&self, inputs: &[&ArrayD<T>], _: &ArrayD<T>, grad: ArrayD<T>, _: &[bool]) -> Vec<Option<ArrayD<T>>> {
        // Per group, with g the upstream gradient and M = count:
        // dx = invstd / M * (M g - sum(g) - x̂ sum(g x̂)).
        let mut g = grouped(&grad, &self.perm);
        let m = T::of(self.count as f64);
        g.par_chunks_mut(self.count).zip(self.xhat.par_chunks(self.count)).zip(self.invstd.par_iter()).for_each(
            |((g, xhat), &invstd)| {
                let (mut sum_g, mut sum_gx) = (T::zero(), T::zero());
                for (&g, &x) in g.iter().zip(xhat) {
                    sum_g += g;
                    sum_gx += g * x;
                }
                let scale = invstd / m;
                for (g, &x) in g.iter_mut().zip(xhat) {
                    *g = scale * (m * *g - sum_g - x * sum_gx);
                }
            },
        );
        vec![Some(ungrouped(g, inputs[0].shape(), &self.perm))]
    }
}

impl<'t, T: Element> Var<'t, T> {
    /// Normalisation over `axes`: `y = (x - mean) / sqrt(var + eps)`, with
    /// the mean and the biased variance taken over the elements that share
    /// the indices of the other (kept) axes. Returns `y` and the statistics
    /// of each group.
    ///
    /// Batch norm of `(N, C, H, W)` normalises over `[0, 2, 3]` (one group
    /// per channel), layer norm over the trailing axes.
    ///
    /// # Gradient
    /// Per group of `M` elements with `x̂ = y`:
    /// `dx = invstd / M * (M grad - sum(grad) - x̂ sum(grad x̂))`
    ///
    /// # Shapes
    /// `y` has the shape of `x`; `axes` strictly increasing, in range.
    ///
    /// PyTorch equivalent: `F.batch_norm(x, None, None, training=True, eps=eps)`
    /// (axes all but 1) or `F.layer_norm(x, x.shape[k:], eps=eps)` (axes `k..`),
    /// without their affine part.
    pub fn normalize(&self, axes: &[usize], eps: f64) -> Result<(Var<'t, T>, GroupStats<T>)> {
        let x = self.value();
        let shape = x.shape().to_vec();
        if axes.is_empty() || axes.windows(2).any(|w| w[0] >= w[1]) || axes.iter().any(|&a| a >= shape.len()) {
            return Err(Error::invalid(
                "normalize",
                "axes",
                format!("axes {axes:?} must be non-empty, strictly increasing and within shape {shape:?}"),
            ));
        }
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(Error::invalid("normalize", "eps", format!("eps must be finite and >= 0, got {eps}")));
        }
        let count: usize = axes.iter().map(|&a| shape[a]).product();
        if count == 0 {
            return Err(Error::invalid("normalize", "axes", format!("axes {axes:?} of shape {shape:?} are empty")));
        }
        let perm: Vec<usize> = (0..shape.len()).filter(|a| !axes.contains(a)).chain(axes.iter().copied()).collect();
        let mut data = grouped(&x, &perm);
        let groups = data.len() / count;
        let (mut mean, mut var, mut invstd) =
            (vec![T::zero(); groups], vec![T::zero(); groups], vec![T::zero(); groups]);
        let (m, eps) = (T::of(count as f64), T::of(eps));
        data.par_chunks_mut(count)
            .zip(mean.par_iter_mut().zip(var.par_iter_mut()).zip(invstd.par_iter_mut()))
            .for_each(|(group, ((mean, var), invstd))| {
                // Two passes: the mean, then the mean squared deviation.
                *mean = group.iter().copied().sum::<T>() / m;
                *var = group.iter().map(|&v| (v - *mean) * (v - *mean)).sum::<T>() / m;
                *invstd = (*var + eps).sqrt().recip();
                for v in group.iter_mut() {
                    *v = (*v - *mean) * *invstd;
                }
            });
        let y = ungrouped(data.clone(), &shape, &perm);
        let op = Normalize { xhat: data, invstd, count, perm };
        Ok((self.tape.push(y, &[self.id], op), GroupStats { mean, var, count }))
    }
}

#[cfg(test)]
mod tests {
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::autodiff::Tape;
    use crate::Error;

    #[test]
    fn gradients_match_central_differences_for_every_grouping() {
        let x = randn(&[4, 3, 2, 5], 21);
        for axes in [vec![0, 2, 3], vec![1, 2, 3], vec![3], vec![0], vec![0, 1, 2, 3], vec![1, 3]] {
            assert_gradcheck(|_, v| Ok(v[0].normalize(&axes, 1e-5)?.0), std::slice::from_ref(&x));
        }
    }

    #[test]
    fn each_group_has_mean_zero_and_unit_variance() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(randn(&[6, 3, 4], 22) * 3.0 + 2.0);
        let (y, stats) = x.normalize(&[0, 2], 0.0).unwrap();
        assert_eq!((stats.mean.len(), stats.count), (3, 24));
        let y = y.value();
        for c in 0..3 {
            let group = y.index_axis(ndarray::Axis(1), c);
            let mean = group.mean().unwrap();
            let var = group.mapv(|v| (v - mean) * (v - mean)).mean().unwrap();
            assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12, "channel {c}: mean {mean}, var {var}");
        }
    }

    #[test]
    fn bad_axes_and_eps_are_errors() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(randn(&[2, 3], 23));
        for axes in [vec![], vec![1, 0], vec![2], vec![0, 0]] {
            assert!(
                matches!(x.normalize(&axes, 1e-5), Err(Error::InvalidArgument { op: "normalize", .. })),
                "{axes:?}"
            );
        }
        assert!(x.normalize(&[0], -1.0).is_err());
        assert!(x.normalize(&[0], f64::NAN).is_err());
    }
}
