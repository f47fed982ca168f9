//! The training assignment: a student trains one of descent's MNIST models
//! with descent's library, inside the run's cell, on the training examples
//! the grader sends; the cell returns the trained parameters, and the
//! grader measures the model's accuracy on held-out images that never
//! enter the cell (MNIST's test split). Points grow linearly from none at
//! the case's `floor` accuracy to all at its `target`.

use crate::child::converse;
use crate::model::TrainingCase;
use crate::sandbox::Limits;
use crate::score::{TestResult, TestSpec};
use crate::wire::{self, put_u32, Frames};
use descent::data::{Mnist, MnistSplit};
use descent::nn::{Init, Module};
use descent::train::{evaluate, MnistData, MnistModel};
use descent::{Error, Result};
use ndarray::{ArrayD, IxDyn};
use std::path::Path;
use std::time::Duration;

/// The models a submission may return (their parameters are all they
/// have: batch norm's running statistics would not leave the cell).
const RETURNABLE: [MnistModel; 4] = [MnistModel::Mlp, MnistModel::Cnn, MnistModel::DeepMlp, MnistModel::MlpLayerNorm];

/// MNIST, read once per process (`MNIST_DIR`, `data/mnist/`).
fn mnist() -> Result<&'static Mnist> {
    static MNIST: std::sync::OnceLock<std::result::Result<Mnist, String>> = std::sync::OnceLock::new();
    MNIST.get_or_init(|| Mnist::load(None).map_err(|e| e.to_string())).as_ref().map_err(|e| Error::data("MNIST", e))
}

/// The runner's input: the training examples only.
fn input(train: &MnistSplit, seed: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(16 + train.images.len() + train.len());
    for n in [train.rows, train.cols, train.len(), seed as usize] {
        put_u32(&mut b, n).expect("a write to memory");
    }
    b.extend(train.images.iter());
    b.extend(&train.labels);
    b
}

/// A parameter as the cell returned it: its name, shape and values.
type Named = (String, Vec<usize>, Vec<f64>);

/// What the cell returned: the model and its parameters by name, or why
/// there are none.
struct Returned {
    outcome: std::result::Result<(String, Vec<Named>), String>,
    seconds: f64,
}

fn parse(out: &[u8]) -> Option<Returned> {
    let mut f = Frames::new(out);
    let outcome = match f.u8()? {
        wire::VALUES => {
            let name = f.text()?;
            let k = f.u32()?;
            let mut params = Vec::with_capacity(k.min(64));
            for _ in 0..k.min(64) {
                let pname = f.text()?;
                let rank = f.u32()?;
                let shape = (0..rank.min(8)).map(|_| f.u32()).collect::<Option<Vec<_>>>()?;
                let n = f.u32()?;
                params.push((pname, shape, f.f64s(n)?));
            }
            Ok((name, params))
        }
        wire::PANICKED => Err(f.text()?),
        _ => return None,
    };
    (f.u8()? == wire::END).then_some(())?;
    Some(Returned { outcome, seconds: f.f64s(1)?[0] })
}

/// The trained model rebuilt outside the cell from what it returned.
fn rebuild(name: &str, params: &[Named]) -> std::result::Result<(MnistModel, descent::nn::Sequential<f32>), String> {
    let which = RETURNABLE.into_iter().find(|m| m.name() == name).ok_or_else(|| {
        let names: Vec<&str> = RETURNABLE.iter().map(|m| m.name()).collect();
        format!("train returned the model {name:?}; a trained model is one of {}", names.join(", "))
    })?;
    let mut rng = descent::rng::seeded(0);
    let mut model = which.build::<f32>(Init::TorchDefault, &mut rng).map_err(|e| e.to_string())?;
    let expected: Vec<(String, Vec<usize>)> =
        model.named_parameters().into_iter().map(|(n, p)| (n, p.value().shape().to_vec())).collect();
    let got: Vec<(String, Vec<usize>)> = params.iter().map(|(n, s, _)| (n.clone(), s.clone())).collect();
    if expected != got {
        return Err(format!(
            "the returned parameters are not those of {name}: {} named and shaped otherwise",
            expected.iter().zip(&got).filter(|(a, b)| a != b).count() + expected.len().abs_diff(got.len())
        ));
    }
    for (p, (pname, shape, values)) in model.parameters_mut().into_iter().zip(params) {
        let v: Vec<f32> = values.iter().map(|&x| x as f32).collect();
        let array =
            ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|_| format!("{pname}: values do not fit its shape"))?;
        p.set(array);
    }
    model.set_training(false);
    Ok((which, model))
}

/// Runs the training of `spec` on `case` in a cell, evaluates what comes
/// back on the held-out images, and scores it.
pub fn run_and_score(binary: &Path, spec: &TestSpec, case: &TrainingCase, timeout: Duration) -> Result<TestResult> {
    let data = mnist()?;
    if case.train_examples > data.train.len() || case.held_out_offset + case.held_out_examples > data.test.len() {
        return Err(Error::data(&case.name, "more examples than MNIST has"));
    }
    let train = data.train.head(case.train_examples);
    let limits = Limits { cpu_seconds: timeout.as_secs() + 5, memory_bytes: 2 << 30, ..Limits::RUN };
    let (failure, out, stderr) = converse(binary, input(&train, case.seed), timeout, limits)?;
    let returned = parse(&out);
    let fail = |output: String, seconds: f64| Ok(TestResult::new(spec, 0.0, output, None, seconds));
    let Some(Returned { outcome, seconds }) = returned else {
        let why = failure.unwrap_or_else(|| "the runner's output is malformed".into());
        let said = stderr.lines().next().map(|l| format!(" ({l})")).unwrap_or_default();
        return fail(format!("no trained model came back: {why}{said}"), 0.0);
    };
    let (name, params) = match outcome {
        Ok(x) => x,
        Err(why) => return fail(why, seconds),
    };
    let (which, model) = match rebuild(&name, &params) {
        Ok(m) => m,
        Err(why) => return fail(why, seconds),
    };
    let held_out = data.test.head(case.held_out_offset + case.held_out_examples).tail(case.held_out_examples);
    let (_, accuracy) = evaluate(&model, &MnistData::new(&held_out, which.layout()), 1000)?;
    let accuracy = accuracy.expect("classes give an accuracy");
    let share = ((accuracy - case.floor) / (case.target - case.floor)).clamp(0.0, 1.0);
    let share = if share.is_nan() { 0.0 } else { share };
    let output = format!(
        "held-out accuracy {:.2} % on {} images the submission never saw (all points at {:.2} %, none at {:.2} % \
         or below); {} trained on {} examples in {seconds:.1} s (limit {} s)",
        100.0 * accuracy,
        held_out.len(),
        100.0 * case.target,
        100.0 * case.floor,
        which.name(),
        train.len(),
        timeout.as_secs_f64()
    );
    Ok(TestResult::new(spec, spec.points * share, output, None, seconds))
}
