//! Seed 003's toy function `f(x) = x^3 - 3x^2 + 4x` and its wrong gradient.
//!
//! The seed's code minimises `f` with Adam (step 0.01, betas 0.9/0.999,
//! eps 1e-8, five coordinates drawn from U(0, 1)) but gives Adam
//! `3x^2 - 6x`, the derivative of `x^3 - 3x^2`. The true derivative
//! `3x^2 - 6x + 4 = 3(x - 1)^2 + 1` is at least 1 everywhere, so `f` is
//! strictly increasing and has no minimum: gradient methods walk to -inf.
//! With the seed's gradient, Adam instead settles at `x = 2`, the minimum of
//! `x^3 - 3x^2`, where the true slope of `f` is 4. We run both, the true
//! gradient coming from our autodiff.

use super::{ClaimSpec, Decided};
use super::{minimize, ChartSpec, Context, Experiment, MnistUse, Outcome, Run, SeriesBy};
use descent::autodiff::Tape;
use descent::optim::by_name;
use descent::rng::seeded;
use descent::Result;
use ndarray::ArrayD;
use rand::Rng;

/// `f` summed over the five coordinates.
pub const SUM_F: &str = "sum f(x)";
/// The first coordinate.
pub const X0: &str = "x[0]";
/// The true slope `f'` at the first coordinate.
pub const TRUE_SLOPE: &str = "true slope f'(x[0])";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "toy_function",
    title: "Seed 003's toy function and its wrong gradient",
    question: "Seed 003 minimises f(x) = x³ − 3x² + 4x with Adam, but its code's gradient is 3x² − 6x. What does \
               Adam do with the true gradient (from our autodiff), and what with the seed's?",
    sources: "seed 003",
    mnist: MnistUse::NotAtAll,
    run,
    formulas: &["toy", "adam"],
    charts: &[ChartSpec::lines("trajectory", &[X0])
        .by(SeriesBy::Setting)
        .titled("x[0] under Adam", "step", "x")
        .caption("First coordinate under Adam: the seed's gradient stops at 2; the true one keeps going down.")],
    tables: &[],
    claims: &[NO_MINIMUM, SEED_GRADIENT_STOPS_AT_2],
};

/// toy_function.no_minimum
pub const NO_MINIMUM: ClaimSpec = ClaimSpec::evidence(
    "toy_function.no_minimum",
    "003",
    "seed 003 (its code); calculus",
    "f(x) = x^3 - 3x^2 + 4x has no minimum: its derivative 3x^2 - 6x + 4 = 3(x - 1)^2 + 1 is never below 1",
    "the smallest derivative on a grid of [-10, 10] (step 0.005) is >= 1, and Adam with the autodiff \
             gradient ends below x = -(steps x lr)/2 in every coordinate",
).demonstrates();

/// toy_function.seed_gradient_stops_at_2
pub const SEED_GRADIENT_STOPS_AT_2: ClaimSpec = ClaimSpec::evidence(
    "toy_function.seed_gradient_stops_at_2",
    "003",
    "seed 003 (its code)",
    "with the seed's gradient 3x^2 - 6x, Adam 'converges', but to x = 2, where the true slope of f is 4",
    "every coordinate ends within 0.05 of 2",
).demonstrates();

/// `f(x) = x^3 - 3x^2 + 4x`.
pub fn f(x: f64) -> f64 {
    x.powi(3) - 3.0 * x * x + 4.0 * x
}

/// The seed's (wrong) gradient `3x^2 - 6x`.
pub fn seed_gradient(x: f64) -> f64 {
    3.0 * x * x - 6.0 * x
}

/// `f` and its gradient by descent's autodiff (not by the formula).
pub fn autodiff_gradient(x: f64) -> Result<(f64, f64)> {
    let tape = Tape::<f64>::new();
    let v = tape.leaf(ArrayD::from_elem(vec![], x));
    let x2 = v.mul(&v)?;
    let y = x2.mul(&v)?.sub(&x2.mul_scalar(3.0))?.add(&v.mul_scalar(4.0))?;
    let g = tape.backward(&y)?;
    Ok((y.item().expect("scalar"), *g.wrt(&v)?.expect("leaf").iter().next().expect("one element")))
}

/// Runs both gradients from the same start.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let steps = ctx.profile.pick(3_000, 20_000);
    let mut rng = seeded(ctx.seed);
    let start: Vec<f64> = (0..5).map(|_| rng.gen::<f64>()).collect();
    let mut long = EXPERIMENT.frame();
    let mut ends = Vec::new();
    for (setting, use_seed) in [("autodiff gradient", false), ("seed's gradient", true)] {
        let mut adam = by_name::<f64>("adam", Some(0.01))?;
        let mut autodiff_error = None;
        let path = minimize(
            adam.as_mut(),
            &start,
            steps,
            |x| {
                let value = x.iter().map(|&v| f(v)).sum();
                let grad = x
                    .iter()
                    .map(|&v| {
                        if use_seed {
                            seed_gradient(v)
                        } else {
                            autodiff_gradient(v).map(|(_, g)| g).unwrap_or_else(|e| {
                                autodiff_error = Some(e.to_string());
                                f64::NAN
                            })
                        }
                    })
                    .collect();
                (value, grad)
            },
            None,
        )?;
        if let Some(e) = autodiff_error {
            return Err(descent::Error::Graph(e));
        }
        let run = Run { optimizer: "adam", lr: 0.01, seed: ctx.seed, setting };
        for (t, (p, v)) in path.points.iter().zip(&path.values).enumerate() {
            if t % 10 == 0 || t == steps {
                long.push(&run, t as f64, SUM_F, *v);
                long.push(&run, t as f64, X0, p[0]);
                long.push(&run, t as f64, TRUE_SLOPE, 3.0 * (p[0] - 1.0).powi(2) + 1.0);
            }
        }
        ends.push(path.last().to_vec());
    }
    let (with_autodiff, with_seed) = (&ends[0], &ends[1]);
    let min_slope =
        (0..=4000).map(|i| -10.0 + i as f64 * 0.005).map(|x| 3.0 * x * x - 6.0 * x + 4.0).fold(f64::MAX, f64::min);
    let worst_from_2 = with_seed.iter().map(|x| (x - 2.0).abs()).fold(0.0, f64::max);
    let highest = with_autodiff.iter().copied().fold(f64::MIN, f64::max);
    let claims = vec![
        NO_MINIMUM.demonstration(Decided {
 value: highest,
 ok: min_slope >= 1.0 - 1e-12 && highest < -(steps as f64) * 0.01 / 2.0,
 detail: format!(
                "smallest derivative on the grid {min_slope:.6}; after {steps} steps every coordinate is at most \
                 {highest:.2} and still moving (f keeps decreasing)"
            ),
 }),
        SEED_GRADIENT_STOPS_AT_2.demonstration(Decided {
 value: worst_from_2,
 ok: worst_from_2 < 0.05,
 detail: format!("largest |x - 2| after {steps} steps: {worst_from_2:.2e}; true slope there: f'(2) = 4"),
 }),
    ];
    let notes = vec![format!(
        "Start (seed {}): {:?}. The seed's loop stops when theta stops changing; with the wrong gradient that \
         happens at a point where f is not even stationary.",
        ctx.seed,
        start.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>()
    )];
    Ok(Outcome { frames: vec![("trajectory".into(), long.finish()?)], claims, notes })
}

#[cfg(test)]
mod tests {
    #[test]
    fn autodiff_gives_the_true_derivative() {
        for x in [-3.0, 0.0, 0.5, 1.0, 2.0, 7.5] {
            let (v, g) = super::autodiff_gradient(x).unwrap();
            assert!((v - super::f(x)).abs() < 1e-12);
            assert!((g - (3.0 * x * x - 6.0 * x + 4.0)).abs() < 1e-12, "{x}: {g}");
        }
    }
}
