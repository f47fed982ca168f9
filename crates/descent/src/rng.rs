//! Seeded random numbers: every random draw in descent goes through [`Rng`].
//!
//! ChaCha8 is used rather than `rand::rngs::StdRng` because its output is
//! specified and stable across `rand` releases: the same seed gives the same
//! numbers on every machine and every version of the dependencies.

use rand::SeedableRng;

/// The random number generator used everywhere in descent.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A generator seeded from `seed`.
pub fn seeded(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}
