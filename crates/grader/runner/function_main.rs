//! The runner compiled around a student's functions (`rustc --cfg
//! student_kit`, no dependencies): `build_function(op)` for each op a call
//! names. It reads calls from stdin and writes the student's outputs to
//! stdout, in the framed little-endian format of `descent_grader::wire`: it
//! never sees a reference value.

mod solution;
mod student_api;
#[allow(dead_code)] // The grader's side of the format is not the runner's.
mod wire;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use student_api::{StudentFunction, Tensor};

type Built = Result<Box<dyn StudentFunction>, String>;

fn main() -> std::io::Result<()> {
    std::panic::set_hook(Box::new(|_| {}));
    let mut built: BTreeMap<String, Built> = BTreeMap::new();
    wire::serve(|call| {
        let f = built.entry(call.op.clone()).or_insert_with(|| {
            match catch_unwind(AssertUnwindSafe(|| solution::build_function(&call.op))) {
                Ok(Some(f)) => Ok(f),
                Ok(None) => Err(format!("build_function({:?}) returned None", call.op)),
                Err(_) => Err(format!("panicked in build_function({:?})", call.op)),
            }
        });
        let f = f.as_ref().map_err(Clone::clone)?;
        let inputs: Vec<Tensor> = call.inputs.iter().map(|(shape, data)| Tensor { data, shape }).collect();
        Ok(match &call.dy {
            Some(dy) => f.backward(&inputs, dy),
            None => vec![f.forward(&inputs)],
        })
    })
}
