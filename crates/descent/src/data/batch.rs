//! Batching: full batch (BGD), one example (SGD) or mini-batches of k (MBGD),
//! in an order shuffled per epoch by a seeded RNG.
//!
//! Seed 000: "batch gradient descent updates after the loss of the entire
//! training set; SGD after one example; mini-batch after each batch". The
//! optimizer is the same; what changes is which examples a gradient averages
//! over, which is this module's job. Every mode visits every example exactly
//! once per epoch (tested); a last partial mini-batch is kept, as PyTorch's
//! DataLoader does by default.

use crate::rng::Rng;
use crate::{Error, Result};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// How many examples each update sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Batching {
    /// Batch gradient descent: the whole set per update.
    Full,
    /// Stochastic gradient descent: one example per update.
    Single,
    /// Mini-batch gradient descent: `k` examples per update.
    MiniBatch(usize),
}

impl Batching {
    /// The batch size for a set of `n` examples.
    pub fn size(&self, n: usize) -> usize {
        match *self {
            Batching::Full => n,
            Batching::Single => 1,
            Batching::MiniBatch(k) => k.min(n),
        }
    }

    /// Short label for tables and charts: `BGD`, `SGD`, `MBGD(k)`.
    pub fn label(&self) -> String {
        match *self {
            Batching::Full => "BGD".into(),
            Batching::Single => "SGD".into(),
            Batching::MiniBatch(k) => format!("MBGD({k})"),
        }
    }

    /// The batches of one epoch over `n` examples: shuffled by `rng` when
    /// given, in order otherwise.
    pub fn epoch(&self, n: usize, rng: Option<&mut Rng>) -> Result<Batches> {
        if n == 0 {
            return Err(Error::invalid("batching", "n", "cannot batch an empty set"));
        }
        if let Batching::MiniBatch(0) = self {
            return Err(Error::invalid("batching", "batch size", "a mini-batch needs at least one example"));
        }
        let mut order: Vec<usize> = (0..n).collect();
        if let Some(rng) = rng {
            order.shuffle(rng);
        }
        Ok(Batches { order, size: self.size(n) })
    }
}

/// The batches of one epoch: index lists into the data set.
#[derive(Debug, Clone)]
pub struct Batches {
    order: Vec<usize>,
    size: usize,
}

impl Batches {
    /// The batches, in order.
    pub fn iter(&self) -> std::slice::Chunks<'_, usize> {
        self.order.chunks(self.size)
    }

    /// Number of batches (updates) in the epoch.
    pub fn len(&self) -> usize {
        self.order.len().div_ceil(self.size)
    }

    /// True when there are no batches (never, for a valid epoch).
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;

    #[test]
    fn every_mode_visits_every_example_exactly_once_per_epoch() {
        let mut rng = seeded(7);
        for batching in [Batching::Full, Batching::Single, Batching::MiniBatch(32), Batching::MiniBatch(1000)] {
            for epoch in 0..3 {
                let batches = batching.epoch(103, Some(&mut rng)).unwrap();
                let mut seen = vec![0; 103];
                for batch in batches.iter() {
                    assert!(batch.len() <= batching.size(103));
                    batch.iter().for_each(|&i| seen[i] += 1);
                }
                assert!(seen.iter().all(|&c| c == 1), "{batching:?} epoch {epoch}: {seen:?}");
                let want = match batching {
                    Batching::Full | Batching::MiniBatch(1000) => 1,
                    Batching::Single => 103,
                    Batching::MiniBatch(k) => 103_usize.div_ceil(k),
                };
                assert_eq!(batches.len(), want);
            }
        }
    }

    #[test]
    fn shuffling_is_seeded_and_differs_between_epochs() {
        let order = |seed| {
            let mut rng = seeded(seed);
            let a: Vec<usize> = Batching::Single.epoch(50, Some(&mut rng)).unwrap().iter().flatten().copied().collect();
            let b: Vec<usize> = Batching::Single.epoch(50, Some(&mut rng)).unwrap().iter().flatten().copied().collect();
            (a, b)
        };
        assert_eq!(order(1), order(1));
        assert_ne!(order(1), order(2));
        let (a, b) = order(1);
        assert_ne!(a, b, "each epoch has its own order");
        let unshuffled: Vec<usize> =
            Batching::MiniBatch(8).epoch(20, None).unwrap().iter().flatten().copied().collect();
        assert_eq!(unshuffled, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn empty_sets_and_empty_batches_are_errors() {
        assert!(Batching::Full.epoch(0, None).is_err());
        assert!(Batching::MiniBatch(0).epoch(10, None).unwrap_err().to_string().contains("batch size"));
    }
}
