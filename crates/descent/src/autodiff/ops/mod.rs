//! The ops of the autodiff engine, one family per file.
//!
//! Rule of this folder (as in dfdx's `tensor_ops`): each op is a method on
//! [`Var`](super::Var) whose doc names the op and its formula, then
//! `# Gradient`, `# Shapes` and the PyTorch equivalent. Its forward and its
//! local derivative sit side by side. Pointwise ops share one backward
//! ([`pointwise`]); binary ops share one broadcasting backward
//! ([`arithmetic`]).
//!
//! | file | ops |
//! |---|---|
//! | `pointwise.rs` | the shared machinery of elementwise functions |
//! | `elementwise.rs` | `neg`, `add_scalar`, `mul_scalar`, `powf`, `exp`, `log`, `sqrt`, `abs` |
//! | `activation.rs` | `relu`, `sigmoid`, `tanh` |
//! | `arithmetic.rs` | broadcasting `add`, `sub`, `mul`, `div` |
//! | `matmul.rs` | `matmul`, fused `linear` |
//! | `shape.rs` | `reshape`, `flatten`, `transpose`, `permute` |
//! | `reduce.rs` | `sum`, `mean`, `sum_axis`, `mean_axis` |
//! | `conv/` | `conv2d` (im2col + GEMM, or direct kernels), `conv2d_max_pool2x2`, `conv2d_max_pool2x2_relu` |
//! | `pool.rs` | `max_pool2d` |
//! | `norm.rs` | `normalize` (the core of batch and layer norm) |
//! | `loss.rs` | `log_softmax`, fused `softmax_cross_entropy`, `mse_loss` |

pub mod activation;
pub mod arithmetic;
pub mod conv;
pub mod elementwise;
pub mod loss;
pub mod matmul;
pub mod norm;
pub mod pointwise;
pub mod pool;
pub mod reduce;
pub mod shape;
