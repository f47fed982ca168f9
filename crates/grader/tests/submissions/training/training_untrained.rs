// returns the network as it was built: no training at all.
use descent::data::{Batching, MnistSplit};
use descent::nn::{Init, Module, Sequential};
use descent::ndarray::{ArrayD, Axis, IxDyn};
use descent::rng::Rng;
use descent::train::MnistModel;

pub fn train(data: &MnistSplit, seed: u64) -> descent::Result<(MnistModel, Sequential<f32>)> {
    let which = MnistModel::Mlp;
    let mut rng = descent::rng::seeded(seed);
    let mut model = which.build::<f32>(Init::TorchDefault, &mut rng)?;
    fit(&mut model, data, &mut rng)?;
    Ok((which, model))
}

/// The training loop: updates `model` on `data`, drawing any randomness
/// from `rng`.
fn fit(model: &mut Sequential<f32>, data: &MnistSplit, rng: &mut Rng) -> descent::Result<()> {
    let mut optimizer = descent::optim::by_name::<f32>("adam", Some(1e-3))?;
    for _epoch in 0..0 {
        // Mini-batches of 64 in a fresh order each epoch, drawn from `rng`.
        for indices in Batching::MiniBatch(64).epoch(data.len(), Some(rng))?.iter() {
            let images = data.images.select(Axis(0), indices).mapv(|p| f32::from(p) / 255.0);
            let x = ArrayD::from_shape_vec(IxDyn(&[indices.len(), 784]), images.into_raw_vec_and_offset().0)
                .expect("sizes agree");
            let labels: Vec<usize> = indices.iter().map(|&i| data.labels[i] as usize).collect();
            let tape = descent::autodiff::Tape::new();
            let loss = model.forward(&tape, tape.constant(x))?.softmax_cross_entropy(&labels)?;
            let mut grads = tape.backward(&loss)?;
            let grads: Vec<ArrayD<f32>> = model
                .parameters()
                .into_iter()
                .map(|p| grads.take_param(p).unwrap_or_else(|| ArrayD::zeros(p.value().raw_dim())))
                .collect();
            let mut params: Vec<&mut ArrayD<f32>> =
                model.parameters_mut().into_iter().map(|p| p.value_mut()).collect();
            optimizer.step(&mut params, &grads)?;
        }
    }
    Ok(())
}
