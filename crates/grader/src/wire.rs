//! The framed little-endian format between the grader and a submission's
//! runner, both sides: what each writes and how the other reads it. This
//! file is also compiled into every runner (`rustc --cfg student_kit`, no
//! dependencies): keep it free of anything but `std`.
//!
//! To an optimizer's runner: `u32` jobs; per job a `u8` mode ([`FORCED`] or
//! [`FREE`]), `u32 n`, `u32 steps`, [`HYPER`] `f64` hyperparameters (lr,
//! β1, β2, ε, λ, μ, nesterov, amsgrad, decoupled, maximize, α, centered,
//! lr_decay, initial_accumulator_value, ρ), then for a
//! teacher-forced job per step `n` parameters and `n` gradients; for a
//! free-running one the problem's number, `u32`-prefixed `x` and `y`, and
//! the `n` starting parameters. From it, per job: per completed step
//! [`STEP`], `n` parameters, `u32` buffers, each a `u32`-prefixed name and
//! `u32`-prefixed `f64`s; [`PANICKED`] and a `u32`-prefixed message if it
//! panicked; [`END`] and the job's seconds (`f64`) at its end.
//!
//! To an op's or function's runner: `u32` jobs; per job a `u8` (0 forward,
//! 1 backward), the op's `u32`-prefixed name, `u32` inputs, each its shape
//! (`u32` rank, `u32` sizes) and `u32`-prefixed values, and, for a
//! backward, a `u32`-prefixed `dy`. From it, per job [`VALUES`], `u32`
//! arrays and each `u32`-prefixed values (a forward's output, or a
//! backward's gradient per input), or [`PANICKED`] and a `u32`-prefixed
//! message, then the call's seconds (`f64`).
//!
//! The runner reads the grader's (trusted) input as a stream; the grader
//! reads the runner's (untrusted) output with [`Frames`], which never
//! allocates more than the bytes it was given, whatever a frame declares.

use std::io::{self, Read, Write};

/// How many `f64` hyperparameters a job carries.
pub const HYPER: usize = 15;
/// Mode of a teacher-forced job: the grader sends every step's inputs.
pub const FORCED: u8 = 0;
/// Mode of a free-running job: the runner computes its own gradients.
pub const FREE: u8 = 1;
/// A completed step (optimizer runner) follows.
pub const STEP: u8 = 0;
/// An op's values follow.
pub const VALUES: u8 = 0;
/// The student's code panicked; the message follows.
pub const PANICKED: u8 = 1;
/// The job ended; its seconds follow.
pub const END: u8 = 2;

/// Writes `n` as a little-endian `u32` (a count or a size).
pub fn put_u32(w: &mut impl Write, n: usize) -> io::Result<()> {
    w.write_all(&(n as u32).to_le_bytes())
}

/// Writes `xs` as little-endian `f64`s.
pub fn put_f64s(w: &mut impl Write, xs: &[f64]) -> io::Result<()> {
    for x in xs {
        w.write_all(&x.to_le_bytes())?;
    }
    Ok(())
}

/// Writes `b` after its length as a `u32`.
pub fn put_bytes(w: &mut impl Write, b: &[u8]) -> io::Result<()> {
    put_u32(w, b.len())?;
    w.write_all(b)
}

/// Reads a `u32` (a count or a size) from a stream.
pub fn u32_from(r: &mut impl Read) -> io::Result<usize> {
    let mut b = [0; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b) as usize)
}

/// Reads `n` `f64`s from a stream (the runner's side: the grader's input
/// is trusted).
pub fn f64s_from(r: &mut impl Read, n: usize) -> io::Result<Vec<f64>> {
    let mut b = vec![0; 8 * n];
    r.read_exact(&mut b)?;
    Ok(b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
}

/// What a panic said (its `&str` or `String` payload).
pub fn panic_text(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// One call of an op or function, as its runner reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The op (`matmul`).
    pub op: String,
    /// Its inputs: each its shape and its values, row-major.
    pub inputs: Vec<(Vec<usize>, Vec<f64>)>,
    /// The upstream gradient of a backward; `None` for a forward.
    pub dy: Option<Vec<f64>>,
}

/// Writes `call` in the runner's input format.
pub fn put_call(w: &mut impl Write, call: &Call) -> io::Result<()> {
    w.write_all(&[u8::from(call.dy.is_some())])?;
    put_bytes(w, call.op.as_bytes())?;
    put_u32(w, call.inputs.len())?;
    for (shape, values) in &call.inputs {
        put_u32(w, shape.len())?;
        for &d in shape {
            put_u32(w, d)?;
        }
        put_u32(w, values.len())?;
        put_f64s(w, values)?;
    }
    if let Some(dy) = &call.dy {
        put_u32(w, dy.len())?;
        put_f64s(w, dy)?;
    }
    Ok(())
}

/// Reads a [`Call`] (the runner's side).
pub fn call_from(r: &mut impl Read) -> io::Result<Call> {
    let mut kind = [0];
    r.read_exact(&mut kind)?;
    let n = u32_from(r)?;
    let mut op = vec![0; n];
    r.read_exact(&mut op)?;
    let k = u32_from(r)?;
    let mut inputs = Vec::with_capacity(k);
    for _ in 0..k {
        let rank = u32_from(r)?;
        let shape = (0..rank).map(|_| u32_from(r)).collect::<io::Result<Vec<_>>>()?;
        let n = u32_from(r)?;
        inputs.push((shape, f64s_from(r, n)?));
    }
    let dy = if kind[0] == 1 {
        let n = u32_from(r)?;
        Some(f64s_from(r, n)?)
    } else {
        None
    };
    Ok(Call { op: String::from_utf8_lossy(&op).into_owned(), inputs, dy })
}

/// The op runner's loop: reads the calls from stdin and writes what
/// `answer` gives for each (a panic in it becomes [`PANICKED`]) to stdout.
pub fn serve(mut answer: impl FnMut(&Call) -> Result<Vec<Vec<f64>>, String>) -> io::Result<()> {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let mut input = io::stdin().lock();
    let mut out = io::BufWriter::new(io::stdout().lock());
    std::panic::set_hook(Box::new(|_| {}));
    let jobs = u32_from(&mut input)?;
    for _ in 0..jobs {
        let call = call_from(&mut input)?;
        let started = std::time::Instant::now();
        let what = if call.dy.is_some() { "backward" } else { "forward" };
        let result = catch_unwind(AssertUnwindSafe(|| answer(&call)))
            .unwrap_or_else(|e| Err(format!("panicked in {what}: {}", panic_text(e.as_ref()))));
        match result {
            Ok(arrays) => {
                out.write_all(&[VALUES])?;
                put_u32(&mut out, arrays.len())?;
                for a in &arrays {
                    put_u32(&mut out, a.len())?;
                    put_f64s(&mut out, a)?;
                }
            }
            Err(m) => {
                out.write_all(&[PANICKED])?;
                put_bytes(&mut out, m.as_bytes())?;
            }
        }
        put_f64s(&mut out, &[started.elapsed().as_secs_f64()])?;
    }
    out.flush()
}

/// Reads frames from a runner's output: each read is `None` at the end of
/// the bytes or on a malformed frame, and nothing is allocated beyond the
/// bytes there are.
pub struct Frames<'a> {
    b: &'a [u8],
}

impl<'a> Frames<'a> {
    /// Frames over `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Frames { b }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        (self.b.len() >= n).then(|| {
            let (head, rest) = self.b.split_at(n);
            self.b = rest;
            head
        })
    }

    /// A tag.
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// A count or a size.
    pub fn u32(&mut self) -> Option<usize> {
        self.take(4).map(|b| u32::from_le_bytes(b.try_into().expect("4")) as usize)
    }

    /// `n` values.
    pub fn f64s(&mut self, n: usize) -> Option<Vec<f64>> {
        let b = self.take(n.checked_mul(8)?)?;
        Some(b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8"))).collect())
    }

    /// A `u32`-prefixed text (invalid UTF-8 replaced).
    pub fn text(&mut self) -> Option<String> {
        let n = self.u32()?;
        self.take(n).map(|b| String::from_utf8_lossy(b).into_owned())
    }
}
