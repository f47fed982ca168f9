//! The runner compiled around a student's `solution.rs` (with `rustc
//! --cfg student_kit`, no dependencies). It reads jobs from stdin
//! (teacher-forced inputs, or a problem to run on freely) and writes the
//! student's numbers to stdout, in the framed little-endian format of
//! `descent_grader::wire`; it never sees a reference trajectory, only
//! inputs.

#[allow(dead_code)] // The grader's functions in it are not the runner's.
mod problems;
mod solution;
mod student_api;
#[allow(dead_code)] // The grader's side of the format is not the runner's.
mod wire;

use problems::Problem;
use std::io::{self, BufWriter, Read, Write};
use wire::{f64s_from, panic_text, put_bytes, put_f64s, put_u32, u32_from};
use std::panic::{catch_unwind, AssertUnwindSafe};
use student_api::{Hyper, StudentOptimizer};

fn main() -> io::Result<()> {
    // The student's own printing must not corrupt the frames: they go to
    // stdout through this handle only, and the harness tells the student
    // (README) to print to stderr.
    let mut input = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    // A panic's message is sent as a frame; the default hook's copy on
    // stderr is noise the grader caps anyway.
    std::panic::set_hook(Box::new(|_| {}));
    let jobs = u32_from(&mut input)?;
    for _ in 0..jobs {
        let mut mode = [0];
        input.read_exact(&mut mode)?;
        let n = u32_from(&mut input)?;
        let steps = u32_from(&mut input)?;
        let h = f64s_from(&mut input, wire::HYPER)?;
        let hyper = Hyper {
            lr: h[0],
            betas: (h[1], h[2]),
            eps: h[3],
            weight_decay: h[4],
            momentum: h[5],
            nesterov: h[6] != 0.0,
            amsgrad: h[7] != 0.0,
            decoupled: h[8] != 0.0,
            maximize: h[9] != 0.0,
            alpha: h[10],
            centered: h[11] != 0.0,
            lr_decay: h[12],
            initial_accumulator_value: h[13],
            rho: h[14],
        };
        // A free-running job: the problem, its data and the start.
        let free = if mode[0] == wire::FREE {
            let problem = Problem::ALL.get(u32_from(&mut input)?).copied();
            let nx = u32_from(&mut input)?;
            let x = f64s_from(&mut input, nx)?;
            let ny = u32_from(&mut input)?;
            let y = f64s_from(&mut input, ny)?;
            let start = f64s_from(&mut input, n)?;
            Some((problem.ok_or_else(|| io::Error::other("unknown problem"))?, x, y, start))
        } else {
            None
        };
        let started = std::time::Instant::now();
        let built = catch_unwind(|| solution::build(&hyper));
        let mut optimizer: Option<Box<dyn StudentOptimizer>> = None;
        let mut failure = None;
        match built {
            Ok(o) => optimizer = Some(o),
            Err(e) => failure = Some(message(e, 0)),
        }
        let mut current = free.as_ref().map(|f| f.3.clone());
        for t in 0..steps {
            let (mut params, grads) = match (&free, current.take()) {
                (Some((problem, x, y, _)), Some(p)) => {
                    let (_, g) = problem.loss_grad(&p, x, y);
                    (p, g)
                }
                _ if free.is_some() => break,
                _ => (f64s_from(&mut input, n)?, f64s_from(&mut input, n)?),
            };
            if failure.is_some() {
                continue;
            }
            let opt = optimizer.as_mut().expect("built");
            match catch_unwind(AssertUnwindSafe(|| {
                opt.step(&mut params, &grads);
                opt.state()
            })) {
                Ok(state) => {
                    out.write_all(&[wire::STEP])?;
                    put_f64s(&mut out, &params)?;
                    if free.is_some() {
                        current = Some(params);
                    }
                    put_u32(&mut out, state.len())?;
                    for (name, values) in state {
                        put_bytes(&mut out, name.as_bytes())?;
                        put_u32(&mut out, values.len())?;
                        put_f64s(&mut out, &values)?;
                    }
                }
                Err(e) => failure = Some(message(e, t + 1)),
            }
        }
        if let Some(m) = failure {
            out.write_all(&[wire::PANICKED])?;
            put_bytes(&mut out, m.as_bytes())?;
        }
        out.write_all(&[wire::END])?;
        put_f64s(&mut out, &[started.elapsed().as_secs_f64()])?;
        out.flush()?;
    }
    Ok(())
}

fn message(e: Box<dyn std::any::Any + Send>, step: usize) -> String {
    let m = panic_text(e.as_ref());
    if step == 0 {
        format!("panicked in build: {m}")
    } else {
        format!("panicked at step {step}: {m}")
    }
}
