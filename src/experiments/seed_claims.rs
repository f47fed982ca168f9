//! The registry of what the seeds and papers claim: every claim an
//! experiment declares ([`super::Experiment::claims`], with its source and
//! statement), the seed statements that a claim declared for another
//! statement decides ([`ALSO_DECIDED`]), and those not decided here, each
//! with the reason ([`NOT_DECIDED`]). The report's ledger shows what was
//! run; this list shows what was *asked*, so a claim left out is visible.
//! `tests/experiments.rs` checks that every seed file and paper has entries
//! and that every claim an experiment produces is one it declared.

use super::{Kind, EXPERIMENTS};

/// How a registered claim is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handling {
    /// Decided by the experiment claim with this id, of this kind.
    Decided(&'static str, Kind),
    /// Not decided here, and why.
    NotDecided(&'static str),
}

/// One claim of a seed or paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// Seed file (`000`, `002`, `003`, `004`) or paper (`wilson`, `reddi`).
    pub document: &'static str,
    /// Where in it (slide, section, figure).
    pub place: &'static str,
    /// The claim, in the source's words where possible.
    pub statement: &'static str,
    /// How descent handles it.
    pub handling: Handling,
}

/// The documents every registry must cover.
pub const DOCUMENTS: [&str; 6] = ["000", "002", "003", "004", "wilson", "reddi"];

const fn also(document: &'static str, place: &'static str, statement: &'static str, id: &'static str) -> Registered {
    Registered { document, place, statement, handling: Handling::Decided(id, Kind::Evidence) }
}

const fn not_decided(
    document: &'static str,
    place: &'static str,
    statement: &'static str,
    why: &'static str,
) -> Registered {
    Registered { document, place, statement, handling: Handling::NotDecided(why) }
}

/// Seed statements decided by a claim that an experiment declares for
/// another statement (its own words are in the declaration).
pub const ALSO_DECIDED: &[Registered] = &[
    also("000", "MBGD", "MBGD is less noisy than SGD and needs fewer steps than SGD", "batch_modes.bgd_fewest_updates"),
    also("000", "Adam", "Adam can escape plateau regions", "surfaces.adaptive_escape_saddle"),
    also(
        "002",
        "Wilson et al.",
        "adaptive methods generalize worse than SGD, even with better training performance",
        "wilson.mnist_gap",
    ),
    also(
        "004",
        "batch vs stochastic",
        "batch, stochastic and mini-batch gradient descent trade steps against cost",
        "batch_modes.bgd_fewest_updates",
    ),
];

/// Seed statements not decided here, and why.
pub const NOT_DECIDED: &[Registered] = &[
    not_decided("000", "SGD", "SGD has a faster training time than BGD", "wall time per update depends on the implementation and the machine, not on the method; the report measures updates and examples processed instead"),
    not_decided("000", "Adadelta", "Adadelta needs no global learning rate", "a design property, not an outcome: Adadelta's update has no lr (torch multiplies by lr = 1); its replacement, eps, does act like a learning rate (seed 002's claim, decided)"),
    not_decided("002", "RMSprop / Adam", "momentum accelerates motion and RMSprop controls oscillations; Adam takes advantage of both", "a description of the update rules, not an outcome; the surfaces section shows the paths"),
    not_decided("003", "figure 1(a)", "it converges to a slightly smaller loss, but took almost twice as long", "the sentence names no optimizer, so there is nothing to compare"),
    not_decided("004", "Adam", "Adam works well out of the box for many networks", "\"many networks\" and \"out of the box\" are not measurable on two MNIST models; the MNIST sections show Adam at its default and tuned rates"),
];

/// Every claim of the seeds and papers, grouped by document in the order of
/// [`DOCUMENTS`]: the experiments' declarations, then the statements they
/// also decide, then those not decided.
pub fn registry() -> Vec<Registered> {
    let declared = EXPERIMENTS.iter().flat_map(|e| e.claims).map(|c| Registered {
        document: c.document,
        place: c.source,
        statement: c.statement,
        handling: Handling::Decided(c.id, c.kind),
    });
    let mut all: Vec<Registered> =
        declared.chain(ALSO_DECIDED.iter().copied()).chain(NOT_DECIDED.iter().copied()).collect();
    let rank = |d: &str| DOCUMENTS.iter().position(|x| *x == d).unwrap_or(DOCUMENTS.len());
    all.sort_by_key(|r| rank(r.document));
    all
}

/// The declaration of claim `id`, if an experiment declares it.
pub fn declared(id: &str) -> Option<&'static super::ClaimSpec> {
    EXPERIMENTS.iter().flat_map(|e| e.claims).find(|c| c.id == id)
}

/// How a claim that sets momentum against none (or one momentum form
/// against another) keeps their steps comparable: torch's momentum follows
/// a constant gradient at `lr / (1 − μ)`, so at one learning rate the
/// momentum side takes steps 1/(1 − μ) times larger, and a difference
/// could be the step's, not momentum's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepMatch {
    /// The same effective step: the run's protocol records both learning
    /// rates, and `lr(plain) = lr(with) / (1 − mu)`.
    Effective {
        /// The method without momentum, as the protocol names it.
        plain: &'static str,
        /// The method with momentum `mu`.
        with: &'static str,
        /// The momentum.
        mu: f64,
    },
    /// Each side's learning rate tuned on held-out data.
    Tuned,
    /// Both sides have the same momentum (no side without).
    SameMomentum,
}

/// Every evidence claim that compares methods with and without momentum
/// (heavy ball, Nesterov, RMSprop's momentum), and how its steps are
/// matched; `tests/experiments.rs` checks that every claim mentioning
/// momentum is here and that each match holds.
pub const MOMENTUM_COMPARISONS: &[(&str, StepMatch)] = &[
    (
        "cnn_grid.rmsprop_stuck_lacks_momentum",
        StepMatch::Effective {
            plain: "rmsprop",
            with: super::cnn_grid::RMSPROP_MOMENTUM,
            mu: super::cnn_grid::MOMENTUM,
        },
    ),
    ("surfaces.momentum_other_well", StepMatch::Effective { plain: "sgd", with: "momentum", mu: 0.9 }),
    ("surfaces.nesterov_ill_conditioned", StepMatch::Tuned),
    ("surfaces.nesterov_rosenbrock", StepMatch::Tuned),
    ("wilson.mnist_gap", StepMatch::Tuned),
    ("seed004.schedules", StepMatch::SameMomentum),
];
