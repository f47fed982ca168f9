//! The MNIST models, fixed here so that experiments, tests and benchmarks agree.

use crate::nn::{BatchNorm1d, Conv2d, Flatten, Init, LayerNorm, Linear, MaxPool2d, ReLU, Sequential};
use crate::rng::Rng;
use crate::{Element, Result};

/// The input layout a model expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputLayout {
    /// `[batch, 784]`.
    Flat,
    /// `[batch, 1, 28, 28]` (NCHW).
    Image,
}

/// Which of the two MNIST models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MnistModel {
    /// 784 → 256 → ReLU → 256 → ReLU → 10, batch 128.
    Mlp,
    /// Seed 003's CNN: conv 1→16 5×5, ReLU, pool 2; conv 16→32 5×5, ReLU,
    /// pool 2; flatten 512; linear 512→128, ReLU; linear 128→10; batch 512.
    ///
    /// Built with each max-pool before its ReLU: the same function and the
    /// same gradients, bit for bit (ReLU is monotone, so the maximum of the
    /// rectified window is the rectified maximum, and it routes its gradient
    /// to the same input; tested), for a quarter of the ReLU work.
    Cnn,
    /// A deep MLP for initialisation studies: 784 → 256, then nine more
    /// 256 → 256 layers, each followed by ReLU, then 256 → 10; batch 128.
    DeepMlp,
    /// The MLP with batch norm before each hidden ReLU: 784 → 256 → BN →
    /// ReLU → 256 → BN → ReLU → 10; batch 128.
    MlpBatchNorm,
    /// The MLP with layer norm before each hidden ReLU; batch 128.
    MlpLayerNorm,
}

impl MnistModel {
    /// Builds the model with `init` (PyTorch's default for the accuracy bars).
    pub fn build<T: Element>(self, init: Init, rng: &mut Rng) -> Result<Sequential<T>> {
        match self {
            MnistModel::Mlp => Ok(Sequential::new()
                .with(Linear::new(784, 256, init, rng)?)
                .with(ReLU)
                .with(Linear::new(256, 256, init, rng)?)
                .with(ReLU)
                .with(Linear::new(256, 10, init, rng)?)),
            MnistModel::Cnn => {
                let conv = crate::autodiff::Conv2dOptions::default();
                Ok(Sequential::new()
                    .with(Conv2d::new(1, 16, 5, conv, init, rng)?)
                    .with(MaxPool2d::new(2))
                    .with(ReLU)
                    .with(Conv2d::new(16, 32, 5, conv, init, rng)?)
                    .with(MaxPool2d::new(2))
                    .with(ReLU)
                    .with(Flatten)
                    .with(Linear::new(512, 128, init, rng)?)
                    .with(ReLU)
                    .with(Linear::new(128, 10, init, rng)?))
            }
            MnistModel::DeepMlp => {
                let mut net = Sequential::new().with(Linear::new(784, 256, init, rng)?).with(ReLU);
                for _ in 0..9 {
                    net = net.with(Linear::new(256, 256, init, rng)?).with(ReLU);
                }
                Ok(net.with(Linear::new(256, 10, init, rng)?))
            }
            MnistModel::MlpBatchNorm => Ok(Sequential::new()
                .with(Linear::new(784, 256, init, rng)?)
                .with(BatchNorm1d::new(256)?)
                .with(ReLU)
                .with(Linear::new(256, 256, init, rng)?)
                .with(BatchNorm1d::new(256)?)
                .with(ReLU)
                .with(Linear::new(256, 10, init, rng)?)),
            MnistModel::MlpLayerNorm => Ok(Sequential::new()
                .with(Linear::new(784, 256, init, rng)?)
                .with(LayerNorm::new(&[256])?)
                .with(ReLU)
                .with(Linear::new(256, 256, init, rng)?)
                .with(LayerNorm::new(&[256])?)
                .with(ReLU)
                .with(Linear::new(256, 10, init, rng)?)),
        }
    }

    /// Multiply-adds of one example's forward pass, counted from the layer
    /// shapes: `in × out` per linear layer, `out channels × in channels ×
    /// kernel area × output pixels` per convolution. Activations, pooling,
    /// normalisation and the loss are not counted (they are not products).
    ///
    /// The speed benchmarks count a training step as three times this (the
    /// forward product and the two of the backward pass, input and weight
    /// gradient) and an evaluation as once, times two flops per multiply-add.
    pub fn forward_macs(self) -> u64 {
        let linear = |i: u64, o: u64| i * o;
        let conv = |c: u64, o: u64, k: u64, out: u64| o * c * k * k * out * out;
        match self {
            MnistModel::Mlp | MnistModel::MlpBatchNorm | MnistModel::MlpLayerNorm => {
                linear(784, 256) + linear(256, 256) + linear(256, 10)
            }
            MnistModel::DeepMlp => linear(784, 256) + 9 * linear(256, 256) + linear(256, 10),
            // 28 -> conv 5 -> 24 -> pool -> 12 -> conv 5 -> 8 -> pool -> 4.
            MnistModel::Cnn => conv(1, 16, 5, 24) + conv(16, 32, 5, 8) + linear(512, 128) + linear(128, 10),
        }
    }

    /// The batch size the seeds and the issue fix for this model.
    pub fn batch_size(self) -> usize {
        match self {
            MnistModel::Mlp | MnistModel::DeepMlp | MnistModel::MlpBatchNorm | MnistModel::MlpLayerNorm => 128,
            MnistModel::Cnn => 512,
        }
    }

    /// The input layout.
    pub fn layout(self) -> InputLayout {
        match self {
            MnistModel::Mlp | MnistModel::DeepMlp | MnistModel::MlpBatchNorm | MnistModel::MlpLayerNorm => {
                InputLayout::Flat
            }
            MnistModel::Cnn => InputLayout::Image,
        }
    }

    /// `"mlp"`, `"cnn"`, `"deep_mlp"`, `"mlp_batch_norm"` or `"mlp_layer_norm"`.
    pub fn name(self) -> &'static str {
        match self {
            MnistModel::Mlp => "mlp",
            MnistModel::Cnn => "cnn",
            MnistModel::DeepMlp => "deep_mlp",
            MnistModel::MlpBatchNorm => "mlp_batch_norm",
            MnistModel::MlpLayerNorm => "mlp_layer_norm",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Module;
    use crate::rng::seeded;

    #[test]
    fn forward_macs_follow_the_layer_shapes() {
        // Linear layers only: one multiply-add per weight.
        for model in [MnistModel::Mlp, MnistModel::DeepMlp] {
            let net = model.build::<f32>(Init::TorchDefault, &mut seeded(0)).unwrap();
            let weights: usize = net
                .named_parameters()
                .iter()
                .filter(|(n, _)| n.ends_with("weight"))
                .map(|(_, p)| p.value().len())
                .sum();
            assert_eq!(model.forward_macs(), weights as u64, "{}", model.name());
        }
        // The figures: about 97 GFLOP (MLP) and 400 GFLOP (CNN) per
        // epoch of 60,000 images, at 6 flops per multiply-add.
        assert_eq!(MnistModel::Mlp.forward_macs(), 268_800);
        assert_eq!(MnistModel::Cnn.forward_macs(), 230_400 + 819_200 + 65_536 + 1_280);
    }

    #[test]
    fn the_cnn_pooling_before_relu_is_the_seeds_cnn_bit_for_bit() {
        // The seed's order (conv, ReLU, pool), same weights: the loss and
        // every gradient must be the same bits. The inputs are centred, so
        // that many windows are all negative (ReLU zero, gradient zero
        // either way) and some hold ties.
        let built = MnistModel::Cnn.build::<f32>(Init::TorchDefault, &mut seeded(4)).unwrap();
        let conv = crate::autodiff::Conv2dOptions::default();
        let mut rng = seeded(4);
        let seeds = Sequential::new()
            .with(Conv2d::new(1, 16, 5, conv, Init::TorchDefault, &mut rng).unwrap())
            .with(ReLU)
            .with(MaxPool2d::new(2))
            .with(Conv2d::new(16, 32, 5, conv, Init::TorchDefault, &mut rng).unwrap())
            .with(ReLU)
            .with(MaxPool2d::new(2))
            .with(Flatten)
            .with(Linear::new(512, 128, Init::TorchDefault, &mut rng).unwrap())
            .with(ReLU)
            .with(Linear::new(128, 10, Init::TorchDefault, &mut rng).unwrap());
        let x = ndarray::ArrayD::from_shape_fn(vec![20, 1, 28, 28], |d| {
            // Coarse levels (ties) with a sign that varies over the image.
            let v = ((d[0] * 7 + d[2] * 3 + d[3] * 5) % 11) as f32 / 4.0 - 1.3;
            if (d[2] / 6 + d[3] / 6) % 3 == 0 {
                v.min(0.0)
            } else {
                v
            }
        });
        let labels: Vec<usize> = (0..20).map(|i| i % 10).collect();
        let bits = |a: &ndarray::ArrayD<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        let run = |net: &Sequential<f32>| {
            let tape = crate::autodiff::Tape::new();
            let loss = net.forward(&tape, tape.constant(x.clone())).unwrap().softmax_cross_entropy(&labels).unwrap();
            let mut grads = tape.backward(&loss).unwrap();
            let mut out = vec![bits(&loss.value().to_owned())];
            out.extend(net.parameters().iter().map(|p| bits(&grads.take_param(p).unwrap())));
            out
        };
        let (a, b) = (run(&built), run(&seeds));
        assert_eq!(a.len(), 9);
        assert!(a.iter().skip(1).all(|g| g.iter().any(|&v| v != 0)), "every gradient nonzero");
        assert_eq!(a, b);
    }
}
