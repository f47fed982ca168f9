//! The runner compiled around a student's op (`rustc --cfg student_kit`, no
//! dependencies). It reads calls from stdin and writes the student's
//! outputs to stdout, in the framed little-endian format of
//! `descent_grader::wire`: it never sees a reference value.

mod solution;
mod student_api;
#[allow(dead_code)] // The grader's side of the format is not the runner's.
mod wire;

use std::panic::catch_unwind;

fn main() -> std::io::Result<()> {
    std::panic::set_hook(Box::new(|_| {}));
    let op = catch_unwind(solution::build_op).map_err(|_| "panicked in build_op".to_string());
    wire::serve(|call| {
        let op = op.as_ref().map_err(Clone::clone)?;
        let [(shape, x)] = call.inputs.as_slice() else {
            return Err(format!("{} inputs to an op of one", call.inputs.len()));
        };
        Ok(vec![match &call.dy {
            Some(dy) => op.backward(x, shape, dy),
            None => op.forward(x, shape),
        }])
    })
}
