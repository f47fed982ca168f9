//! Regression problems as the experiments make them: the generated
//! problem of the seeds' figure (make_regression, standardised) and the
//! split of a tuning draw into a part to fit and a held-out part.

use descent::data::regression::{make_regression, standardized, MakeRegression, Regression};
use descent::rng::seeded;
use descent::Result;

/// The generated problem of these experiments.
pub fn generated(n_samples: usize, seed: u64) -> Result<Regression> {
    let params = MakeRegression { n_samples, n_features: 10, n_informative: 5, noise: 10.0, bias: 3.0 };
    standardized(&make_regression(params, &mut seeded(seed))?)
}

/// The first 80% of the rows and the last 20%.
pub fn split(data: &Regression) -> (Regression, Regression) {
    let cut = data.x.nrows() * 4 / 5;
    let part = |r: std::ops::Range<usize>| Regression {
        x: data.x.slice(ndarray::s![r.clone(), ..]).to_owned(),
        y: data.y.slice(ndarray::s![r]).to_owned(),
        coef: None,
    };
    (part(0..cut), part(cut..data.x.nrows()))
}
