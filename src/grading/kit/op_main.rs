//! The runner compiled around a student's op (`rustc --cfg student_kit`, no
//! dependencies). It reads jobs from stdin and writes the student's outputs
//! to stdout, in the framed little-endian format of
//! `descent::grading::runner`: it never sees a reference value.

mod solution;
mod student_api;

use std::io::{self, BufWriter, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn u32_from(r: &mut impl Read) -> io::Result<usize> {
    let mut b = [0; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b) as usize)
}

fn f64s_from(r: &mut impl Read, n: usize) -> io::Result<Vec<f64>> {
    let mut b = vec![0; 8 * n];
    r.read_exact(&mut b)?;
    Ok(b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
}

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
                out.write_all(&[0])?;
                out.write_all(&(values.len() as u32).to_le_bytes())?;
                for v in values {
                    out.write_all(&v.to_le_bytes())?;
                }
            }
            Err(m) => {
                out.write_all(&[1])?;
                out.write_all(&(m.len() as u32).to_le_bytes())?;
                out.write_all(m.as_bytes())?;
            }
        }
        out.write_all(&started.elapsed().as_secs_f64().to_le_bytes())?;
    }
    out.flush()
}

fn message(e: Box<dyn std::any::Any + Send>, what: &str) -> String {
    let m = e
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    format!("panicked in {what}: {m}")
}
