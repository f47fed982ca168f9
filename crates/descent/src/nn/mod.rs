//! Neural-network layers on the autodiff engine.
//!
//! A model is a [`Module`]: `forward` records its computation on a tape, and
//! `named_parameters` lists its [`Param`]s in a stable order (the order the
//! optimizer, checkpoints and golden values rely on; names follow PyTorch's
//! `state_dict`, e.g. `"0.weight"`).
//!
//! One layer per file; initialisers in [`init`].

mod activation;
mod conv2d;
mod flatten;
pub mod init;
mod linear;
mod module;
mod norm;
mod pool;
mod sequential;

pub use crate::autodiff::Param;
pub use activation::ReLU;
pub use conv2d::Conv2d;
pub use flatten::Flatten;
pub use init::Init;
pub use linear::Linear;
pub use module::Module;
pub use norm::{BatchNorm, BatchNorm1d, BatchNorm2d, LayerNorm, BN_MOMENTUM, NORM_EPS};
pub use pool::MaxPool2d;
pub use sequential::Sequential;
