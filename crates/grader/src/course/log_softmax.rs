//! The `log_softmax` assignment's reference code: log-softmax over the last
//! axis and its backward, and the slips a student makes in either, each
//! computed here.

use super::OpSlip;

/// Rows of `x` over its last axis.
fn rows<'a>(x: &'a [f64], shape: &[usize]) -> impl Iterator<Item = &'a [f64]> {
    x.chunks(shape.last().copied().unwrap_or(1).max(1))
}

/// Log-softmax over the last axis, the row's maximum subtracted first.
pub fn log_softmax(x: &[f64], shape: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for row in rows(x, shape) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
        out.extend(row.iter().map(|v| v - lse));
    }
    out
}

/// The textbook formula `ln(eᵡ / Σ eᵡ)`, which overflows for large `x`.
fn log_softmax_naive(x: &[f64], shape: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for row in rows(x, shape) {
        let sum: f64 = row.iter().map(|v| v.exp()).sum();
        out.extend(row.iter().map(|v| (v.exp() / sum).ln()));
    }
    out
}

/// `backward` from the softmax `s` and `dy`, row by row, with `rule(s_row,
/// dy_row, Σ dy_row)` giving the row's gradient.
fn row_backward(x: &[f64], shape: &[usize], dy: &[f64], rule: fn(f64, f64, f64, f64) -> f64) -> Vec<f64> {
    let s: Vec<f64> = log_softmax(x, shape).iter().map(|v| v.exp()).collect();
    let mut out = Vec::with_capacity(x.len());
    for (s_row, dy_row) in rows(&s, shape).zip(rows(dy, shape)) {
        let total: f64 = dy_row.iter().sum();
        let weighted: f64 = s_row.iter().zip(dy_row).map(|(a, b)| a * b).sum();
        out.extend(s_row.iter().zip(dy_row).map(|(&si, &gi)| rule(si, gi, total, weighted)));
    }
    out
}

/// The slips of log-softmax.
pub const SLIPS: &[OpSlip] = &[
    OpSlip {
        key: "no_max_subtraction",
        description: "log(exp(x) / Σ exp(x)) without subtracting the row's maximum: exp overflows to ∞ above \
                      about 709 and underflows to 0 far below the row's maximum, so large logits give NaN or −∞",
        forward: true,
        compute: |xs, shapes, _| vec![log_softmax_naive(&xs[0], &shapes[0])],
    },
    OpSlip {
        key: "missing_sum_of_dy",
        description: "dx = dy − softmax(x), without multiplying the softmax by the row's Σ dy",
        forward: false,
        compute: |xs, shapes, dy| vec![row_backward(&xs[0], &shapes[0], dy, |s, g, _, _| g - s)],
    },
    OpSlip {
        key: "diagonal_jacobian",
        description: "only the Jacobian's diagonal: dx = dy · (1 − softmax(x))",
        forward: false,
        compute: |xs, shapes, dy| vec![row_backward(&xs[0], &shapes[0], dy, |s, g, _, _| g * (1.0 - s))],
    },
    OpSlip {
        key: "softmax_backward",
        description: "the backward of softmax, not of log-softmax: dx = s · (dy − Σ s·dy)",
        forward: false,
        compute: |xs, shapes, dy| vec![row_backward(&xs[0], &shapes[0], dy, |s, g, _, w| s * (g - w))],
    },
];

/// The correct backward of log-softmax: `dx = dy − softmax(x) · Σ dy`.
pub fn log_softmax_backward(x: &[f64], shape: &[usize], dy: &[f64]) -> Vec<f64> {
    row_backward(x, shape, dy, |s, g, total, _| g - s * total)
}
