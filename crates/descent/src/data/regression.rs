//! Regression data: generated like scikit-learn's `make_regression`, the
//! diabetes set from `linfa-datasets`, standardisation (the seeds' "data
//! normalization") and the closed-form least-squares optimum to compare
//! optimizers against.

use crate::rng::Rng;
use crate::{Error, Result};
use ndarray::{s, Array1, Array2, Axis};
use ndarray_rand::rand_distr::{StandardNormal, Uniform};
use ndarray_rand::RandomExt;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Normal};

/// A regression problem `y = X w + b + noise`.
#[derive(Debug, Clone)]
pub struct Regression {
    /// Inputs, one row per example.
    pub x: Array2<f64>,
    /// Targets.
    pub y: Array1<f64>,
    /// The true coefficients (generated data), or `None` for real data.
    pub coef: Option<Array1<f64>>,
}

/// Parameters of [`make_regression`], as in scikit-learn.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MakeRegression {
    /// Number of examples.
    pub n_samples: usize,
    /// Number of input features.
    pub n_features: usize,
    /// Features with a non-zero coefficient.
    pub n_informative: usize,
    /// Standard deviation of the Gaussian noise on `y`.
    pub noise: f64,
    /// The intercept `b`.
    pub bias: f64,
}

impl Default for MakeRegression {
    fn default() -> Self {
        MakeRegression { n_samples: 100, n_features: 100, n_informative: 10, noise: 0.0, bias: 0.0 }
    }
}

/// scikit-learn's `make_regression` (single target, `shuffle=True`):
/// `X ~ N(0, 1)`, the first `n_informative` coefficients `~ 100 U(0, 1)`, the
/// others 0, `y = X w + bias + N(0, noise²)`, then examples and features
/// shuffled (the coefficients follow their features). Same algorithm, not
/// the same numbers: the RNG is descent's seeded ChaCha8, not NumPy's.
pub fn make_regression(params: MakeRegression, rng: &mut Rng) -> Result<Regression> {
    let MakeRegression { n_samples, n_features, n_informative, noise, bias } = params;
    if n_samples == 0 || n_features == 0 {
        return Err(Error::invalid("make_regression", "n_samples", "needs at least one example and one feature"));
    }
    if n_informative > n_features {
        return Err(Error::invalid(
            "make_regression",
            "n_informative",
            format!("{n_informative} informative features of {n_features}"),
        ));
    }
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(Error::invalid("make_regression", "noise", format!("must be >= 0, got {noise}")));
    }
    let x = Array2::<f64>::random_using((n_samples, n_features), StandardNormal, rng);
    let mut coef = Array1::<f64>::zeros(n_features);
    coef.slice_mut(s![..n_informative]).assign(&Array1::random_using(n_informative, Uniform::new(0.0, 100.0), rng));
    let mut y = x.dot(&coef) + bias;
    if noise > 0.0 {
        let normal = Normal::new(0.0, noise).expect("noise checked above");
        y.iter_mut().for_each(|v| *v += normal.sample(rng));
    }
    let mut rows: Vec<usize> = (0..n_samples).collect();
    rows.shuffle(rng);
    let mut cols: Vec<usize> = (0..n_features).collect();
    cols.shuffle(rng);
    let x = x.select(Axis(0), &rows).select(Axis(1), &cols);
    Ok(Regression { x, y: y.select(Axis(0), &rows), coef: Some(coef.select(Axis(0), &cols)) })
}

/// The diabetes data set (Efron et al. 2004: 10 baseline features, disease
/// progression after one year), from `linfa-datasets`. Note: linfa-datasets
/// 0.8 ships 441 of the original 442 patients.
pub fn diabetes() -> Regression {
    let dataset = linfa_datasets::diabetes();
    Regression { x: dataset.records().to_owned(), y: dataset.targets().to_owned(), coef: None }
}

/// Per-feature standardisation `(x − mean) / std`, fitted on one set and
/// applied to others (so the test set is scaled by the training statistics).
#[derive(Debug, Clone)]
pub struct Standardizer {
    /// Mean of each feature.
    pub mean: Array1<f64>,
    /// Standard deviation of each feature (1 where a feature is constant).
    pub std: Array1<f64>,
}

impl Standardizer {
    /// Fits means and standard deviations (population, ddof = 0, as
    /// scikit-learn's StandardScaler).
    pub fn fit(x: &Array2<f64>) -> Result<Standardizer> {
        let mean = x.mean_axis(Axis(0)).ok_or_else(|| Error::invalid("Standardizer", "x", "no examples"))?;
        let std = x.std_axis(Axis(0), 0.0).mapv(|s| if s > 0.0 { s } else { 1.0 });
        Ok(Standardizer { mean, std })
    }

    /// Applies the fitted scaling.
    pub fn transform(&self, x: &Array2<f64>) -> Result<Array2<f64>> {
        if x.ncols() != self.mean.len() {
            return Err(Error::shape("Standardizer", x.shape(), &[self.mean.len()], "feature counts differ"));
        }
        Ok((x - &self.mean) / &self.std)
    }
}

/// Standardised features and targets (zero mean, unit variance); the
/// generating coefficients, when known, are rescaled to the new units
/// (`coef_j · sd(x_j) / sd(y)`).
pub fn standardized(data: &Regression) -> Result<Regression> {
    let x = Standardizer::fit(&data.x)?.transform(&data.x)?;
    let n = data.y.len() as f64;
    let mean = data.y.sum() / n;
    let sd = (data.y.mapv(|v| (v - mean).powi(2)).sum() / n).sqrt();
    if sd.is_nan() || sd <= 0.0 {
        return Err(Error::invalid("standardized", "y", "the targets are constant: nothing to regress"));
    }
    let y = data.y.mapv(|v| (v - mean) / sd);
    let x_sd = data.x.std_axis(ndarray::Axis(0), 0.0);
    let coef = data.coef.as_ref().map(|c| c * &x_sd / sd);
    Ok(Regression { x, y, coef })
}

/// The least-squares optimum `min_{w,b} mean((X w + b − y)²)` in closed
/// form, by the normal equations on `[X 1]` solved with a Cholesky
/// factorisation: `(w, b, mean squared error at the optimum)`.
pub fn least_squares(x: &Array2<f64>, y: &Array1<f64>) -> Result<(Array1<f64>, f64, f64)> {
    let (n, d) = x.dim();
    if y.len() != n {
        return Err(Error::shape("least_squares", x.shape(), y.shape(), "one target per example"));
    }
    let mut a = Array2::<f64>::ones((n, d + 1));
    a.slice_mut(s![.., ..d]).assign(x);
    let gram = a.t().dot(&a);
    let rhs = a.t().dot(y);
    let theta = crate::linalg::cholesky_solve(&gram, &rhs)
        .ok_or_else(|| Error::invalid("least_squares", "x", "X^T X is singular: the features are collinear"))?;
    let residual = a.dot(&theta) - y;
    let mse = residual.dot(&residual) / n as f64;
    Ok((theta.slice(s![..d]).to_owned(), theta[d], mse))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn make_regression_has_the_requested_structure_and_is_seeded() {
        let params = MakeRegression { n_samples: 200, n_features: 8, n_informative: 3, noise: 0.0, bias: 2.5 };
        let data = make_regression(params, &mut seeded(1)).unwrap();
        let coef = data.coef.clone().unwrap();
        assert_eq!(data.x.dim(), (200, 8));
        assert_eq!(coef.iter().filter(|&&c| c != 0.0).count(), 3);
        assert!(coef.iter().all(|&c| (0.0..100.0).contains(&c)));
        // Without noise the data is exactly linear: least squares recovers w and b.
        let (w, b, mse) = least_squares(&data.x, &data.y).unwrap();
        assert!((&w - &coef).iter().all(|d| d.abs() < 1e-9) && (b - 2.5).abs() < 1e-9 && mse < 1e-18);
        let again = make_regression(params, &mut seeded(1)).unwrap();
        assert_eq!(again.x, data.x);
        assert_ne!(make_regression(params, &mut seeded(2)).unwrap().x, data.x);
    }

    #[test]
    fn noise_has_the_requested_scale() {
        let params = MakeRegression { n_samples: 20_000, n_features: 3, n_informative: 3, noise: 5.0, bias: 0.0 };
        let data = make_regression(params, &mut seeded(3)).unwrap();
        let (_, _, mse) = least_squares(&data.x, &data.y).unwrap();
        assert!((mse.sqrt() - 5.0).abs() < 0.1, "residual std {}", mse.sqrt());
    }

    #[test]
    fn bad_parameters_are_errors() {
        let bad = MakeRegression { n_informative: 20, n_features: 10, ..Default::default() };
        assert!(make_regression(bad, &mut seeded(0)).unwrap_err().to_string().contains("n_informative"));
        let bad = MakeRegression { noise: -1.0, ..Default::default() };
        assert!(make_regression(bad, &mut seeded(0)).unwrap_err().to_string().contains("noise"));
        let collinear = Array2::from_shape_fn((10, 2), |(i, _)| i as f64);
        assert!(least_squares(&collinear, &Array1::zeros(10)).unwrap_err().to_string().contains("singular"));
    }

    #[test]
    fn diabetes_loads_and_standardises() {
        let data = diabetes();
        assert_eq!(data.x.dim(), (441, 10), "linfa-datasets 0.8 ships 441 of the 442 rows");
        assert_eq!(data.y.len(), 441);
        let scaler = Standardizer::fit(&data.x).unwrap();
        let z = scaler.transform(&data.x).unwrap();
        for column in z.columns() {
            assert!(column.mean().unwrap().abs() < 1e-12 && (column.std(0.0) - 1.0).abs() < 1e-12);
        }
        assert!(scaler.transform(&Array2::zeros((2, 3))).is_err());
    }
}
