//! Normalisation layers: batch norm (1-d and 2-d) and layer norm.

use super::{Module, Param};
use crate::autodiff::{GroupStats, Tape, Var};
use crate::{Element, Error, Result};
use ndarray::{ArrayD, IxDyn};
use std::sync::Mutex;

/// PyTorch's default `eps` of both layers.
pub const NORM_EPS: f64 = 1e-5;
/// PyTorch's default `momentum` of batch norm's running statistics.
pub const BN_MOMENTUM: f64 = 0.1;

/// Running statistics of a batch-norm layer.
#[derive(Debug, Clone)]
struct Running<T> {
    mean: Vec<T>,
    var: Vec<T>,
    batches: u64,
}

/// Batch normalisation over the batch (and spatial) axes, one mean and
/// variance per channel (axis 1), followed by a per-channel affine map
/// `y = x̂ γ + β` (Ioffe and Szegedy, 2015).
///
/// `D = 1`: input `(N, C)` or `(N, C, L)` (PyTorch's `nn.BatchNorm1d`);
/// `D = 2`: input `(N, C, H, W)` (`nn.BatchNorm2d`). In training mode it
/// normalises with the batch's mean and biased variance and updates the
/// running statistics, `r ← (1 − momentum) r + momentum s`, with the
/// *unbiased* variance for `running_var` (as PyTorch); in evaluation mode it
/// normalises with the running statistics.
#[derive(Debug)]
pub struct BatchNorm<T: Element, const D: usize> {
    /// γ, `(C)`, initialised to ones.
    pub weight: Param<T>,
    /// β, `(C)`, initialised to zeros.
    pub bias: Param<T>,
    eps: f64,
    momentum: f64,
    training: bool,
    running: Mutex<Running<T>>,
}

/// Batch norm of `(N, C)` or `(N, C, L)` inputs.
pub type BatchNorm1d<T> = BatchNorm<T, 1>;
/// Batch norm of `(N, C, H, W)` inputs.
pub type BatchNorm2d<T> = BatchNorm<T, 2>;

impl<T: Element, const D: usize> BatchNorm<T, D> {
    /// A layer over `channels` with PyTorch's defaults (eps 1e-5, momentum 0.1).
    pub fn new(channels: usize) -> Result<Self> {
        Self::with_options(channels, NORM_EPS, BN_MOMENTUM)
    }

    /// A layer with its own `eps` (> 0) and `momentum` (in `[0, 1]`).
    pub fn with_options(channels: usize, eps: f64, momentum: f64) -> Result<Self> {
        let op = if D == 1 { "BatchNorm1d" } else { "BatchNorm2d" };
        if channels == 0 {
            return Err(Error::invalid(op, "channels", "needs at least one channel"));
        }
        if !(eps.is_finite() && eps > 0.0) {
            return Err(Error::invalid(op, "eps", format!("eps must be finite and > 0, got {eps}")));
        }
        if !(0.0..=1.0).contains(&momentum) {
            return Err(Error::invalid(op, "momentum", format!("momentum must be in [0, 1], got {momentum}")));
        }
        Ok(BatchNorm {
            weight: Param::new("weight", ArrayD::ones(IxDyn(&[channels]))),
            bias: Param::new("bias", ArrayD::zeros(IxDyn(&[channels]))),
            eps,
            momentum,
            training: true,
            running: Mutex::new(Running { mean: vec![T::zero(); channels], var: vec![T::one(); channels], batches: 0 }),
        })
    }

    fn name(&self) -> &'static str {
        if D == 1 {
            "BatchNorm1d"
        } else {
            "BatchNorm2d"
        }
    }

    fn channels(&self) -> usize {
        self.weight.value().len()
    }

    /// Checks the input's rank and channels; returns the shape a per-channel
    /// vector takes to broadcast against it (`[1, C]`, `[1, C, 1]`, ...).
    fn channel_shape(&self, shape: &[usize]) -> Result<Vec<usize>> {
        let ranks: &[usize] = if D == 1 { &[2, 3] } else { &[4] };
        if !ranks.contains(&shape.len()) || shape[1] != self.channels() {
            let want = if D == 1 { "(N, C) or (N, C, L)" } else { "(N, C, H, W)" };
            return Err(Error::shape(
                self.name(),
                shape,
                &[self.channels()],
                format!("expects {want} with C = {}", self.channels()),
            ));
        }
        let mut s = vec![1; shape.len()];
        s[1] = self.channels();
        Ok(s)
    }

    /// Folds a batch's statistics into the running ones.
    fn track(&self, stats: &GroupStats<T>) {
        let mut running = self.running.lock().expect("running statistics");
        let m = T::of(self.momentum);
        let keep = T::one() - m;
        let unbias = T::of(stats.count as f64 / (stats.count - 1) as f64);
        for (r, &s) in running.mean.iter_mut().zip(&stats.mean) {
            *r = keep * *r + m * s;
        }
        for (r, &s) in running.var.iter_mut().zip(&stats.var) {
            *r = keep * *r + m * s * unbias;
        }
        running.batches += 1;
    }
}

impl<T: Element, const D: usize> Module<T> for BatchNorm<T, D> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let per_channel = self.channel_shape(&shape)?;
        let normalized = if self.training {
            let axes: Vec<usize> = (0..shape.len()).filter(|&a| a != 1).collect();
            if shape.iter().enumerate().filter(|&(a, _)| a != 1).map(|(_, &n)| n).product::<usize>() < 2 {
                return Err(Error::invalid(
                    self.name(),
                    "input",
                    format!("training needs more than one value per channel, got shape {shape:?}"),
                ));
            }
            let (xhat, stats) = x.normalize(&axes, self.eps)?;
            self.track(&stats);
            xhat
        } else {
            let running = self.running.lock().expect("running statistics").clone();
            let eps = T::of(self.eps);
            let invstd: Vec<T> = running.var.iter().map(|&v| (v + eps).sqrt().recip()).collect();
            let vector = |v: Vec<T>| tape.constant(ArrayD::from_shape_vec(IxDyn(&per_channel), v).expect("C values"));
            x.sub(&vector(running.mean))?.mul(&vector(invstd))?
        };
        let gamma = tape.param(&self.weight).reshape(&per_channel)?;
        let beta = tape.param(&self.bias).reshape(&per_channel)?;
        normalized.mul(&gamma)?.add(&beta)
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        vec![("weight".into(), &self.weight), ("bias".into(), &self.bias)]
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        vec![&mut self.weight, &mut self.bias]
    }
    fn describe(&self) -> String {
        format!("{}({})", self.name(), self.channels())
    }
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
    fn named_buffers(&self) -> Vec<(String, ArrayD<f64>)> {
        let running = self.running.lock().expect("running statistics");
        let vector = |v: &[T]| ArrayD::from_shape_vec(IxDyn(&[v.len()]), v.iter().map(|x| x.as_f64()).collect());
        vec![
            ("running_mean".into(), vector(&running.mean).expect("C values")),
            ("running_var".into(), vector(&running.var).expect("C values")),
            ("num_batches_tracked".into(), ArrayD::from_elem(IxDyn(&[]), running.batches as f64)),
        ]
    }
}

/// Layer normalisation over the trailing `normalized_shape` axes of each
/// example, followed by an elementwise affine map of that shape (Ba, Kiros
/// and Hinton, 2016). The same in training and evaluation. PyTorch's
/// `nn.LayerNorm(normalized_shape)`.
#[derive(Debug, Clone)]
pub struct LayerNorm<T: Element> {
    /// γ, `normalized_shape`, initialised to ones.
    pub weight: Param<T>,
    /// β, `normalized_shape`, initialised to zeros.
    pub bias: Param<T>,
    eps: f64,
}

impl<T: Element> LayerNorm<T> {
    /// A layer over the trailing axes `normalized_shape`, eps 1e-5.
    pub fn new(normalized_shape: &[usize]) -> Result<Self> {
        Self::with_eps(normalized_shape, NORM_EPS)
    }

    /// A layer with its own `eps` (> 0).
    pub fn with_eps(normalized_shape: &[usize], eps: f64) -> Result<Self> {
        if normalized_shape.is_empty() || normalized_shape.contains(&0) {
            return Err(Error::invalid(
                "LayerNorm",
                "normalized_shape",
                format!("needs non-empty axes of positive size, got {normalized_shape:?}"),
            ));
        }
        if !(eps.is_finite() && eps > 0.0) {
            return Err(Error::invalid("LayerNorm", "eps", format!("eps must be finite and > 0, got {eps}")));
        }
        Ok(LayerNorm {
            weight: Param::new("weight", ArrayD::ones(IxDyn(normalized_shape))),
            bias: Param::new("bias", ArrayD::zeros(IxDyn(normalized_shape))),
            eps,
        })
    }
}

impl<T: Element> Module<T> for LayerNorm<T> {
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let shape = x.shape();
        let normalized = self.weight.value().shape().to_vec();
        let k = normalized.len();
        if shape.len() <= k || shape[shape.len() - k..] != normalized[..] {
            return Err(Error::shape(
                "LayerNorm",
                &shape,
                &normalized,
                "the trailing axes must equal normalized_shape",
            ));
        }
        let axes: Vec<usize> = (shape.len() - k..shape.len()).collect();
        let (xhat, _) = x.normalize(&axes, self.eps)?;
        xhat.mul(&tape.param(&self.weight))?.add(&tape.param(&self.bias))
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        vec![("weight".into(), &self.weight), ("bias".into(), &self.bias)]
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        vec![&mut self.weight, &mut self.bias]
    }
    fn describe(&self) -> String {
        format!("LayerNorm({:?})", self.weight.value().shape())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::gradcheck::testing::{assert_gradcheck, randn};
    use crate::rng::seeded;
    use rand_distr::{Distribution, StandardNormal};

    /// γ and β away from their initial ones and zeros, so that the affine
    /// part's gradients are exercised.
    fn perturbed<const D: usize>(c: usize, seed: u64) -> BatchNorm<f64, D> {
        let mut bn = BatchNorm::<f64, D>::new(c).unwrap();
        let mut rng = seeded(seed);
        let mut draw = |n| ArrayD::from_shape_fn(IxDyn(&[n]), |_| StandardNormal.sample(&mut rng));
        bn.weight.replace(draw(c));
        bn.bias.replace(draw(c));
        bn
    }

    #[test]
    fn batch_norm_gradients_match_central_differences_in_both_modes() {
        for shape in [vec![5, 3], vec![4, 3, 6]] {
            let mut bn = perturbed::<1>(3, 1);
            let x = randn(&shape, 2);
            assert_gradcheck(|tape, v| bn.forward(tape, v[0]), std::slice::from_ref(&x));
            bn.set_training(false);
            assert_gradcheck(|tape, v| bn.forward(tape, v[0]), std::slice::from_ref(&x));
        }
        let mut bn = perturbed::<2>(2, 3);
        let x = randn(&[3, 2, 4, 5], 4);
        assert_gradcheck(|tape, v| bn.forward(tape, v[0]), std::slice::from_ref(&x));
        bn.set_training(false);
        assert_gradcheck(|tape, v| bn.forward(tape, v[0]), std::slice::from_ref(&x));
    }

    #[test]
    fn layer_norm_gradients_match_central_differences() {
        let x = randn(&[3, 4, 5], 5);
        for normalized in [vec![5], vec![4, 5]] {
            let mut ln = LayerNorm::<f64>::new(&normalized).unwrap();
            let mut rng = seeded(6);
            let mut draw = || ArrayD::from_shape_fn(IxDyn(&normalized), |_| StandardNormal.sample(&mut rng));
            ln.weight.replace(draw());
            ln.bias.replace(draw());
            assert_gradcheck(|tape, v| ln.forward(tape, v[0]), std::slice::from_ref(&x));
        }
    }

    #[test]
    fn running_statistics_follow_pytorchs_update_and_count_batches() {
        let bn = BatchNorm1d::<f64>::new(2).unwrap();
        let x = ndarray::array![[1.0, 10.0], [3.0, 20.0], [5.0, 60.0]].into_dyn();
        let tape = Tape::new();
        bn.forward(&tape, tape.constant(x)).unwrap();
        let buffers = bn.named_buffers();
        // Means 3 and 30; unbiased variances 4 and 700.
        let mean = buffers[0].1.as_slice().unwrap();
        assert!((mean[0] - 0.3).abs() < 1e-15 && (mean[1] - 3.0).abs() < 1e-15, "{mean:?}");
        let var = buffers[1].1.as_slice().unwrap();
        assert!((var[0] - (0.9 + 0.4)).abs() < 1e-12 && (var[1] - (0.9 + 70.0)).abs() < 1e-12, "{var:?}");
        assert_eq!(buffers[2].1[[]], 1.0);
    }

    #[test]
    fn evaluation_mode_uses_the_running_statistics_and_does_not_update_them() {
        let mut bn = BatchNorm1d::<f64>::new(1).unwrap();
        bn.set_training(false);
        let tape = Tape::new();
        // Fresh statistics (mean 0, var 1): the output is x / sqrt(1 + eps).
        let y = bn.forward(&tape, tape.constant(ndarray::array![[2.0], [4.0]].into_dyn())).unwrap();
        let scale = (1.0 + NORM_EPS).sqrt();
        assert_eq!(y.value().as_slice().unwrap(), &[2.0 / scale, 4.0 / scale]);
        assert_eq!(bn.named_buffers()[2].1[[]], 0.0);
    }

    #[test]
    fn bad_shapes_and_settings_are_errors() {
        let tape = Tape::<f64>::new();
        let bn = BatchNorm2d::<f64>::new(3).unwrap();
        assert!(matches!(bn.forward(&tape, tape.constant(ArrayD::zeros(IxDyn(&[2, 3])))), Err(Error::Shape { .. })));
        assert!(matches!(
            bn.forward(&tape, tape.constant(ArrayD::zeros(IxDyn(&[2, 4, 2, 2])))),
            Err(Error::Shape { .. })
        ));
        let one = BatchNorm1d::<f64>::new(3).unwrap();
        let err = one.forward(&tape, tape.constant(ArrayD::zeros(IxDyn(&[1, 3])))).unwrap_err();
        assert!(err.to_string().contains("more than one value per channel"), "{err}");
        assert!(BatchNorm1d::<f64>::with_options(3, 0.0, 0.1).is_err());
        assert!(BatchNorm1d::<f64>::with_options(3, 1e-5, 1.5).is_err());
        assert!(BatchNorm1d::<f64>::new(0).is_err());
        let ln = LayerNorm::<f64>::new(&[4]).unwrap();
        assert!(matches!(ln.forward(&tape, tape.constant(ArrayD::zeros(IxDyn(&[2, 5])))), Err(Error::Shape { .. })));
        assert!(LayerNorm::<f64>::new(&[]).is_err());
    }
}
