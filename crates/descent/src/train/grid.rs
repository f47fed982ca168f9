//! Independent runs in parallel across cores (rayon). Each run owns its
//! model, optimizer and seeds, so the results do not depend on the thread
//! count or the order the runs finish in (tested).

use rayon::prelude::*;

/// Runs `run` on every job in parallel; results come back in job order.
pub fn run_parallel<J: Sync, R: Send>(jobs: &[J], run: impl Fn(&J) -> R + Sync) -> Vec<R> {
    jobs.par_iter().map(&run).collect()
}
