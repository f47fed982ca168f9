//! Helpers shared by the integration tests: reading golden JSON written by
//! the PyTorch scripts in `scripts/golden/`, and comparing arrays.
#![allow(dead_code)]

pub mod mutate;

use descent::Element;
use ndarray::{ArrayD, IxDyn};
use serde::Deserialize;
use std::path::PathBuf;

/// A tensor as the golden scripts write it: shape and row-major data.
#[derive(Debug, Clone, Deserialize)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Tensor {
    /// As an array of `T` (the scripts write float32 values exactly).
    pub fn array<T: Element>(&self) -> ArrayD<T> {
        ArrayD::from_shape_vec(IxDyn(&self.shape), self.data.iter().map(|&v| T::of(v)).collect())
            .expect("golden shape matches data")
    }
}

/// Reads and parses `tests/golden/<name>`.
pub fn golden<D: for<'de> Deserialize<'de>>(name: &str) -> D {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The tolerance for comparing with PyTorch: 1e-5 in float32, 1e-10 in
/// float64, relative to max(1, |expected|).
pub fn tolerance(dtype: &str) -> f64 {
    match dtype {
        "float32" => 1e-5,
        "float64" => 1e-10,
        other => panic!("unknown dtype {other}"),
    }
}

/// Asserts `|got - want| <= tol * max(1, |want|)` elementwise, naming the
/// worst element on failure.
pub fn assert_close<T: Element>(what: &str, got: &ArrayD<T>, want: &ArrayD<T>, tol: f64) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let mut worst = (0.0f64, 0usize);
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        let (g, w) = (g.as_f64(), w.as_f64());
        let err = (g - w).abs() / w.abs().max(1.0);
        if err > worst.0 || err.is_nan() {
            worst = (if err.is_nan() { f64::INFINITY } else { err }, i);
        }
    }
    assert!(
        worst.0 <= tol,
        "{what}: element {} differs by {:.3e} (relative to max(1,|want|)) > {tol:e}: got {}, want {}",
        worst.1,
        worst.0,
        got.iter().nth(worst.1).unwrap(),
        want.iter().nth(worst.1).unwrap()
    );
}
