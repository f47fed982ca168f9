//! The runner compiled around a student's op (`rustc --cfg student_kit`, no
//! dependencies). It reads jobs from stdin and writes the student's outputs
//! to stdout, in the framed little-endian format of
//! `descent_grader::wire`: it never sees a reference value.

mod solution;
mod student_api;
#[allow(dead_code)] // The grader's side of the format is not the runner's.
mod wire;

use std::io::{self, BufWriter, Read, Write};
use wire::{f64s_from, panic_text, put_bytes, put_f64s, put_u32, u32_from};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn main() -> io::Result<()> {
    let mut input = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    std::panic::set_hook(Box::new(|_| {}));
    let op = catch_unwind(solution::build_op);
    let jobs = u32_from(&mut input)?;
    for _ in 0..jobs {
        let mut kind = [0];
        input.read_exact(&mut kind)?;
        let ndim = u32_from(&mut input)?;
        let shape = (0..ndim).map(|_| u32_from(&mut input)).collect::<io::Result<Vec<_>>>()?;
        let n = u32_from(&mut input)?;
        let x = f64s_from(&mut input, n)?;
        let dy = if kind[0] == 1 {
            let m = u32_from(&mut input)?;
            Some(f64s_from(&mut input, m)?)
        } else {
            None
        };
        let started = std::time::Instant::now();
        let result = match &op {
            Ok(op) => catch_unwind(AssertUnwindSafe(|| match &dy {
                Some(dy) => op.backward(&x, &shape, dy),
                None => op.forward(&x, &shape),
            }))
            .map_err(|e| message(e, if dy.is_some() { "backward" } else { "forward" })),
            Err(_) => Err("panicked in build_op".to_string()),
        };
        match result {
            Ok(values) => {
                out.write_all(&[wire::VALUES])?;
                put_u32(&mut out, values.len())?;
                put_f64s(&mut out, &values)?;
            }
            Err(m) => {
                out.write_all(&[wire::PANICKED])?;
                put_bytes(&mut out, m.as_bytes())?;
            }
        }
        put_f64s(&mut out, &[started.elapsed().as_secs_f64()])?;
    }
    out.flush()
}

fn message(e: Box<dyn std::any::Any + Send>, what: &str) -> String {
    format!("panicked in {what}: {}", panic_text(e.as_ref()))
}
