//! End to end: a 2-layer MLP learns a toy regression with hand-written SGD,
//! using nothing but the autodiff engine and the layers.

use descent::autodiff::Tape;
use descent::nn::{Init, Linear, Module};
use descent::rng::seeded;
use ndarray::{Array, ArrayD, Axis};

/// `y = sin(2x)` on 64 evenly spaced points of [-2, 2].
fn data() -> (ArrayD<f64>, ArrayD<f64>) {
    let x = Array::linspace(-2.0, 2.0, 64).insert_axis(Axis(1));
    let y = x.mapv(|v: f64| (2.0 * v).sin());
    (x.into_dyn(), y.into_dyn())
}

#[test]
fn two_layer_mlp_trains_with_hand_written_sgd_and_loss_falls_tenfold() {
    let mut rng = seeded(42);
    let mut hidden = Linear::<f64>::new(1, 32, Init::TorchDefault, &mut rng).unwrap();
    let mut output = Linear::<f64>::new(32, 1, Init::TorchDefault, &mut rng).unwrap();
    let (x, y) = data();
    let lr = 0.2;
    let mut losses = Vec::new();
    for _ in 0..3000 {
        let tape = Tape::new();
        let h = hidden.forward(&tape, tape.constant(x.clone())).unwrap().tanh();
        let pred = output.forward(&tape, h).unwrap();
        let loss = pred.mse_loss(&tape.constant(y.clone())).unwrap();
        losses.push(loss.item().unwrap());
        let mut grads = tape.backward(&loss).unwrap();
        let grads: Vec<ArrayD<f64>> =
            hidden.parameters().into_iter().chain(output.parameters()).map(|p| grads.take_param(p).unwrap()).collect();
        drop(tape); // releases the tape's shares: the update below is in place
        for (p, g) in hidden.parameters_mut().into_iter().chain(output.parameters_mut()).zip(&grads) {
            p.value_mut().scaled_add(-lr, g); // theta <- theta - lr * grad
        }
    }
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(losses.iter().all(|l| l.is_finite()));
    assert!(last < first / 10.0, "loss fell from {first} to {last}, less than tenfold");
}
