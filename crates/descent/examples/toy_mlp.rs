//! The main job until the report exists: fit `y = sin(2x)` with a 1-32-1 tanh
//! MLP and plain gradient descent, printing the loss as it falls.
//!
//! Run with `cargo run --release --example toy_mlp`.

use descent::autodiff::Tape;
use descent::nn::{Init, Linear, Module};
use descent::rng::seeded;
use ndarray::{Array, ArrayD, Axis};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = seeded(42);
    let mut hidden = Linear::<f64>::new(1, 32, Init::TorchDefault, &mut rng)?;
    let mut output = Linear::<f64>::new(32, 1, Init::TorchDefault, &mut rng)?;
    let x = Array::linspace(-2.0, 2.0, 64).insert_axis(Axis(1));
    let y = x.mapv(|v: f64| (2.0 * v).sin()).into_dyn();
    let x = x.into_dyn();
    let lr = 0.2;
    println!("step  mse");
    for step in 0..=3000 {
        let tape = Tape::new();
        let h = hidden.forward(&tape, tape.constant(x.clone()))?.tanh();
        let loss = output.forward(&tape, h)?.mse_loss(&tape.constant(y.clone()))?;
        if step % 500 == 0 {
            println!("{step:>4}  {:.6}", loss.item().ok_or("the loss is a scalar")?);
        }
        let mut grads = tape.backward(&loss)?;
        let grads: Vec<ArrayD<f64>> = hidden
            .parameters()
            .into_iter()
            .chain(output.parameters())
            .map(|p| grads.take_param(p).ok_or("every parameter is used"))
            .collect::<Result<_, _>>()?;
        drop(tape);
        for (p, g) in hidden.parameters_mut().into_iter().chain(output.parameters_mut()).zip(&grads) {
            p.value_mut().scaled_add(-lr, g);
        }
    }
    Ok(())
}
