//! Forks of two halves of similar cost whose caller waits for the other
//! half by spinning rather than by sleeping ([`join_busy`]).

use std::sync::atomic::{AtomicBool, Ordering};

/// `rayon::join(a, b)` for two halves of similar cost, except that when
/// another thread took `b`, this one waits for it after `a` by spinning,
/// for at most as long as `a` took, before it waits as `join` does (looking
/// for other work, then sleeping until woken).
///
/// Used where an MLP step forks halves that each core does alike: the two
/// blocks of a large product ([`crate::kernels::gemm`]), the optimizers'
/// halves of the parameters and the check of a large gradient for
/// non-finite values (`optim::common`).
///
/// Why: when this thread's half ends first, `join` soon puts it to sleep,
/// and the other thread's end must then wake it. Intel Xeon, MNIST MLP at 2
/// threads, the products alone: from the second block's end to the fork's
/// return, 6.0 / 26.1 / 4.4 / 11.3 µs with `join`'s wait against 1.3 / 7.0
/// / 2.1 / 2.8 spinning (the four product shapes; what remains is this
/// thread's block ending last), the forks' wall time 13 µs shorter a step;
/// alternated with `join`'s wait epoch by epoch in one binary, six runs of
/// 21 epochs: +4.5, -22.8, +2.7, -4.1, -5.9 and -3.5 ms an epoch (se 2-6
/// ms). The optimizer's halves and the gradients' check the same way, on
/// top: -5.9, -5.9, -10.2, -5.9 and -1.1 ms (se 2-5 ms). At one thread
/// nothing is stolen and nothing spins.
///
/// Unlike `join`'s wait, the spin does not take other work meanwhile: a
/// half that its partner could have helped with (a parallel iterator inside
/// it) is left to its own thread.
pub(crate) fn join_busy<RA: Send, RB: Send>(a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB + Send) -> (RA, RB) {
    let (started, done) = (AtomicBool::new(false), AtomicBool::new(false));
    rayon::join(
        || {
            let start = std::time::Instant::now();
            let r = a();
            // `b` taken by another thread (or run after `a` by this one,
            // which then finds it done or not started): spin until it is
            // done, or for as long again as `a` took.
            if started.load(Ordering::Acquire) {
                let until = 2 * start.elapsed();
                while !done.load(Ordering::Acquire) && start.elapsed() < until {
                    std::hint::spin_loop();
                }
            }
            r
        },
        || {
            started.store(true, Ordering::Release);
            let _done = SetOnDrop(&done);
            b()
        },
    )
}

/// Sets its flag when dropped: when the work it guards returns, and also
/// when it panics, so that a thread spinning on the flag never hangs.
pub(crate) struct SetOnDrop<'a>(pub(crate) &'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::join_busy;
    use rayon::prelude::*;

    #[test]
    fn join_busy_returns_both_results_and_never_hangs() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
            pool.install(|| {
                for spin in [0u64, 200, 2_000] {
                    let work = |n: u64| (0..n * 1000).fold(0u64, |s, i| s.wrapping_add(i * i));
                    let (a, b) = join_busy(|| work(spin), || work(2 * spin));
                    assert_eq!((a, b), (work(spin), work(2 * spin)), "{threads} threads");
                }
                // Nested in parallel work, as inside a training's ops.
                let count = AtomicUsize::new(0);
                (0..8).into_par_iter().for_each(|_| {
                    let (x, y) = join_busy(|| 1, || 2);
                    count.fetch_add(x + y, Ordering::Relaxed);
                });
                assert_eq!(count.into_inner(), 24);
                // A panic in either half reaches the caller; nothing hangs.
                for which in 0..2 {
                    let r = std::panic::catch_unwind(|| {
                        join_busy(|| assert_ne!(which, 0, "first"), || assert_ne!(which, 1, "second"))
                    });
                    assert!(r.is_err(), "{threads} threads, half {which}");
                }
            });
        }
    }
}
