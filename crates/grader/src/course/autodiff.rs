//! The `autodiff` assignment's reference code: the forward and backward of
//! four ops of a reverse-mode engine, as PyTorch defines them, and the
//! slips a student makes in the backward, each computed here.
//!
//! | op | inputs | output |
//! |---|---|---|
//! | `matmul` | `a` `[m, k]`, `b` `[k, n]` | `a b` `[m, n]` |
//! | `relu` | `x` | `max(x, 0)`; the gradient at 0 is 0 (`torch.relu`'s) |
//! | `add` | `x` `[r, c]`, `b` `[c]` | `x + b`, `b` broadcast over the rows |
//! | `softmax_cross_entropy` | `logits` `[n, c]`, `labels` `[n]` (class indices) | the mean over rows of `−log softmax(logits)[label]`, a scalar (`F.cross_entropy`'s) |

use super::OpSlip;

/// The op names, in the assignment's order.
pub const OPS: [&str; 4] = ["matmul", "relu", "add", "softmax_cross_entropy"];

/// `a [m, k] · b [k, n]`, where `at`/`bt` read `a`/`b` transposed in
/// memory (`a` stored as `[k, m]`, `b` as `[n, k]`).
fn product(a: &[f64], b: &[f64], (m, k, n): (usize, usize, usize), at: bool, bt: bool) -> Vec<f64> {
    let mut y = vec![0.0; m * n];
    for i in 0..m {
        for p in 0..k {
            let aip = if at { a[p * m + i] } else { a[i * k + p] };
            for j in 0..n {
                y[i * n + j] += aip * if bt { b[j * k + p] } else { b[p * n + j] };
            }
        }
    }
    y
}

/// The rows and columns of a 2-D shape.
fn dims(shape: &[usize]) -> (usize, usize) {
    (shape[0], shape[1])
}

/// The forward of `op` at `xs` (of `shapes`).
pub fn forward(op: &str, xs: &[Vec<f64>], shapes: &[Vec<usize>]) -> Vec<f64> {
    match op {
        "matmul" => {
            let ((m, k), (_, n)) = (dims(&shapes[0]), dims(&shapes[1]));
            product(&xs[0], &xs[1], (m, k, n), false, false)
        }
        "relu" => xs[0].iter().map(|&v| v.max(0.0)).collect(),
        "add" => {
            let c = xs[1].len();
            xs[0].chunks(c).flat_map(|row| row.iter().zip(&xs[1]).map(|(x, b)| x + b)).collect()
        }
        "softmax_cross_entropy" => {
            let (n, c) = dims(&shapes[0]);
            let total: f64 = xs[0]
                .chunks(c)
                .zip(&xs[1])
                .map(|(row, &label)| {
                    let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln() - row[label as usize]
                })
                .sum();
            vec![total / n as f64]
        }
        _ => Vec::new(),
    }
}

/// Softmax of each row, the row's maximum subtracted first unless `naive`.
fn softmax(z: &[f64], c: usize, naive: bool) -> Vec<f64> {
    let mut out = Vec::with_capacity(z.len());
    for row in z.chunks(c) {
        let max = if naive { 0.0 } else { row.iter().copied().fold(f64::NEG_INFINITY, f64::max) };
        let sum: f64 = row.iter().map(|v| (v - max).exp()).sum();
        out.extend(row.iter().map(|v| (v - max).exp() / sum));
    }
    out
}

/// Cross-entropy's gradient with respect to the logits: `dy · (p − onehot)
/// / scale` from the softmax `p`, with `onehot` weighted by `sign`.
fn ce_grad(xs: &[Vec<f64>], shapes: &[Vec<usize>], dy: &[f64], naive: bool, onehot: f64, mean: bool) -> Vec<Vec<f64>> {
    let (n, c) = dims(&shapes[0]);
    let mut g = softmax(&xs[0], c, naive);
    for (row, &label) in g.chunks_mut(c).zip(&xs[1]) {
        row[label as usize] -= onehot;
    }
    let scale = dy[0] / if mean { n as f64 } else { 1.0 };
    g.iter_mut().for_each(|v| *v *= scale);
    vec![g, Vec::new()]
}

/// The backward of `op`: the gradient per input (empty for the labels).
pub fn backward(op: &str, xs: &[Vec<f64>], shapes: &[Vec<usize>], dy: &[f64]) -> Vec<Vec<f64>> {
    match op {
        "matmul" => matmul_backward(xs, shapes, dy, false),
        "relu" => vec![xs[0].iter().zip(dy).map(|(&x, &g)| if x > 0.0 { g } else { 0.0 }).collect()],
        "add" => vec![dy.to_vec(), column_sums(dy, xs[1].len(), false)],
        "softmax_cross_entropy" => ce_grad(xs, shapes, dy, false, 1.0, true),
        _ => Vec::new(),
    }
}

/// `da = dy bᵀ`, `db = aᵀ dy`; with `untransposed`, each factor read as it
/// is stored instead of transposed.
fn matmul_backward(xs: &[Vec<f64>], shapes: &[Vec<usize>], dy: &[f64], untransposed: bool) -> Vec<Vec<f64>> {
    let ((m, k), (_, n)) = (dims(&shapes[0]), dims(&shapes[1]));
    // da [m, k] = dy [m, n] · bᵀ [n, k]; db [k, n] = aᵀ [k, m] · dy [m, n].
    vec![product(dy, &xs[1], (m, n, k), false, !untransposed), product(&xs[0], dy, (k, m, n), !untransposed, false)]
}

/// The sum (or mean) of `dy`'s rows of `c` columns.
fn column_sums(dy: &[f64], c: usize, mean: bool) -> Vec<f64> {
    let mut s = vec![0.0; c];
    let rows = dy.chunks(c).len().max(1);
    for row in dy.chunks(c) {
        s.iter_mut().zip(row).for_each(|(a, b)| *a += b);
    }
    if mean {
        s.iter_mut().for_each(|v| *v /= rows as f64);
    }
    s
}

/// The slips of `matmul`'s backward.
pub const MATMUL_SLIPS: &[OpSlip] = &[
    OpSlip::backward(
        "gradients_swapped",
        "the two gradients returned in the wrong order (aᵀ·dy first, then dy·bᵀ)",
        |xs, shapes, dy| matmul_backward(xs, shapes, dy, false).into_iter().rev().collect(),
    ),
    OpSlip::backward(
        "untransposed_factors",
        "da = dy·b and db = a·dy with each factor indexed as it is stored, not transposed",
        |xs, shapes, dy| matmul_backward(xs, shapes, dy, true),
    ),
];

/// The slips of `relu`'s backward.
pub const RELU_SLIPS: &[OpSlip] = &[
    OpSlip::backward("identity_backward", "dx = dy everywhere: the gradient is not masked where x < 0", |_, _, dy| {
        vec![dy.to_vec()]
    }),
    OpSlip::backward(
        "gradient_at_zero",
        "the mask x ≥ 0 instead of x > 0: at x = 0 the gradient passes, where PyTorch's (and the usual \
         subgradient convention's) is 0",
        |xs, _, dy| vec![xs[0].iter().zip(dy).map(|(&x, &g)| if x >= 0.0 { g } else { 0.0 }).collect()],
    ),
    OpSlip::backward("relu_of_dy", "dx = max(dy, 0): the mask taken from dy instead of from x", |_, _, dy| {
        vec![dy.iter().map(|&g| g.max(0.0)).collect()]
    }),
];

/// The slips of the broadcasted `add`'s backward.
pub const ADD_SLIPS: &[OpSlip] = &[
    OpSlip::backward("bias_grad_mean", "db = the mean of dy over the rows, not their sum", |xs, _, dy| {
        vec![dy.to_vec(), column_sums(dy, xs[1].len(), true)]
    }),
    OpSlip::backward(
        "bias_grad_first_row",
        "db = dy's first row: the broadcast's gradient not summed over the rows it was copied to",
        |xs, _, dy| vec![dy.to_vec(), dy[..xs[1].len()].to_vec()],
    ),
];

/// The slips of softmax cross-entropy's backward.
pub const CE_SLIPS: &[OpSlip] = &[
    OpSlip::backward(
        "no_mean",
        "dy·(softmax − onehot) without dividing by the batch's rows (the loss is their mean)",
        |xs, s, dy| ce_grad(xs, s, dy, false, 1.0, false),
    ),
    OpSlip::backward("no_onehot", "dy·softmax/n: the one-hot label not subtracted", |xs, s, dy| {
        ce_grad(xs, s, dy, false, 0.0, true)
    }),
    OpSlip::backward("sign_flipped", "dy·(onehot − softmax)/n: the sign flipped", |xs, s, dy| {
        let mut g = ce_grad(xs, s, dy, false, 1.0, true);
        g[0].iter_mut().for_each(|v| *v = -*v);
        g
    }),
    OpSlip::backward(
        "naive_softmax",
        "the softmax without subtracting the row's maximum: exp overflows for logits above about 709, so large \
         logits give NaN",
        |xs, s, dy| ce_grad(xs, s, dy, true, 1.0, true),
    ),
];
