//! The autodiff ops against PyTorch.
//!
//! Produced by: `python scripts/golden/ops.py` (torch.nn.functional's
//! conv2d, max_pool2d, cross_entropy, log_softmax, batch_norm (training
//! mode, and evaluation after `nn.BatchNorm2d` tracked two batches),
//! layer_norm and a linear-ReLU-linear MLP with cross-entropy), which writes `tests/golden/ops.json`. Each case
//! stores its inputs, the upstream gradient `r`, the output `y` and the
//! gradient of `sum(y * r)` with respect to every input. Forward outputs and
//! every input gradient must match to 1e-5 (float32) and 1e-10 (float64).
//! The edge cases (ReLU at NaN, -0 and infinities) must match bit for bit,
//! NaN for NaN and the sign of every zero.

mod common;

use common::{assert_close, golden, tolerance, Tensor};
use descent::autodiff::{Conv2dOptions, Tape, Var};
use descent::nn::{BatchNorm1d, BatchNorm2d, LayerNorm, Module};
use descent::{Element, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct File {
    cases: Vec<Case>,
    edges: Vec<Edge>,
}

/// An op at the edges of IEEE arithmetic (NaN, -0, infinities), its values
/// as Python's repr of them ("nan", "-0.0", "inf"): JSON has no NaN.
#[derive(Deserialize)]
struct Edge {
    name: String,
    op: String,
    dtype: String,
    x: Vec<String>,
    upstream: Vec<String>,
    output: Vec<String>,
    grad: Vec<String>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    op: String,
    dtype: String,
    params: BTreeMap<String, Vec<usize>>,
    inputs: BTreeMap<String, Tensor>,
    upstream: Tensor,
    output: Tensor,
    grads: BTreeMap<String, Tensor>,
    labels: Option<Vec<usize>>,
    /// Inputs that are not differentiated (batches a layer saw before).
    #[serde(default)]
    data: BTreeMap<String, Tensor>,
    /// A layer's buffers after the case (running statistics).
    #[serde(default)]
    buffers: BTreeMap<String, Tensor>,
}

fn pair(params: &BTreeMap<String, Vec<usize>>, key: &str) -> (usize, usize) {
    let v = &params[key];
    (v[0], v[1])
}

/// A normalisation layer of the case, with γ = `w` and β = `b` from the
/// case's inputs, after it saw the case's `data` batches in training mode.
fn layer<T: Element>(case: &Case) -> Box<dyn Module<T>> {
    let c = |name: &str| case.inputs[name].shape.clone();
    let mut layer: Box<dyn Module<T>> = match case.op.as_str() {
        "batch_norm" if case.params["dims"] == [1] => Box::new(BatchNorm1d::<T>::new(c("w")[0]).unwrap()),
        "batch_norm" | "batch_norm_running" => Box::new(BatchNorm2d::<T>::new(c("w")[0]).unwrap()),
        "layer_norm" => Box::new(LayerNorm::<T>::new(&case.params["normalized"]).unwrap()),
        other => panic!("{other} is not a layer op"),
    };
    for (p, name) in layer.parameters_mut().into_iter().zip(["w", "b"]) {
        p.replace(case.inputs[name].array());
    }
    for (name, batch) in &case.data {
        let tape = Tape::new();
        layer.forward(&tape, tape.constant(batch.array())).unwrap_or_else(|e| panic!("{} {name}: {e}", case.name));
    }
    if case.op == "batch_norm_running" {
        layer.set_training(false);
    }
    layer
}

/// Replays a layer case: output, the gradients of x, γ (`w`) and β (`b`),
/// and the running statistics the layer holds afterwards.
fn replay_layer<T: Element>(case: &Case) {
    let tol = tolerance(&case.dtype);
    let layer = layer::<T>(case);
    let tape = Tape::<T>::new();
    let x = tape.leaf(case.inputs["x"].array());
    let y = layer.forward(&tape, x).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    assert_close(&format!("{} output", case.name), &y.value(), &case.output.array(), tol);
    let loss = y.mul(&tape.constant(case.upstream.array())).unwrap().sum();
    let grads = tape.backward(&loss).unwrap();
    assert_close(&format!("{} dx", case.name), grads.wrt(&x).unwrap().unwrap(), &case.grads["x"].array(), tol);
    let params = layer.parameters();
    for (p, name) in params.into_iter().zip(["w", "b"]) {
        let got = grads.param(p).unwrap_or_else(|| panic!("{}: no gradient for {name}", case.name));
        assert_close(&format!("{} d{name}", case.name), got, &case.grads[name].array(), tol);
    }
    let buffers: BTreeMap<String, ndarray::ArrayD<f64>> = layer.named_buffers().into_iter().collect();
    for (name, want) in &case.buffers {
        let got = buffers.get(name).unwrap_or_else(|| panic!("{}: no buffer {name}", case.name));
        assert_close(&format!("{} {name}", case.name), got, &want.array(), tol);
    }
}

/// Applies the case's op to leaves named as in the JSON.
fn forward<'t, T: Element>(case: &Case, v: &BTreeMap<&str, Var<'t, T>>) -> Result<Var<'t, T>> {
    let labels = case.labels.as_deref().unwrap_or(&[]);
    match case.op.as_str() {
        "conv2d" => {
            let opts = Conv2dOptions { stride: pair(&case.params, "stride"), padding: pair(&case.params, "padding") };
            v["x"].conv2d(&v["w"], v.get("b"), opts)
        }
        "max_pool2d" => v["x"].max_pool2d(pair(&case.params, "kernel"), pair(&case.params, "stride")),
        "cross_entropy" => v["x"].softmax_cross_entropy(labels),
        "log_softmax" => v["x"].log_softmax(),
        "mlp" => v["x"]
            .linear(&v["w1"], Some(&v["b1"]))?
            .relu()
            .linear(&v["w2"], Some(&v["b2"]))?
            .softmax_cross_entropy(labels),
        other => panic!("unknown op {other} in golden file"),
    }
}

fn replay<T: Element>(case: &Case) {
    let tol = tolerance(&case.dtype);
    let tape = Tape::<T>::new();
    let leaves: BTreeMap<&str, Var<'_, T>> =
        case.inputs.iter().map(|(k, t)| (k.as_str(), tape.leaf(t.array()))).collect();
    let y = forward(case, &leaves).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    assert_close(&format!("{} output", case.name), &y.value(), &case.output.array(), tol);
    let loss = y.mul(&tape.constant(case.upstream.array())).unwrap().sum();
    let grads = tape.backward(&loss).unwrap();
    for (name, want) in &case.grads {
        let got = grads
            .wrt(&leaves[name.as_str()])
            .unwrap()
            .unwrap_or_else(|| panic!("{}: no gradient for {name}", case.name));
        assert_close(&format!("{} d{name}", case.name), got, &want.array(), tol);
    }
}

fn cases(op: &str) -> Vec<Case> {
    let file: File = golden("ops.json");
    let cases: Vec<Case> = file.cases.into_iter().filter(|c| c.op == op).collect();
    assert!(
        cases.iter().any(|c| c.dtype == "float32") && cases.iter().any(|c| c.dtype == "float64"),
        "{op}: cases in both dtypes"
    );
    cases
}

fn replay_all(op: &str) {
    for case in cases(op) {
        match case.dtype.as_str() {
            "float32" => replay::<f32>(&case),
            _ => replay::<f64>(&case),
        }
    }
}

fn replay_all_layers(op: &str) {
    for case in cases(op) {
        match case.dtype.as_str() {
            "float32" => replay_layer::<f32>(&case),
            _ => replay_layer::<f64>(&case),
        }
    }
}

#[test]
fn batch_norm_matches_pytorch_in_training_mode_1d_and_2d() {
    replay_all_layers("batch_norm");
}

#[test]
fn batch_norm_running_statistics_and_evaluation_match_pytorch() {
    replay_all_layers("batch_norm_running");
}

#[test]
fn layer_norm_matches_pytorch() {
    replay_all_layers("layer_norm");
}

#[test]
fn conv2d_matches_pytorch() {
    replay_all("conv2d");
}

#[test]
fn max_pool2d_matches_pytorch_including_ties() {
    replay_all("max_pool2d");
}

#[test]
fn cross_entropy_matches_pytorch_including_extreme_logits() {
    replay_all("cross_entropy");
}

#[test]
fn log_softmax_matches_pytorch() {
    replay_all("log_softmax");
}

#[test]
fn mlp_forward_and_backward_match_pytorch() {
    replay_all("mlp");
}

/// The values of an edge case, parsed from their text ("nan", "-inf", "-0.0").
fn values<T: Element>(edge: &Edge, texts: &[String]) -> ndarray::ArrayD<T> {
    let parsed: Vec<T> =
        texts.iter().map(|t| T::of(t.parse::<f64>().unwrap_or_else(|e| panic!("{}: {t:?}: {e}", edge.name)))).collect();
    ndarray::ArrayD::from_shape_vec(vec![parsed.len()], parsed).expect("1-D")
}

/// Equal as values of the case's type, NaN equal to NaN, `-0` not to `0`.
fn assert_same<T: Element>(what: &str, got: &ndarray::ArrayD<T>, want: &ndarray::ArrayD<T>) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g.as_f64(), w.as_f64());
        let same = if w.is_nan() { g.is_nan() } else { g.to_bits() == w.to_bits() };
        assert!(same, "{what}: element {i}: got {g:?}, want {w:?}");
    }
}

fn replay_edge<T: Element>(edge: &Edge) {
    assert_eq!(edge.op, "relu", "{}: unknown edge op", edge.name);
    let tape = Tape::<T>::new();
    let x = tape.leaf(values::<T>(edge, &edge.x));
    let y = x.relu();
    assert_same(&format!("{} {} output", edge.name, edge.dtype), &y.value(), &values(edge, &edge.output));
    // The upstream gradient reaches the ReLU exactly: `1 * r` for every r.
    let loss = y.mul(&tape.constant(values(edge, &edge.upstream))).unwrap().sum();
    let grads = tape.backward(&loss).unwrap();
    let got = grads.wrt(&x).unwrap().expect("a gradient for x");
    assert_same(&format!("{} {} dx", edge.name, edge.dtype), got, &values(edge, &edge.grad));
}

#[test]
fn relu_matches_pytorch_at_nan_signed_zero_and_infinities() {
    let file: File = golden("ops.json");
    let edges: Vec<&Edge> = file.edges.iter().filter(|e| e.op == "relu").collect();
    assert!(edges.iter().any(|e| e.dtype == "float32") && edges.iter().any(|e| e.dtype == "float64"));
    for edge in edges {
        match edge.dtype.as_str() {
            "float32" => replay_edge::<f32>(edge),
            _ => replay_edge::<f64>(edge),
        }
    }
}
