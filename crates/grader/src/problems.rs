//! The reference problems of the grading cases, with their gradients: the
//! same functions `scripts/golden/grading.py` gives PyTorch (checked
//! against its losses and gradients in `tests/grading.rs`). A free-running
//! property test runs a student's optimizer on them with their own
//! gradients.
//
// This file is also compiled into every submission's runner (`rustc --cfg
// student_kit`, no dependencies): keep it free of anything but `std`. The
// grader computes the losses it scores with its own copy.

/// Which problem (the wire format's number is the index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// d2l's ill-conditioned `0.1 x₁² + 2 x₂²`.
    Quadratic,
    /// `(1 − x)² + 100 (y − x²)²`.
    Rosenbrock,
    /// `mean((X w + b − y)²)`; parameters `w` then `b`.
    LeastSquares,
    /// A 2-4-1 tanh network, mean squared error; parameters `W₁` (4×2,
    /// row-major), `b₁` (4), `W₂` (1×4), `b₂` (1).
    Mlp,
}

impl Problem {
    /// Every problem, in wire order.
    pub const ALL: [Problem; 4] = [Problem::Quadratic, Problem::Rosenbrock, Problem::LeastSquares, Problem::Mlp];

    /// The name the cases use.
    pub fn name(self) -> &'static str {
        match self {
            Problem::Quadratic => "quadratic",
            Problem::Rosenbrock => "rosenbrock",
            Problem::LeastSquares => "least_squares",
            Problem::Mlp => "mlp",
        }
    }

    /// The problem called `name`.
    pub fn from_name(name: &str) -> Option<Problem> {
        Problem::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The loss at `p` and its gradient. `x` (row-major, a row per example)
    /// and `y` are the data of least squares and the MLP; the others take
    /// none. Parameters of the wrong length give a NaN loss.
    pub fn loss_grad(self, p: &[f64], x: &[f64], y: &[f64]) -> (f64, Vec<f64>) {
        let mut g = vec![0.0; p.len()];
        let nan = (f64::NAN, g.clone());
        match self {
            Problem::Quadratic => {
                if p.len() != 2 {
                    return nan;
                }
                g[0] = 0.2 * p[0];
                g[1] = 4.0 * p[1];
                (0.1 * p[0] * p[0] + 2.0 * p[1] * p[1], g)
            }
            Problem::Rosenbrock => {
                if p.len() != 2 {
                    return nan;
                }
                let (a, b) = (1.0 - p[0], p[1] - p[0] * p[0]);
                g[0] = -2.0 * a - 400.0 * p[0] * b;
                g[1] = 200.0 * b;
                (a * a + 100.0 * b * b, g)
            }
            Problem::LeastSquares => {
                let d = p.len().wrapping_sub(1);
                let n = y.len();
                if p.is_empty() || x.len() != n * d || n == 0 {
                    return nan;
                }
                let mut loss = 0.0;
                for (row, &target) in x.chunks_exact(d).zip(y) {
                    let r = row.iter().zip(p).map(|(a, w)| a * w).sum::<f64>() + p[d] - target;
                    loss += r * r;
                    let c = 2.0 * r / n as f64;
                    for (gj, a) in g.iter_mut().zip(row) {
                        *gj += c * a;
                    }
                    g[d] += c;
                }
                (loss / n as f64, g)
            }
            Problem::Mlp => {
                let n = y.len();
                if p.len() != 17 || x.len() != 2 * n || n == 0 {
                    return nan;
                }
                let (w1, b1, w2, b2) = (&p[0..8], &p[8..12], &p[12..16], p[16]);
                let mut loss = 0.0;
                for (row, &target) in x.chunks_exact(2).zip(y) {
                    let mut h = [0.0; 4];
                    for j in 0..4 {
                        h[j] = (w1[2 * j] * row[0] + w1[2 * j + 1] * row[1] + b1[j]).tanh();
                    }
                    let out = h.iter().zip(w2).map(|(a, w)| a * w).sum::<f64>() + b2;
                    let r = out - target;
                    loss += r * r;
                    let d_out = 2.0 * r / n as f64;
                    for j in 0..4 {
                        g[12 + j] += d_out * h[j];
                        let d_pre = d_out * w2[j] * (1.0 - h[j] * h[j]);
                        g[2 * j] += d_pre * row[0];
                        g[2 * j + 1] += d_pre * row[1];
                        g[8 + j] += d_pre;
                    }
                    g[16] += d_out;
                }
                (loss / n as f64, g)
            }
        }
    }
}
