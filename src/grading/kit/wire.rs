//! The runners' side of the framed little-endian format of
//! `descent::grading::runner`, and a panic's message: shared by the
//! optimizer's and the op's runner (both compiled with `rustc --cfg
//! student_kit`, no dependencies) and by the grader's in-process replay.
//
// Compiled into every submission's runner: keep it free of anything but `std`.

use std::io::{self, Read, Write};

/// A `u32` (a count or a size).
pub fn u32_from(r: &mut impl Read) -> io::Result<usize> {
    let mut b = [0; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b) as usize)
}

/// `n` `f64`s.
pub fn f64s_from(r: &mut impl Read, n: usize) -> io::Result<Vec<f64>> {
    let mut b = vec![0; 8 * n];
    r.read_exact(&mut b)?;
    Ok(b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
}

/// `xs` as `f64`s.
pub fn put_f64s(w: &mut impl Write, xs: &[f64]) -> io::Result<()> {
    for x in xs {
        w.write_all(&x.to_le_bytes())?;
    }
    Ok(())
}

/// `b`, after its length as a `u32`.
pub fn put_bytes(w: &mut impl Write, b: &[u8]) -> io::Result<()> {
    w.write_all(&(b.len() as u32).to_le_bytes())?;
    w.write_all(b)
}

/// What a panic said (its `&str` or `String` payload).
pub fn panic_text(e: &(dyn std::any::Any + Send)) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}
