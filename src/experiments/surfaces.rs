//! Trajectories of every optimizer on 2-D surfaces (seed 000, figures 2 and
//! 4; d2l's ill-conditioned quadratic; Rosenbrock).
//!
//! - `two_wells`: `(x^2 - 1)^2 + 0.3 x + y^2/2`, a local minimum near
//!   `x = +0.96` and the global one near `x = -1.04`; start `(2, 1)`.
//! - `saddle`: `x^2 - y^2` from `(1, 1e-3)`: escaping means `|y| >= 1`.
//! - `ill_conditioned`: `0.1 x^2 + 2 y^2` from `(-5, -2)` (d2l 12.6).
//! - `rosenbrock`: `(1 - x)^2 + 100 (y - x^2)^2` from `(-1.5, 2)`.
//!
//! Learning rates are one per optimizer family and surface, fixed before
//! the runs (see [`lr`]).

use super::{minimize, ChartSpec, Claim, Context, Experiment, MnistUse, Outcome, Run};
use crate::plot::Field;
use crate::optim::by_name;
use crate::Result;

/// First coordinate of the iterate.
pub const X: &str = "x";
/// Second coordinate of the iterate.
pub const Y: &str = "y";
/// The function's value at the iterate.
pub const F: &str = "f";

/// The experiment and its section.
pub const EXPERIMENT: Experiment = Experiment {
    name: "surfaces",
    title: "Trajectories on 2-D surfaces",
    question: "What do the optimizers do on surfaces we can see: a two-well function (does momentum roll into the \
               deeper well?), a saddle (who escapes, how fast?), d2l's ill-conditioned quadratic, and Rosenbrock's \
               valley?",
    sources: "seed 000, figures 2 and 4; d2l; Rosenbrock",
    mnist: MnistUse::NotAtAll,
    run,
    formulas: &["momentum", "nesterov", "adam"],
    charts: &[ChartSpec::paths("trajectories", X, Y, field)
        .titled("{facet}", "x", "y")
        .caption("{facet}: every optimizer's path (dot: where it ended).")],
    tables: &[],
};

/// The surface called `name`, as a field to draw.
fn field(name: &str) -> Option<Field<'static>> {
    let (surface, _) = Surface::ALL.into_iter().find(|(_, n)| *n == name)?;
    Some(Field { window: surface.window(), f: Box::new(move |x, y| surface.eval(&[x, y]).0) })
}

/// The optimizers drawn on every surface.
pub const OPTIMIZERS: [&str; 9] =
    ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "amsgrad", "nesterov_lookahead"];

/// A surface: value and gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Two wells of different depth.
    TwoWells,
    /// The saddle `x^2 - y^2`.
    Saddle,
    /// `0.1 x^2 + 2 y^2`.
    IllConditioned,
    /// Rosenbrock's banana.
    Rosenbrock,
}

impl Surface {
    /// All surfaces with their names.
    pub const ALL: [(Surface, &'static str); 4] = [
        (Surface::TwoWells, "two_wells"),
        (Surface::Saddle, "saddle"),
        (Surface::IllConditioned, "ill_conditioned"),
        (Surface::Rosenbrock, "rosenbrock"),
    ];

    /// `(f, grad f)` at `(x, y)`.
    pub fn eval(self, p: &[f64]) -> (f64, Vec<f64>) {
        let (x, y) = (p[0], p[1]);
        match self {
            Surface::TwoWells => {
                ((x * x - 1.0).powi(2) + 0.3 * x + 0.5 * y * y, vec![4.0 * x * (x * x - 1.0) + 0.3, y])
            }
            Surface::Saddle => (x * x - y * y, vec![2.0 * x, -2.0 * y]),
            Surface::IllConditioned => (0.1 * x * x + 2.0 * y * y, vec![0.2 * x, 4.0 * y]),
            Surface::Rosenbrock => (
                (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2),
                vec![-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)],
            ),
        }
    }

    /// Starting point.
    pub fn start(self) -> [f64; 2] {
        match self {
            Surface::TwoWells => [2.0, 1.0],
            Surface::Saddle => [1.0, 1e-3],
            Surface::IllConditioned => [-5.0, -2.0],
            Surface::Rosenbrock => [-1.5, 2.0],
        }
    }

    /// The plotting window `(x range, y range)`.
    pub fn window(self) -> ((f64, f64), (f64, f64)) {
        match self {
            Surface::TwoWells => ((-2.0, 2.5), (-1.5, 1.5)),
            Surface::Saddle => ((-1.5, 1.5), (-1.5, 1.5)),
            Surface::IllConditioned => ((-6.0, 2.0), (-3.0, 3.0)),
            Surface::Rosenbrock => ((-2.0, 2.0), (-1.0, 3.0)),
        }
    }
}

/// The learning rate of optimizer `name` on `surface`.
pub fn lr(surface: Surface, name: &str) -> f64 {
    let plain = matches!(name, "sgd" | "momentum" | "nesterov" | "nesterov_lookahead");
    match (surface, plain, name) {
        (Surface::Rosenbrock, true, _) => 1e-4,
        (_, true, _) => 0.01,
        (_, false, "adagrad") => 0.5,
        (_, false, "adadelta") => 1.0,
        _ => 0.01,
    }
}

/// Runs every optimizer on every surface.
pub fn run(ctx: &Context) -> Result<Outcome> {
    let steps = ctx.profile.pick(3_000, 20_000);
    let mut long = EXPERIMENT.frame();
    let mut ends = Vec::new();
    for (surface, sname) in Surface::ALL {
        for name in OPTIMIZERS {
            let lr = lr(surface, name);
            let mut opt = by_name::<f64>(name, Some(lr))?;
            let path = minimize(opt.as_mut(), &surface.start(), steps, |p| surface.eval(p), None)?;
            let run = Run { optimizer: name, lr, seed: ctx.seed, setting: sname };
            let stride = (path.points.len() / 400).max(1);
            for (t, (p, v)) in path.points.iter().zip(&path.values).enumerate() {
                if t % stride == 0 || t + 1 == path.points.len() {
                    long.push(&run, t as f64, X, p[0]);
                    long.push(&run, t as f64, Y, p[1]);
                    long.push(&run, t as f64, F, *v);
                }
            }
            let escape = path.points.iter().position(|p| p[1].abs() >= 1.0);
            ends.push((sname, name, path.last().to_vec(), escape, path.diverged));
        }
    }
    let find = |s: &str, n: &str| ends.iter().find(|e| e.0 == s && e.1 == n).expect("ran");
    let (gd, mom) = (find("two_wells", "sgd"), find("two_wells", "momentum"));
    let escapes = |n: &str| find("saddle", n).3.map_or(f64::INFINITY, |s| s as f64);
    let adaptive = ["adagrad", "rmsprop", "adam"];
    let slowest_adaptive = adaptive.iter().map(|n| escapes(n)).fold(0.0, f64::max);
    let rosen: Vec<String> = OPTIMIZERS
        .iter()
        .map(|n| {
            let p = &find("rosenbrock", n).2;
            format!("{n} {:.3}", ((p[0] - 1.0).powi(2) + (p[1] - 1.0).powi(2)).sqrt())
        })
        .collect();
    let claims = vec![
        Claim::decided(
            "surfaces.momentum_other_well",
            "seed 000, figure 2 (local minima)",
            "momentum can carry the iterate through a shallow local minimum into a deeper one, where plain gradient \
             descent stops in the first well it meets",
            "from (2, 1) with lr 0.01: GD ends in the local well (x > 0) and momentum (0.9) in the global one (x < 0)",
            mom.2[0],
            gd.2[0] > 0.0 && mom.2[0] < 0.0,
            format!("after {steps} steps GD at x = {:.3}, momentum at x = {:.3}", gd.2[0], mom.2[0]),
        ),
        Claim::decided(
            "surfaces.adaptive_escape_saddle",
            "seed 000, figure 4 (saddle points)",
            "adaptive methods escape a saddle point faster than gradient descent",
            "steps until |y| >= 1 on x^2 - y^2 from (1, 1e-3): AdaGrad, RMSprop and Adam all fewer than SGD",
            slowest_adaptive,
            slowest_adaptive < escapes("sgd"),
            OPTIMIZERS.iter().map(|n| format!("{n} {}", escapes(n))).collect::<Vec<_>>().join(", "),
        ),
    ];
    let notes = vec![format!("Rosenbrock, distance to (1, 1) after {steps} steps: {}.", rosen.join(", "))];
    Ok(Outcome { frames: vec![("trajectories".into(), long.finish()?)], claims, notes })
}
