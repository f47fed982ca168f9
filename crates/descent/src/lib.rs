//! # descent
//!
//! The core of descent, a laboratory for the optimizers of deep learning,
//! written from scratch on [`ndarray`]:
//!
//! - [`autodiff`]: a reverse-mode automatic differentiation engine (a tape of
//!   nodes, `backward()` from a scalar) with the ops an MLP or a small CNN
//!   needs, and [`autodiff::gradcheck`](mod@autodiff::gradcheck) to check any of them by central
//!   differences.
//! - [`kernels`]: the matrix products, convolution and pooling kernels the
//!   ops call (AVX-512 where the CPU has it, the same bits everywhere).
//! - [`nn`]: layers (`Linear`, `Conv2d`, `MaxPool2d`, `ReLU`, `Flatten`,
//!   normalization, `Sequential`), the [`nn::Module`] trait that lists a
//!   model's parameters in a stable order, and seeded initialisers.
//! - [`optim`]: the optimizers, each matching `torch.optim` step for step,
//!   learning-rate schedules, and [`optim::minimize`] (any optimizer on a
//!   function of a few variables, with its path).
//! - [`train`] and [`data`]: the training loop and its datasets (MNIST,
//!   generated and real regression data, test surfaces, batching).
//!
//! Every computation is generic over [`Element`] (`f32` for training speed,
//! `f64` for exact checks) and every random draw takes a seed ([`rng`]).
//! The experiments and the report are in the `descent-lab` crate, charts in
//! `descent-plot`, the grader in `descent-grader`: this crate needs none of
//! them.
//!
//! ```
//! use descent::autodiff::Tape;
//! use ndarray::array;
//!
//! let tape = Tape::<f64>::new();
//! let x = tape.leaf(array![1.0, 2.0, 3.0].into_dyn());
//! let y = x.mul(&x).unwrap().sum(); // y = sum(x^2)
//! let grads = tape.backward(&y).unwrap();
//! assert_eq!(grads.wrt(&x).unwrap().unwrap(), &array![2.0, 4.0, 6.0].into_dyn());
//! ```

pub mod autodiff;
pub mod data;
pub mod element;
pub mod error;
pub mod files;
pub mod kernels;
pub mod linalg;
pub mod nn;
pub mod optim;
pub mod rng;
pub mod train;

pub use element::Element;
pub use error::{Error, Result};

// Notebooks use the crate's own ndarray, so that their types are the ones
// the library takes and returns (no second version to pin).
pub use ndarray;
