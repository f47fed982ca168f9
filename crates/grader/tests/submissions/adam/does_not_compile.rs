//! Does not compile: a type error.
use crate::student_api::{Hyper, StudentOptimizer};

pub fn build(h: &Hyper) -> Box<dyn StudentOptimizer> {
    let lr: f64 = "0.01";
    todo!("{lr} {h:?}")
}
