//! `Sequential`: layers applied in order.

use super::{Module, Param};
use crate::autodiff::{Tape, Var};
use crate::{Element, Result};

/// Layers applied one after the other. Parameters are named
/// `"{index}.{name}"`, as in PyTorch's `nn.Sequential`.
pub struct Sequential<T: Element> {
    layers: Vec<Box<dyn Module<T>>>,
}

impl<T: Element> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> Sequential<T> {
    /// An empty container.
    pub fn new() -> Self {
        Sequential { layers: Vec::new() }
    }

    /// Appends a layer (builder style).
    pub fn with(mut self, layer: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(layer));
        self
    }

    /// Appends a boxed layer.
    pub fn push(&mut self, layer: Box<dyn Module<T>>) {
        self.layers.push(layer);
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no layers.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
}

impl<T: Element> Module<T> for Sequential<T> {
    /// The layers in turn; a layer followed by a 2x2 max pooling with
    /// stride 2 (and a ReLU) is offered the pooling (and the ReLU) to record
    /// with it as one op (a convolution takes them: [`Var::conv2d_max_pool2x2`]
    /// and [`Var::conv2d_max_pool2x2_relu`], the same values and gradients
    /// without keeping the convolution's output or the pooling's), and a
    /// layer followed by a ReLU the ReLU (a linear layer takes it:
    /// [`Var::linear_relu`], the same values and gradients, the ReLU applied
    /// by the product's stores).
    fn forward<'t>(&self, tape: &'t Tape<T>, x: Var<'t, T>) -> Result<Var<'t, T>> {
        let mut x = x;
        let mut i = 0;
        while let Some(layer) = self.layers.get(i) {
            let pooled = self.layers.get(i + 1).and_then(|next| next.max_pool_windows()) == Some(((2, 2), (2, 2)));
            let relu = pooled && self.layers.get(i + 2).is_some_and(|next| next.is_relu());
            let then_relu = !pooled && self.layers.get(i + 1).is_some_and(|next| next.is_relu());
            if let Some(y) = pooled.then(|| layer.forward_then_max_pool2x2(tape, x, relu)).flatten() {
                x = y?;
                i += 2 + usize::from(relu);
            } else if let Some(y) = then_relu.then(|| layer.forward_then_relu(tape, x)).flatten() {
                x = y?;
                i += 2;
            } else {
                x = layer.forward(tape, x)?;
                i += 1;
            }
        }
        Ok(x)
    }
    fn named_parameters(&self) -> Vec<(String, &Param<T>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| {
                layer.named_parameters().into_iter().map(move |(name, p)| (format!("{i}.{name}"), p))
            })
            .collect()
    }
    fn parameters_mut(&mut self) -> Vec<&mut Param<T>> {
        self.layers.iter_mut().flat_map(|layer| layer.parameters_mut()).collect()
    }
    fn set_training(&mut self, training: bool) {
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }
    fn named_buffers(&self) -> Vec<(String, ndarray::ArrayD<f64>)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| layer.named_buffers().into_iter().map(move |(name, b)| (format!("{i}.{name}"), b)))
            .collect()
    }
    fn describe(&self) -> String {
        let inner: Vec<String> = self.layers.iter().map(|l| l.describe()).collect();
        format!("Sequential[{}]", inner.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autodiff::Conv2dOptions;
    use crate::nn::{Conv2d, Flatten, Init, Linear, MaxPool2d, ReLU};
    use crate::rng::seeded;
    use crate::Error;
    use ndarray::ArrayD;

    fn small_cnn() -> Sequential<f32> {
        let mut rng = seeded(0);
        Sequential::new()
            .with(Conv2d::new(1, 4, 3, Conv2dOptions::default(), Init::TorchDefault, &mut rng).unwrap())
            .with(ReLU)
            .with(MaxPool2d::new(2))
            .with(Flatten)
            .with(Linear::new(4 * 3 * 3, 10, Init::TorchDefault, &mut rng).unwrap())
    }

    #[test]
    fn parameters_are_named_and_ordered_as_in_pytorch() {
        let model = small_cnn();
        let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["0.weight", "0.bias", "4.weight", "4.bias"]);
        assert_eq!(model.num_parameters(), 4 * 9 + 4 + 36 * 10 + 10);
        let mut model = model;
        let shapes: Vec<Vec<usize>> = model.parameters_mut().iter().map(|p| p.value().shape().to_vec()).collect();
        assert_eq!(shapes, [vec![4, 1, 3, 3], vec![4], vec![10, 36], vec![10]]);
    }

    #[test]
    fn forward_produces_logits_and_every_parameter_gets_a_gradient() {
        let model = small_cnn();
        let tape = Tape::new();
        let x = tape.constant(ArrayD::from_shape_fn(vec![2, 1, 8, 8], |d| (d[2] * 8 + d[3]) as f32 / 64.0));
        let logits = model.forward(&tape, x).unwrap();
        assert_eq!(logits.shape(), [2, 10]);
        let loss = logits.softmax_cross_entropy(&[3, 7]).unwrap();
        let mut grads = tape.backward(&loss).unwrap();
        for p in model.parameters() {
            let g = grads.take_param(p).unwrap();
            assert_eq!(g.shape(), p.value().shape());
            assert!(g.iter().any(|&v| v != 0.0), "{} got no gradient", p.name());
        }
    }

    #[test]
    fn a_wrong_input_shape_is_an_error_naming_the_layer_op_and_shapes() {
        let model = small_cnn();
        let tape = Tape::new();
        let x = tape.constant(ArrayD::zeros(vec![2, 1, 10, 10])); // flattens to 64, not 36
        let err = model.forward(&tape, x).unwrap_err();
        assert!(
            matches!(&err, Error::Shape { op: "linear", lhs, rhs, .. } if lhs == &[2, 64] && rhs == &[10, 36]),
            "{err}"
        );
    }

    #[test]
    fn a_shared_parameter_gets_the_sum_of_its_gradients() {
        let mut rng = seeded(3);
        let layer = Linear::<f64>::without_bias(2, 2, Init::KaimingNormal, &mut rng).unwrap();
        let tape = Tape::new();
        let x = tape.constant(ndarray::array![[1.0, 2.0]].into_dyn());
        let once = layer.forward(&tape, x).unwrap();
        let twice = layer.forward(&tape, once).unwrap().sum();
        let grads = tape.backward(&twice).unwrap();
        // y = x W^T W^T summed: dW = (1 W + x-part) computed by hand below.
        let w = layer.weight.value().clone().into_dimensionality::<ndarray::Ix2>().unwrap();
        let x = ndarray::array![[1.0, 2.0]];
        let h = x.dot(&w.t());
        let ones = ndarray::Array2::<f64>::ones((1, 2));
        let want = ones.t().dot(&h) + ones.dot(&w).t().dot(&x);
        let got = grads.param(&layer.weight).unwrap();
        assert!((got - &want.into_dyn()).iter().all(|d| d.abs() < 1e-12));
    }

    /// A linear layer and the ReLU after it are recorded as one op
    /// (`linear_relu`), with the values and gradients of the two layers
    /// run one after the other, bit for bit.
    #[test]
    fn a_linear_layer_takes_the_relu_after_it() {
        let mut rng = seeded(5);
        let model = Sequential::<f32>::new()
            .with(Linear::new(30, 20, Init::TorchDefault, &mut rng).unwrap())
            .with(ReLU)
            .with(Linear::new(20, 10, Init::TorchDefault, &mut rng).unwrap());
        let images = crate::autodiff::gradcheck::testing::randn(&[8, 30], 6).mapv(|v| v as f32);
        let run = |fused: bool| {
            let tape = Tape::new();
            let x = tape.constant(images.clone());
            let logits = if fused {
                model.forward(&tape, x).unwrap()
            } else {
                let h = model.layers[1].forward(&tape, model.layers[0].forward(&tape, x).unwrap()).unwrap();
                model.layers[2].forward(&tape, h).unwrap()
            };
            let loss = logits.softmax_cross_entropy(&[0, 1, 2, 3, 4, 5, 6, 7]).unwrap();
            let nodes = tape.len();
            let mut grads = tape.backward(&loss).unwrap();
            let grads: Vec<Vec<u32>> = model
                .parameters()
                .iter()
                .map(|p| grads.take_param(p).unwrap().iter().map(|v| v.to_bits()).collect())
                .collect();
            (loss.item().unwrap().to_bits(), grads, nodes)
        };
        let (fused, apart) = (run(true), run(false));
        assert_eq!((fused.0, &fused.1), (apart.0, &apart.1));
        assert_eq!(fused.2 + 1, apart.2, "one op fewer on the tape");
    }
}
