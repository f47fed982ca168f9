//! Reverse-mode automatic differentiation on `ndarray`, from scratch.
//!
//! A [`Tape`] records every op applied to its values as a node: the op's
//! output and, beside it, how to send a gradient back to its inputs. A
//! [`Var`] is a handle to one node. [`Tape::backward`] walks the nodes in
//! reverse order of creation (which is a topological order, since an op's
//! inputs always exist before it) and accumulates gradients with `+=`, so a
//! value used twice receives both contributions.
//!
//! ## Layout
//! - `tape.rs`: the graph, `Var`, `backward`, [`Gradients`].
//! - `param.rs`: [`Param`], the tape's shared leaf: a named array a model
//!   trains (re-exported by `nn`, whose layers own them).
//! - `broadcast.rs`: NumPy broadcasting and its adjoint (summing a gradient
//!   back to an operand's shape).
//! - `ops/`: one op family per file, each op's forward and local derivative
//!   side by side. Few ops carry their own backward; the rest are built from
//!   them.
//! - `gradcheck.rs`: central-difference gradient checks in `f64`, public so
//!   that tests and notebooks can check any function built from the ops.
//!
//! All values on a tape are kept in standard (row-major, contiguous) layout,
//! which the kernels ([`crate::kernels`]: GEMM, im2col, pooling) rely on.

mod broadcast;
pub mod gradcheck;
pub mod ops;
mod param;
mod tape;

pub use broadcast::{broadcast_shape, sum_to_shape};
pub use gradcheck::{gradcheck, GradCheckOptions, GradCheckReport};
pub use ops::conv::Conv2dOptions;
pub use ops::norm::GroupStats;
pub use param::Param;
pub use tape::{recycle, Gradients, Tape, Var};

pub(crate) use tape::Backward;
