//! Any optimizer on a function of a few variables, recording its path.

use crate::optim::Optimizer;
use crate::Result;
use ndarray::{ArrayD, IxDyn};
use std::collections::BTreeMap;

/// The path of one run: the point and the function value before each step
/// (index 0 is the start), and where it stopped if it diverged.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// `points[t]`: the parameters after `t` steps.
    pub points: Vec<Vec<f64>>,
    /// `values[t] = f(points[t])`.
    pub values: Vec<f64>,
    /// The step at which the value or the gradient became non-finite.
    pub diverged: Option<usize>,
    /// The optimizer's internal buffers (`exp_avg`, `sum`...) after each
    /// step, by name, when traced ([`minimize_traced`]): `state[name][t]` is
    /// the buffer after step `t + 1`. Empty otherwise.
    pub state: BTreeMap<String, Vec<Vec<f64>>>,
}

impl Trajectory {
    /// The last point.
    pub fn last(&self) -> &[f64] {
        self.points.last().expect("the start is always recorded")
    }
}

/// Runs `steps` updates of `optimizer` on `f`, which returns the value and
/// the gradient at a point. The gradient is taken where the optimizer asks
/// (look-ahead Nesterov); after each step the point is clipped to `bounds`
/// when given (projected online learning, as in Reddi et al.). A non-finite
/// value or gradient stops the run and is recorded as divergence.
pub fn minimize(
    optimizer: &mut dyn Optimizer<f64>,
    start: &[f64],
    steps: usize,
    f: impl FnMut(&[f64]) -> (f64, Vec<f64>),
    bounds: Option<(f64, f64)>,
) -> Result<Trajectory> {
    run(optimizer, start, steps, f, bounds, false)
}

/// [`minimize`], also recording the optimizer's internal buffers after
/// every step ([`Trajectory::state`]): what Adam's moment estimates or
/// Adagrad's accumulator look like along the path.
pub fn minimize_traced(
    optimizer: &mut dyn Optimizer<f64>,
    start: &[f64],
    steps: usize,
    f: impl FnMut(&[f64]) -> (f64, Vec<f64>),
    bounds: Option<(f64, f64)>,
) -> Result<Trajectory> {
    run(optimizer, start, steps, f, bounds, true)
}

fn run(
    optimizer: &mut dyn Optimizer<f64>,
    start: &[f64],
    steps: usize,
    mut f: impl FnMut(&[f64]) -> (f64, Vec<f64>),
    bounds: Option<(f64, f64)>,
    trace: bool,
) -> Result<Trajectory> {
    let d = start.len();
    let mut x = ArrayD::from_shape_vec(IxDyn(&[d]), start.to_vec()).expect("1-D");
    let (v0, _) = f(start);
    let mut path =
        Trajectory { points: vec![start.to_vec()], values: vec![v0], diverged: None, state: BTreeMap::new() };
    for t in 0..steps {
        let at = optimizer.gradient_point(&[&x]).map(|mut p| p.remove(0));
        let (_, g) = f(at.as_ref().unwrap_or(&x).as_slice().expect("1-D"));
        if g.iter().any(|v| !v.is_finite()) {
            path.diverged = Some(t + 1);
            return Ok(path);
        }
        let g = ArrayD::from_shape_vec(IxDyn(&[d]), g).expect("gradient of the point's size");
        optimizer.step(&mut [&mut x], &[g])?;
        if let Some((lo, hi)) = bounds {
            x.mapv_inplace(|v| v.clamp(lo, hi));
        }
        if trace {
            for name in optimizer.state_names() {
                let buffer = optimizer.buffer(name).and_then(|b| b.first()).map(|b| b.iter().copied().collect());
                path.state.entry(name.to_string()).or_default().push(buffer.unwrap_or_default());
            }
        }
        let point = x.as_slice().expect("1-D").to_vec();
        let (v, _) = f(&point);
        path.points.push(point);
        path.values.push(v);
        if !v.is_finite() || x.iter().any(|v| !v.is_finite()) {
            path.diverged = Some(t + 1);
            return Ok(path);
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::{minimize, minimize_traced};
    use crate::optim::by_name;

    #[test]
    fn gradient_descent_on_a_parabola_follows_the_closed_form() {
        // x_{t+1} = x_t - lr * 2 x_t = (1 - 2 lr) x_t
        let mut sgd = by_name::<f64>("sgd", Some(0.1)).unwrap();
        let path = minimize(sgd.as_mut(), &[1.0], 10, |x| (x[0] * x[0], vec![2.0 * x[0]]), None).unwrap();
        for (t, p) in path.points.iter().enumerate() {
            assert!((p[0] - 0.8f64.powi(t as i32)).abs() < 1e-15);
        }
        assert_eq!(path.diverged, None);
    }

    #[test]
    fn a_diverging_run_stops_and_says_when() {
        let mut sgd = by_name::<f64>("sgd", Some(10.0)).unwrap();
        let path = minimize(sgd.as_mut(), &[1.0], 10_000, |x| (x[0].powi(4), vec![4.0 * x[0].powi(3)]), None).unwrap();
        assert!(path.diverged.is_some() && path.points.len() < 100);
    }

    #[test]
    fn a_traced_run_records_the_state_after_every_step() {
        // Adagrad on x^2 from 1: sum_t = sum of squared gradients so far.
        let mut adagrad = by_name::<f64>("adagrad", Some(0.1)).unwrap();
        let path = minimize_traced(adagrad.as_mut(), &[1.0], 5, |x| (x[0] * x[0], vec![2.0 * x[0]]), None).unwrap();
        let sums = &path.state["sum"];
        assert_eq!(sums.len(), 5);
        let mut expected = 0.0;
        for (t, s) in sums.iter().enumerate() {
            expected += (2.0 * path.points[t][0]).powi(2);
            assert_eq!(s, &vec![expected]);
        }
        let mut plain = by_name::<f64>("adagrad", Some(0.1)).unwrap();
        let untraced = minimize(plain.as_mut(), &[1.0], 5, |x| (x[0] * x[0], vec![2.0 * x[0]]), None).unwrap();
        assert_eq!(untraced.points, path.points);
        assert!(untraced.state.is_empty());
    }
}
