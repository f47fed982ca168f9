//! The registry of what the seeds and papers claim, each with its source and
//! either the experiment claim that decides it or the reason it is not
//! decided here. The report's ledger shows what was run; this list shows
//! what was *asked*, so a claim left out is visible. `tests/experiments.rs`
//! checks that every seed file and paper has entries, that every claim an
//! experiment produces is listed here with the same kind (evidence or
//! demonstration), and that every `Decided` entry is produced by a run.

use super::Kind;

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

use Handling::{Decided, NotDecided};
use Kind::{Demonstration as Demo, Evidence as Ev};

const fn r(document: &'static str, place: &'static str, statement: &'static str, handling: Handling) -> Registered {
    Registered { document, place, statement, handling }
}

/// Every claim of the seeds and papers.
pub const REGISTRY: &[Registered] = &[
    // Seed 000: slides "Deep learning optimizers".
    r("000", "BGD / MBGD / convergence steps", "BGD takes fewer steps to converge", Decided("batch_modes.bgd_fewest_updates", Ev)),
    r("000", "SGD", "SGD has a noisy gradient (the noisiest path)", Decided("batch_modes.sgd_noisiest", Ev)),
    r("000", "MBGD", "MBGD is less noisy than SGD and needs fewer steps than SGD", Decided("batch_modes.bgd_fewest_updates", Ev)),
    r("000", "SGD", "SGD has a faster training time than BGD", NotDecided("wall time per update depends on the implementation and the machine, not on the method; the report measures updates and examples processed instead")),
    r("000", "momentum", "momentum increases the convergence speed and avoids local minima", Decided("surfaces.momentum_other_well", Ev)),
    r("000", "figure 4 (saddle points)", "adaptive learning algorithms avoid saddle points", Decided("surfaces.adaptive_escape_saddle", Ev)),
    r("000", "Adagrad", "Adagrad deals with sparse features: larger updates for infrequent ones", Decided("adagrad_sparse.rare_features", Ev)),
    r("000", "Adagrad", "Adagrad converges slowly because its learning rate is drastically reduced", Decided("adagrad_sparse.vanishing_step", Demo)),
    r("000", "RMSprop, figure 5", "RMSprop is faster than Adagrad", Decided("mnist_mlp.rmsprop_faster_than_adagrad", Ev)),
    r("000", "Adadelta", "Adadelta is robust to a large sudden gradient", Decided("adadelta_eps.sudden_gradient", Ev)),
    r("000", "Adadelta", "Adadelta needs no global learning rate", NotDecided("a design property, not an outcome: Adadelta's update has no lr (torch multiplies by lr = 1); its replacement, eps, does act like a learning rate (seed 002's claim, decided)")),
    r("000", "Adam", "Adam succeeds in avoiding local minima", Decided("surfaces.adam_avoids_local_minima", Ev)),
    r("000", "Adam", "Adam can escape plateau regions", Decided("surfaces.adaptive_escape_saddle", Ev)),
    r("000", "figure 6", "on the MNIST network, the adaptive methods converge faster than SGD", Decided("mnist_mlp.adaptive_faster", Ev)),
    r("000", "figure 7", "on linear regression every optimizer reaches the optimum", Decided("linear_regression.optimum_generated", Ev)),
    r("000", "figure 7", "on linear regression every optimizer reaches the optimum (diabetes data)", Decided("linear_regression.optimum_diabetes", Ev)),
    // Seed 002: slides "RMSprop, Adadelta & Adam".
    r("002", "Adadelta", "epsilon behaves like a learning rate: a small eps converges slowly", Decided("adadelta_eps.eps_is_a_learning_rate", Ev)),
    r("002", "Adadelta", "the same on MNIST", Decided("adadelta_eps.mnist", Ev)),
    r("002", "Adadelta", "the first update is sqrt(eps) g / sqrt((1 - rho) g^2 + eps)", Decided("adadelta_eps.first_step", Demo)),
    r("002", "Adadelta", "the initial accumulated update acts like a learning rate", Decided("adadelta_eps.initial_update", Ev)),
    r("002", "RMSprop / Adam", "momentum accelerates motion and RMSprop controls oscillations; Adam takes advantage of both", NotDecided("a description of the update rules, not an outcome; the surfaces section shows the paths")),
    r("002", "Wilson et al.", "adaptive methods generalize worse than SGD, even with better training performance", Decided("wilson.mnist_gap", Ev)),
    // Seed 003: report on Adam.
    r("003", "figure 1(b)", "at lr 0.01 Adam outperforms them all and RMSprop is very close", Decided("cnn_grid.adam_best_at_0.01", Ev)),
    r("003", "figure 1(c)", "at lr 0.0001 RMSprop does not learn properly and gets stuck on a high loss", Decided("cnn_grid.rmsprop_stuck_at_1e-4", Ev)),
    r("003", "figure 1(c)", "RMSprop gets stuck because it lacks a momentum term", Decided("cnn_grid.rmsprop_stuck_lacks_momentum", Ev)),
    r("003", "figure 1(a)", "SGD and Adadelta suffer greatly from decreasing the learning rate", Decided("cnn_grid.sgd_adadelta_suffer_small_lr", Ev)),
    r("003", "figure 1(c)", "at the lowest lr SGD and Adadelta converge to a similar value as Adam (conflicts with the previous one)", Decided("cnn_grid.sgd_adadelta_similar_to_adam_at_1e-4", Ev)),
    r("003", "figure 1(a)", "it converges to a slightly smaller loss, but took almost twice as long", NotDecided("the sentence names no optimizer, so there is nothing to compare")),
    r("003", "section 1 (SGD)", "SGD with a constant rate stalls at an error of the order of the learning rate; a decaying schedule reaches the optimum (Darken et al.)", Decided("batch_modes.constant_rate_stalls", Ev)),
    r("003", "section 1 (AMSGrad)", "in some deep learning problems AMSGrad outperforms Adam", Decided("mnist_mlp.amsgrad_vs_adam", Ev)),
    r("003", "toy function", "Adam converges on x^3 - 3x^2 + 4x (with the seed's gradient)", Decided("toy_function.seed_gradient_stops_at_2", Demo)),
    r("003", "toy function", "the function has no minimum (its true derivative is never below 1)", Decided("toy_function.no_minimum", Demo)),
    // Seed 004: lecture "Optimization".
    r("004", "batch vs stochastic", "batch, stochastic and mini-batch gradient descent trade steps against cost", Decided("batch_modes.bgd_fewest_updates", Ev)),
    r("004", "He initialization", "He initialization keeps the activations' variance through ReLU layers", Decided("seed004.he_init", Ev)),
    r("004", "He initialization", "He initialization trains a deep ReLU network where a small fixed-variance one does not", Decided("seed004.he_init_training", Ev)),
    r("004", "momentum", "momentum multiplies the learning rate by 1 / (1 - mu) on a constant gradient", Decided("seed004.momentum_effective_rate", Demo)),
    r("004", "Nesterov momentum", "Nesterov momentum converges faster than classical momentum (ill-conditioned quadratic)", Decided("surfaces.nesterov_ill_conditioned", Ev)),
    r("004", "Nesterov momentum", "Nesterov momentum converges faster than classical momentum (Rosenbrock)", Decided("surfaces.nesterov_rosenbrock", Ev)),
    r("004", "learning-rate schedule", "a decaying learning-rate schedule improves on a constant rate", Decided("seed004.schedules", Ev)),
    r("004", "normalization", "batch normalization makes a network reach a given accuracy in fewer training steps", Decided("normalization.batch_norm_faster", Ev)),
    r("004", "normalization", "batch normalization lets a network train at a much higher learning rate", Decided("normalization.batch_norm_larger_lr", Ev)),
    r("004", "normalization", "layer normalization makes a network reach a given accuracy in fewer training steps", Decided("normalization.layer_norm_faster", Ev)),
    r("004", "normalization", "normalizing the input data speeds up gradient descent", Decided("normalization.data_standardized_faster", Ev)),
    r("004", "Adam", "Adam works well out of the box for many networks", NotDecided("\"many networks\" and \"out of the box\" are not measurable on two MNIST models; the MNIST sections show Adam at its default and tuned rates")),
    // Wilson et al. 2017.
    r("wilson", "section 3.3", "gradient descent from 0 reaches the minimum-norm solution, with zero test error", Decided("wilson.gd_min_norm", Demo)),
    r("wilson", "section 3.3", "any method in the span of the gradients (SGD, mini-batch GD, heavy ball) reaches the minimum-norm solution", Decided("wilson.span_methods_min_norm", Demo)),
    r("wilson", "section 3.3", "the adaptive methods' test error approaches 1/2 as p approaches 1/2", Decided("wilson.adaptive_error_to_half", Demo)),
    r("wilson", "section 3.3", "AdaGrad, RMSprop and Adam converge to sign(X^T y) and misclassify every negative", Decided("wilson.adaptive_sign", Demo)),
    r("wilson", "section 4", "adaptive methods generalize worse at equal or lower training loss (MNIST check)", Decided("wilson.mnist_gap", Ev)),
    // Reddi et al. 2018.
    r("reddi", "section 3, figure 1", "on the online problem Adam drifts to +1 and AMSGrad converges", Decided("amsgrad.online", Ev)),
    r("reddi", "section 3, figure 1", "on the stochastic problem Adam drifts to +1 and AMSGrad converges", Decided("amsgrad.stochastic", Ev)),
    r("reddi", "section 3, figure 1", "on the stochastic problem AMSGrad does better than Adam", Decided("amsgrad.stochastic_better", Ev)),
    r("reddi", "Theorem 1", "with beta1 = 0, beta2 = 1/(1 + C^2) Adam converges to the worst point", Decided("amsgrad.theorem1", Demo)),
    r("reddi", "this project's note", "the failure needs Theorem 1's betas: with (0.9, 0.99) Adam converges", Decided("amsgrad.common_betas_converge", Ev)),
];

/// The registry entry deciding claim `id`, if any.
pub fn entry(id: &str) -> Option<&'static Registered> {
    REGISTRY.iter().find(|r| matches!(r.handling, Decided(i, _) if i == id))
}
