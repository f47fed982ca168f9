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
    /// Seed file (`000`, `002`, `003`, `004`) or paper (`wilson`, `reddi`,
    /// `ioffe`, `ba`).
    pub document: &'static str,
    /// Where in it (slide, section, figure).
    pub place: &'static str,
    /// The claim, in the source's words where possible.
    pub statement: &'static str,
    /// How descent handles it.
    pub handling: Handling,
}

/// The documents every registry must cover: the seed files, and the
/// papers whose claims they cite or name (Ioffe and Szegedy 2015 for batch
/// normalization, Ba, Kiros and Hinton 2016 for layer normalization).
pub const DOCUMENTS: [&str; 8] = ["000", "002", "003", "004", "wilson", "reddi", "ioffe", "ba"];

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
    also(
        "000",
        "momentum",
        "with the momentum, we try to increase the convergence speed; we want to move towards the minimum faster, \
         without the high oscillations",
        "surfaces.momentum_faster_ill_conditioned",
    ),
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
    not_decided("000", "conclusion", "based on the literature, only the Adam optimizer is able to solve all those problems (speed, learning-rate choice, local minima, plateaus, saddle points)", "a conjunction over five problems and over every other method; the parts are decided one by one (mnist_mlp.adaptive_faster, surfaces.adam_avoids_local_minima, surfaces.adaptive_escape_saddle) and 'only Adam' would need every other method to fail one of them, which no single criterion here decides"),
    not_decided("000", "momentum", "momentum smoothens the noise; Adam reduces the noise in the gradient (momentum)", "a property of the exponential average, by construction: for independent gradient noise its variance is (1 − β)/(1 + β) of the gradient's; not an outcome to test"),
    not_decided("002", "AdaGrad", "AdaGrad is slow and sensitive to the learning rate", "'slow' and 'sensitive' name no method to compare with; every run's tuning grid (tuning.csv: score at each lr) shows each method's sensitivity, and RMSprop against AdaGrad is decided on MNIST"),
    not_decided("002", "RMSprop", "RMSprop addresses the need for a manually selected global learning rate (kinda...)", "hedged by the slide itself; RMSprop's update keeps the learning rate as an input (every run here tunes it), so there is no outcome to test"),
    not_decided("002", "Adadelta", "the numerator arises from unit correction", "a units argument (Zeiler 2012, section 3.2): true by dimensional analysis of the update, not an outcome of a run"),
    not_decided("002", "RMSprop / Adam", "momentum accelerates motion and RMSprop controls oscillations; Adam takes advantage of both", "a description of the update rules, not an outcome; the surfaces section shows the paths"),
    not_decided("002", "Adam: potential issues", "don't trust the default settings too much: many hyperparameters to tune", "advice, not an outcome; every tuned claim's grid (tuning.csv) shows whether Adam's default lr 0.001 was its best point in that run"),
    not_decided("002", "Wilson et al., figure 1 caption", "in all cases, adaptive methods are performing worse on both train and test than non-adaptive methods (CIFAR-10)", "a description of the paper's CIFAR-10 figure, which needs CIFAR-10 and a VGG network, beyond this project's data and CPU budget; on MNIST the generalization claim is decided under the paper's condition of equal training loss (wilson.mnist_gap)"),
    not_decided("003", "figure 1(a)", "it converges to a slightly smaller loss, but took almost twice as long", "the sentence names no optimizer, so there is nothing to compare"),
    not_decided("003", "figure 1(a)", "Adadelta also suffers and provides the worst convergence rate", "the report does not say at which learning rate or against which measure; the CNN grid's per-rate losses of every optimizer are in the cnn_grid section, and the two decidable readings are claims there (cnn_grid.sgd_adadelta_suffer_small_lr, cnn_grid.sgd_adadelta_similar_to_adam_at_1e-4)"),
    not_decided("003", "section 1 (AMSGrad)", "the authors found that the de-biasing can be avoided", "a statement about Reddi et al.'s algorithm as printed (their AMSGrad has no bias correction); descent implements both, torch's amsgrad keeps the correction, and the report does not claim an outcome for either choice"),
    not_decided("003", "section 1 (Adam)", "Adam provides extremely good results on deep learning but extremely poor results on other optimization problems", "a summary of the literature with no problem named; the one named counterexample (Reddi et al.'s) is decided in the amsgrad section"),
    not_decided("004", "Adam", "Adam works well out of the box for many networks", "\"many networks\" and \"out of the box\" are not measurable on two MNIST models; the MNIST sections show Adam at its default and tuned rates"),
    not_decided("004", "normalization", "data, batch and layer normalization", "the slide lists the three words and claims nothing; the normalization section decides the claims of the papers behind them (Ioffe and Szegedy 2015; Ba, Kiros and Hinton 2016) and of data standardisation, credited to those papers"),
    not_decided("wilson", "discussion", "the noise of SGD may keep it away from the sharp minima that adaptive methods find", "an explanation the paper discusses (after Keskar et al. 2017), not an outcome it shows; sharpness needs the Hessian's spectrum at the solution, which no run here measures"),
    not_decided("wilson", "section 4", "adaptive methods make faster initial progress on the training set, but their test error plateaus early", "the MNIST run here trains for a few epochs, too short to see a plateau of test error; the histories are in the wilson section's CSV"),
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
    ("surfaces.momentum_faster_ill_conditioned", StepMatch::Tuned),
    ("surfaces.nesterov_ill_conditioned", StepMatch::Tuned),
    ("surfaces.nesterov_rosenbrock", StepMatch::Tuned),
    ("wilson.mnist_gap", StepMatch::Tuned),
    ("seed004.schedules", StepMatch::SameMomentum),
];
