//! Seeded weight initialisers: He (Kaiming), Xavier (Glorot), PyTorch's defaults.
//!
//! Fan-in and fan-out follow PyTorch: for a weight `(out, in, k...)`,
//! `fan_in = in * prod(k)` and `fan_out = out * prod(k)`.
//!
//! Why He's variance `2 / fan_in` (seed 004, "Initialization"): for
//! `z = W a` with `a = relu(z_prev)`, `Var(z) = fan_in Var(w) E[a^2]`, and ReLU
//! halves the second moment of a symmetric input, `E[a^2] = Var(z_prev) / 2`.
//! So `Var(w) = 2 / fan_in` keeps `Var(z)` the same in every layer; Xavier's
//! `2 / (fan_in + fan_out)` (derived for linear/tanh units) halves it at
//! every ReLU layer.
//!
//! References: He et al. 2015, <https://arxiv.org/abs/1502.01852>; Glorot &
//! Bengio 2010, "Understanding the difficulty of training deep feedforward
//! neural networks"; PyTorch `torch/nn/modules/linear.py` (`reset_parameters`).

use crate::rng::Rng;
use crate::{Element, Error, Result};
use ndarray::{ArrayD, IxDyn};
use ndarray_rand::rand_distr::{Normal, Uniform};
use ndarray_rand::RandomExt;

/// How to initialise a layer's weight and bias.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Init {
    /// PyTorch's default for `nn.Linear` and `nn.Conv2d`:
    /// weight `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` (kaiming_uniform with
    /// `a = sqrt(5)`), bias the same.
    TorchDefault,
    /// He normal: weight `N(0, 2 / fan_in)`, bias 0.
    KaimingNormal,
    /// He uniform: weight `U(-sqrt(6 / fan_in), sqrt(6 / fan_in))`, bias 0.
    KaimingUniform,
    /// Glorot normal: weight `N(0, 2 / (fan_in + fan_out))`, bias 0.
    XavierNormal,
    /// Glorot uniform: weight `U(-sqrt(6 / (fan_in + fan_out)), ..)`, bias 0.
    XavierUniform,
    /// A fixed standard deviation, weight `N(0, std^2)`, bias 0 (the "naive"
    /// small random init that seed 004 contrasts with He's).
    Normal {
        /// Standard deviation of every weight.
        std: f64,
    },
}

/// `(fan_in, fan_out)` of a weight shape `(out, in, k...)`.
pub fn fans(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::invalid(
            "init",
            "shape",
            format!("{shape:?}: a weight needs at least 2 dimensions (out, in, ...)"),
        ));
    }
    let receptive: usize = shape[2..].iter().product();
    Ok((shape[1] * receptive, shape[0] * receptive))
}

fn uniform<T: Element>(shape: &[usize], bound: f64, rng: &mut Rng) -> ArrayD<T> {
    if bound == 0.0 {
        return ArrayD::zeros(IxDyn(shape));
    }
    ArrayD::random_using(IxDyn(shape), Uniform::new(-bound, bound), rng).mapv(T::of)
}

fn normal<T: Element>(shape: &[usize], std: f64, rng: &mut Rng) -> ArrayD<T> {
    let dist = Normal::new(0.0, std).expect("std is finite and non-negative");
    ArrayD::random_using(IxDyn(shape), dist, rng).mapv(T::of)
}

impl Init {
    /// A weight of `shape` drawn from this initialiser.
    pub fn weight<T: Element>(self, shape: &[usize], rng: &mut Rng) -> Result<ArrayD<T>> {
        let (fan_in, fan_out) = fans(shape)?;
        let (fan_in, fan_out) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        Ok(match self {
            Init::TorchDefault => uniform(shape, 1.0 / fan_in.sqrt(), rng),
            Init::KaimingNormal => normal(shape, (2.0 / fan_in).sqrt(), rng),
            Init::KaimingUniform => uniform(shape, (6.0 / fan_in).sqrt(), rng),
            Init::XavierNormal => normal(shape, (2.0 / (fan_in + fan_out)).sqrt(), rng),
            Init::XavierUniform => uniform(shape, (6.0 / (fan_in + fan_out)).sqrt(), rng),
            Init::Normal { std } => {
                if !(std >= 0.0 && std.is_finite()) {
                    return Err(Error::invalid("init", "std", format!("{std} must be finite and non-negative")));
                }
                normal(shape, std, rng)
            }
        })
    }

    /// A bias of `len` entries for a weight with fan-in `fan_in`.
    pub fn bias<T: Element>(self, len: usize, fan_in: usize, rng: &mut Rng) -> ArrayD<T> {
        match self {
            Init::TorchDefault => uniform(&[len], 1.0 / (fan_in.max(1) as f64).sqrt(), rng),
            _ => ArrayD::zeros(IxDyn(&[len])),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;
    use ndarray::Array2;

    fn sample_std(a: &ArrayD<f64>) -> f64 {
        let mean = a.mean().unwrap();
        (a.mapv(|v| (v - mean).powi(2)).mean().unwrap()).sqrt()
    }

    #[test]
    fn fans_follow_pytorch() {
        assert_eq!(fans(&[256, 784]).unwrap(), (784, 256));
        assert_eq!(fans(&[32, 16, 5, 5]).unwrap(), (400, 800));
        assert!(fans(&[3]).is_err());
    }

    #[test]
    fn distributions_have_the_documented_scale() {
        let mut rng = seeded(1);
        let shape = [400, 300]; // fan_in 300, fan_out 400: 120,000 draws
        let close = |got: f64, want: f64| (got / want - 1.0).abs() < 0.01;
        let he: ArrayD<f64> = Init::KaimingNormal.weight(&shape, &mut rng).unwrap();
        assert!(close(sample_std(&he), (2.0f64 / 300.0).sqrt()));
        let he_u: ArrayD<f64> = Init::KaimingUniform.weight(&shape, &mut rng).unwrap();
        assert!(close(sample_std(&he_u), (2.0f64 / 300.0).sqrt()));
        let xavier: ArrayD<f64> = Init::XavierNormal.weight(&shape, &mut rng).unwrap();
        assert!(close(sample_std(&xavier), (2.0f64 / 700.0).sqrt()));
        let torch: ArrayD<f64> = Init::TorchDefault.weight(&shape, &mut rng).unwrap();
        let bound = 1.0 / 300f64.sqrt();
        assert!(torch.iter().all(|v| v.abs() <= bound));
        assert!(close(sample_std(&torch), bound / 3f64.sqrt()));
        let bias: ArrayD<f64> = Init::TorchDefault.bias(400, 300, &mut rng);
        assert!(bias.iter().all(|v| v.abs() <= bound) && bias.iter().any(|&v| v != 0.0));
        assert!(Init::KaimingNormal.bias::<f64>(4, 300, &mut rng).iter().all(|&v| v == 0.0));
        assert!(Init::Normal { std: -1.0 }.weight::<f64>(&shape, &mut rng).is_err());
    }

    #[test]
    fn the_same_seed_gives_the_same_weights() {
        let a: ArrayD<f32> = Init::KaimingNormal.weight(&[8, 4], &mut seeded(7)).unwrap();
        let b: ArrayD<f32> = Init::KaimingNormal.weight(&[8, 4], &mut seeded(7)).unwrap();
        let c: ArrayD<f32> = Init::KaimingNormal.weight(&[8, 4], &mut seeded(8)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    /// Variance of the pre-activations of layer 10 over that of layer 1, for
    /// stacks `a_l = W_l relu(a_{l-1})` of 512-wide bias-free layers fed
    /// standard normal inputs. The variance is the one of the derivation,
    /// taken over the random weights as well as the inputs: the mean of
    /// `a^2` over units, samples and 8 independently drawn networks
    /// (`E[a] = 0` over the weights). One network alone is a noisy estimate:
    /// deep ReLU features of different samples become correlated, so each
    /// layer's factor fluctuates by ~sqrt(2 / width) whatever the batch size,
    /// which compounds over nine layers.
    fn variance_ratio_through_ten_relu_layers(init: Init) -> f64 {
        let (width, networks) = (512, 8);
        let mut second_moments = [0.0; 10];
        for network in 0..networks {
            let mut rng = seeded(2024 + network);
            let x: ArrayD<f64> = Init::Normal { std: 1.0 }.weight(&[500, width], &mut rng).unwrap();
            let mut h = x.into_dimensionality::<ndarray::Ix2>().unwrap();
            for (layer, moment) in second_moments.iter_mut().enumerate() {
                let w: Array2<f64> = init.weight(&[width, width], &mut rng).unwrap().into_dimensionality().unwrap();
                let input = if layer == 0 { h.clone() } else { h.mapv(|v| v.max(0.0)) };
                h = input.dot(&w.t());
                *moment += h.mapv(|v| v * v).mean().unwrap() / networks as f64;
            }
        }
        second_moments[9] / second_moments[0]
    }

    /// Seed 004 ("He initialization"): with `var(w) = 2 / M`, each layer
    /// multiplies the pre-activation variance by `M var(w) / 2 = 1`; with
    /// Xavier's `1 / M` (here fan_in = fan_out = M) by 1/2, and with a naive
    /// `std = 0.01` by `M 1e-4 / 2 = 0.0128`. Nine layers after the first:
    /// He keeps the ratio at 1 (allowed: within a factor sqrt(2), i.e. less
    /// than half of one halving), Xavier gives 2^-9, naive 0.0128^9.
    #[test]
    fn he_init_keeps_activation_variance_through_ten_relu_layers() {
        let he = variance_ratio_through_ten_relu_layers(Init::KaimingNormal);
        assert!((0.5f64.sqrt()..2f64.sqrt()).contains(&he), "He: variance ratio {he}");
        let he_uniform = variance_ratio_through_ten_relu_layers(Init::KaimingUniform);
        assert!((0.5f64.sqrt()..2f64.sqrt()).contains(&he_uniform), "He uniform: variance ratio {he_uniform}");
        let xavier = variance_ratio_through_ten_relu_layers(Init::XavierNormal);
        let want = 0.5f64.powi(9);
        assert!(
            (want / 2f64.sqrt()..want * 2f64.sqrt()).contains(&xavier),
            "Xavier: variance ratio {xavier}, theory {want}"
        );
        let naive = variance_ratio_through_ten_relu_layers(Init::Normal { std: 0.01 });
        assert!(naive < 1e-12, "naive: variance ratio {naive}");
    }
}
