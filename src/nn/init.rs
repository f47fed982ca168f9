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
        return Err(Error::invalid("init", "shape", format!("{shape:?}: a weight needs at least 2 dimensions (out, in, ...)")));
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
