//! The runner compiled around a student's training (`rustc --cfg
//! student_kit`, with descent's prebuilt core as its one dependency). It
//! reads the training examples from stdin (the held-out ones never come
//! here), calls the student's `train`, and writes the trained model (which
//! of descent's MNIST models, and every parameter by name) to stdout, in
//! the framed little-endian format of `descent_grader::wire`. The grader
//! evaluates it, outside this process.

mod solution;
#[allow(dead_code)] // The grader's side of the format is not the runner's.
mod wire;

use descent::data::MnistSplit;
use descent::nn::Module;
use std::io::{self, BufWriter, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use wire::{panic_text, put_bytes, put_f64s, put_u32, u32_from};

fn main() -> io::Result<()> {
    let mut input = io::stdin().lock();
    let (rows, cols, n, seed) =
        (u32_from(&mut input)?, u32_from(&mut input)?, u32_from(&mut input)?, u32_from(&mut input)? as u64);
    let mut images = vec![0u8; n * rows * cols];
    input.read_exact(&mut images)?;
    let mut labels = vec![0u8; n];
    input.read_exact(&mut labels)?;
    let images = descent::ndarray::Array2::from_shape_vec((n, rows * cols), images).expect("sizes agree");
    let data = MnistSplit { images, labels, rows, cols };
    let mut out = BufWriter::new(io::stdout().lock());
    std::panic::set_hook(Box::new(|_| {}));
    let started = std::time::Instant::now();
    let trained = catch_unwind(AssertUnwindSafe(|| solution::train(&data, seed)));
    match trained {
        Ok(Ok((which, model))) => {
            out.write_all(&[wire::VALUES])?;
            put_bytes(&mut out, which.name().as_bytes())?;
            let params = model.named_parameters();
            put_u32(&mut out, params.len())?;
            for (name, p) in params {
                put_bytes(&mut out, name.as_bytes())?;
                let v = p.value();
                put_u32(&mut out, v.ndim())?;
                for &d in v.shape() {
                    put_u32(&mut out, d)?;
                }
                let values: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
                put_u32(&mut out, values.len())?;
                put_f64s(&mut out, &values)?;
            }
        }
        Ok(Err(e)) => {
            out.write_all(&[wire::PANICKED])?;
            put_bytes(&mut out, format!("train returned an error: {e}").as_bytes())?;
        }
        Err(e) => {
            out.write_all(&[wire::PANICKED])?;
            put_bytes(&mut out, format!("panicked in train: {}", panic_text(e.as_ref())).as_bytes())?;
        }
    }
    out.write_all(&[wire::END])?;
    put_f64s(&mut out, &[started.elapsed().as_secs_f64()])?;
    out.flush()
}
