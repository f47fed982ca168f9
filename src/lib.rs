//! # descent
//!
//! A laboratory for the optimizers of deep learning, written from scratch on
//! [`ndarray`]:
//!
//! - [`autodiff`]: a reverse-mode automatic differentiation engine (a tape of
//!   nodes, `backward()` from a scalar) with the ops an MLP or a small CNN
//!   needs, and [`autodiff::gradcheck`] to check any of them by central
//!   differences.
//! - [`nn`]: layers (`Linear`, `Conv2d`, `MaxPool2d`, `ReLU`, `Flatten`,
//!   `Sequential`), the [`nn::Module`] trait that lists a model's parameters
//!   in a stable order, and seeded initialisers (He, Xavier, PyTorch's
//!   defaults).
//! - [`optim`]: the optimizers, each matching `torch.optim` step for step;
//!   [`train`], [`data`] and [`experiments`]: the training loop, datasets and
//!   the seeds' experiments (polars DataFrames); [`report`] draws and writes
//!   the HTML report; [`notebook`] shows charts and tables in Jupyter.
//!
//! Every computation is generic over [`Element`] (`f32` for training speed,
//! `f64` for exact checks) and every random draw takes a seed ([`rng`]).
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
pub mod cpu;
pub mod data;
pub mod element;
pub mod error;
pub mod experiments;
pub mod files;
pub mod grading;
pub mod linalg;
pub mod nn;
pub mod notebook;
pub mod optim;
pub mod plot;
pub mod report;
pub mod rng;
pub mod train;

pub use element::Element;
pub use error::{Error, Result};

// The notebooks use the crate's own ndarray and polars, so that their types
// are the ones the library takes and returns (no second version to pin).
pub use ndarray;
pub use polars;
