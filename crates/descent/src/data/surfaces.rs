//! Functions of two variables to watch optimizers on (seed 000, figures 2
//! and 4; d2l's ill-conditioned quadratic; Rosenbrock), each with its
//! gradient, a starting point and a window to draw it in.
//!
//! - `two_wells`: `(x^2 - 1)^2 + 0.3 x + y^2/2`, a local minimum near
//!   `x = +0.96` and the global one near `x = -1.04`; start `(2, 1)`.
//! - `saddle`: `x^2 - y^2` from `(1, 1e-3)`: escaping means `|y| >= 1`.
//! - `ill_conditioned`: `0.1 x^2 + 2 y^2` from `(-5, -2)` (d2l 12.6).
//! - `rosenbrock`: `(1 - x)^2 + 100 (y - x^2)^2` from `(-1.5, 2)`.
//!
//! ```
//! use descent::data::surfaces::Surface;
//! use descent::optim::{minimize, by_name};
//!
//! let mut adam = by_name::<f64>("adam", Some(0.01)).unwrap();
//! let path = minimize(adam.as_mut(), &Surface::Saddle.start(), 300, |p| Surface::Saddle.eval(p), None).unwrap();
//! assert!(path.last()[1].abs() > 1.0, "Adam escapes the saddle along y");
//! ```

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
