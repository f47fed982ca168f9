//! Datasets: MNIST (IDX files, verified, found or downloaded), generated and
//! real regression data, standardisation, and batching.

pub mod batch;
pub mod download;
pub mod mnist;
pub mod regression;

pub use batch::{Batches, Batching};
pub use mnist::{Mnist, MnistSplit};
