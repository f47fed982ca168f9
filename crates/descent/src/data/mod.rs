//! Datasets: MNIST (IDX files, verified, found or, with the `download`
//! feature, downloaded), generated and real regression data,
//! standardisation, 2-D test surfaces, and batching.

pub mod batch;
#[cfg(feature = "download")]
pub mod download;
pub mod mnist;
pub mod regression;
pub mod surfaces;

pub use batch::{Batches, Batching};
pub use mnist::{Mnist, MnistSplit};
