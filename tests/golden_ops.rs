//! The autodiff ops against PyTorch.
//!
//! Produced by: `python scripts/golden/ops.py` (torch.nn.functional's
//! conv2d, max_pool2d, cross_entropy, log_softmax and a linear-ReLU-linear
//! MLP with cross-entropy), which writes `tests/golden/ops.json`. Each case
//! stores its inputs, the upstream gradient `r`, the output `y` and the
//! gradient of `sum(y * r)` with respect to every input. Forward outputs and
//! every input gradient must match to 1e-5 (float32) and 1e-10 (float64).

mod common;

use common::{assert_close, golden, tolerance, Tensor};
use descent::autodiff::{Conv2dOptions, Tape, Var};
use descent::{Element, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct File {
    cases: Vec<Case>,
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
}

fn pair(params: &BTreeMap<String, Vec<usize>>, key: &str) -> (usize, usize) {
    let v = &params[key];
    (v[0], v[1])
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
