//! Hot loops compiled twice: for the baseline x86-64 every build targets
//! (SSE2), and for AVX2 with FMA, chosen at run time.
//!
//! descent is built for any x86-64 CPU, so the compiler vectorises its own
//! loops (im2col, pooling, the optimizers' updates, ...) four `f32` lanes at
//! a time, even on a CPU that has eight or sixteen. A loop written as a
//! `Kernel` is compiled a second time inside a function with AVX2 and FMA
//! enabled, and `run` calls that copy when the CPU reports both features
//! (`is_x86_feature_detected!`, cached by the standard library). Elsewhere
//! (other CPUs, other architectures) the baseline copy runs.
//!
//! Both copies compute the same bits: Rust never contracts `a * b + c` into
//! a fused multiply-add on its own, and never reorders floating-point
//! additions, so the wider instructions change the speed only. A test below
//! compares the two copies; the whole test suite and the golden PyTorch
//! trajectories run on whichever this machine has.
//!
//! Such a loop is written as a `Kernel`: its arguments as a struct, its
//! body in `run`. Only loops where the wider instructions were measured to
//! pay are written so: the optimizers' updates, whose square roots and
//! divisions bound them (Adam's step on the MNIST MLP's parameters: median
//! 210 to 320 µs with SSE2, 135 to 176 µs with AVX2, at 1 and 2 threads).
//! The convolution's unrolling copies gained nothing: they are bound by
//! memory, not by instruction width.
//!
//! Why not a closure: the AVX2 copy exists only if the loop is inlined into
//! the function that carries the target feature, and a closure can be
//! neither forced inline nor relied on to be (it is called from both
//! copies). The loop bodies here are `#[inline(always)]`, so each is
//! compiled into both copies.
//!
//! The environment variable `DESCENT_BASELINE=1` (read once per process) or
//! [`force_baseline`] makes every later call take the baseline copy (and the
//! convolution take its im2col path instead of its AVX-512 kernels, and the
//! matrix products matrixmultiply instead of the AVX-512 product), so that
//! a bench can measure what the wider instructions gain and a test can
//! compare both ways on whole computations.

use std::sync::atomic::{AtomicU8, Ordering};

/// Which copies run: not decided yet, AVX2, or the baseline.
static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);
const UNDECIDED: u8 = 0;
const AVX2: u8 = 1;
const BASELINE: u8 = 2;

/// A loop to compile for the baseline and for AVX2 + FMA: its arguments as
/// fields, its body in `run`, which must be `#[inline(always)]`.
pub(crate) trait Kernel {
    /// What the loop returns.
    type Output;
    /// The loop. Mark it `#[inline(always)]`: that is what puts it in the
    /// AVX2 copy.
    fn run(self) -> Self::Output;
}

/// Whether the AVX2 + FMA copies run: this CPU has both features, and
/// neither `DESCENT_BASELINE=1` nor [`force_baseline`] asked for the
/// baseline.
#[inline]
pub fn has_avx2() -> bool {
    match CHOICE.load(Ordering::Relaxed) {
        AVX2 => true,
        BASELINE => false,
        _ => {
            let baseline = std::env::var_os("DESCENT_BASELINE").is_some_and(|v| v == "1");
            let avx2 = !baseline && cpu_has_avx2();
            // A concurrent force_baseline wins over this first decision.
            let _ = CHOICE.compare_exchange(
                UNDECIDED,
                if avx2 { AVX2 } else { BASELINE },
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            CHOICE.load(Ordering::Relaxed) == AVX2
        }
    }
}

/// Whether the AVX-512 kernels (the convolution's, the `f32` GEMM's) are to
/// run: the CPU has AVX-512F (and AVX2 and FMA), and neither
/// `DESCENT_BASELINE=1` nor [`force_baseline`] asked for the baseline.
pub(crate) fn has_avx512() -> bool {
    has_avx2() && cpu_has_avx512()
}

/// Whether this CPU can run the AVX-512 kernels (what their safety rests
/// on, whatever [`force_baseline`] says meanwhile).
pub(crate) fn cpu_has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") && has!("avx2") && has!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Whether this CPU has AVX2 and FMA.
fn cpu_has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Runs `kernel`, compiled for AVX2 + FMA where the CPU has both.
#[inline(always)]
pub(crate) fn run<K: Kernel>(kernel: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU has just been found to support AVX2 and FMA, the
        // only features `run_avx2` is compiled for.
        return unsafe { run_avx2(kernel) };
    }
    kernel.run()
}

/// From now on (`true`) every multiversioned loop of this process runs its
/// baseline copy; `false` goes back to choosing by the CPU (and
/// `DESCENT_BASELINE`). For tests that compare the two copies. Results do
/// not depend on it, so other threads may be computing meanwhile.
pub fn force_baseline(on: bool) {
    CHOICE.store(if on { BASELINE } else { UNDECIDED }, Ordering::Relaxed);
}

/// Held by the tests that switch [`force_baseline`] on and off, so that one
/// test's baseline run is never another's run of the fast copies.
#[cfg(test)]
pub(crate) fn baseline_switch() -> std::sync::MutexGuard<'static, ()> {
    static SWITCH: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SWITCH.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2<K: Kernel>(kernel: K) -> K::Output {
    kernel.run()
}

#[cfg(test)]
mod tests {
    use super::{force_baseline, run, Kernel};

    /// A loop with the arithmetic the updates use (products, sums,
    /// square roots, divisions), compiled both ways.
    struct Update<'a> {
        x: &'a mut [f32],
        g: &'a [f32],
    }

    impl Kernel for Update<'_> {
        type Output = ();
        #[inline(always)]
        fn run(self) {
            for (x, &g) in self.x.iter_mut().zip(self.g) {
                *x = (*x * 0.9 + g * g * 0.1) / ((g * g).sqrt() + 1e-8) - g * 1e-3;
            }
        }
    }

    #[test]
    fn both_copies_compute_the_same_bits() {
        let _switch = super::baseline_switch();
        let g: Vec<f32> = (0..1000).map(|i| ((i * 37 % 101) as f32 - 50.0) * 1e-3).collect();
        let start: Vec<f32> = (0..1000).map(|i| (i as f32).sin()).collect();
        let (mut a, mut b) = (start.clone(), start);
        for _ in 0..3 {
            run(Update { x: &mut a, g: &g });
        }
        force_baseline(true);
        for _ in 0..3 {
            run(Update { x: &mut b, g: &g });
        }
        force_baseline(false);
        assert!(a.iter().zip(&b).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}
